import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StoreDatabase } from '../../store/database.js';
import { EventStore } from '../../store/event-store.js';
import { storeMigrations } from '../../store/store-migrations.js';
import { resolveTestDialects } from '../../store/testing.js';
import { eventually } from '../conformance.js';
import { connectTestNats, natsSkipReason, uniqueNatsPrefix } from '../testing.js';
import { type OutboxMessage, OutboxRelay, type OutboxRelayOptions, outboxStreamName, outboxSubject } from './outbox-relay.js';

const dialects = await resolveTestDialects();
const natsSkip = await natsSkipReason();

interface Mirrored {
  subject: string;
  msgId: string | undefined;
  body: OutboxMessage;
}

describe('outbox subjects', () => {
  it('given stream ids, when naming subjects, then the category before the first dash is the last token', () => {
    expect(outboxSubject('koivulahti', 'chat-1-2')).toBe('koivulahti.events.chat');
    expect(outboxSubject('koivulahti', 'world')).toBe('koivulahti.events.world');
    expect(outboxSubject('k', 'a.b *>-1')).toBe('k.events.a_b___');
    expect(outboxSubject('k', '-x')).toBe('k.events._');
    expect(outboxStreamName('koivulahti')).toBe('KOIVULAHTI_EVENTS');
  });

  it('given an invalid prefix, when constructing a relay, then it is rejected', () => {
    const store = { database: { db: {} } } as unknown as EventStore;
    expect(() => new OutboxRelay({ store, nats: 'nats://127.0.0.1:4222', prefix: 'a.b' })).toThrow(/invalid outbox prefix/);
  });
});

for (const dialect of dialects) {
  describe.skipIf(natsSkip !== undefined || dialect.skip !== undefined)(`outbox relay on NATS with ${dialect.name}`, () => {
    let database: StoreDatabase;
    let store: EventStore;
    let connection: NatsConnection;
    let prefix: string;
    let relays: OutboxRelay[];

    const openRelay = (options: Partial<OutboxRelayOptions> = {}) => {
      const relay = new OutboxRelay({ store, nats: connection, prefix, storage: 'memory', ...options });
      relays.push(relay);
      return relay;
    };

    const streamCount = async () => (await (await jetstreamManager(connection)).streams.info(outboxStreamName(prefix))).state.messages;

    /** Everything in the stream, in stream order, read with an ordered JetStream consumer. */
    const readBack = async (): Promise<Mirrored[]> => {
      const count = await streamCount();
      if (count === 0) return [];
      const consumer = await jetstream(connection).consumers.get(outboxStreamName(prefix));
      const mirrored: Mirrored[] = [];
      const messages = await consumer.fetch({ max_messages: count, expires: 5_000 });
      for await (const message of messages) {
        mirrored.push({ subject: message.subject, msgId: message.headers?.get('Nats-Msg-Id'), body: message.json<OutboxMessage>() });
        if (mirrored.length === count) break;
      }
      return mirrored;
    };

    const appendAcrossCategories = async () => {
      await store.append('chat-1', 'no-stream', [
        { type: 'turn-added', data: { text: 'hei' } },
        { type: 'turn-added', data: { text: 'moi' }, metadata: { causation: 'test' } },
      ]);
      await store.append('world-a', 'no-stream', [{ type: 'world-created', data: { name: 'Koivulahti' } }]);
      await store.append('tips', 'no-stream', [{ type: 'tip-added', data: null }]);
      await store.append('chat-2', 'no-stream', [{ type: 'chat-started', data: {} }]);
      return store.readAll();
    };

    beforeEach(async () => {
      database = await dialect.open();
      // Applied directly, not through the Migrator, which confuses parallel PostgreSQL schemas.
      for (const migration of storeMigrations) await migration.up(database.db, database.adapter);
      store = new EventStore(database);
      connection = await connectTestNats();
      prefix = uniqueNatsPrefix();
      relays = [];
    });

    afterEach(async () => {
      await Promise.all(relays.map((relay) => relay.close()));
      const manager = await jetstreamManager(connection);
      await manager.streams.delete(outboxStreamName(prefix)).catch(() => undefined);
      await connection.close();
      await store.close();
      await database.destroy();
    });

    it('given appends across categories, when running once, then every event is published in position order to its category subject', async () => {
      const events = await appendAcrossCategories();
      const relay = openRelay({ batchSize: 2 });

      expect(await relay.runOnce()).toBe(5);

      const mirrored = await readBack();
      expect(mirrored.map((message) => message.body)).toEqual(events);
      expect(mirrored.map((message) => message.body.position)).toEqual([1, 2, 3, 4, 5]);
      expect(mirrored.map((message) => message.msgId)).toEqual(['1', '2', '3', '4', '5']);
      expect(mirrored.map((message) => message.subject)).toEqual([
        `${prefix}.events.chat`,
        `${prefix}.events.chat`,
        `${prefix}.events.world`,
        `${prefix}.events.tips`,
        `${prefix}.events.chat`,
      ]);
      expect(await relay.checkpoint()).toBe(5);
    });

    it('given a relay that has caught up, when running once again, then nothing is published', async () => {
      await appendAcrossCategories();
      const relay = openRelay();
      await relay.runOnce();

      expect(await relay.runOnce()).toBe(0);
      expect(await streamCount()).toBe(5);

      await store.append('chat-1', 2, [{ type: 'turn-added', data: { text: 'uusi' } }]);
      expect(await relay.runOnce()).toBe(1);
      expect((await readBack()).map((message) => message.body.position)).toEqual([1, 2, 3, 4, 5, 6]);
    });

    it('given a crash after publishing but before the checkpoint, when a new relay runs, then the stream holds each event once', async () => {
      const events = await appendAcrossCategories();
      const crashing = openRelay({
        batchSize: 3,
        beforeCheckpoint: () => {
          throw new Error('simulated crash');
        },
      });

      await expect(crashing.runOnce()).rejects.toThrow('simulated crash');
      expect(await crashing.checkpoint()).toBe(0);
      expect(await streamCount()).toBe(3);

      const restarted = openRelay({ batchSize: 3 });
      expect(await restarted.runOnce()).toBe(5);

      const mirrored = await readBack();
      expect(mirrored.map((message) => message.body)).toEqual(events);
      expect(await restarted.checkpoint()).toBe(5);
    });

    it('given a running relay, when events are appended, then it tails them live and advances the checkpoint', async () => {
      await store.append('world-a', 'no-stream', [{ type: 'world-created', data: {} }]);
      const relay = openRelay();
      const controller = new AbortController();
      const running = relay.run(controller.signal);
      try {
        await eventually(async () => (await relay.checkpoint()) === 1, 'the backlog to be relayed');
        await store.append('chat-7', 'no-stream', [{ type: 'turn-added', data: { text: 'live' } }]);
        await store.append('world-a', 1, [{ type: 'tick', data: { n: 1 } }]);
        await eventually(async () => (await relay.checkpoint()) === 3, 'the live appends to be relayed');
      } finally {
        controller.abort();
        await running;
      }

      const mirrored = await readBack();
      expect(mirrored.map((message) => [message.body.position, message.subject, message.body.type])).toEqual([
        [1, `${prefix}.events.world`, 'world-created'],
        [2, `${prefix}.events.chat`, 'turn-added'],
        [3, `${prefix}.events.world`, 'tick'],
      ]);
    });
  });
}
