/** The zod schemas the village routes share (parameters and response bodies), so every route is in /openapi.json. */
import { z } from 'zod';
import { channels } from '../domain/catalog-schema.js';
import type { PostRow } from '../read-model/queries.js';
import type { VillageWorld } from '../services/context.js';
import { decodeBefore, decodeEventCursor } from './cursors.js';

export const channelSchema = z.enum(channels).describe('FEED, CHAT or NEWS');
export const beforeSchema = z
  .string()
  .refine((value) => decodeBefore(value) !== undefined, 'a next_cursor value from an earlier page, or an ISO 8601 date-time')
  .describe('Keyset cursor (`next_cursor` of the previous page) or an ISO 8601 date-time.');
export const eventCursorSchema = z
  .string()
  .refine((value) => decodeEventCursor(value) !== undefined, 'a next_cursor value from an earlier page')
  .describe('Keyset cursor (`next_cursor` of the previous page).');
export const seedSchema = z.coerce.number().int().min(0).max(2_147_483_647).describe('Simulation seed (non-negative integer).');
export const postIdSchema = z.coerce.number().int().min(1).describe('Post id.');
export const npcIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'an NPC id such as npc_sanni');

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

export const controlSchema = z.object({
  running: z.boolean(),
  seed: z.number(),
  speed: z.number(),
  run_id: z.string(),
});

// The shell's OpenAPI document declares no security schemes, so admin auth is stated in the tag instead.
export const adminTags = ['village admin (Authorization: Bearer <admin_token> when one is configured)'];

export function postJson(post: PostRow, world: VillageWorld): z.infer<typeof postSchema> {
  return {
    id: post.id,
    run_id: post.runId,
    channel: post.channel,
    author_id: post.authorId,
    author_name: world.npcName(post.authorId),
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
