/**
 * Turns: send (`POST /chats/:id/turns`, `POST /api/chats/:id/turns`), Stop, and the reply streaming in this process
 * for a tab that opens mid-stream (`GET /chats/:id/partial`).
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Generations } from '../../services/generations.js';
import type { Turns } from '../../services/turns.js';
import { html, idParams, wantsJson } from '../route-kit.js';

export interface TurnRoutesDeps {
  turns: Pick<Turns, 'submitTurn' | 'stop'>;
  generations: Pick<Generations, 'partial'>;
}

const tags = ['chat'];

export function turnRoutes({ turns, generations }: TurnRoutesDeps): FastifyPluginAsyncZod {
  return async (app) => {
    app.get('/chats/:id/partial', { schema: { ...html, params: idParams } }, async (request, reply) => {
      const partial = generations.partial(request.params.id);
      if (!partial) return reply.code(204).send();
      return { turn_id: partial.turnId, seq: partial.seq, text: partial.text };
    });

    app.post(
      '/chats/:id/turns',
      { schema: { ...html, params: idParams, body: z.object({ text: z.string().default('') }) } },
      async (request, reply) => {
        const result = await turns.submitTurn(request.params.id, request.body.text);
        if (wantsJson(request)) return reply.code(202).send({ turn_id: result.turnId, reply_id: result.replyId });
        return reply.redirect(`/chats/${request.params.id}`, 303);
      },
    );

    // The composer's Stop button posts the composer form; its fields are not read.
    app.post('/chats/:id/stop', { schema: { ...html, params: idParams } }, async (request, reply) => {
      const stopped = await turns.stop(request.params.id);
      if (wantsJson(request)) return { stopped };
      return reply.redirect(`/chats/${request.params.id}`, 303);
    });

    app.post(
      '/api/chats/:id/turns',
      {
        schema: {
          tags,
          summary: 'Send a turn; the reply streams to `/stream?topics=chat-<id>` (chat-delta), then is stored (assistant_turn)',
          params: idParams,
          body: z.object({ text: z.string().min(1).max(8000) }),
          response: { 202: z.object({ turn_id: z.string(), reply_id: z.string() }) },
        },
      },
      async (request, reply) => {
        const result = await turns.submitTurn(request.params.id, request.body.text);
        return reply.code(202).send({ turn_id: result.turnId, reply_id: result.replyId });
      },
    );

    app.post(
      '/api/chats/:id/stop',
      {
        schema: {
          tags,
          summary: 'Stop the streaming reply; the partial text is stored with truncated=true',
          params: idParams,
          response: { 200: z.object({ stopped: z.boolean() }) },
        },
      },
      async (request) => ({ stopped: await turns.stop(request.params.id) }),
    );
  };
}
