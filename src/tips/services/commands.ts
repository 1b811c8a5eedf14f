/**
 * Runs a tips command for one user with the store's `handleCommand`: the fold starts from the user's cached state (the
 * cache catches up with the stream first), the command is built from that state (it may need I/O: LLM proposals, the
 * cached model), the Decider decides, the events are appended at the folded version and the folded result is kept in
 * the cache. A version conflict runs it all again on the newer state under the store's one retry policy.
 */
import { handleCommand } from '../../store/index.js';
import { decide, type TipsCommand } from '../domain/decider.js';
import type { TipsEvent } from '../domain/events.js';
import { evolve, initialState, type TipsState } from '../domain/state.js';
import { streamOf, type TipsContext } from './context.js';

/** What running a command needs: the store and the cache of folded states. */
export type CommandContext = Pick<TipsContext, 'store' | 'states'>;

export interface CommandResult {
  /** The state after the command's events. */
  state: TipsState;
  events: TipsEvent[];
}

/** Returns undefined when there is nothing to do on this state (the result is then the state as loaded). */
export type CommandOf = (state: TipsState) => Promise<TipsCommand | undefined> | TipsCommand | undefined;

export async function runCommand(context: CommandContext, userId: string, commandOf: CommandOf): Promise<CommandResult> {
  const decider = {
    initialState,
    evolve,
    async decide(_: undefined, state: TipsState): Promise<TipsEvent[]> {
      const command = await commandOf(state);
      return command === undefined ? [] : decide(command, state);
    },
  };
  const result = await handleCommand(context.store, streamOf(userId), decider, undefined, {
    loadSnapshot: async () => {
      const state = await context.states.load(userId);
      return { state, version: state.version };
    },
  });
  const events = result.newEvents.map((event) => ({ type: event.type, data: event.data }) as TipsEvent);
  const last = result.newEvents.at(-1);
  if (last) context.states.remember(userId, result.newState, events.length, last.position);
  return { state: result.newState, events };
}
