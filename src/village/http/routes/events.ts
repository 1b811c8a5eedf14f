/** `GET /events`: the village event timeline of the current run, newest first, keyset-paged. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { EventRow } from '../../read-model/queries.js';
import { decodeEventCursor, nextEventCursor } from '../cursors.js';
import type { VillageRouteOptions } from '../options.js';
import { eventCursorSchema } from '../schemas.js';

const eventSchema = z.object({
  id: z.string(),
  position: z.number(),
  sim_ts: z.string(),
  place_id: z.string(),
  type: z.string(),
  category: z.string(),
  actors: z.array(z.string()),
  targets: z.array(z.string()),
  publicness: z.number(),
  severity: z.number(),
  impact: z.number(),
  payload: z.record(z.string(), z.unknown()),
});

function eventJson(event: EventRow): z.infer<typeof eventSchema> {
  const data = event.data as { severity: number; publicness: number; topic?: unknown; origin?: unknown };
  return {
    id: event.eventId,
    position: event.position,
    sim_ts: event.simTime,
    place_id: event.place,
    type: event.type,
    category: event.category,
    actors: event.actors,
    targets: event.targets,
    publicness: data.publicness,
    severity: data.severity,
    impact: event.impact,
    payload: { topic: data.topic ?? null, origin: data.origin ?? null },
  };
}

export function eventRoutes({ service, limited }: VillageRouteOptions): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/events',
      {
        onRequest: limited,
        schema: {
          summary: 'The village event timeline, newest first',
          tags: ['village'],
          querystring: z.object({
            limit: z.coerce.number().int().min(1).max(500).default(100).describe('1 to 500, default 100'),
            before: eventCursorSchema.optional(),
          }),
          response: { 200: z.object({ items: z.array(eventSchema), next_cursor: z.string().nullable() }) },
        },
      },
      async (request) => {
        const { limit, before } = request.query;
        const items = await service.queries.listEvents({
          runId: await service.runs.currentRunId(),
          limit,
          beforePosition: before === undefined ? undefined : decodeEventCursor(before),
        });
        return { items: items.map(eventJson), next_cursor: nextEventCursor(items, limit) ?? null };
      },
    );
  };
}
