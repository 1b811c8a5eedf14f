/**
 * Given/when/then specs for deciders:
 *
 *   given(counter, [{ type: 'incremented', data: { by: 1 } }])
 *     .when({ type: 'increment', by: 2 })
 *     .then([{ type: 'incremented', data: { by: 2 } }]);
 *
 *   given(counter, []).when({ type: 'increment', by: -1 }).thenThrows(CounterRuleError);
 *
 * Each outcome is checked with vitest's `expect`, so it counts as the test's assertion.
 */
import { expect } from 'vitest';
import { type Decider, fold } from '../decider.js';

// biome-ignore lint/suspicious/noExplicitAny: any error class, whatever its constructor takes
type ErrorClass = abstract new (...args: any[]) => Error;
type ErrorCheck = ErrorClass | ((error: unknown) => boolean);

export interface DeciderWhen<Event, State> {
  /** The command produced exactly these events (in order, compared deeply). Not a thenable: do not await it. */
  then(expected: readonly Event[]): void;
  /** The command produced no event. */
  thenNothing(): void;
  /** The state after the given events and the produced ones equals `expected`. */
  thenState(expected: State): void;
  /** `decide` threw an instance of the class, or an error the predicate accepts. */
  thenThrows(check: ErrorCheck): void;
}

export interface DeciderGiven<Command, Event, State> {
  when(command: Command): DeciderWhen<Event, State>;
}

export function given<Command, Event, State>(
  decider: Decider<Command, Event, State>,
  events: readonly Event[] = [],
): DeciderGiven<Command, Event, State> {
  return {
    when(command) {
      const state = fold(decider, events);
      const run = () => decider.decide(command, state);
      return {
        // biome-ignore lint/suspicious/noThenProperty: the given/when/then vocabulary; the result is never awaited
        then(expected) {
          expect(run()).toEqual(expected);
        },
        thenNothing() {
          expect(run()).toEqual([]);
        },
        thenState(expected) {
          expect(fold(decider, run(), state)).toEqual(expected);
        },
        thenThrows(check) {
          let thrown: { error: unknown } | undefined;
          let produced: Event[] | undefined;
          try {
            produced = run();
          } catch (error) {
            thrown = { error };
          }
          expect(thrown, `expected decide to throw, it produced ${JSON.stringify(produced)}`).toBeDefined();
          const error = thrown?.error;
          if (isErrorClass(check)) expect(error).toBeInstanceOf(check);
          else expect(check(error), `the thrown error did not match: ${String(error)}`).toBe(true);
        },
      };
    },
  };
}

function isErrorClass(check: ErrorCheck): check is ErrorClass {
  return typeof check === 'function' && (check === Error || check.prototype instanceof Error);
}
