/** `GET /posts`: the latest visible posts of the current run, newest first, keyset-paged. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { beforeQuery, decodeBefore, nextPostCursor } from '../cursors.js';
import type { VillageRouteOptions } from '../options.js';
import { beforeSchema, channelSchema, postJson, postSchema } from '../schemas.js';

const postListSchema = z.object({ items: z.array(postSchema), next_cursor: z.string().nullable() });

export function postRoutes({ service, limited }: VillageRouteOptions): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/posts',
      {
        onRequest: limited,
        schema: {
          summary: 'Latest village posts (FEED / CHAT / NEWS), newest first',
          description: 'Keyset pagination: pass `next_cursor` as `before` for the next page. Hidden posts are not listed.',
          tags: ['village'],
          querystring: z.object({
            channel: channelSchema.optional(),
            limit: z.coerce.number().int().min(1).max(200).default(50).describe('1 to 200, default 50'),
            before: beforeSchema.optional(),
          }),
          response: { 200: postListSchema },
        },
      },
      async (request) => {
        const { channel, limit, before } = request.query;
        const items = await service.queries.listPosts({
          runId: await service.runs.currentRunId(),
          channel,
          limit,
          ...beforeQuery(before === undefined ? undefined : decodeBefore(before)),
        });
        return {
          items: items.map((post) => postJson(post, service.world)),
          next_cursor: nextPostCursor(items, limit) ?? null,
        };
      },
    );
  };
}
