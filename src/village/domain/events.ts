/** The village's events: a typed union, each `{ type, data }`, appended to the stream `world-<run id>`. */
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
