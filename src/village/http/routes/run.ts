/** Admin run control: `POST /admin/run/start`, `/admin/run/stop`, `/admin/run/speed`, `GET /admin/run/status`. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { backToAdmin, blankToUndefined, fromForm, missingParameter } from '../forms.js';
import { adminGuard } from '../guards.js';
import type { VillageRouteOptions } from '../options.js';
import { adminTags, controlSchema, seedSchema } from '../schemas.js';

const speedSchema = z.coerce.number().min(0.1).max(1_000);

const statusSchema = z.object({
  running: z.boolean(),
  sim_ts: z.string().nullable(),
  seed: z.number().nullable(),
  speed: z.number(),
  run_id: z.string(),
  day: z.number(),
  weather: z.string().nullable(),
  queue: z.object({ ready: z.number(), leased: z.number(), dead: z.number() }),
  posts: z.object({ FEED: z.number(), CHAT: z.number(), NEWS: z.number(), hidden: z.number(), rejected: z.number() }),
  llm: z.object({
    model: z.string(),
    offline: z.boolean(),
    calls: z.number(),
    cache_hits: z.number(),
    fell_back: z.number(),
    failed: z.number(),
  }),
  dead_letters: z.array(z.object({ id: z.string(), attempts: z.number(), last_error: z.string(), key: z.string().nullable() })),
});

export function runRoutes({ service, access }: VillageRouteOptions): FastifyPluginAsyncZod {
  return async (app) => {
    const admin = adminGuard(access);
    const runId = (seed: number) => service.world.runIdFor(seed);

    app.post(
      '/admin/run/start',
      {
        onRequest: admin,
        schema: {
          summary: 'Start (or resume) the run of a seed',
          description: 'Without a seed, resumes the last run (or starts the configured seed).',
          tags: adminTags,
          querystring: z.object({ seed: seedSchema.optional() }),
          body: z.object({ seed: z.union([z.literal(''), seedSchema]).optional() }).nullish(),
          response: { 200: controlSchema.extend({ started: z.boolean() }) },
        },
      },
      async (request, reply) => {
        const control = await service.runs.start(blankToUndefined(request.body?.seed) ?? request.query.seed);
        if (fromForm(request)) return backToAdmin(reply);
        return { started: true, ...control, run_id: runId(control.seed) };
      },
    );

    app.post(
      '/admin/run/stop',
      {
        onRequest: admin,
        schema: {
          summary: 'Stop the running simulation',
          tags: adminTags,
          response: { 200: controlSchema.extend({ stopped: z.boolean() }) },
        },
      },
      async (request, reply) => {
        const control = await service.runs.stop();
        if (fromForm(request)) return backToAdmin(reply);
        return { stopped: true, ...control, run_id: runId(control.seed) };
      },
    );

    app.post(
      '/admin/run/speed',
      {
        onRequest: admin,
        schema: {
          summary: 'Set the simulation speed multiplier',
          tags: adminTags,
          querystring: z.object({ speed: speedSchema.optional().describe('0.1 to 1000') }),
          body: z.object({ speed: speedSchema.optional() }).nullish(),
          response: { 200: controlSchema },
        },
      },
      async (request, reply) => {
        const speed = request.body?.speed ?? request.query.speed;
        if (speed === undefined) throw missingParameter('speed');
        const control = await service.runs.setSpeed(speed);
        if (fromForm(request)) return backToAdmin(reply);
        return { ...control, run_id: runId(control.seed) };
      },
    );

    app.get(
      '/admin/run/status',
      {
        onRequest: admin,
        schema: { summary: 'Run status, queue, posts and LLM figures', tags: adminTags, response: { 200: statusSchema } },
      },
      async () => service.runs.status(),
    );
  };
}
