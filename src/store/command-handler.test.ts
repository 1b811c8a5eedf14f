import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Decider } from '../core/decider.js';
import { ValidationError } from '../core/errors.js';
import { type CommandDecider, conflictRetryPolicy, handleCommand, withConflictRetry } from './command-handler.js';
import type { StoreDatabase } from './database.js';
import { EventStore, VersionConflictError } from './event-store.js';
import { runMigrations } from './migrations.js';
import { storeMigrations } from './store-migrations.js';
import { resolveTestDialects } from './testing.js';

type Command = { type: 'deposit'; amount: number } | { type: 'withdraw'; amount: number };
type Event = { type: 'deposited'; data: { amount: number } } | { type: 'withdrawn'; data: { amount: number } };
type State = { balance: number };

const account: Decider<Command, Event, State> = {
  initialState: () => ({ balance: 0 }),
  decide(command, state) {
    if (command.amount === 0) return [];
    if (command.type === 'withdraw' && command.amount > state.balance) throw new ValidationError('insufficient funds');
    return [{ type: command.type === 'deposit' ? 'deposited' : 'withdrawn', data: { amount: command.amount } }];
  },
  evolve(state, event) {
    return { balance: state.balance + (event.type === 'deposited' ? event.data.amount : -event.data.amount) };
  },
};

describe('withConflictRetry', () => {
  it(`gives up after ${conflictRetryPolicy.attempts} conflicting attempts and rethrows the last conflict`, async () => {
    const attempts: number[] = [];
    const failing = withConflictRetry(async (attempt) => {
      attempts.push(attempt);
      throw new VersionConflictError('a-1', attempt, attempt + 1);
    });
    await expect(failing).rejects.toMatchObject({ expected: conflictRetryPolicy.attempts });
    expect(attempts).toEqual([1, 2, 3, 4, 5]);
  });

  it('rethrows any other error at once, and stops when the signal aborts', async () => {
    let calls = 0;
    await expect(
      withConflictRetry(async () => {
        calls++;
        throw new ValidationError('bad');
      }),
    ).rejects.toBeInstanceOf(ValidationError);
    expect(calls).toBe(1);

    const controller = new AbortController();
    const reason = new Error('shutting down');
    const aborted = withConflictRetry(
      async () => {
        throw new VersionConflictError('a-1', 0, 1);
      },
      { signal: controller.signal, onConflict: () => controller.abort(reason) },
    );
    await expect(aborted).rejects.toBe(reason);
  });
});

const dialects = await resolveTestDialects();

for (const dialect of dialects) {
  describe.skipIf(dialect.skip)(`handleCommand on ${dialect.name}`, () => {
    let database: StoreDatabase;
    let store: EventStore;

    beforeEach(async () => {
      database = await dialect.open();
      await runMigrations(database, storeMigrations);
      store = new EventStore(database);
    });

    afterEach(async () => {
      await store.close();
      await database.destroy();
    });

    it('given a stream, when a command is handled, then the decided events are appended at the read version', async () => {
      await handleCommand(store, 'account-1', account, { type: 'deposit', amount: 10 });
      const result = await handleCommand(store, 'account-1', account, { type: 'withdraw', amount: 4 }, { metadata: { by: 'test' } });
      expect(result.newState).toEqual({ balance: 6 });
      expect(result.nextExpectedVersion).toBe(2);
      expect(result.newEvents.map((event) => [event.version, event.type, event.data, event.metadata])).toEqual([
        [2, 'withdrawn', { amount: 4 }, { by: 'test' }],
      ]);
      expect((await store.readStream('account-1')).map((event) => event.type)).toEqual(['deposited', 'withdrawn']);
    });

    it('appends nothing when the decider decides nothing, and nothing when it throws', async () => {
      await handleCommand(store, 'account-2', account, { type: 'deposit', amount: 3 });
      const unchanged = await handleCommand(store, 'account-2', account, { type: 'deposit', amount: 0 });
      expect(unchanged).toEqual({ newEvents: [], newState: { balance: 3 }, nextExpectedVersion: 1 });
      await expect(handleCommand(store, 'account-2', account, { type: 'withdraw', amount: 5 })).rejects.toBeInstanceOf(ValidationError);
      expect(await store.streamVersion('account-2')).toBe(1);
    });

    it('given five concurrent writers on one stream, then every command lands once, each decided on the state it appended after', async () => {
      const writers = Array.from({ length: 5 }, (_, index) =>
        handleCommand(store, 'account-3', account, { type: 'deposit', amount: index + 1 }),
      );
      const results = await Promise.all(writers);
      expect(results.map((result) => result.nextExpectedVersion).sort()).toEqual([1, 2, 3, 4, 5]);
      const events = await store.readStream('account-3');
      expect(events).toHaveLength(5);
      const totals = events.map((_, index) =>
        events.slice(0, index + 1).reduce((sum, event) => sum + (event.data as { amount: number }).amount, 0),
      );
      for (const result of results) expect(result.newState.balance).toBe(totals[result.nextExpectedVersion - 1]);
      expect(totals[4]).toBe(15);
    });

    it('given an async decide that another writer overtakes, then it decides again on the new state', async () => {
      await handleCommand(store, 'account-4', account, { type: 'deposit', amount: 10 });
      const seen: number[] = [];
      const slow: CommandDecider<Command, Event, State> = {
        ...account,
        async decide(command, state) {
          seen.push(state.balance);
          if (seen.length === 1) await store.append('account-4', 1, [{ type: 'withdrawn', data: { amount: 8 } }]);
          return account.decide(command, state);
        },
      };
      await expect(handleCommand(store, 'account-4', slow, { type: 'withdraw', amount: 5 })).rejects.toBeInstanceOf(ValidationError);
      expect(seen).toEqual([10, 2]);
    });

    it('starts the fold from a snapshot and reads only the events after it', async () => {
      await handleCommand(store, 'account-5', account, { type: 'deposit', amount: 1 });
      await handleCommand(store, 'account-5', account, { type: 'deposit', amount: 2 });
      const result = await handleCommand(
        store,
        'account-5',
        account,
        { type: 'deposit', amount: 4 },
        { loadSnapshot: async () => ({ state: { balance: 100 }, version: 1 }) },
      );
      expect(result.newState).toEqual({ balance: 106 });
      expect(result.nextExpectedVersion).toBe(3);
    });
  });
}
