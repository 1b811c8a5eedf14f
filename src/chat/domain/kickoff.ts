/**
 * The seed's KickoffParse shape and a deterministic first reading of kickoff prose: what the classifier gets as its
 * fallback and what the offline writer returns. The confirm page lets the author fix any of it.
 */
import { z } from 'zod';
import type { KickoffConfirmed } from './state.js';

export const activityShapeSchema = z.object({
  posture: z.string().max(200),
  action_verb: z.string().max(200),
  action_interruptible: z.boolean(),
  action_required_attention: z.enum(['low', 'medium', 'high']),
  action_expected_duration: z.string().max(200),
  attention: z.string().max(200).default(''),
  holding: z.array(z.string().max(200)).max(10).default([]),
});

export const kickoffParseSchema = z.object({
  container_name: z.string().min(1).max(200),
  container_type: z.string().min(1).max(100),
  container_properties: z.object({
    moving: z.boolean(),
    public: z.boolean(),
    audible_range: z.string().max(100),
  }),
  you_activity: activityShapeSchema,
  bot_activity: activityShapeSchema,
  initial_time_iso: z.string().min(1).max(40),
  edge_seed_summary: z.string().max(2000),
  edge_seed_knowledge_facts: z.array(z.string().max(500)).max(20),
});

export type KickoffParse = z.infer<typeof kickoffParseSchema>;
export type ActivityShape = z.infer<typeof activityShapeSchema>;

const places: Array<{ words: RegExp; type: string; moving: boolean; public: boolean }> = [
  { words: /\b(car|bus|train|boat|taxi|van)\b/i, type: 'vehicle', moving: true, public: false },
  { words: /\b(caf[eé]|bar|pub|restaurant|diner|shop|store|market)\b/i, type: 'venue', moving: false, public: true },
  { words: /\b(office|studio|lab|library|workshop)\b/i, type: 'workplace', moving: false, public: false },
  { words: /\b(park|beach|forest|street|square|garden|lake|shore)\b/i, type: 'outdoors', moving: false, public: true },
  { words: /\b(sauna|kitchen|apartment|flat|house|cabin|room|home)\b/i, type: 'home', moving: false, public: false },
];

/** A plain reading of the prose: the first place it names, a sitting pose, the evening of the author's today. */
export function heuristicKickoff(prose: string, relationship: string, today: string): KickoffParse {
  const place = places.find((candidate) => candidate.words.test(prose));
  const match = place ? place.words.exec(prose) : null;
  const noun = match?.[1]?.toLowerCase();
  const containerName = noun ? `The ${noun}` : 'Somewhere quiet';
  const hour = /\bmorning\b/i.test(prose)
    ? 8
    : /\b(noon|lunch)\b/i.test(prose)
      ? 12
      : /\bafternoon\b/i.test(prose)
        ? 15
        : /\bnight|late\b/i.test(prose)
          ? 22
          : 19;
  const date = /^\d{4}-\d{2}-\d{2}/.test(today) ? today.slice(0, 10) : '2026-01-01';
  const activity = (verb: string): ActivityShape => ({
    posture: 'sitting',
    action_verb: verb,
    action_interruptible: true,
    action_required_attention: 'low',
    action_expected_duration: 'a while',
    attention: '',
    holding: [],
  });
  return {
    container_name: containerName,
    container_type: place?.type ?? 'room',
    container_properties: { moving: place?.moving ?? false, public: place?.public ?? false, audible_range: 'room' },
    you_activity: activity('arriving'),
    bot_activity: activity(/\bwork(ing)?\b/i.test(prose) ? 'working' : 'waiting'),
    initial_time_iso: `${date}T${String(hour).padStart(2, '0')}:00:00.000Z`,
    edge_seed_summary: relationship.trim() === '' ? 'We have only just met.' : relationship.trim(),
    edge_seed_knowledge_facts: [],
  };
}

/** The ids a confirmed kickoff mints (made by the caller: domain code draws no randomness). */
export interface KickoffIds {
  chatId: string;
  botId: string;
  containerId: string;
  sceneId: string;
}

/** The confirmed kickoff as the `confirm_kickoff` command carries it; an unreadable start time becomes `now`. */
export function confirmedKickoff(parse: KickoffParse, ids: KickoffIds, now: string): KickoffConfirmed {
  const start = Date.parse(parse.initial_time_iso);
  const activity = (shape: ActivityShape) => ({
    posture: shape.posture,
    action: {
      verb: shape.action_verb,
      interruptible: shape.action_interruptible,
      required_attention: shape.action_required_attention,
      expected_duration: shape.action_expected_duration,
    },
    attention: shape.attention,
    holding: shape.holding,
  });
  return {
    ...ids,
    time: Number.isNaN(start) ? now : new Date(start).toISOString(),
    weather: '',
    container: { name: parse.container_name, type: parse.container_type, properties: parse.container_properties },
    you: activity(parse.you_activity),
    bot: activity(parse.bot_activity),
    edgeSummary: parse.edge_seed_summary,
    edgeKnowledge: parse.edge_seed_knowledge_facts,
    edgeSeed: { affinity: 50, trust: 50 },
  };
}
