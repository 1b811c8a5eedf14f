/** `GET /health`: liveness plus what the process runs on; cheap enough for a load balancer to poll. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { WebContext } from '../context.js';

export const healthSchema = z.object({
  status: z.literal('ok'),
  version: z.string(),
  store: z.enum(['sqlite', 'postgres']),
  bus: z.enum(['memory', 'nats']),
});

export type Health = z.infer<typeof healthSchema>;

export function healthRoutes(context: WebContext): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/health',
      {
        schema: { summary: 'Liveness and runtime facts', tags: ['system'], response: { 200: healthSchema } },
        config: { access: 'public' },
      },
      async (): Promise<Health> => ({ status: 'ok', version: context.version, store: context.storeKind, bus: context.busKind }),
    );
  };
}
