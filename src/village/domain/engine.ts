/**
 * The village engine, decider/evolver style. `tick` decides what happens in the next 15 sim-minutes and yields events
 * one at a time; the caller folds each into the state with `evolve` before asking for the next, so later decisions in
 * the same tick see earlier ones. `runTick` does exactly that. Randomness comes only from the context's seeded Rng.
 *
 * Order within a tick: new day (weather, town events) -> clock and routine moves -> due follow-ups, kick-off and
 * director events -> spontaneous interactions of awake NPCs, each followed by its render requests.
 */
import { clamp } from '../../core/math.js';
import type { Rng } from '../../core/rng.js';
import type { EffectSpec, EventType } from './catalog-schema.js';
import { type CatalogIndex, placeAllowed } from './context.js';
import { chooseWeather, directorFactor, planInjections, targetTension } from './director.js';
import type { Happening, Origin, PendingHappening, ResolvedEffect, VillageEvent } from './events.js';
import { decideRenders, impactComponents, impactScore, round } from './impact.js';
import { checkPreconditions, type PreconditionSubject } from './preconditions.js';
import { formatLocal, type LocalTime, tickInstant, toLocalTime } from './sim-time.js';
import { neutralRelationship, type Relationship, relationshipKey, type VillageState } from './state.js';

export interface EngineContext {
  index: CatalogIndex;
  rng: Rng;
}

const negativeTags = new Set(['rival', 'grudge', 'dispute', 'competitor', 'opponent', 'suspicious']);

interface TickFrame {
  tick: number;
  local: LocalTime;
  simTime: string;
  weekend: boolean;
  night: boolean;
  busy: Set<string>;
  /** Place id -> indexes of NPCs there after this tick's routine moves. */
  occupants: Map<string, number[]>;
}

/**
 * Decides the next tick. Apply every yielded event with `evolve` before resuming the generator: it keeps reading the
 * same state object, which `evolve` updates in place.
 */
export function* tick(state: VillageState, context: EngineContext): Generator<VillageEvent, void, void> {
  const { index, rng } = context;
  const { settings } = index;
  const tickNumber = state.tick + 1;
  const instant = tickInstant(index.clock, tickNumber);
  const local = toLocalTime(instant);
  const day = local.epochDay - index.clock.startEpochDay + 1;
  const weekend = local.weekday === 0 || local.weekday === 6;
  const night = isNight(local.hour, settings.nightFrom, settings.nightTo);
  const simTime = formatLocal(instant);

  if (day !== state.day) {
    const weather = chooseWeather(index, state.day === 0 ? undefined : state.weather, rng);
    const injections = planInjections(index, state, weather, tickNumber, local.hour * 60 + local.minute, rng).map((pending) => ({
      ...pending,
      id: `director_day${day}`,
    }));
    yield {
      type: 'day_started',
      data: {
        day,
        date: simTime.slice(0, 10),
        tick: tickNumber,
        weather,
        mood: index.catalog.world.weather.find((entry) => entry.id === weather)?.mood ?? 0,
        injections,
        varietySince: tickNumber - Math.ceil(index.varietyWindowHours * index.ticksPerHour),
        noveltySince: tickNumber - Math.ceil(settings.noveltyHours * index.ticksPerHour),
      },
    };
  }

  const dayKind = weekend ? 1 : 0;
  const moves: Record<string, string> = {};
  const blocks: Record<string, string> = {};
  state.npcs.forEach((npc, position) => {
    const block = index.routines[position]?.[dayKind]?.[local.hour];
    if (block === undefined || block.key === npc.block) return;
    const place = block.places.length === 1 ? (block.places[0] as string) : rng.pick(block.places);
    blocks[npc.id] = block.key;
    if (place !== npc.location) moves[npc.id] = place;
  });
  const due = state.pending.filter((pending) => pending.dueTick <= tickNumber);
  yield { type: 'clock_advanced', data: { tick: tickNumber, simTime, hour: local.hour, night, moves, blocks } };

  const occupants = new Map<string, number[]>();
  state.npcs.forEach((npc, position) => {
    const list = occupants.get(npc.location);
    if (list) list.push(position);
    else occupants.set(npc.location, [position]);
  });
  const frame: TickFrame = { tick: tickNumber, local, simTime, weekend, night, busy: new Set(), occupants };

  for (const pending of due) {
    const happening = realisePending(state, context, frame, pending);
    if (happening) yield* emit(context, frame, happening);
  }

  for (let position = 0; position < state.npcs.length; position++) {
    const npc = state.npcs[position] as NpcLike;
    if (frame.busy.has(npc.id) || !awake(npc, night)) continue;
    const place = index.places.get(npc.location);
    if (!place) continue;
    const chance = settings.initiateChance * (0.5 + npc.energy) * (place.kind === 'home' ? 0.4 : 1);
    if (!rng.chance(chance)) continue;
    const happening = chooseInteraction(state, context, frame, position);
    if (happening) yield* emit(context, frame, happening);
  }
}

/** Runs one tick to completion: the events it produced and the state after them. */
export function runTick(state: VillageState, context: EngineContext): { state: VillageState; events: VillageEvent[] } {
  const events: VillageEvent[] = [];
  let current = state;
  for (const event of tick(current, context)) {
    events.push(event);
    current = evolve(current, event);
  }
  return { state: current, events };
}

type NpcLike = VillageState['npcs'][number];

function isNight(hour: number, from: number, to: number): boolean {
  return from > to ? hour >= from || hour < to : hour >= from && hour < to;
}

function awake(npc: NpcLike, night: boolean): boolean {
  return !(night && npc.location === npc.home);
}

function relation(state: VillageState, from: string, to: string): Relationship {
  return state.relationships[relationshipKey(from, to)] ?? neutralRelationship;
}

function varietyKey(type: string, actor: string, target: string | undefined): string {
  if (target === undefined) return `${type}:${actor}`;
  return actor < target ? `${type}:${actor},${target}` : `${type}:${target},${actor}`;
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
function sample<T>(items: readonly T[], count: number, rng: Rng): T[] {
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

function chooseInteraction(state: VillageState, context: EngineContext, frame: TickFrame, position: number): Happening | undefined {
  const { index, rng } = context;
  const { settings } = index;
  const actor = state.npcs[position] as NpcLike;
  const recentSince = frame.tick - settings.recentMemoryHours * index.ticksPerHour;
  const here = frame.occupants.get(actor.location) ?? [];
  const eligible = (other: number) => {
    const npc = state.npcs[other] as NpcLike;
    return other !== position && !frame.busy.has(npc.id) && awake(npc, frame.night);
  };
  // In a crowd you only notice a handful of people: the partner (and any co-participants) come from a random sample.
  const others: string[] = [];
  if (here.length <= settings.partnerSample + 1) {
    for (const other of here) if (eligible(other)) others.push((state.npcs[other] as NpcLike).id);
  } else {
    const seen = new Set<number>();
    for (let attempt = 0; attempt < settings.partnerSample * 4 && others.length < settings.partnerSample; attempt++) {
      const other = here[rng.int(0, here.length - 1)] as number;
      if (seen.has(other)) continue;
      seen.add(other);
      if (eligible(other)) others.push((state.npcs[other] as NpcLike).id);
    }
  }
  let partner: string | undefined;
  if (others.length > 0) {
    const recentlyMet = recentlyMetCounts(actor, recentSince);
    const chosen = rng.weightedIndex(others.map((other) => partnerWeight(state, index, actor, other, recentlyMet)));
    partner = others[Math.max(0, chosen)];
  }

  let memoryValence = 0;
  if (partner !== undefined)
    for (const memory of actor.memories) if (memory.tick >= recentSince && memory.with.includes(partner)) memoryValence += memory.valence;
  const target = targetTension(frame.local);
  const traits = index.npcTraits[position] ?? new Set<string>();
  const candidates: EventType[] = [];
  const weights: number[] = [];
  for (const type of index.spontaneousTypesByPlace.get(actor.location) ?? []) {
    if (type.targets.min > others.length) continue;
    const typeTarget = type.targets.max > 0 ? partner : undefined;
    if (type.targets.min > 0 && typeTarget === undefined) continue;
    const lastSeen = state.lastSeen[varietyKey(type.id, actor.id, typeTarget)];
    const window = type.cooldownHours ?? settings.varietyHours;
    if (lastSeen !== undefined && lastSeen >= frame.tick - window * index.ticksPerHour) continue;
    const subject: PreconditionSubject = {
      actor: actor.id,
      target: typeTarget,
      place: actor.location,
      hour: frame.local.hour,
      weekend: frame.weekend,
      tick: frame.tick,
      occupancy: others.length + 1,
    };
    if (!checkPreconditions(type.preconditions, state, index, subject)) continue;
    let weight = type.weight;
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
    weight *= directorFactor(type.category, type.valence, state.tension, target);
    if (weight > 0) {
      candidates.push(type);
      weights.push(weight);
    }
  }
  weights.push(settings.idleWeight);
  const chosen = rng.weightedIndex(weights);
  const type = candidates[chosen];
  if (type === undefined) return undefined;

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

function defaultPlace(index: CatalogIndex, type: EventType, actor: NpcLike): string | undefined {
  const work = index.npcs[index.npcIndex.get(actor.id) ?? -1]?.work;
  for (const entry of type.places) {
    if (!entry.startsWith('@')) return entry;
    const kind = entry.slice(1);
    if (kind === 'home') return actor.home;
    if (work !== undefined && index.places.get(work)?.kind === kind) return work;
    for (const place of index.places.values()) if (place.kind === kind) return place.id;
  }
  return undefined;
}

function realisePending(state: VillageState, context: EngineContext, frame: TickFrame, pending: PendingHappening): Happening | undefined {
  const { index } = context;
  const type = index.types.get(pending.type);
  if (!type) return undefined;
  const cast = (ids: readonly string[]) => ids.filter((id) => index.npcIndex.has(id) && !frame.busy.has(id));
  const actors = cast(pending.actors);
  const actorId = actors[0];
  if (actorId === undefined) return undefined;
  const actor = state.npcs[index.npcIndex.get(actorId) as number] as NpcLike;
  const current = index.places.get(actor.location);
  const place = pending.place ?? (current && placeAllowed(type, current) ? current.id : defaultPlace(index, type, actor));
  if (place === undefined) return undefined;
  const targets = cast(pending.targets)
    .filter((id) => !actors.includes(id))
    .slice(0, type.targets.max);
  const present = (frame.occupants.get(place) ?? [])
    .map((position) => state.npcs[position] as NpcLike)
    .filter((npc) => !frame.busy.has(npc.id) && !actors.includes(npc.id) && !targets.includes(npc.id) && awake(npc, frame.night));
  for (const npc of present) {
    if (targets.length >= type.targets.min) break;
    targets.push(npc.id);
  }
  if (targets.length < type.targets.min) return undefined;
  if (pending.origin !== 'kickoff') {
    const subject: PreconditionSubject = {
      actor: actorId,
      target: targets[0],
      place,
      hour: frame.local.hour,
      weekend: frame.weekend,
      tick: frame.tick,
      occupancy: Math.max(present.length, 0) + actors.length + targets.length,
    };
    const preconditions =
      pending.origin === 'follow_up'
        ? type.preconditions.filter((precondition) => precondition.kind !== 'occupancy' && precondition.kind !== 'time_of_day')
        : type.preconditions;
    if (!checkPreconditions(preconditions, state, index, subject)) return undefined;
  }
  return buildHappening(state, context, frame, {
    type,
    place,
    actors: actors.slice(0, Math.max(1, type.actors.max)),
    targets,
    origin: pending.origin,
    depth: pending.depth,
    pendingId: pending.id,
    ...(pending.parentId !== undefined ? { parentId: pending.parentId } : {}),
    ...(pending.topic !== undefined ? { topic: pending.topic } : {}),
  });
}

interface HappeningDraft {
  type: EventType;
  place: string;
  actors: string[];
  targets: string[];
  origin: Origin;
  depth: number;
  pendingId?: string;
  parentId?: string;
  topic?: { fi: string; en: string };
}

function buildHappening(state: VillageState, context: EngineContext, frame: TickFrame, draft: HappeningDraft): Happening {
  const { index, rng } = context;
  const { settings, catalog } = index;
  const { type, actors, targets } = draft;
  const id = `ev_${state.sequence + 1}`;
  const place = index.places.get(draft.place);
  const jitter = () => 1 - settings.jitter + 2 * settings.jitter * rng.float();
  const severity = round(clamp(type.severity * jitter(), 0, 1));
  const publicness = round(clamp(0.7 * type.publicness + 0.3 * (place?.publicness ?? 0.5), 0, 1));
  const topic = draft.topic ?? (type.topics.length > 0 ? rng.pick(type.topics) : undefined);
  const participants = [...actors, ...targets];

  const effects: ResolvedEffect[] = [];
  for (const spec of type.effects) resolveEffect(spec, actors, targets, publicness, jitter, effects);
  const importance = round(clamp(0.2 + 0.5 * severity + 0.3 * Math.abs(type.valence), 0, 1));
  for (const npc of participants)
    effects.push({ kind: 'memory', npc, importance, valence: type.valence, with: participants.filter((other) => other !== npc) });
  for (const npc of actors)
    for (const goal of index.goalsByNpc.get(npc) ?? [])
      if (
        goal.advancedBy.includes(type.id) &&
        (state.goals[goal.id] ?? 0) < 1 &&
        (goal.with === undefined || participants.includes(goal.with))
      )
        effects.push({ kind: 'goal', npc, goal: goal.id, delta: goal.step });

  const followUps: PendingHappening[] = [];
  if (draft.depth < settings.maxCascadeDepth)
    type.followUps.forEach((followUp, position) => {
      if (!rng.chance(followUp.probability)) return;
      const delay = rng.int(followUp.delayMinutes.min, followUp.delayMinutes.max);
      const cast =
        followUp.cast === 'same'
          ? { actors, targets }
          : followUp.cast === 'reversed'
            ? { actors: targets.slice(0, 1), targets: [...actors] }
            : { actors: actors.slice(0, 1), targets: participants.slice(1) };
      if (cast.actors.length === 0) return;
      followUps.push({
        id: `${id}_f${position + 1}`,
        dueTick: morning(index, frame.tick + Math.max(1, Math.ceil(delay / catalog.world.tickMinutes))),
        type: followUp.type,
        actors: cast.actors,
        targets: cast.targets,
        // A reply, a rumour or an apology is about the same matter as what caused it.
        ...(topic !== undefined ? { topic } : {}),
        origin: 'follow_up',
        parentId: id,
        depth: draft.depth + 1,
      });
    });

  let status = 0;
  for (const npc of participants) status = Math.max(status, index.npcs[index.npcIndex.get(npc) ?? -1]?.status ?? 0);
  const since = frame.tick - settings.noveltyHours * index.ticksPerHour;
  const recentSameType = (state.typeTicks[type.id] ?? []).filter((at) => at >= since).length;
  const components = impactComponents({
    severity,
    publicness,
    recentSameType,
    category: type.category,
    valence: type.valence,
    status,
    depth: draft.depth,
    followUpProbability: type.followUps.reduce((sum, followUp) => sum + followUp.probability, 0),
  });
  const score = impactScore(components, settings.impactWeights);
  const renders = decideRenders(type, score, { actors, targets }, catalog.channels, state.budgets);
  for (const npc of participants) frame.busy.add(npc);
  return {
    id,
    type: type.id,
    category: type.category,
    tick: frame.tick,
    simTime: frame.simTime,
    place: draft.place,
    actors,
    targets,
    ...(topic !== undefined ? { topic } : {}),
    severity,
    publicness,
    valence: type.valence,
    origin: draft.origin,
    ...(draft.parentId !== undefined ? { parentId: draft.parentId } : {}),
    ...(draft.pendingId !== undefined ? { pendingId: draft.pendingId } : {}),
    depth: draft.depth,
    effects,
    followUps,
    impact: { score, components },
    renders,
  };
}

/** A follow-up that would fall in the night waits for the morning. */
function morning(index: CatalogIndex, dueTick: number): number {
  const { nightFrom, nightTo } = index.settings;
  let tickNumber = dueTick;
  for (let guard = 0; guard < 24 * index.ticksPerHour; guard++) {
    if (!isNight(toLocalTime(tickInstant(index.clock, tickNumber)).hour, nightFrom, nightTo)) return tickNumber;
    tickNumber += 1;
  }
  return tickNumber;
}

function resolveEffect(
  spec: EffectSpec,
  actors: readonly string[],
  targets: readonly string[],
  publicness: number,
  jitter: () => number,
  into: ResolvedEffect[],
): void {
  if (spec.kind === 'relationship') {
    const pairs: [string, string][] = [];
    const connect = (fromSide: readonly string[], toSide: readonly string[]) => {
      for (const from of fromSide) for (const to of toSide) if (from !== to) pairs.push([from, to]);
    };
    if (spec.direction === 'actors_to_targets') connect(actors, targets);
    else if (spec.direction === 'targets_to_actors') connect(targets, actors);
    else if (spec.direction === 'mutual') {
      connect(actors, targets);
      connect(targets, actors);
    } else connect(actors, actors);
    for (const [from, to] of pairs) {
      const scale = jitter();
      into.push({
        kind: 'relationship',
        from,
        to,
        affinity: round(spec.affinity * scale),
        trust: round(spec.trust * scale),
        respect: round(spec.respect * scale),
        ...(spec.addTag !== undefined ? { addTag: spec.addTag } : {}),
        ...(spec.removeTag !== undefined ? { removeTag: spec.removeTag } : {}),
      });
    }
    return;
  }
  const party = spec.who === 'actors' ? actors : spec.who === 'targets' ? targets : [...actors, ...targets];
  const scale = spec.kind === 'reputation' ? 0.5 + publicness : 1;
  for (const npc of party) into.push({ kind: spec.kind, npc, delta: round(spec.delta * scale * jitter()) });
}

function* emit(context: EngineContext, frame: TickFrame, happening: Happening): Generator<VillageEvent, void, void> {
  yield { type: 'village_event', data: happening };
  for (const decision of happening.renders) {
    if (decision.outcome !== 'render') continue;
    yield {
      type: 'render_requested',
      data: {
        eventId: happening.id,
        channel: decision.channel,
        authorId: decision.author,
        impact: happening.impact.score,
        language: context.index.catalog.world.language,
        simTime: frame.simTime,
      },
    };
  }
}

/**
 * Folds one event into the state. For speed the given state object is updated and returned: callers hand over
 * ownership (clone first if you need the old value).
 */
export function evolve(state: VillageState, event: VillageEvent): VillageState {
  switch (event.type) {
    case 'run_started':
    case 'render_requested':
      return state;
    case 'day_started': {
      const { data } = event;
      state.day = data.day;
      state.weather = data.weather;
      state.budgets = { FEED: 0, CHAT: 0, NEWS: 0 };
      for (const npc of state.npcs) npc.mood = round(clamp(npc.mood + data.mood, -1, 1));
      state.pending.push(...data.injections);
      for (const key of Object.keys(state.lastSeen)) if ((state.lastSeen[key] as number) < data.varietySince) delete state.lastSeen[key];
      for (const [type, ticks] of Object.entries(state.typeTicks)) {
        const kept = ticks.filter((at) => at >= data.noveltySince);
        if (kept.length > 0) state.typeTicks[type] = kept;
        else delete state.typeTicks[type];
      }
      return state;
    }
    case 'clock_advanced': {
      const { data } = event;
      state.tick = data.tick;
      for (const npc of state.npcs) {
        const block = data.blocks[npc.id];
        if (block !== undefined) npc.block = block;
        const move = data.moves[npc.id];
        if (move !== undefined) npc.location = move;
        npc.energy = round(clamp(npc.energy + (data.night && npc.location === npc.home ? 0.05 : -0.004), 0, 1));
      }
      state.tension = round(state.tension + (0.2 - state.tension) * 0.01);
      if (state.pending.some((pending) => pending.dueTick <= data.tick))
        state.pending = state.pending.filter((pending) => pending.dueTick > data.tick);
      return state;
    }
    case 'village_event':
      return applyHappening(state, event.data);
  }
}

/** Position of each NPC by id, memoised per NPC array (the array lives as long as the state; a restored state gets a new one). */
const positionsByArray = new WeakMap<readonly NpcLike[], Map<string, number>>();

function npcById(state: VillageState): { get(id: string): NpcLike | undefined } {
  let positions = positionsByArray.get(state.npcs);
  if (positions === undefined) {
    positions = new Map(state.npcs.map((npc, position) => [npc.id, position]));
    positionsByArray.set(state.npcs, positions);
  }
  const found = positions;
  return { get: (id) => state.npcs[found.get(id) ?? -1] };
}

function applyHappening(state: VillageState, happening: Happening): VillageState {
  const byId = npcById(state);
  for (const id of [...happening.actors, ...happening.targets]) {
    const npc = byId.get(id);
    if (npc) npc.location = happening.place;
  }
  for (const effect of happening.effects) {
    switch (effect.kind) {
      case 'relationship': {
        const key = relationshipKey(effect.from, effect.to);
        const edge = state.relationships[key] ?? { ...neutralRelationship, tags: [] };
        edge.affinity = round(clamp(edge.affinity + effect.affinity, -1, 1));
        edge.trust = round(clamp(edge.trust + effect.trust, 0, 1));
        edge.respect = round(clamp(edge.respect + effect.respect, 0, 1));
        if (effect.addTag !== undefined && !edge.tags.includes(effect.addTag)) edge.tags.push(effect.addTag);
        if (effect.removeTag !== undefined) edge.tags = edge.tags.filter((tag) => tag !== effect.removeTag);
        state.relationships[key] = edge;
        break;
      }
      case 'mood':
      case 'energy':
      case 'reputation': {
        const npc = byId.get(effect.npc);
        if (!npc) break;
        if (effect.kind === 'mood') npc.mood = round(clamp(npc.mood + effect.delta, -1, 1));
        else if (effect.kind === 'energy') npc.energy = round(clamp(npc.energy + effect.delta, 0, 1));
        else npc.reputation = round(clamp(npc.reputation + effect.delta, 0, 1));
        break;
      }
      case 'memory': {
        const npc = byId.get(effect.npc);
        if (!npc) break;
        npc.memories.push({
          eventId: happening.id,
          type: happening.type,
          tick: happening.tick,
          importance: effect.importance,
          valence: effect.valence,
          with: effect.with,
        });
        if (npc.memories.length > state.memoryCapacity) forgetLeastImportant(npc);
        break;
      }
      case 'goal':
        state.goals[effect.goal] = round(clamp((state.goals[effect.goal] ?? 0) + effect.delta, 0, 1));
        break;
    }
  }
  const primaryTarget = happening.targets[0];
  const actor = happening.actors[0] ?? '';
  state.lastSeen[varietyKey(happening.type, actor, primaryTarget)] = happening.tick;
  const ticks = state.typeTicks[happening.type];
  if (ticks) ticks.push(happening.tick);
  else state.typeTicks[happening.type] = [happening.tick];
  const stir = happening.valence < 0 ? happening.severity * 1.5 : happening.severity * 0.3;
  state.tension = round(clamp(0.85 * state.tension + 0.15 * stir, 0, 1));
  for (const decision of happening.renders) if (decision.outcome === 'render') state.budgets[decision.channel] += 1;
  if (happening.pendingId !== undefined) state.pending = state.pending.filter((pending) => pending.id !== happening.pendingId);
  state.pending.push(...happening.followUps);
  state.sequence += 1;
  return state;
}

function forgetLeastImportant(npc: NpcLike): void {
  let weakest = 0;
  for (let position = 1; position < npc.memories.length; position++)
    if ((npc.memories[position]?.importance ?? 0) < (npc.memories[weakest]?.importance ?? 0)) weakest = position;
  npc.memories.splice(weakest, 1);
}
