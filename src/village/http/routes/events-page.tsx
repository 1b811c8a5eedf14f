/** `GET /village/events`: the event timeline page, keyset-paged by the "older" link. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { sendPage } from '../../../web/jsx/render.js';
import { decodeEventCursor, nextEventCursor } from '../cursors.js';
import type { VillageRouteOptions } from '../options.js';
import { EventsPage } from '../pages/events.js';

const pageSize = 50;

export function eventsPageRoutes({ service, limited }: VillageRouteOptions): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/village/events',
      {
        onRequest: limited,
        schema: {
          hide: true,
          querystring: z.object({
            before: z
              .string()
              .refine((value) => decodeEventCursor(value) !== undefined, 'a cursor from the "older" link')
              .optional(),
          }),
        },
      },
      async (request, reply) => {
        const { run, running } = await service.runs.overview();
        const events = await service.queries.listEvents({
          runId: await service.runs.currentRunId(),
          limit: pageSize,
          beforePosition: request.query.before === undefined ? undefined : decodeEventCursor(request.query.before),
        });
        const nextCursor = nextEventCursor(events, pageSize);
        return sendPage(reply, <EventsPage world={service.world} run={run} running={running} events={events} nextCursor={nextCursor} />);
      },
    );
  };
}
