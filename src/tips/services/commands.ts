/**
 * Runs a tips command for one user: the cached folded state, the Decider's `decide`, an append at the state's version,
 * and the folded result kept in the cache. A version conflict (another tab or process appended first) runs it again on
 * the newer state under the store's one retry policy; the command is rebuilt from that state each time.
 */
import { VersionConflictError } from '../../store/index.js';
import { decide, type TipsCommand } from '../domain/decider.js';
import type { TipsEvent } from '../domain/events.js';
import type { TipsState } from '../domain/state.js';
import { streamOf, type TipsContext } from './context.js';

export interface CommandResult {
  /** The state after the command's events. */
  state: TipsState;
  events: TipsEvent[];
}

/** Returns undefined when there is nothing to do on this state (the result is then the state as loaded). */
export type CommandOf = (state: TipsState) => Promise<TipsCommand | undefined> | TipsCommand | undefined;

export async function runCommand(context: TipsContext, userId: string, commandOf: CommandOf): Promise<CommandResult> {
  return withConflictRetry(async () => {
    const state = await context.states.load(userId);
    const command = await commandOf(state);
    const events = command === undefined ? [] : decide(command, state);
    if (events.length === 0) return { state, events };
    const result = await context.store.append(streamOf(userId), state.version, events);
    return { state: context.states.remember(userId, state, events, result.lastPosition), events };
  });
}

// Replaced by the store's shared policy once it lands.
async function withConflictRetry<T>(attempt: () => Promise<T>): Promise<T> {
  for (let tries = 1; ; tries++) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof VersionConflictError) || tries >= 5) throw error;
    }
  }
}
