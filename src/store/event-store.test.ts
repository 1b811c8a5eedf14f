import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../core/clock.js';
import { Metrics } from '../core/metrics.js';
import { sleep } from '../core/sleep.js';
import type { StoreDatabase } from './database.js';
import { EventStore, type RecordedEvent, VersionConflictError } from './event-store.js';
import { runMigrations } from './migrations.js';
import { ProjectionRunner } from './projections.js';
import { SnapshotStore } from './snapshots.js';
import { storeMigrations } from './store-migrations.js';
import { resolveTestDialects } from './testing.js';

const dialects = await resolveTestDialects();

for (const dialect of dialects) {
  describe.skipIf(dialect.skip)(`event store on ${dialect.name}`, () => {
    let database: StoreDatabase;
    let store: EventStore;
    const clock = new ManualClock(1_700_000_000_000);

    beforeEach(async () => {
      database = await dialect.open();
      await runMigrations(database, storeMigrations);
      store = new EventStore(database, { clock });
    });

    afterEach(async () => {
      await store.close();
      await database.destroy();
    });

    it('given an empty stream, when appending with no-stream, then versions start at 1 and positions increase', async () => {
      const result = await store.append('counter-a', 'no-stream', [
        { type: 'incremented', data: { by: 1 } },
        { type: 'incremented', data: { by: 2 }, metadata: { causation: 'test' } },
      ]);
      expect(result.nextExpectedVersion).toBe(2);
      const events = await store.readStream('counter-a');
      expect(events.map((event) => [event.version, event.type, event.data])).toEqual([
        [1, 'incremented', { by: 1 }],
        [2, 'incremented', { by: 2 }],
      ]);
      expect(events[1]?.metadata).toEqual({ causation: 'test' });
      expect(events[0]?.recordedAt).toBe(1_700_000_000_000);
      expect(events[1]?.position).toBeGreaterThan(events[0]?.position ?? Number.POSITIVE_INFINITY);
      expect(result.lastPosition).toBe(events[1]?.position);
    });

    it('given one append of more events than a statement can bind, then all are stored in order', async () => {
      // 12,000 rows x 6 values is over SQLite's 32,766 and PostgreSQL's 65,535 bound values per statement.
      const events = Array.from({ length: 12_000 }, (_, index) => ({ type: 'ticked', data: { index } }));
      const result = await store.append('big-a', 'no-stream', events);
      expect(result.nextExpectedVersion).toBe(12_000);
      const stored = await store.readStream('big-a');
      expect(stored.map((event) => (event.data as { index: number }).index)).toEqual(events.map((_, index) => index));
      expect(stored.map((event) => event.version)).toEqual(events.map((_, index) => index + 1));
      expect(stored.every((event, index) => index === 0 || event.position > (stored[index - 1]?.position ?? 0))).toBe(true);
      expect(result.events.map((event) => event.position)).toEqual(stored.map((event) => event.position));
    });

    it('given a stream at version 2, when appending with expected version 1, then the whole batch is rejected', async () => {
      await store.append('counter-a', 'no-stream', [
        { type: 'incremented', data: { by: 1 } },
        { type: 'incremented', data: { by: 1 } },
      ]);
      const attempt = store.append('counter-a', 1, [
        { type: 'incremented', data: { by: 5 } },
        { type: 'reset', data: {} },
      ]);
      await expect(attempt).rejects.toBeInstanceOf(VersionConflictError);
      await expect(attempt).rejects.toMatchObject({ code: 'version_conflict', streamId: 'counter-a', expected: 1, actual: 2 });
      expect(await store.readStream('counter-a')).toHaveLength(2);
      expect(await store.readAll()).toHaveLength(2);
    });

    it('round-trips every JSON value kind as event data, including a bare string', async () => {
      const values = ['hello', 42, true, null, [1, 'two'], { nested: { list: [] } }];
      await store.append(
        'values-1',
        'no-stream',
        values.map((data) => ({ type: 'value', data })),
      );
      expect((await store.readStream('values-1')).map((event) => event.data)).toEqual(values);
      const snapshots = new SnapshotStore(database, { clock });
      await snapshots.save('values-1', 6, 'just a string');
      expect((await snapshots.loadLatest('values-1'))?.state).toBe('just a string');
    });

    it('checks the looser expectations', async () => {
      await expect(store.append('counter-b', 'stream-exists', [{ type: 'reset', data: {} }])).rejects.toBeInstanceOf(VersionConflictError);
      await store.append('counter-b', 'any', [{ type: 'reset', data: {} }]);
      await expect(store.append('counter-b', 'no-stream', [{ type: 'reset', data: {} }])).rejects.toBeInstanceOf(VersionConflictError);
      await store.append('counter-b', 'stream-exists', [{ type: 'reset', data: {} }]);
      expect(await store.streamVersion('counter-b')).toBe(2);
    });

    it('given metrics, when appends commit or are rejected, then only committed events are counted, per stream category', async () => {
      const metrics = new Metrics({ defaultMetrics: false });
      const counted = new EventStore(database, { clock, metrics });
      const appendedByCategory = async () =>
        Object.fromEntries((await metrics.eventsAppended.get()).values.map((sample) => [sample.labels.category, sample.value]));

      await counted.append('chat-1', 'no-stream', [
        { type: 'user_turn', data: {} },
        { type: 'bot_turn', data: {} },
      ]);
      await counted.append('world-koivulahti-2', 'no-stream', [{ type: 'tick', data: {} }]);
      await counted.append('chat-2', 'no-stream', [{ type: 'user_turn', data: {} }]);
      await counted.append('chat-3', 'any', []);
      expect(await appendedByCategory()).toEqual({ chat: 3, world: 1 });

      await expect(counted.append('chat-1', 1, [{ type: 'user_turn', data: {} }])).rejects.toBeInstanceOf(VersionConflictError);
      await expect(counted.append('world-koivulahti-2', 'no-stream', [{ type: 'tick', data: {} }])).rejects.toBeInstanceOf(
        VersionConflictError,
      );
      expect(await appendedByCategory()).toEqual({ chat: 3, world: 1 });
      await counted.close();
    });

    it('given racing appenders on one stream with the same expected version, then exactly one wins', async () => {
      await store.append('counter-race', 'no-stream', [{ type: 'reset', data: {} }]);
      const outcomes = await Promise.allSettled(
        Array.from({ length: 8 }, (_, index) => store.append('counter-race', 1, [{ type: 'incremented', data: { by: index } }])),
      );
      expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
      for (const outcome of outcomes) if (outcome.status === 'rejected') expect(outcome.reason).toBeInstanceOf(VersionConflictError);
      expect(await store.readStream('counter-race')).toHaveLength(2);
    });

    it('reads all events in global order, after a position, filtered by category, stream and type', async () => {
      await store.append('chat-1', 'no-stream', [{ type: 'user_turn', data: { text: 'moi' } }]);
      await store.append('world-1', 'no-stream', [{ type: 'tick', data: {} }]);
      await store.append('chat-2', 'no-stream', [{ type: 'user_turn', data: { text: 'hei' } }]);
      await store.append('chatter-1', 'no-stream', [{ type: 'user_turn', data: {} }]);
      const all = await store.readAll();
      expect(all.map((event) => event.streamId)).toEqual(['chat-1', 'world-1', 'chat-2', 'chatter-1']);
      const afterFirst = await store.readAll({ after: all[0]?.position ?? 0 });
      expect(afterFirst.map((event) => event.streamId)).toEqual(['world-1', 'chat-2', 'chatter-1']);
      expect((await store.readAll({ filter: { categories: ['chat'] } })).map((event) => event.streamId)).toEqual(['chat-1', 'chat-2']);
      expect((await store.readAll({ filter: { streamIds: ['world-1'] } })).map((event) => event.type)).toEqual(['tick']);
      expect((await store.readAll({ filter: { types: ['tick'], categories: ['chat'] } })).length).toBe(0);
      expect(await store.readAll({ limit: 2 })).toHaveLength(2);
      expect(await store.headPosition()).toBe(all[3]?.position);
    });

    it('given an inline projection that fails, then the append writes nothing', async () => {
      await database.db.schema
        .createTable('counter_totals')
        .addColumn('stream_id', 'text', (column) => column.primaryKey())
        .addColumn('total', 'integer')
        .execute();
      store.addInlineProjection({
        name: 'counter-totals',
        handles: ['incremented'],
        async apply(transaction, events) {
          for (const event of events) {
            const by = (event.data as { by: number }).by;
            if (by < 0) throw new Error('negative increments are not allowed');
            await transaction
              .insertInto('counter_totals')
              .values({ stream_id: event.streamId, total: by })
              .onConflict((conflict) =>
                conflict.column('stream_id').doUpdateSet((update) => ({ total: update('counter_totals.total', '+', by) })),
              )
              .execute();
          }
        },
      });
      await store.append('counter-p', 'no-stream', [
        { type: 'incremented', data: { by: 2 } },
        { type: 'reset', data: {} },
        { type: 'incremented', data: { by: 3 } },
      ]);
      await expect(store.append('counter-p', 3, [{ type: 'incremented', data: { by: -1 } }])).rejects.toThrow('negative');
      const total = await database.db.selectFrom('counter_totals').select('total').where('stream_id', '=', 'counter-p').executeTakeFirst();
      expect(total?.total).toBe(5);
      expect(await store.streamVersion('counter-p')).toBe(3);
    });

    it('given an async projection, when it catches up in batches and restarts, then every event is applied once', async () => {
      for (let index = 0; index < 7; index++)
        await store.append(`counter-${index % 3}`, 'any', [{ type: 'incremented', data: { by: index } }]);
      const seen: number[] = [];
      const projection = {
        name: 'sum',
        apply: async (_transaction: unknown, events: readonly RecordedEvent[]) => void seen.push(...events.map((event) => event.position)),
      };
      const runner = new ProjectionRunner(store, projection, { batchSize: 3 });
      expect(await runner.catchUp()).toBe(7);
      await store.append('counter-9', 'any', [{ type: 'incremented', data: { by: 9 } }]);
      const restarted = new ProjectionRunner(store, projection, { batchSize: 3 });
      expect(await restarted.catchUp()).toBe(1);
      expect(seen).toEqual((await store.readAll()).map((event) => event.position));
      expect(await restarted.checkpoint()).toBe(await store.headPosition());
    });

    it('given a projection that throws, then its checkpoint does not move', async () => {
      await store.append('counter-x', 'any', [{ type: 'incremented', data: { by: 1 } }]);
      const failing = new ProjectionRunner(store, {
        name: 'failing',
        apply: async () => {
          throw new Error('boom');
        },
      });
      await expect(failing.catchUp()).rejects.toThrow('boom');
      expect(await failing.checkpoint()).toBe(0);
    });

    it('subscribes from a position: first the backlog, then live appends, resumable from any position', async () => {
      await store.append('chat-1', 'any', [{ type: 'user_turn', data: { n: 1 } }]);
      await store.append('world-1', 'any', [{ type: 'tick', data: {} }]);
      const controller = new AbortController();
      const received: RecordedEvent[] = [];
      const consuming = (async () => {
        for await (const event of store.subscribe({ filter: { categories: ['chat'] }, signal: controller.signal, pollMs: 5_000 })) {
          received.push(event);
          if (received.length === 3) controller.abort();
        }
      })();
      await store.append('chat-1', 'any', [{ type: 'user_turn', data: { n: 2 } }]);
      await store.append('world-1', 'any', [{ type: 'tick', data: {} }]);
      await store.append('chat-2', 'any', [{ type: 'user_turn', data: { n: 3 } }]);
      await consuming;
      expect(received.map((event) => (event.data as { n: number }).n)).toEqual([1, 2, 3]);

      const resumed: number[] = [];
      const resume = new AbortController();
      for await (const event of store.subscribe({
        after: received[1]?.position ?? 0,
        filter: { categories: ['chat'] },
        signal: resume.signal,
      })) {
        resumed.push((event.data as { n: number }).n);
        resume.abort();
      }
      expect(resumed).toEqual([3]);
    });

    it('saves snapshots and loads the latest, by schema version, and prunes old ones', async () => {
      const snapshots = new SnapshotStore(database, { clock });
      expect(await snapshots.loadLatest('world-1')).toBeUndefined();
      await snapshots.save('world-1', 10, { tick: 10 });
      await snapshots.save('world-1', 20, { tick: 20, rng: [1, 2, 3, 4] });
      await snapshots.save('world-1', 30, { shape: 'new' }, 2);
      await snapshots.save('world-2', 99, { tick: 99 });
      expect(await snapshots.loadLatest('world-1')).toMatchObject({ version: 30, schemaVersion: 2 });
      expect(await snapshots.loadLatest('world-1', { schemaVersion: 1 })).toMatchObject({
        version: 20,
        state: { tick: 20, rng: [1, 2, 3, 4] },
      });
      expect(await snapshots.loadLatest('world-1', { atOrBefore: 15 })).toMatchObject({ version: 10 });
      expect(await snapshots.prune('world-1', 2)).toBe(1);
      expect(await snapshots.loadLatest('world-1', { atOrBefore: 15 })).toBeUndefined();
      expect(await snapshots.loadLatest('world-2')).toMatchObject({ version: 99 });
    });

    it('given concurrent appenders whose transactions commit slowly, then a live reader skips no position', async () => {
      // An inline projection that sleeps holds each append's transaction open after its position was taken,
      // which is exactly when a later position could otherwise commit first and be read too early.
      store.addInlineProjection({
        name: 'slow-commit',
        apply: async (_transaction, events) => {
          await sleep((events[0]?.data as { delay?: number } | undefined)?.delay ?? 0);
        },
      });
      const writers = 6;
      const perWriter = 8;
      const total = writers * perWriter;
      const controller = new AbortController();
      const seen: number[] = [];
      const reading = (async () => {
        for await (const event of store.subscribe({ signal: controller.signal, pollMs: 20, batchSize: 7 })) {
          seen.push(event.position);
          if (seen.length === total) controller.abort();
        }
      })();
      await Promise.all(
        Array.from({ length: writers }, async (_, writer) => {
          for (let index = 0; index < perWriter; index++) {
            await store.append(`load-${writer}`, 'any', [{ type: 'written', data: { delay: (writer * 7 + index * 3) % 11 } }]);
          }
        }),
      );
      const timeout = setTimeout(() => controller.abort(), 10_000);
      await reading;
      clearTimeout(timeout);
      const committed = (await store.readAll({ limit: 10_000 })).map((event) => event.position);
      expect(committed).toHaveLength(total);
      expect(seen).toEqual(committed);
    });
  });
}
