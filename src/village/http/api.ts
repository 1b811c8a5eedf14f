/**
 * The village API with seeds/000's paths and parameters: public reads (`/posts`, `/events`, `/npcs`, `/places`) and
 * admin controls (`/admin/run/*`, `/admin/replay`, `/admin/moderation/*`). Every route has zod schemas (so it is in
 * /openapi.json); bad parameters are 400 problem+json naming the parameter. Admin POSTs take their parameters from
 * the query string (as the seed's FastAPI did) or from a JSON / form body; a plain HTML form is redirected back to
 * the admin page.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { NotFoundError } from '../../core/errors.js';
import { channels } from '../domain/catalog-schema.js';
import { relationshipKey } from '../domain/state.js';
import type { PostCursor, PostRow } from '../read-model/queries.js';
import { renderQueue } from '../render/render-job.js';
import type { VillageService } from '../village-service.js';
import { adminGuard, readRateLimit } from './guards.js';

// ---------- cursors ----------

export function encodePostCursor(cursor: PostCursor): string {
  return Buffer.from(`p${cursor.simMs}.${cursor.id}`).toString('base64url');
}

const isoDateTime = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})$/;

/** A `next_cursor` value, or (as in the seed) an ISO 8601 date-time meaning "posts before this sim time". */
export function decodeBefore(value: string): { cursor: PostCursor } | { simMs: number } | undefined {
  if (isoDateTime.test(value)) {
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? undefined : { simMs: ms };
  }
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(value)) return undefined;
  const match = /^p(\d{1,15})\.(\d{1,15})$/.exec(Buffer.from(value, 'base64url').toString('utf8'));
  if (!match) return undefined;
  return { cursor: { simMs: Number(match[1]), id: Number(match[2]) } };
}

export function encodeEventCursor(position: number): string {
  return Buffer.from(`e${position}`).toString('base64url');
}

export function decodeEventCursor(value: string): number | undefined {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(value)) return undefined;
  const match = /^e(\d{1,15})$/.exec(Buffer.from(value, 'base64url').toString('utf8'));
  return match ? Number(match[1]) : undefined;
}

// ---------- schemas ----------

const channelSchema = z.enum(channels).describe('FEED, CHAT or NEWS');
const beforeSchema = z
  .string()
  .refine((value) => decodeBefore(value) !== undefined, 'a next_cursor value from an earlier page, or an ISO 8601 date-time')
  .describe('Keyset cursor (`next_cursor` of the previous page) or an ISO 8601 date-time.');
const eventCursorSchema = z
  .string()
  .refine((value) => decodeEventCursor(value) !== undefined, 'a next_cursor value from an earlier page')
  .describe('Keyset cursor (`next_cursor` of the previous page).');
const seedSchema = z.coerce.number().int().min(0).max(2_147_483_647).describe('Simulation seed (non-negative integer).');
const postIdSchema = z.coerce.number().int().min(1).describe('Post id.');
const npcIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'an NPC id such as npc_sanni');

export const postSchema = z.object({
  id: z.number(),
  run_id: z.string(),
  channel: channelSchema,
  author_id: z.string(),
  author_name: z.string(),
  source_event_id: z.string(),
  tone: z.string(),
  text: z.string(),
  tags: z.array(z.string()),
  safety_notes: z.string().nullable(),
  sim_ts: z.string(),
  place_id: z.string().nullable(),
  model: z.string(),
  status: z.enum(['visible', 'hidden', 'rejected']),
  flags: z.number(),
  moderation_note: z.string().nullable(),
});

const postListSchema = z.object({ items: z.array(postSchema), next_cursor: z.string().nullable() });

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

const controlSchema = z.object({
  running: z.boolean(),
  seed: z.number(),
  speed: z.number(),
  run_id: z.string(),
});

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

export function postJson(post: PostRow, service: VillageService): z.infer<typeof postSchema> {
  return {
    id: post.id,
    run_id: post.runId,
    channel: post.channel,
    author_id: post.authorId,
    author_name: service.npcName(post.authorId),
    source_event_id: post.sourceEventId,
    tone: post.tone,
    text: post.text,
    tags: post.tags,
    safety_notes: post.safetyNotes,
    sim_ts: post.simTime,
    place_id: post.place,
    model: post.model,
    status: post.status,
    flags: post.flags,
    moderation_note: post.moderationNote,
  };
}

/**
 * A parameter that may come from the query string or the body and came from neither: the same 400 problem a schema
 * failure gives (`query.<name>: required`).
 */
function missingParameter(name: string): Error {
  return Object.assign(new Error(`${name} is required`), {
    statusCode: 400,
    validation: [{ instancePath: `/${name}`, message: 'required (in the query string or the body)' }],
    validationContext: 'querystring',
  });
}

/** An empty form field means "not given". */
function blankToUndefined<T>(value: T | '' | undefined): T | undefined {
  return value === '' ? undefined : value;
}

/** After an admin action: a plain HTML form goes back to the admin page (works without JavaScript). */
function fromForm(request: FastifyRequest): boolean {
  return (request.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');
}

function backToAdmin(reply: FastifyReply): FastifyReply {
  return reply.redirect('/village/admin', 303);
}

export async function runStatus(service: VillageService) {
  const control = await service.control();
  const runId = await service.currentRunId();
  const run = await service.queries.getRun(runId);
  const depth = await service.deps.queue.depth(renderQueue);
  const dead = await service.deps.queue.deadLetters<{ source_event_id?: string }>(renderQueue, { limit: 20 });
  const writer = service.deps.llm.stats().aliases.writer;
  return {
    running: control?.running ?? false,
    sim_ts: run?.simTime ?? null,
    seed: control?.seed ?? run?.seed ?? null,
    speed: control?.speed ?? service.deps.config.village.speed,
    run_id: runId,
    day: run?.day ?? 0,
    weather: run?.weather ?? null,
    queue: depth,
    posts: await service.queries.postCounts(runId),
    llm: {
      model: writer.model,
      offline: writer.offline,
      calls: writer.calls,
      cache_hits: writer.cacheHits,
      fell_back: writer.fellBack,
      failed: writer.failed,
    },
    dead_letters: dead.map((letter) => ({
      id: letter.id,
      attempts: letter.attempts,
      last_error: letter.lastError,
      key: letter.idempotencyKey ?? null,
    })),
  };
}

export function apiRoutes(service: VillageService): FastifyPluginAsyncZod {
  const { config, clock } = service.deps;
  return async (app) => {
    const limited = readRateLimit(config.village.read_rate_per_minute, clock);
    const admin = adminGuard(config);

    // ---------- public reads ----------

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
        const decoded = before === undefined ? undefined : decodeBefore(before);
        const items = await service.queries.listPosts({
          runId: await service.currentRunId(),
          channel,
          limit,
          ...(decoded && 'cursor' in decoded ? { before: decoded.cursor } : {}),
          ...(decoded && 'simMs' in decoded ? { beforeSimMs: decoded.simMs } : {}),
        });
        const last = items[items.length - 1];
        return {
          items: items.map((post) => postJson(post, service)),
          next_cursor: items.length === limit && last ? encodePostCursor({ simMs: last.simMs, id: last.id }) : null,
        };
      },
    );

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
          runId: await service.currentRunId(),
          limit,
          beforePosition: before === undefined ? undefined : decodeEventCursor(before),
        });
        const last = items[items.length - 1];
        return {
          items: items.map((event) => {
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
          }),
          next_cursor: items.length === limit && last ? encodeEventCursor(last.position) : null,
        };
      },
    );

    app.get(
      '/npcs',
      {
        onRequest: limited,
        schema: {
          summary: 'The villagers',
          tags: ['village'],
          response: {
            200: z.object({
              items: z.array(
                z.object({
                  id: z.string(),
                  name: z.string(),
                  age: z.number(),
                  occupation: z.string(),
                  traits: z.array(z.string()),
                  location: z.string().nullable(),
                }),
              ),
            }),
          },
        },
      },
      async () => {
        const state = await service.runState(await service.currentRunId());
        return {
          items: service.catalog.catalog.npcs.map((npc) => ({
            id: npc.id,
            name: npc.name,
            age: npc.age,
            occupation: npc.occupation.fi,
            traits: npc.traits,
            location: state?.npcs.find((entry) => entry.id === npc.id)?.location ?? null,
          })),
        };
      },
    );

    app.get(
      '/npcs/:id',
      {
        onRequest: limited,
        schema: {
          summary: 'One villager: profile, relationships, recent memories and posts',
          tags: ['village'],
          params: z.object({ id: npcIdSchema }),
          response: {
            200: z.object({
              id: z.string(),
              name: z.string(),
              age: z.number(),
              occupation: z.string(),
              traits: z.array(z.string()),
              values: z.array(z.string()),
              speech_style: z.string(),
              home: z.string(),
              work: z.string().nullable(),
              state: z.object({ location: z.string(), mood: z.number(), energy: z.number(), reputation: z.number() }).nullable(),
              relationships: z.array(
                z.object({
                  with: z.string(),
                  name: z.string(),
                  affinity: z.number(),
                  trust: z.number(),
                  respect: z.number(),
                  tags: z.array(z.string()),
                }),
              ),
              memories: z.array(
                z.object({
                  event_id: z.string(),
                  type: z.string(),
                  importance: z.number(),
                  valence: z.number(),
                  with: z.array(z.string()),
                }),
              ),
              posts: z.array(postSchema),
            }),
          },
        },
      },
      async (request) => {
        const npc = service.catalog.catalog.npcs.find((entry) => entry.id === request.params.id);
        if (!npc) throw new NotFoundError(`no villager ${request.params.id}`);
        const runId = await service.currentRunId();
        const state = await service.runState(runId);
        const npcState = state?.npcs.find((entry) => entry.id === npc.id);
        const relationships = service.catalog.catalog.npcs
          .filter((other) => other.id !== npc.id)
          .map((other) => ({ other, edge: state?.relationships[relationshipKey(npc.id, other.id)] }))
          .filter((entry) => entry.edge !== undefined)
          .map(({ other, edge }) => ({
            with: other.id,
            name: other.name,
            affinity: edge?.affinity ?? 0,
            trust: edge?.trust ?? 0,
            respect: edge?.respect ?? 0,
            tags: edge?.tags ?? [],
          }));
        const posts = await service.queries.listPosts({ runId, authorId: npc.id, limit: 20 });
        return {
          id: npc.id,
          name: npc.name,
          age: npc.age,
          occupation: npc.occupation.fi,
          traits: npc.traits,
          values: npc.values,
          speech_style: npc.speechStyle.fi,
          home: npc.home,
          work: npc.work ?? null,
          state: npcState
            ? { location: npcState.location, mood: npcState.mood, energy: npcState.energy, reputation: npcState.reputation }
            : null,
          relationships,
          memories: [...(npcState?.memories ?? [])]
            .sort((left, right) => right.tick - left.tick)
            .map((memory) => ({
              event_id: memory.eventId,
              type: memory.type,
              importance: memory.importance,
              valence: memory.valence,
              with: memory.with,
            })),
          posts: posts.map((post) => postJson(post, service)),
        };
      },
    );

    app.get(
      '/places',
      {
        onRequest: limited,
        schema: {
          summary: 'The places of the village and who is there now',
          tags: ['village'],
          response: {
            200: z.object({
              items: z.array(
                z.object({
                  id: z.string(),
                  name: z.string(),
                  kind: z.string(),
                  publicness: z.number(),
                  description: z.string(),
                  present: z.array(z.string()),
                }),
              ),
            }),
          },
        },
      },
      async () => {
        const state = await service.runState(await service.currentRunId());
        return {
          items: service.catalog.catalog.places.map((place) => ({
            id: place.id,
            name: place.name,
            kind: place.kind,
            publicness: place.publicness,
            description: place.description.fi,
            present: (state?.npcs ?? []).filter((npc) => npc.location === place.id).map((npc) => npc.id),
          })),
        };
      },
    );

    // ---------- admin ----------

    // The shell's OpenAPI document declares no security schemes, so admin auth is stated in the tag instead.
    const adminTags = ['village admin (Authorization: Bearer <admin_token> when one is configured)'];

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
        const control = await service.start(blankToUndefined(request.body?.seed) ?? request.query.seed);
        if (fromForm(request)) return backToAdmin(reply);
        return { started: true, ...control, run_id: service.runIdFor(control.seed) };
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
        const control = await service.stop();
        if (fromForm(request)) return backToAdmin(reply);
        return { stopped: true, ...control, run_id: service.runIdFor(control.seed) };
      },
    );

    app.post(
      '/admin/run/speed',
      {
        onRequest: admin,
        schema: {
          summary: 'Set the simulation speed multiplier',
          tags: adminTags,
          querystring: z.object({ speed: z.coerce.number().min(0.1).max(1_000).optional().describe('0.1 to 1000') }),
          body: z.object({ speed: z.coerce.number().min(0.1).max(1_000).optional() }).nullish(),
          response: { 200: controlSchema },
        },
      },
      async (request, reply) => {
        const speed = request.body?.speed ?? request.query.speed;
        if (speed === undefined) throw missingParameter('speed');
        const control = await service.setSpeed(speed);
        if (fromForm(request)) return backToAdmin(reply);
        return { ...control, run_id: service.runIdFor(control.seed) };
      },
    );

    app.get(
      '/admin/run/status',
      {
        onRequest: admin,
        schema: { summary: 'Run status, queue, posts and LLM figures', tags: adminTags, response: { 200: statusSchema } },
      },
      async () => runStatus(service),
    );

    app.post(
      '/admin/replay',
      {
        onRequest: admin,
        schema: {
          summary: 'Replay a run from its seed (or the snapshot before from_sim_ts) and compare the event log',
          tags: adminTags,
          querystring: z.object({
            seed: seedSchema.optional(),
            from_sim_ts: z.string().regex(isoDateTime, 'an ISO 8601 date-time with an offset').optional(),
          }),
          body: z
            .object({
              seed: z.union([z.literal(''), seedSchema]).optional(),
              from_sim_ts: z.union([z.string().regex(isoDateTime, 'an ISO 8601 date-time with an offset'), z.literal('')]).optional(),
            })
            .nullish(),
          response: {
            200: z.object({
              accepted: z.boolean(),
              seed: z.number(),
              from_sim_ts: z.string().nullable(),
              identical: z.boolean(),
              compared: z.number(),
              recorded: z.number(),
              started_after: z.number(),
              divergence: z.object({ version: z.number() }).nullable(),
            }),
          },
        },
      },
      async (request, reply) => {
        const seed = blankToUndefined(request.body?.seed) ?? request.query.seed ?? (await service.control())?.seed;
        if (seed === undefined) throw new NotFoundError('no run to replay: pass seed');
        const from = blankToUndefined(request.body?.from_sim_ts) ?? request.query.from_sim_ts;
        const report = await service.replay(seed, from);
        await service.deps.kv.put('village.last_replay', { seed, from: from ?? null, ...report });
        if (fromForm(request)) return backToAdmin(reply);
        return {
          accepted: true,
          seed,
          from_sim_ts: from ?? null,
          identical: report.identical,
          compared: report.compared,
          recorded: report.recorded,
          started_after: report.startedAfter,
          divergence: report.divergence ? { version: report.divergence.version } : null,
        };
      },
    );

    const moderationBody = z.object({ post_id: postIdSchema.optional(), reason: z.string().max(500).optional() }).nullish();
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
              reason: z
                .string()
                .max(500)
                .optional()
                .describe(action === 'flag' ? 'Why it is flagged (required).' : 'Note for the log.'),
            }),
            body: moderationBody,
            response: {
              200: z.object({
                flagged: z.boolean().optional(),
                hidden: z.boolean().optional(),
                restored: z.boolean().optional(),
                post_id: z.number(),
                action: z.string(),
                reason: z.string().nullable(),
                post: postSchema,
              }),
            },
          },
        },
        async (request, reply) => {
          const postId = request.body?.post_id ?? request.query.post_id;
          const reason = request.body?.reason ?? request.query.reason;
          const missing =
            postId === undefined ? 'post_id' : action === 'flag' && (reason === undefined || reason.trim() === '') ? 'reason' : undefined;
          if (missing !== undefined || postId === undefined) throw missingParameter(missing ?? 'post_id');
          const post = await service.moderate(action, postId, reason ?? null);
          if (fromForm(request)) return backToAdmin(reply);
          const done = action === 'flag' ? 'flagged' : action === 'hide' ? 'hidden' : 'restored';
          return { [done]: true, post_id: postId, action, reason: reason ?? null, post: postJson(post, service) };
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
      async (request) => ({ items: (await service.queries.moderationQueue(request.query.limit)).map((post) => postJson(post, service)) }),
    );
  };
}
