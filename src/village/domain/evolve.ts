/**
 * Folding events into the village state. For speed the given state object is updated and returned: callers hand over
 * ownership (clone first if you need the old value).
 */
import { clamp } from '../../core/math.js';
import type { Happening, ResolvedEffect, VillageEvent } from './events.js';
import { round } from './impact.js';
import { neutralRelationship, relationshipKey, type VillageState } from './state.js';
import { type NpcLike, varietyKey } from './tick-frame.js';

/** Folds one event into the state (in place; see the module comment). */
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

interface NpcLookup {
  get(id: string): NpcLike | undefined;
}

function npcById(state: VillageState): NpcLookup {
  let positions = positionsByArray.get(state.npcs);
  if (positions === undefined) {
    positions = new Map(state.npcs.map((npc, position) => [npc.id, position]));
    positionsByArray.set(state.npcs, positions);
  }
  const found = positions;
  return { get: (id) => state.npcs[found.get(id) ?? -1] };
}

function applyEffect(state: VillageState, byId: NpcLookup, happening: Happening, effect: ResolvedEffect): void {
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
      return;
    }
    case 'mood':
    case 'energy':
    case 'reputation': {
      const npc = byId.get(effect.npc);
      if (!npc) return;
      if (effect.kind === 'mood') npc.mood = round(clamp(npc.mood + effect.delta, -1, 1));
      else if (effect.kind === 'energy') npc.energy = round(clamp(npc.energy + effect.delta, 0, 1));
      else npc.reputation = round(clamp(npc.reputation + effect.delta, 0, 1));
      return;
    }
    case 'memory': {
      const npc = byId.get(effect.npc);
      if (!npc) return;
      npc.memories.push({
        eventId: happening.id,
        type: happening.type,
        tick: happening.tick,
        importance: effect.importance,
        valence: effect.valence,
        with: effect.with,
      });
      if (npc.memories.length > state.memoryCapacity) forgetLeastImportant(npc);
      return;
    }
    case 'goal':
      state.goals[effect.goal] = round(clamp((state.goals[effect.goal] ?? 0) + effect.delta, 0, 1));
      return;
  }
}

function applyHappening(state: VillageState, happening: Happening): VillageState {
  const byId = npcById(state);
  for (const id of [...happening.actors, ...happening.targets]) {
    const npc = byId.get(id);
    if (npc) npc.location = happening.place;
  }
  for (const effect of happening.effects) applyEffect(state, byId, happening, effect);
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
