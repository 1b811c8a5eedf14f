/** The Todoist connection: OAuth start and callback, disconnect (revoking the token), import with the vaulted token. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ValidationError } from '../../../core/errors.js';
import { formAction } from '../respond.js';
import type { ServiceFor } from '../service-for.js';

const tags = ['tips'];

export function todoistRoutes(serviceFor: ServiceFor): FastifyPluginAsyncZod {
  return async (app) => {
    app.get('/tips/connect/todoist', { schema: { hide: true } }, async (request, reply) =>
      reply.redirect((await serviceFor(request).authorizeTodoist()).url, 303),
    );

    app.get(
      '/tips/connect/todoist/callback',
      {
        schema: {
          hide: true,
          querystring: z.object({
            code: z.string().max(500).optional(),
            state: z.string().max(200),
            error: z.string().max(200).optional(),
          }),
        },
      },
      async (request, reply) =>
        formAction(reply, async () => {
          const { code, state, error } = request.query;
          if (error || !code) throw new ValidationError(`Todoist did not authorize: ${error ?? 'no code'}`);
          await serviceFor(request).completeTodoist(code, state);
          return 'Connected Todoist.';
        }),
    );

    app.post('/tips/connect/todoist/disconnect', { schema: { hide: true } }, async (request, reply) =>
      formAction(reply, async () => {
        await serviceFor(request).disconnectTodoist();
        return 'Disconnected Todoist and revoked its token.';
      }),
    );

    app.post(
      '/api/tips/integrations/todoist/import',
      { schema: { tags, summary: 'Import active Todoist tasks with the connected (vaulted) OAuth token' } },
      async (request, reply) => reply.code(201).send(await serviceFor(request).importTodoistConnected()),
    );

    app.post(
      '/api/tips/integrations/todoist/disconnect',
      { schema: { tags, summary: 'Revoke the Todoist token at Todoist and forget it' } },
      async (request) => serviceFor(request).disconnectTodoist(),
    );
  };
}
