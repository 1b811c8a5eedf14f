import type { NatsConnection } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import { runMigrations } from '../store/migrations.js';
import { resolveTestDialects } from '../store/testing.js';
import {
  describeEventBusConformance,
  describeJobQueueConformance,
  describeKvStoreConformance,
  eventually,
  type Harness,
} from './conformance.js';
import { createMessaging, MessagingUnavailableError, messagingMigrations } from './index.js';
import { MemoryEventBus } from './memory/memory-event-bus.js';
import { topicMatches } from './names.js';
import { NatsEventBus } from './nats/nats-event-bus.js';
import { NatsJobQueue } from './nats/nats-job-queue.js';
import { encodeKey, NatsKvStore } from './nats/nats-kv-store.js';
import { retryDelay } from './queue-settings.js';
import { SqlJobQueue } from './sql/sql-job-queue.js';
import { SqlKvStore } from './sql/sql-kv-store.js';
import { connectTestNats, natsSkipReason, removeNatsPrefix, testNatsUrl, uniqueNatsPrefix } from './testing.js';

const dialects = await resolveTestDialects();
const natsSkip = await natsSkipReason();

for (const dialect of dialects) {
  // The migrations are applied directly rather than through Kysely's Migrator: on PostgreSQL the Migrator looks for
  // its bookkeeping tables in every schema, so parallel test files in separate schemas confuse each other.
  const openDatabase = async () => {
    const database = await dialect.open();
    try {
      for (const migration of messagingMigrations) await migration.up(database.db, database.adapter);
    } catch (error) {
      await database.destroy();
      throw error;
    }
    return database;
  };

  describeJobQueueConformance(
    `sql on ${dialect.name}`,
    async (settings) => {
      const database = await openDatabase();
      const open = () => new SqlJobQueue(database, { ...settings, pollIntervalMs: 20 });
      const queues = [open()];
      return {
        port: queues[0] as SqlJobQueue,
        async openPeer() {
          const peer = open();
          queues.push(peer);
          return peer;
        },
        async dispose() {
          await Promise.all(queues.map((queue) => queue.close()));
          await database.destroy();
        },
      };
    },
    { skip: dialect.skip },
  );

  describeKvStoreConformance(
    `sql on ${dialect.name}`,
    async () => {
      const database = await openDatabase();
      const kv = new SqlKvStore(database);
      return {
        port: kv,
        async dispose() {
          await kv.close();
          await database.destroy();
        },
      };
    },
    { skip: dialect.skip },
  );
}

describeEventBusConformance('memory', async () => {
  const bus = new MemoryEventBus();
  return { port: bus, dispose: () => bus.close() };
});

/** A NATS harness on its own connection and prefix; disposing removes the prefix's streams and buckets. */
async function natsHarness<Port extends { close(): Promise<void> }>(
  create: (connection: NatsConnection, prefix: string) => Port,
): Promise<Harness<Port> & { prefix: string }> {
  const connection = await connectTestNats();
  const prefix = uniqueNatsPrefix();
  const port = create(connection, prefix);
  return {
    port,
    prefix,
    async dispose() {
      await port.close();
      await removeNatsPrefix(connection, prefix);
      await connection.close();
    },
  };
}

describeJobQueueConformance(
  'nats',
  async (settings) => {
    const create = (connection: NatsConnection, prefix: string) => new NatsJobQueue(connection, { ...settings, prefix, storage: 'memory' });
    const harness = await natsHarness(create);
    const peers: Harness<NatsJobQueue>[] = [];
    return {
      port: harness.port,
      async openPeer() {
        // A second connection, as a second process would have.
        const connection = await connectTestNats();
        const peer = create(connection, harness.prefix);
        peers.push({ port: peer, dispose: () => peer.close().then(() => connection.close()) });
        return peer;
      },
      async dispose() {
        await Promise.all(peers.map((peer) => peer.dispose()));
        await harness.dispose();
      },
    };
  },
  {
    skip: natsSkip,
    crossInstanceStaleLease:
      'nats-server 2.9 accepts an ack from an older delivery, and a redelivery to another instance is invisible to this one (see nats-job-queue.ts)',
  },
);

describeEventBusConformance('nats', () => natsHarness((connection, prefix) => new NatsEventBus(connection, { prefix })), {
  skip: natsSkip,
});

describeKvStoreConformance('nats', () => natsHarness((connection, prefix) => new NatsKvStore(connection, { prefix, storage: 'memory' })), {
  skip: natsSkip,
});

describe('topic matching', () => {
  it('given NATS-style patterns, when matching topics, then * is one word and a final > is one or more', () => {
    expect(topicMatches('chat.42.tokens', 'chat.42.tokens')).toBe(true);
    expect(topicMatches('chat.*.tokens', 'chat.42.tokens')).toBe(true);
    expect(topicMatches('chat.*', 'chat.42.tokens')).toBe(false);
    expect(topicMatches('chat.>', 'chat.42.tokens')).toBe(true);
    expect(topicMatches('chat.>', 'chat')).toBe(false);
    expect(topicMatches('>', 'chat')).toBe(true);
    expect(topicMatches('chat.42', 'chat.42.tokens')).toBe(false);
    expect(topicMatches('chat.42.tokens', 'chat.42')).toBe(false);
  });
});

describe('retry delay', () => {
  it('given attempts, when computing the backoff, then it doubles from the base up to the max with half of it jittered', () => {
    const settings = { backoffBaseMs: 1_000, backoffMaxMs: 10_000 };
    expect(retryDelay(1, { ...settings, random: () => 0 })).toBe(500);
    expect(retryDelay(1, { ...settings, random: () => 0.999_999 })).toBe(1_000);
    expect(retryDelay(3, { ...settings, random: () => 0 })).toBe(2_000);
    expect(retryDelay(10, { ...settings, random: () => 0 })).toBe(5_000);
    expect(retryDelay(10, { ...settings, random: () => 0.999_999 })).toBe(10_000);
  });
});

describe('nats kv key encoding', () => {
  it('given keys, when encoded, then valid NATS keys stay as they are and others become distinct base64url keys', () => {
    expect(encodeKey('run.flag')).toBe('run.flag');
    expect(encodeKey('llm-cache/3f2a=')).toBe('llm-cache/3f2a=');
    expect(encodeKey('a b')).toBe(`=${Buffer.from('a b').toString('base64url')}`);
    expect(encodeKey('.hidden')).not.toBe('.hidden');
    expect(encodeKey('a..b')).not.toBe('a..b');
    expect(encodeKey('=YQ')).not.toBe(encodeKey('a'));
    expect(encodeKey('=YQ')).not.toBe('=YQ');
  });
});

describe('createMessaging', () => {
  it('given no NATS url, when created, then the embedded adapters run on the store database', async () => {
    const dialect = dialects.find((candidate) => candidate.name === 'sqlite');
    if (!dialect) throw new Error('sqlite dialect missing');
    const database = await dialect.open();
    await runMigrations(database, messagingMigrations);
    const messaging = await createMessaging({ database, queue: { maxAttempts: 2 } });
    try {
      expect(messaging.kind).toBe('memory');
      await messaging.queue.enqueue('render', { n: 1 });
      expect(await messaging.queue.lease('render')).toMatchObject([{ payload: { n: 1 }, maxAttempts: 2 }]);
      expect(await messaging.kv.put('k', 1)).toBe(1);
    } finally {
      await messaging.close();
      await database.destroy();
    }
  });

  it.skipIf(natsSkip)('given a NATS url, when created, then the NATS adapters are used', async () => {
    const dialect = dialects.find((candidate) => candidate.name === 'sqlite');
    if (!dialect) throw new Error('sqlite dialect missing');
    const database = await dialect.open();
    const prefix = uniqueNatsPrefix();
    const messaging = await createMessaging({ database, natsUrl: testNatsUrl, natsPrefix: prefix });
    const cleanup = await connectTestNats();
    try {
      expect(messaging.kind).toBe('nats');
      const received: unknown[] = [];
      await messaging.bus.subscribe('ping', (message) => received.push(message));
      await messaging.bus.publish('ping', { n: 1 });
      await messaging.queue.enqueue('render', { n: 2 });
      expect(await messaging.queue.lease('render')).toMatchObject([{ payload: { n: 2 } }]);
      expect(await messaging.kv.put('k', 1)).toBeGreaterThan(0);
      await eventually(() => received.length > 0, 'the bus message');
      expect(received).toEqual([{ n: 1 }]);
    } finally {
      await messaging.close();
      await removeNatsPrefix(cleanup, prefix);
      await cleanup.close();
      await database.destroy();
    }
  });

  it('given an unreachable NATS url, when created, then a MessagingUnavailableError names the server', async () => {
    const dialect = dialects.find((candidate) => candidate.name === 'sqlite');
    if (!dialect) throw new Error('sqlite dialect missing');
    const database = await dialect.open();
    try {
      const attempt = createMessaging({ database, natsUrl: 'nats://user:secret@127.0.0.1:1' });
      await expect(attempt).rejects.toBeInstanceOf(MessagingUnavailableError);
      await expect(attempt).rejects.toMatchObject({ code: 'store_unavailable', message: expect.stringContaining('127.0.0.1:1') });
      await expect(attempt).rejects.not.toMatchObject({ message: expect.stringContaining('secret') });
    } finally {
      await database.destroy();
    }
  });
});
