/**
 * The drawer of a chat: the fragment (`GET /chats/:id/drawer`) and its edits (a field, a pin, closing the scene).
 * htmx gets the drawer back, the page script JSON, a plain form post a redirect.
 */

import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ValidationError } from '../../../core/errors.js';
import type { ChatSettings } from '../../config.js';
import type { ManualEditTarget } from '../../domain/events.js';
import type { ChatReadModel } from '../../read-model/queries.js';
import type { DrawerEdits } from '../../services/drawer-edits.js';
import type { PostTurnPasses } from '../../services/passes.js';
import { Drawer } from '../pages/drawer.js';
import { html, idParams, loadDrawer, sendFragment, wantsJson } from '../route-kit.js';

export interface DrawerRoutesDeps {
  settings: ChatSettings;
  read: ChatReadModel;
  drawer: DrawerEdits;
  passes: Pick<PostTurnPasses, 'closeScene'>;
}

const id = z.string().max(200).default('');
const field = z.string().max(10_000).optional();

/** One drawer form: which thing (`kind` and its ids) and the fields shown; each field present is one edit. */
const editForm = z.object({
  kind: z.string().max(20).default(''),
  entity_id: id,
  source_id: id,
  target_id: id,
  memory_id: id,
  posture: field,
  verb: field,
  attention: field,
  holding: field,
  affinity: field,
  trust: field,
  summary: field,
  pov_summary: field,
  significance: field,
});

type EditForm = z.infer<typeof editForm>;

const pinForm = z.object({
  memory_id: id,
  pinned: z.union([z.boolean(), z.string().max(10)]).optional(),
});

/** The edits a drawer form asks for, one per field it carries. */
function editsOf(form: EditForm): Array<{ target: ManualEditTarget; value: string }> {
  const present = <F extends keyof EditForm>(fields: readonly F[]) =>
    fields.flatMap((name) => {
      const value = form[name];
      return typeof value === 'string' ? [{ name, value }] : [];
    });
  if (form.kind === 'activity')
    return present(['posture', 'verb', 'attention', 'holding'] as const).map(({ name, value }) => ({
      target: { kind: 'activity', entity_id: form.entity_id, field: name },
      value,
    }));
  if (form.kind === 'edge')
    return present(['affinity', 'trust', 'summary'] as const).map(({ name, value }) => ({
      target: { kind: 'edge', source_id: form.source_id, target_id: form.target_id, field: name },
      value,
    }));
  if (form.kind === 'memory')
    return present(['pov_summary', 'significance'] as const).map(({ name, value }) => ({
      target: { kind: 'memory', memory_id: form.memory_id, field: name },
      value,
    }));
  throw new ValidationError('kind must be activity, edge or memory');
}

export function drawerRoutes({ settings, read, drawer, passes }: DrawerRoutesDeps): FastifyPluginAsyncZod {
  async function afterChange(request: FastifyRequest, reply: FastifyReply, chatId: string, changed: number) {
    if (request.headers['hx-request'] === 'true') return sendFragment(reply, <Drawer {...(await loadDrawer(read, settings, chatId))} />);
    if (wantsJson(request)) return { changed };
    return reply.redirect(`/chats/${chatId}`, 303);
  }

  return async (app) => {
    app.get('/chats/:id/drawer', { schema: { ...html, params: idParams } }, async (request, reply) =>
      sendFragment(reply, <Drawer {...(await loadDrawer(read, settings, request.params.id))} />),
    );

    app.post('/chats/:id/edit', { schema: { ...html, params: idParams, body: editForm } }, async (request, reply) => {
      let changed = 0;
      for (const { target, value } of editsOf(request.body)) if (await drawer.manualEdit(request.params.id, target, value)) changed++;
      return afterChange(request, reply, request.params.id, changed);
    });

    app.post('/chats/:id/pin', { schema: { ...html, params: idParams, body: pinForm } }, async (request, reply) => {
      const { memory_id: memoryId, pinned } = request.body;
      const changed = await drawer.setPin(request.params.id, memoryId, pinned === true || pinned === '1' || pinned === 'true');
      return afterChange(request, reply, request.params.id, changed ? 1 : 0);
    });

    app.post('/chats/:id/scene/close', { schema: { ...html, params: idParams } }, async (request, reply) => {
      const events = await passes.closeScene(request.params.id);
      return afterChange(request, reply, request.params.id, events.length);
    });
  };
}
