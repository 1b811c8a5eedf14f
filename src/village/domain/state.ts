/**
 * The village state: what `evolve` folds the events into and what `tick` reads to decide. Plain JSON (no Maps,
 * no integer-like keys) so a snapshot round-trips exactly.
 */
import type { Catalog, Channel } from './catalog-schema.js';
import type { PendingHappening } from './events.js';
import type { VillageSettings } from './village-settings.js';

export interface Memory {
  eventId: string;
  type: string;
  tick: number;
  importance: number;
  valence: number;
  with: string[];
}

export interface NpcState {
  id: string;
  home: string;
  location: string;
  /** Routine block the NPC is in, `weekday:7`; a new block moves them. */
  block: string;
  mood: number;
  energy: number;
  reputation: number;
  memories: Memory[];
}

export interface Relationship {
  affinity: number;
  trust: number;
  respect: number;
  tags: string[];
}

export interface VillageState {
  /** Last tick processed; -1 before the first. */
  tick: number;
  day: number;
  weather: string;
  tension: number;
  /** NPCs in catalog order. */
  npcs: NpcState[];
  /** `from|to` -> relationship. */
  relationships: Record<string, Relationship>;
  /** Goal id -> progress 0..1. */
  goals: Record<string, number>;
  pending: PendingHappening[];
  /** Variety key (`type:a,b`) -> tick it last happened. */
  lastSeen: Record<string, number>;
  /** Event type -> ticks it happened within the novelty window. */
  typeTicks: Record<string, number[]>;
  budgets: Record<Channel, number>;
  /** Counter for event and pending ids. */
  sequence: number;
  /** Memories kept per NPC (from the settings, kept here so `evolve` needs nothing else). */
  memoryCapacity: number;
}

export const neutralRelationship: Readonly<Relationship> = Object.freeze({ affinity: 0, trust: 0.3, respect: 0.3, tags: [] });

export function relationshipKey(from: string, to: string): string {
  return `${from}|${to}`;
}

export function createInitialState(catalog: Catalog, settings: Pick<VillageSettings, 'memoryCapacity'>): VillageState {
  const relationships: Record<string, Relationship> = {};
  for (const edge of catalog.relationships)
    relationships[relationshipKey(edge.from, edge.to)] = {
      affinity: edge.affinity,
      trust: edge.trust,
      respect: edge.respect,
      tags: [...edge.tags],
    };
  const goals: Record<string, number> = {};
  for (const goal of catalog.goals) goals[goal.id] = 0;
  const startDayMinute = Number(catalog.world.start.slice(11, 13)) * 60 + Number(catalog.world.start.slice(14, 16));
  const pending: PendingHappening[] = catalog.kickoff.events.map((entry, index) => {
    const minute = Number(entry.at.slice(0, 2)) * 60 + Number(entry.at.slice(3, 5));
    const dueTick = Math.max(0, Math.round((minute - startDayMinute) / catalog.world.tickMinutes));
    return {
      id: `kickoff_${index + 1}`,
      dueTick,
      type: entry.type,
      actors: [...entry.actors],
      targets: [...entry.targets],
      place: entry.place,
      ...(entry.topic ? { topic: entry.topic } : {}),
      origin: 'kickoff',
      depth: 0,
    };
  });
  pending.sort((left, right) => left.dueTick - right.dueTick);
  return {
    tick: -1,
    day: 0,
    weather: catalog.world.weather[0]?.id ?? 'cloudy',
    tension: 0.2,
    npcs: catalog.npcs.map((npc) => ({
      id: npc.id,
      home: npc.home,
      location: npc.home,
      block: '',
      mood: npc.mood,
      energy: 0.8,
      reputation: 0.5,
      memories: [],
    })),
    relationships,
    goals,
    pending,
    lastSeen: {},
    typeTicks: {},
    budgets: { FEED: 0, CHAT: 0, NEWS: 0 },
    sequence: 0,
    memoryCapacity: settings.memoryCapacity,
  };
}
