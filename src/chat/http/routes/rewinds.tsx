/** Rewind a chat (preview dialog, rewind, undo), as form posts for the page and as JSON under `/api/chats/:id/...`. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ChatSettings } from '../../config.js';
import type { TimelineEdits } from '../../services/timeline-edits.js';
import { RewindPreviewDialog } from '../pages/rewind-dialog.js';
import { html, idParams, sendFragment, wantsJson } from '../route-kit.js';

export interface RewindRoutesDeps {
  settings: ChatSettings;
  timeline: Pick<TimelineEdits, 'rewindPreview' | 'rewind' | 'undoRewind'>;
}

const tags = ['chat'];
const impactSchema = z.object({
  messages: z.number(),
  scene_transitions: z.number(),
  edge_updates: z.number(),
  memories: z.number(),
  time_passes: z.number(),
  other: z.number(),
});
const toQuery = z.object({ to: z.string().max(100) });
const rewindForm = z.object({ to: z.string().max(100).default('') });

export function rewindRoutes({ settings, timeline }: RewindRoutesDeps): FastifyPluginAsyncZod {
  return async (app) => {
    app.get('/chats/:id/rewind', { schema: { ...html, params: idParams, querystring: toQuery } }, async (request, reply) => {
      const { chatId, toTurnId, impact } = await timeline.rewindPreview(request.params.id, request.query.to);
      const undoSeconds = settings.rewind_undo_seconds;
      return sendFragment(reply, <RewindPreviewDialog chatId={chatId} toTurnId={toTurnId} impact={impact} undoSeconds={undoSeconds} />);
    });

    app.post('/chats/:id/rewind', { schema: { ...html, params: idParams, body: rewindForm } }, async (request, reply) => {
      const preview = await timeline.rewind(request.params.id, request.body.to);
      if (wantsJson(request)) return { to_version: preview.toVersion, impact: preview.impact };
      return reply.redirect(`/chats/${request.params.id}`, 303);
    });

    app.post('/chats/:id/rewind/undo', { schema: { ...html, params: idParams } }, async (request, reply) => {
      await timeline.undoRewind(request.params.id);
      if (wantsJson(request)) return { ok: true };
      return reply.redirect(`/chats/${request.params.id}`, 303);
    });

    app.get(
      '/api/chats/:id/rewind-preview',
      {
        schema: {
          tags,
          summary: 'What "rewind to here" on a message would take out of effect',
          params: idParams,
          querystring: toQuery,
          response: { 200: z.object({ to_turn_id: z.string(), to_version: z.number(), impact: impactSchema }) },
        },
      },
      async (request) => {
        const preview = await timeline.rewindPreview(request.params.id, request.query.to);
        return { to_turn_id: preview.toTurnId, to_version: preview.toVersion, impact: preview.impact };
      },
    );

    app.post(
      '/api/chats/:id/rewind',
      {
        schema: {
          tags,
          summary: 'Rewind to a message (chat_rewound; nothing deleted; undo within chat.rewind_undo_seconds)',
          params: idParams,
          body: z.object({ to: z.string().max(100) }),
          response: { 200: z.object({ to_version: z.number(), impact: impactSchema }) },
        },
      },
      async (request) => {
        const preview = await timeline.rewind(request.params.id, request.body.to);
        return { to_version: preview.toVersion, impact: preview.impact };
      },
    );

    app.post(
      '/api/chats/:id/rewind/undo',
      {
        schema: {
          tags,
          summary: 'Undo the latest rewind (chat_rewind_undone)',
          params: idParams,
          response: { 200: z.object({ ok: z.literal(true) }) },
        },
      },
      async (request) => {
        await timeline.undoRewind(request.params.id);
        return { ok: true as const };
      },
    );
  };
}
