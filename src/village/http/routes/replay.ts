/** `POST /admin/replay`: re-run a recorded run and compare its event log with the stored one. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { isoDateTime } from '../cursors.js';
import { backToAdmin, blankToUndefined, fromForm } from '../forms.js';
import { adminGuard } from '../guards.js';
import type { VillageRouteOptions } from '../options.js';
import { adminTags, seedSchema } from '../schemas.js';

const simTimeSchema = z.string().regex(isoDateTime, 'an ISO 8601 date-time with an offset');

const replayReportSchema = z.object({
  accepted: z.boolean(),
  seed: z.number(),
  from_sim_ts: z.string().nullable(),
  identical: z.boolean(),
  compared: z.number(),
  recorded: z.number(),
  started_after: z.number(),
  divergence: z.object({ version: z.number() }).nullable(),
});

export function replayRoutes({ service, access }: VillageRouteOptions): FastifyPluginAsyncZod {
  return async (app) => {
    app.post(
      '/admin/replay',
      {
        onRequest: adminGuard(access),
        schema: {
          summary: 'Replay a run from its seed (or the snapshot before from_sim_ts) and compare the event log',
          tags: adminTags,
          querystring: z.object({ seed: seedSchema.optional(), from_sim_ts: simTimeSchema.optional() }),
          body: z
            .object({
              seed: z.union([z.literal(''), seedSchema]).optional(),
              from_sim_ts: z.union([simTimeSchema, z.literal('')]).optional(),
            })
            .nullish(),
          response: { 200: replayReportSchema },
        },
      },
      async (request, reply) => {
        const seed = blankToUndefined(request.body?.seed) ?? request.query.seed;
        const from = blankToUndefined(request.body?.from_sim_ts) ?? request.query.from_sim_ts;
        const report = await service.runs.replay(seed, from);
        if (fromForm(request)) return backToAdmin(reply);
        return {
          accepted: true,
          seed: report.seed,
          from_sim_ts: report.from,
          identical: report.identical,
          compared: report.compared,
          recorded: report.recorded,
          started_after: report.startedAfter,
          divergence: report.divergence ? { version: report.divergence.version } : null,
        };
      },
    );
  };
}
