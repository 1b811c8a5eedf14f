/** `GET /village`: the home page with the FEED / CHAT / NEWS tabs, keyset-paged by the "older" link. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { sendPage } from '../../../web/jsx/render.js';
import { beforeQuery, decodeBefore, nextPostCursor } from '../cursors.js';
import type { VillageRouteOptions } from '../options.js';
import { HomePage, type Tab, tabs } from '../pages/home.js';

const pageSize = 30;

export function homePageRoutes({ service, limited }: VillageRouteOptions): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/village',
      {
        onRequest: limited,
        schema: {
          hide: true,
          querystring: z.object({
            tab: z.enum(['feed', 'chat', 'news']).default('feed'),
            before: z
              .string()
              .refine((value) => decodeBefore(value) !== undefined, 'a cursor from the "older" link')
              .optional(),
          }),
        },
      },
      async (request, reply) => {
        const tab = tabs.find((entry) => entry.id === request.query.tab) ?? (tabs[0] as Tab);
        const decoded = request.query.before === undefined ? undefined : decodeBefore(request.query.before);
        const { run, running } = await service.runs.overview();
        const posts = await service.queries.listPosts({
          runId: await service.runs.currentRunId(),
          channel: tab.channel,
          limit: pageSize,
          ...beforeQuery(decoded),
        });
        const { offline } = service.renders.writer();
        return sendPage(
          reply,
          <HomePage
            world={service.world}
            run={run}
            running={running}
            tab={tab}
            posts={posts}
            nextCursor={nextPostCursor(posts, pageSize)}
            firstPage={decoded === undefined}
            offline={offline}
          />,
        );
      },
    );
  };
}
