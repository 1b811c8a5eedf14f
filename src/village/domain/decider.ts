/**
 * The village engine as a `Decider`: the command is "decide the next tick" with the draws to make it, `decide` runs
 * the tick on a copy of the state (the engine folds its own events as it goes, see `engine.ts`), `evolve` is the fold.
 * A run (`services/world-run.ts`) drives `tick` and `evolve` directly on its own state for speed; both give the same
 * events.
 */
import type { Decider } from '../../core/decider.js';
import type { CatalogIndex } from './context.js';
import { evolve, runTick } from './engine.js';
import type { VillageEvent } from './events.js';
import { createInitialState, type VillageState } from './state.js';
import type { Randomness } from './tick-frame.js';

export interface AdvanceTick {
  type: 'advance_tick';
  /** Where the tick's randomness comes from: the run's seeded Rng, whose state moves on with every draw. */
  rng: Randomness;
}

export type VillageCommand = AdvanceTick;

export function villageDecider(index: CatalogIndex): Decider<VillageCommand, VillageEvent, VillageState> {
  return {
    initialState: () => createInitialState(index.catalog, index.settings),
    decide: (command, state) => runTick(structuredClone(state), { index, rng: command.rng }).events,
    evolve,
  };
}
