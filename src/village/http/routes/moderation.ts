/** Admin moderation: `POST /admin/moderation/flag | hide | restore` and `GET /admin/moderation/queue`. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ModerationVerb } from '../../services/moderation.js';
import { backToAdmin, fromForm, missingParameter } from '../forms.js';
import { adminGuard } from '../guards.js';
import type { VillageRouteOptions } from '../options.js';
import { adminTags, postIdSchema, postJson, postSchema } from '../schemas.js';

const reasonSchema = z.string().max(500);
const moderationBody = z.object({ post_id: postIdSchema.optional(), reason: reasonSchema.optional() }).nullish();
const done: Record<ModerationVerb, 'flagged' | 'hidden' | 'restored'> = { flag: 'flagged', hide: 'hidden', restore: 'restored' };

const moderatedSchema = z.object({
  flagged: z.boolean().optional(),
  hidden: z.boolean().optional(),
  restored: z.boolean().optional(),
  post_id: z.number(),
  action: z.string(),
  reason: z.string().nullable(),
  post: postSchema,
});

/** The parameter a moderation action lacks (a flag needs a reason), if any. */
function missingFor(action: ModerationVerb, postId: number | undefined, reason: string | undefined): string | undefined {
  if (postId === undefined) return 'post_id';
  if (action === 'flag' && (reason === undefined || reason.trim() === '')) return 'reason';
  return undefined;
}

export function moderationRoutes({ service, access }: VillageRouteOptions): FastifyPluginAsyncZod {
  return async (app) => {
    const admin = adminGuard(access);
    for (const action of ['flag', 'hide', 'restore'] as const) {
      app.post(
        `/admin/moderation/${action}`,
        {
          onRequest: admin,
          schema: {
            summary: `${action[0]?.toUpperCase()}${action.slice(1)} a post (recorded as an event)`,
            tags: adminTags,
            querystring: z.object({
              post_id: postIdSchema.optional(),
              reason: reasonSchema.optional().describe(action === 'flag' ? 'Why it is flagged (required).' : 'Note for the log.'),
            }),
            body: moderationBody,
            response: { 200: moderatedSchema },
          },
        },
        async (request, reply) => {
          const postId = request.body?.post_id ?? request.query.post_id;
          const reason = request.body?.reason ?? request.query.reason;
          const missing = missingFor(action, postId, reason);
          if (missing !== undefined || postId === undefined) throw missingParameter(missing ?? 'post_id');
          const post = await service.moderation.moderate(action, postId, reason ?? null);
          if (fromForm(request)) return backToAdmin(reply);
          return { [done[action]]: true, post_id: postId, action, reason: reason ?? null, post: postJson(post, service.world) };
        },
      );
    }

    app.get(
      '/admin/moderation/queue',
      {
        onRequest: admin,
        schema: {
          summary: 'Posts that are hidden, rejected at the engine boundary or flagged',
          tags: adminTags,
          querystring: z.object({ limit: z.coerce.number().int().min(1).max(500).default(100) }),
          response: { 200: z.object({ items: z.array(postSchema) }) },
        },
      },
      async (request) => ({
        items: (await service.moderation.queue(request.query.limit)).map((post) => postJson(post, service.world)),
      }),
    );
  };
}
