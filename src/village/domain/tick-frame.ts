/** What every step of a tick shares: the engine's context, the tick's frame (time, who is busy, who is where) and helpers. */
import type { Rng } from '../../core/rng.js';
import type { CatalogIndex } from './context.js';
import type { LocalTime } from './sim-time.js';
import type { VillageState } from './state.js';

/** The draws the engine makes: a seeded `Rng` in a run, a scripted double in a test. */
export type Randomness = Pick<Rng, 'int' | 'float' | 'chance' | 'pick' | 'weightedIndex'>;

export interface EngineContext {
  index: CatalogIndex;
  rng: Randomness;
}

export interface TickFrame {
  tick: number;
  local: LocalTime;
  simTime: string;
  weekend: boolean;
  night: boolean;
  busy: Set<string>;
  /** Place id -> indexes of NPCs there after this tick's routine moves. */
  occupants: Map<string, number[]>;
}

export type NpcLike = VillageState['npcs'][number];

export function isNight(hour: number, from: number, to: number): boolean {
  return from > to ? hour >= from || hour < to : hour >= from && hour < to;
}

export function awake(npc: NpcLike, night: boolean): boolean {
  return !(night && npc.location === npc.home);
}

/** The key under which a type with the same pair may not repeat within the variety window (`type:a,b`). */
export function varietyKey(type: string, actor: string, target: string | undefined): string {
  if (target === undefined) return `${type}:${actor}`;
  return actor < target ? `${type}:${actor},${target}` : `${type}:${target},${actor}`;
}
