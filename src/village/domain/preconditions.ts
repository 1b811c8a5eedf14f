/** Preconditions of event types: each kind is a small pure check against the state, the cast and the time. */
import type { Precondition } from './catalog-schema.js';
import type { CatalogIndex } from './context.js';
import { neutralRelationship, relationshipKey, type VillageState } from './state.js';

export interface PreconditionSubject {
  actor: string;
  target: string | undefined;
  place: string;
  /** Local hour 0..23. */
  hour: number;
  weekend: boolean;
  tick: number;
  /** How many NPCs are at the place (including the actor). */
  occupancy: number;
}

function within(value: number, bounds: { min?: number | undefined; max?: number | undefined }): boolean {
  return (bounds.min === undefined || value >= bounds.min) && (bounds.max === undefined || value <= bounds.max);
}

export function checkPrecondition(
  precondition: Precondition,
  state: VillageState,
  index: CatalogIndex,
  subject: PreconditionSubject,
): boolean {
  const who = (side: 'actor' | 'target') => (side === 'actor' ? subject.actor : subject.target);
  const npcState = (id: string | undefined) => (id === undefined ? undefined : state.npcs[index.npcIndex.get(id) ?? -1]);
  switch (precondition.kind) {
    case 'time_of_day':
      return subject.hour >= precondition.from && subject.hour < precondition.to;
    case 'day_kind':
      return (precondition.is === 'weekend') === subject.weekend;
    case 'weather':
      return precondition.in.includes(state.weather);
    case 'relationship': {
      if (subject.target === undefined) return false;
      const edge = state.relationships[relationshipKey(subject.actor, subject.target)] ?? neutralRelationship;
      return within(edge[precondition.field], precondition);
    }
    case 'relationship_tag': {
      if (subject.target === undefined) return !precondition.present;
      const edge = state.relationships[relationshipKey(subject.actor, subject.target)] ?? neutralRelationship;
      return edge.tags.includes(precondition.tag) === precondition.present;
    }
    case 'trait': {
      const id = who(precondition.who);
      if (id === undefined) return false;
      return (index.npcTraits[index.npcIndex.get(id) ?? -1]?.has(precondition.trait) ?? false) === precondition.present;
    }
    case 'role': {
      const id = who(precondition.who);
      if (id === undefined) return false;
      return (index.npcRoles[index.npcIndex.get(id) ?? -1]?.has(precondition.role) ?? false) === precondition.present;
    }
    case 'mood': {
      const npc = npcState(who(precondition.who));
      return npc !== undefined && within(npc.mood, precondition);
    }
    case 'energy': {
      const npc = npcState(who(precondition.who));
      return npc !== undefined && within(npc.energy, precondition);
    }
    case 'reputation': {
      const npc = npcState(who(precondition.who));
      return npc !== undefined && within(npc.reputation, precondition);
    }
    case 'age': {
      const id = who(precondition.who);
      const npc = id === undefined ? undefined : index.npcs[index.npcIndex.get(id) ?? -1];
      return npc !== undefined && within(npc.age, precondition);
    }
    case 'occupancy':
      return within(subject.occupancy, precondition);
    case 'tension':
      return within(state.tension, precondition);
    case 'recent_memory': {
      const npc = npcState(subject.actor);
      const since = subject.tick - precondition.withinHours * index.ticksPerHour;
      const found =
        npc?.memories.some(
          (memory) =>
            memory.type === precondition.eventType &&
            memory.tick >= since &&
            (subject.target === undefined || memory.with.includes(subject.target)),
        ) ?? false;
      return found === precondition.present;
    }
  }
}

export function checkPreconditions(
  preconditions: readonly Precondition[],
  state: VillageState,
  index: CatalogIndex,
  subject: PreconditionSubject,
): boolean {
  for (const precondition of preconditions) if (!checkPrecondition(precondition, state, index, subject)) return false;
  return true;
}
