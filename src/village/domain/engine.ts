/**
 * The village engine, decider/evolver style. `tick` decides what happens in the next 15 sim-minutes and yields events
 * one at a time; the caller folds each into the state with `evolve` before asking for the next, so later decisions in
 * the same tick see earlier ones. `runTick` does exactly that. Randomness comes only from the context's seeded Rng.
 *
 * Order within a tick: new day (weather, town events) -> clock and routine moves -> due follow-ups, kick-off and
 * director events -> spontaneous interactions of awake NPCs, each followed by its render requests.
 */
import { chooseWeather, planInjections } from './director.js';
import type { ClockAdvanced, DayStarted, Happening, VillageEvent } from './events.js';
import { evolve } from './evolve.js';
import { realisePending } from './happening.js';
import { chooseInteraction } from './interaction.js';
import { formatLocal, type LocalTime, tickInstant, toLocalTime } from './sim-time.js';
import type { VillageState } from './state.js';
import { awake, type EngineContext, isNight, type NpcLike, type TickFrame } from './tick-frame.js';

export { evolve } from './evolve.js';
export type { EngineContext } from './tick-frame.js';

interface TickTime {
  tick: number;
  local: LocalTime;
  day: number;
  weekend: boolean;
  night: boolean;
  simTime: string;
}

function tickTime(state: VillageState, context: EngineContext): TickTime {
  const { index } = context;
  const tick = state.tick + 1;
  const instant = tickInstant(index.clock, tick);
  const local = toLocalTime(instant);
  return {
    tick,
    local,
    day: local.epochDay - index.clock.startEpochDay + 1,
    weekend: local.weekday === 0 || local.weekday === 6,
    night: isNight(local.hour, index.settings.nightFrom, index.settings.nightTo),
    simTime: formatLocal(instant),
  };
}

/** A new sim-day: the weather and the director's town events for it. */
function startDay(state: VillageState, context: EngineContext, time: TickTime): DayStarted {
  const { index, rng } = context;
  const weather = chooseWeather(index, state.day === 0 ? undefined : state.weather, rng);
  const minuteOfDay = time.local.hour * 60 + time.local.minute;
  const injections = planInjections(index, state, weather, time.tick, minuteOfDay, rng).map((pending) => ({
    ...pending,
    id: `director_day${time.day}`,
  }));
  return {
    day: time.day,
    date: time.simTime.slice(0, 10),
    tick: time.tick,
    weather,
    mood: index.catalog.world.weather.find((entry) => entry.id === weather)?.mood ?? 0,
    injections,
    varietySince: time.tick - Math.ceil(index.varietyWindowHours * index.ticksPerHour),
    noveltySince: time.tick - Math.ceil(index.settings.noveltyHours * index.ticksPerHour),
  };
}

/** Routine moves: each NPC entering a new routine block goes to (one of) its places. */
function advanceClock(state: VillageState, context: EngineContext, time: TickTime): ClockAdvanced {
  const { index, rng } = context;
  const dayKind = time.weekend ? 1 : 0;
  const moves: Record<string, string> = {};
  const blocks: Record<string, string> = {};
  state.npcs.forEach((npc, position) => {
    const block = index.routines[position]?.[dayKind]?.[time.local.hour];
    if (block === undefined || block.key === npc.block) return;
    const place = block.places.length === 1 ? (block.places[0] as string) : rng.pick(block.places);
    blocks[npc.id] = block.key;
    if (place !== npc.location) moves[npc.id] = place;
  });
  return { tick: time.tick, simTime: time.simTime, hour: time.local.hour, night: time.night, moves, blocks };
}

function frameOf(state: VillageState, time: TickTime): TickFrame {
  const occupants = new Map<string, number[]>();
  state.npcs.forEach((npc, position) => {
    const list = occupants.get(npc.location);
    if (list) list.push(position);
    else occupants.set(npc.location, [position]);
  });
  const { tick, local, simTime, weekend, night } = time;
  return { tick, local, simTime, weekend, night, busy: new Set(), occupants };
}

/**
 * Decides the next tick. Apply every yielded event with `evolve` before resuming the generator: it keeps reading the
 * same state object, which `evolve` updates in place.
 */
export function* tick(state: VillageState, context: EngineContext): Generator<VillageEvent, void, void> {
  const { index, rng } = context;
  const time = tickTime(state, context);
  if (time.day !== state.day) yield { type: 'day_started', data: startDay(state, context, time) };

  const clock = advanceClock(state, context, time);
  const due = state.pending.filter((pending) => pending.dueTick <= time.tick);
  yield { type: 'clock_advanced', data: clock };

  const frame = frameOf(state, time);
  for (const pending of due) {
    const happening = realisePending(state, context, frame, pending);
    if (happening) yield* emit(context, frame, happening);
  }

  for (let position = 0; position < state.npcs.length; position++) {
    const npc = state.npcs[position] as NpcLike;
    if (frame.busy.has(npc.id) || !awake(npc, frame.night)) continue;
    const place = index.places.get(npc.location);
    if (!place) continue;
    const chance = index.settings.initiateChance * (0.5 + npc.energy) * (place.kind === 'home' ? 0.4 : 1);
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
