import { describe, expect, it } from 'vitest';
import { type Decider, fold } from './decider.js';
import { given } from './testing/decider-spec.js';

type CounterCommand = { type: 'increment'; by: number } | { type: 'reset' };
type CounterEvent = { type: 'incremented'; data: { by: number } } | { type: 'reset'; data: Record<string, never> };
type CounterState = { total: number; changes: number };

class CounterRuleError extends Error {
  constructor(readonly rule: string) {
    super(rule);
  }
}

const counter: Decider<CounterCommand, CounterEvent, CounterState> = {
  initialState: () => ({ total: 0, changes: 0 }),
  decide(command, state) {
    if (command.type === 'reset') return state.total === 0 ? [] : [{ type: 'reset', data: {} }];
    if (command.by <= 0) throw new CounterRuleError('increment must be positive');
    return [{ type: 'incremented', data: { by: command.by } }];
  },
  evolve(state, event) {
    if (event.type === 'reset') return { total: 0, changes: state.changes + 1 };
    return { total: state.total + event.data.by, changes: state.changes + 1 };
  },
};

const incremented = (by: number): CounterEvent => ({ type: 'incremented', data: { by } });

describe('decider', () => {
  it('folds events from the initial state, or from a given state', () => {
    expect(fold(counter, [incremented(2), incremented(3)])).toEqual({ total: 5, changes: 2 });
    expect(fold(counter, [{ type: 'reset', data: {} }], { total: 9, changes: 4 })).toEqual({ total: 0, changes: 5 });
    expect(fold(counter, [])).toEqual({ total: 0, changes: 0 });
  });
});

describe('decider spec helper', () => {
  it('passes when the decided events match, and fails when they differ', () => {
    given(counter, [incremented(1)])
      .when({ type: 'increment', by: 2 })
      .then([incremented(2)]);
    expect(() =>
      given(counter)
        .when({ type: 'increment', by: 2 })
        .then([incremented(3)]),
    ).toThrow();
  });

  it('checks no events and the resulting state', () => {
    given(counter).when({ type: 'reset' }).thenNothing();
    given(counter, [incremented(4)])
      .when({ type: 'increment', by: 1 })
      .thenState({ total: 5, changes: 2 });
    expect(() =>
      given(counter, [incremented(4)])
        .when({ type: 'reset' })
        .thenNothing(),
    ).toThrow();
  });

  it('checks the thrown error by class or predicate, and fails when nothing is thrown', () => {
    given(counter).when({ type: 'increment', by: 0 }).thenThrows(CounterRuleError);
    given(counter)
      .when({ type: 'increment', by: -1 })
      .thenThrows((error) => error instanceof CounterRuleError && error.rule.includes('positive'));
    expect(() => given(counter).when({ type: 'increment', by: 1 }).thenThrows(CounterRuleError)).toThrow(/expected decide to throw/);
    expect(() => given(counter).when({ type: 'increment', by: 0 }).thenThrows(RangeError)).toThrow();
    expect(() =>
      given(counter)
        .when({ type: 'increment', by: 0 })
        .thenThrows(() => false),
    ).toThrow(/did not match/);
  });
});
