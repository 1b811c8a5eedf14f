/** You (the you-entity): `/settings` and `POST /api/you`. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ValidationError } from '../../../core/errors.js';
import { sendPage } from '../../../web/jsx/render.js';
import type { ChatReadModel } from '../../read-model/queries.js';
import type { Authoring } from '../../services/authoring.js';
import type { Generations } from '../../services/generations.js';
import { SettingsPage } from '../pages/settings-page.js';
import { formText, html } from '../route-kit.js';

export interface YouRoutesDeps {
  read: ChatReadModel;
  authoring: Authoring;
  generations: Pick<Generations, 'offline'>;
}

export const youBody = z.object({
  name: z.string().trim().min(1).max(80),
  pronouns: z.string().max(40).default(''),
  persona: z.string().max(2000).default(''),
});

const youForm = z.object({ name: formText(80), pronouns: formText(40), persona: formText(2000) });

export function youRoutes({ read, authoring, generations }: YouRoutesDeps): FastifyPluginAsyncZod {
  return async (app) => {
    app.get('/settings', { schema: html }, async (request, reply) => {
      const you = await read.you();
      return sendPage(reply, <SettingsPage you={you} offline={generations.offline()} firstRun={!you || request.url.includes('first=1')} />);
    });

    app.post('/settings', { schema: { ...html, body: youForm } }, async (request, reply) => {
      const parsed = youBody.safeParse(request.body);
      if (!parsed.success) throw new ValidationError('your name is required (at most 80 characters)');
      await authoring.authorYou(parsed.data);
      const bots = await read.bots();
      return reply.redirect(bots.length === 0 ? '/bots/new?first=1' : '/chats', 303);
    });

    app.post(
      '/api/you',
      {
        schema: { tags: ['chat'], summary: 'Author the you-entity', body: youBody, response: { 200: z.object({ ok: z.literal(true) }) } },
      },
      async (request) => {
        await authoring.authorYou(request.body);
        return { ok: true as const };
      },
    );
  };
}
