/**
 * Turning a decision into a `Happening`: realising a pending one (follow-up, kick-off, director) with who is there
 * now, then resolving its effects, memories, goal progress, follow-ups, impact and render decisions.
 */
import { clamp } from '../../core/math.js';
import type { EffectSpec, EventType } from './catalog-schema.js';
import { type CatalogIndex, placeAllowed } from './context.js';
import type { Happening, Origin, PendingHappening, ResolvedEffect } from './events.js';
import { decideRenders, impactComponents, impactScore, round } from './impact.js';
import { checkPreconditions, type PreconditionSubject } from './preconditions.js';
import { tickInstant, toLocalTime } from './sim-time.js';
import type { VillageState } from './state.js';
import { awake, type EngineContext, isNight, type NpcLike, type TickFrame } from './tick-frame.js';

export interface HappeningDraft {
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

/** A pending happening as it can happen now (free cast, an allowed place, preconditions), or undefined. */
export function realisePending(
  state: VillageState,
  context: EngineContext,
  frame: TickFrame,
  pending: PendingHappening,
): Happening | undefined {
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

/** The type's effects resolved for this cast, then a memory for every participant and progress on the actors' goals. */
function resolveEffects(
  state: VillageState,
  index: CatalogIndex,
  draft: HappeningDraft,
  scores: { severity: number; publicness: number },
  jitter: () => number,
): ResolvedEffect[] {
  const { type, actors, targets } = draft;
  const participants = [...actors, ...targets];
  const effects: ResolvedEffect[] = [];
  for (const spec of type.effects) resolveEffect(spec, actors, targets, scores.publicness, jitter, effects);
  const importance = round(clamp(0.2 + 0.5 * scores.severity + 0.3 * Math.abs(type.valence), 0, 1));
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
  return effects;
}

/** The follow-ups that this happening sets off (each drawn with its probability), due in the morning at the earliest. */
function planFollowUps(
  context: EngineContext,
  frame: TickFrame,
  draft: HappeningDraft,
  id: string,
  topic: { fi: string; en: string } | undefined,
): PendingHappening[] {
  const { index, rng } = context;
  const { type, actors, targets } = draft;
  const participants = [...actors, ...targets];
  const followUps: PendingHappening[] = [];
  if (draft.depth >= index.settings.maxCascadeDepth) return followUps;
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
      dueTick: morning(index, frame.tick + Math.max(1, Math.ceil(delay / index.catalog.world.tickMinutes))),
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
  return followUps;
}

/** Impact score and components of the draft as it would happen at this tick. */
function scoreImpact(
  state: VillageState,
  index: CatalogIndex,
  frame: TickFrame,
  draft: HappeningDraft,
  scores: { severity: number; publicness: number },
): Happening['impact'] {
  const { type } = draft;
  let status = 0;
  for (const npc of [...draft.actors, ...draft.targets]) status = Math.max(status, index.npcs[index.npcIndex.get(npc) ?? -1]?.status ?? 0);
  const since = frame.tick - index.settings.noveltyHours * index.ticksPerHour;
  const recentSameType = (state.typeTicks[type.id] ?? []).filter((at) => at >= since).length;
  const components = impactComponents({
    ...scores,
    recentSameType,
    category: type.category,
    valence: type.valence,
    status,
    depth: draft.depth,
    followUpProbability: type.followUps.reduce((sum, followUp) => sum + followUp.probability, 0),
  });
  return { score: impactScore(components, index.settings.impactWeights), components };
}

export function buildHappening(state: VillageState, context: EngineContext, frame: TickFrame, draft: HappeningDraft): Happening {
  const { index, rng } = context;
  const { settings, catalog } = index;
  const { type, actors, targets } = draft;
  const id = `ev_${state.sequence + 1}`;
  const place = index.places.get(draft.place);
  const jitter = () => 1 - settings.jitter + 2 * settings.jitter * rng.float();
  const severity = round(clamp(type.severity * jitter(), 0, 1));
  const publicness = round(clamp(0.7 * type.publicness + 0.3 * (place?.publicness ?? 0.5), 0, 1));
  const topic = draft.topic ?? (type.topics.length > 0 ? rng.pick(type.topics) : undefined);
  const effects = resolveEffects(state, index, draft, { severity, publicness }, jitter);
  const followUps = planFollowUps(context, frame, draft, id, topic);
  const impact = scoreImpact(state, index, frame, draft, { severity, publicness });
  const renders = decideRenders(type, impact.score, { actors, targets }, catalog.channels, state.budgets);
  for (const npc of [...actors, ...targets]) frame.busy.add(npc);
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
    impact,
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
