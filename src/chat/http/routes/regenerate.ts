/**
 * Regenerate the latest reply, optionally after editing your turn: a form post for the page
 * (`POST /chats/:id/regenerate`) and JSON (`POST /api/chats/:id/regenerate`).
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { TimelineEdits } from '../../services/timeline-edits.js';
import { html, idParams, wantsJson } from '../route-kit.js';

export interface RegenerateRoutesDeps {
  timeline: Pick<TimelineEdits, 'regenerate'>;
}

/** Regenerate from the page: `reply` names the reply; a non-empty `text` is your edited turn. */
const regenerateForm = z.object({ text: z.string().optional(), reply: z.string().max(100).optional() });

export function regenerateRoutes({ timeline }: RegenerateRoutesDeps): FastifyPluginAsyncZod {
  return async (app) => {
    app.post('/chats/:id/regenerate', { schema: { ...html, params: idParams, body: regenerateForm } }, async (request, reply) => {
      const { text, reply: replyId } = request.body;
      const edited = text !== undefined && text.trim() !== '' ? text : undefined;
      const result = await timeline.regenerate(request.params.id, replyId || undefined, edited);
      if (wantsJson(request)) return reply.code(202).send({ reply_id: result.replyId, edited: result.edited });
      return reply.redirect(`/chats/${request.params.id}`, 303);
    });

    app.post(
      '/api/chats/:id/regenerate',
      {
        schema: {
          tags: ['chat'],
          summary:
            'Regenerate the latest reply, optionally with your previous turn edited first (user_turn_edit, assistant_turn_superseded)',
          params: idParams,
          body: z.object({ text: z.string().min(1).max(8000).optional(), reply: z.string().max(100).optional() }),
          response: { 202: z.object({ reply_id: z.string(), edited: z.boolean() }) },
        },
      },
      async (request, reply) => {
        const result = await timeline.regenerate(request.params.id, request.body.reply, request.body.text);
        return reply.code(202).send({ reply_id: result.replyId, edited: result.edited });
      },
    );
  };
}
