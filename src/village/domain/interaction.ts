/**
 * Spontaneous interactions: an awake NPC notices some of the people around, picks a partner (acquaintance, recent
 * memories, goals) and then an event type (base weight, traits, the relationship, memories, goals, the director's
 * tension curve) or nothing at all (`idleWeight`).
 */
import type { EventType } from './catalog-schema.js';
import type { CatalogIndex } from './context.js';
import { directorFactor, targetTension } from './director.js';
import type { Happening } from './events.js';
import { buildHappening } from './happening.js';
import { checkPreconditions, type PreconditionSubject } from './preconditions.js';
import { neutralRelationship, type Relationship, relationshipKey, type VillageState } from './state.js';
import { awake, type EngineContext, type NpcLike, type Randomness, type TickFrame, varietyKey } from './tick-frame.js';

const negativeTags = new Set(['rival', 'grudge', 'dispute', 'competitor', 'opponent', 'suspicious']);

function relation(state: VillageState, from: string, to: string): Relationship {
  return state.relationships[relationshipKey(from, to)] ?? neutralRelationship;
}

/** How much the actor wants to spend this moment with `other`: acquaintance, feelings, recent memories, goals. */
function partnerWeight(
  state: VillageState,
  index: CatalogIndex,
  actor: NpcLike,
  other: string,
  recentlyMet: ReadonlyMap<string, number>,
): number {
  const edge = state.relationships[relationshipKey(actor.id, other)];
  let weight = edge ? 1 + Math.abs(edge.affinity) + edge.trust : 0.6;
  const met = recentlyMet.get(other);
  if (met !== undefined) weight *= 1.3 ** met;
  for (const goal of index.goalsByNpc.get(actor.id) ?? []) if (goal.with === other && (state.goals[goal.id] ?? 0) < 1) weight *= 3;
  return weight;
}

/** `count` distinct items drawn at random (partial Fisher-Yates on a copy). */
function sample<T>(items: readonly T[], count: number, rng: Randomness): T[] {
  const pool = [...items];
  const drawn: T[] = [];
  while (drawn.length < count && pool.length > 0) {
    const pick = rng.int(0, pool.length - 1);
    drawn.push(pool[pick] as T);
    pool[pick] = pool[pool.length - 1] as T;
    pool.pop();
  }
  return drawn;
}

/** Who the actor has recent memories with, and how many. */
function recentlyMetCounts(actor: NpcLike, since: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (const memory of actor.memories)
    if (memory.tick >= since) for (const other of memory.with) counts.set(other, (counts.get(other) ?? 0) + 1);
  return counts;
}

/** The people present the actor notices: everyone eligible in a small group, a random sample in a crowd. */
function noticeOthers(state: VillageState, context: EngineContext, frame: TickFrame, position: number): string[] {
  const { settings } = context.index;
  const actor = state.npcs[position] as NpcLike;
  const here = frame.occupants.get(actor.location) ?? [];
  const eligible = (other: number) => {
    const npc = state.npcs[other] as NpcLike;
    return other !== position && !frame.busy.has(npc.id) && awake(npc, frame.night);
  };
  const others: string[] = [];
  if (here.length <= settings.partnerSample + 1) {
    for (const other of here) if (eligible(other)) others.push((state.npcs[other] as NpcLike).id);
    return others;
  }
  const seen = new Set<number>();
  for (let attempt = 0; attempt < settings.partnerSample * 4 && others.length < settings.partnerSample; attempt++) {
    const other = here[context.rng.int(0, here.length - 1)] as number;
    if (seen.has(other)) continue;
    seen.add(other);
    if (eligible(other)) others.push((state.npcs[other] as NpcLike).id);
  }
  return others;
}

/** What the choice of an event type knows about this moment. */
interface Moment {
  actor: NpcLike;
  position: number;
  partner: string | undefined;
  others: readonly string[];
  /** Sum of the valences of the actor's recent memories with the partner. */
  memoryValence: number;
  tension: number;
}

/** The weight of `type` for the actor at this moment, or 0 when it cannot happen (cooldown, preconditions). */
function typeWeight(state: VillageState, index: CatalogIndex, frame: TickFrame, moment: Moment, type: EventType): number {
  const { actor, partner, others, memoryValence } = moment;
  if (type.targets.min > others.length) return 0;
  const typeTarget = type.targets.max > 0 ? partner : undefined;
  if (type.targets.min > 0 && typeTarget === undefined) return 0;
  const lastSeen = state.lastSeen[varietyKey(type.id, actor.id, typeTarget)];
  const window = type.cooldownHours ?? index.settings.varietyHours;
  if (lastSeen !== undefined && lastSeen >= frame.tick - window * index.ticksPerHour) return 0;
  const subject: PreconditionSubject = {
    actor: actor.id,
    target: typeTarget,
    place: actor.location,
    hour: frame.local.hour,
    weekend: frame.weekend,
    tick: frame.tick,
    occupancy: others.length + 1,
  };
  if (!checkPreconditions(type.preconditions, state, index, subject)) return 0;
  let weight = type.weight;
  const traits = index.npcTraits[moment.position] ?? new Set<string>();
  for (const [trait, factor] of index.traitFactors.get(type.id) ?? []) if (traits.has(trait)) weight *= factor;
  if (typeTarget !== undefined) {
    const edge = relation(state, actor.id, typeTarget);
    if (type.valence < 0) {
      weight *= 1 - edge.affinity;
      if (edge.tags.some((tag) => negativeTags.has(tag))) weight *= 1.5;
      if (memoryValence < 0) weight *= 1 - memoryValence;
    } else {
      weight *= Math.max(0.1, 1 + edge.affinity);
      if (memoryValence > 0) weight *= 1 + memoryValence * 0.5;
    }
  }
  for (const goal of index.goalsByNpc.get(actor.id) ?? [])
    if (goal.advancedBy.includes(type.id) && (state.goals[goal.id] ?? 0) < 1 && (goal.with === undefined || goal.with === typeTarget))
      weight *= goal.with === undefined ? 2 : 4;
  return weight * directorFactor(type.category, type.valence, state.tension, moment.tension);
}

/** The actor's moment: who they notice, the partner they would turn to, and how their recent memories of them feel. */
function sizeUpMoment(state: VillageState, context: EngineContext, frame: TickFrame, position: number): Moment {
  const { index, rng } = context;
  const actor = state.npcs[position] as NpcLike;
  const recentSince = frame.tick - index.settings.recentMemoryHours * index.ticksPerHour;
  // In a crowd you only notice a handful of people: the partner (and any co-participants) come from a random sample.
  const others = noticeOthers(state, context, frame, position);
  let partner: string | undefined;
  if (others.length > 0) {
    const recentlyMet = recentlyMetCounts(actor, recentSince);
    const chosen = rng.weightedIndex(others.map((other) => partnerWeight(state, index, actor, other, recentlyMet)));
    partner = others[Math.max(0, chosen)];
  }
  let memoryValence = 0;
  if (partner !== undefined)
    for (const memory of actor.memories) if (memory.tick >= recentSince && memory.with.includes(partner)) memoryValence += memory.valence;
  return { actor, position, partner, others, memoryValence, tension: targetTension(frame.local) };
}

/** The actor at `position` may start something with the people around: a happening, or undefined for "nothing". */
export function chooseInteraction(state: VillageState, context: EngineContext, frame: TickFrame, position: number): Happening | undefined {
  const { index, rng } = context;
  const moment = sizeUpMoment(state, context, frame, position);
  const candidates: EventType[] = [];
  const weights: number[] = [];
  for (const type of index.spontaneousTypesByPlace.get(moment.actor.location) ?? []) {
    const weight = typeWeight(state, index, frame, moment, type);
    if (weight > 0) {
      candidates.push(type);
      weights.push(weight);
    }
  }
  weights.push(index.settings.idleWeight);
  const type = candidates[rng.weightedIndex(weights)];
  if (type === undefined) return undefined;

  const { partner, others, actor } = moment;
  const targets: string[] = [];
  if (type.targets.max > 0 && partner !== undefined) {
    targets.push(partner);
    const count = rng.int(Math.max(1, type.targets.min), Math.min(type.targets.max, others.length));
    targets.push(
      ...sample(
        others.filter((other) => other !== partner),
        count - 1,
        rng,
      ),
    );
  }
  return buildHappening(state, context, frame, { type, place: actor.location, actors: [actor.id], targets, origin: 'routine', depth: 0 });
}
