/**
 * The village's events, each `{ type, data }`. The engine's (`VillageEvent`) go to the stream `world-<run id>`; posts,
 * moderation and run control (`ContentEvent`) to `village-<run id>`. Stored types are a contract: the log hash of a
 * run depends on them, so they never change.
 */
import type { Channel, Language } from './catalog-schema.js';

export interface RunStarted {
  runId: string;
  world: string;
  seed: number;
  catalogHash: string;
  configHash: string;
  start: string;
  tickMinutes: number;
  language: Language;
}

export interface PendingHappening {
  id: string;
  dueTick: number;
  type: string;
  actors: string[];
  targets: string[];
  /** Fixed place (kick-off), otherwise chosen when it happens. */
  place?: string;
  topic?: { fi: string; en: string };
  origin: Exclude<Origin, 'routine'>;
  parentId?: string;
  depth: number;
}

export interface DayStarted {
  day: number;
  /** Local date, `YYYY-MM-DD`. */
  date: string;
  tick: number;
  weather: string;
  /** Mood change everyone gets from the weather. */
  mood: number;
  /** Town events the director scheduled for this day. */
  injections: PendingHappening[];
  /** Variety and novelty bookkeeping older than these ticks is forgotten. */
  varietySince: number;
  noveltySince: number;
}

export interface ClockAdvanced {
  tick: number;
  simTime: string;
  hour: number;
  /** Night hours: NPCs at home rest. */
  night: boolean;
  /** NPC id -> place id, only for NPCs whose routine moved them. */
  moves: Record<string, string>;
  /** Routine block (`weekday:7`) each moved NPC entered. */
  blocks: Record<string, string>;
}

export type Origin = 'routine' | 'follow_up' | 'director' | 'kickoff';

export type ResolvedEffect =
  | {
      kind: 'relationship';
      from: string;
      to: string;
      affinity: number;
      trust: number;
      respect: number;
      addTag?: string;
      removeTag?: string;
    }
  | { kind: 'mood' | 'energy' | 'reputation'; npc: string; delta: number }
  | { kind: 'memory'; npc: string; importance: number; valence: number; with: string[] }
  | { kind: 'goal'; npc: string; goal: string; delta: number };

export interface ImpactComponents {
  severity: number;
  publicness: number;
  novelty: number;
  conflict: number;
  status: number;
  cascade: number;
}

export type RenderOutcome = 'render' | 'below_threshold' | 'over_budget';

export interface RenderDecision {
  channel: Channel;
  outcome: RenderOutcome;
  author: string;
}

export interface Happening {
  id: string;
  type: string;
  category: string;
  tick: number;
  simTime: string;
  place: string;
  actors: string[];
  targets: string[];
  topic?: { fi: string; en: string };
  severity: number;
  publicness: number;
  valence: number;
  origin: Origin;
  parentId?: string;
  /** The pending entry this realised (follow-ups, kick-off, director). */
  pendingId?: string;
  depth: number;
  effects: ResolvedEffect[];
  followUps: PendingHappening[];
  impact: { score: number; components: ImpactComponents };
  renders: RenderDecision[];
}

export interface RenderRequested {
  eventId: string;
  channel: Channel;
  authorId: string;
  impact: number;
  language: Language;
  simTime: string;
}

export type VillageEvent =
  | { type: 'run_started'; data: RunStarted }
  | { type: 'day_started'; data: DayStarted }
  | { type: 'clock_advanced'; data: ClockAdvanced }
  | { type: 'village_event'; data: Happening }
  | { type: 'render_requested'; data: RenderRequested };

export type VillageEventType = VillageEvent['type'];

/** What the render workers publish (`post_published`) or refuse at the engine boundary (`post_rejected`). */
export interface PostPublished {
  runId: string;
  channel: Channel;
  authorId: string;
  sourceEventId: string;
  tone: string;
  text: string;
  tags: string[];
  safetyNotes: string | null;
  model: string;
  fellBack: boolean;
  simTime: string;
  place: string | null;
}

export interface PostRejected extends PostPublished {
  reasons: string[];
}

export interface ModerationAction {
  postId: number;
  reason: string | null;
  /** Who did it: `admin`, or `system` for automatic actions. */
  by: string;
}

export type RunControlAction = 'start' | 'stop' | 'speed';

/** An admin's (or autostart's) change of the run control flag, with the fields it set. */
export interface RunControlled {
  action: RunControlAction;
  seed?: number;
  speed?: number;
}

export type ModerationEventType = 'post_flagged' | 'post_hidden' | 'post_restored';

export type ContentEvent =
  | { type: 'post_published'; data: PostPublished }
  | { type: 'post_rejected'; data: PostRejected }
  | { type: ModerationEventType; data: ModerationAction }
  | { type: 'run_control'; data: RunControlled };

export type ContentEventType = ContentEvent['type'];

export const worldEventTypes = [
  'run_started',
  'day_started',
  'clock_advanced',
  'village_event',
  'render_requested',
] as const satisfies readonly VillageEventType[];

export const contentEventTypes = [
  'post_published',
  'post_rejected',
  'post_flagged',
  'post_hidden',
  'post_restored',
  'run_control',
] as const satisfies readonly ContentEventType[];

/** Every event type the village writes, on either of its streams. */
export const villageEventTypes: readonly (VillageEventType | ContentEventType)[] = [...worldEventTypes, ...contentEventTypes];

/** The engine's stream of a run. */
export function worldStreamId(runId: string): string {
  return `world-${runId}`;
}

/** The stream of a run's posts, moderation actions and run control. */
export function contentStreamId(runId: string): string {
  return `village-${runId}`;
}
