/**
 * A link to NATS that is cut and comes back: the connection runs through a TCP proxy the test controls. While the
 * link is down `check()` rejects with the reason (readiness says not ready); once it is back the same connection
 * reconnects by itself and the bus, the queue and the kv store work again without a restart.
 */
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, runMigrations, type StoreDatabase } from '../../store/index.js';
import { createMessaging, messagingMigrations } from '../index.js';
import type { Messaging } from '../ports.js';
import { connectTestNats, natsSkipReason, removeNatsPrefix, testNatsUrl, uniqueNatsPrefix } from '../testing.js';

/** Forwards every connection to NATS; `cut()` drops them all and hangs up on new ones (counted) until `restore()`. */
class CuttableProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private down = false;
  port = 0;
  /** Connections refused while the link was cut: the client's reconnect attempts. */
  refused = 0;

  constructor(private readonly target: URL) {}

  async start(): Promise<void> {
    this.server = createServer((client) => {
      if (this.down) {
        this.refused++;
        client.destroy();
        return;
      }
      const upstream = tcpConnect(Number(this.target.port || 4222), this.target.hostname);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => this.server?.listen(this.port, '127.0.0.1', resolve));
    const address = this.server.address();
    this.port = typeof address === 'object' && address ? address.port : 0;
  }

  cut(): void {
    this.down = true;
    for (const socket of this.sockets) socket.destroy();
  }

  restore(): void {
    this.down = false;
  }

  async stop(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

async function eventually(label: string, probe: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${label}`);
    await sleep(50);
  }
}

const skip = await natsSkipReason();

describe.skipIf(skip !== undefined)('NATS link cut and restored', () => {
  const prefix = uniqueNatsPrefix();
  const proxy = new CuttableProxy(new URL(testNatsUrl.replace(/^nats:/, 'http:')));
  let database: StoreDatabase;
  let messaging: Messaging;

  beforeAll(async () => {
    await proxy.start();
    database = await openDatabase({ sqlitePath: ':memory:' });
    await runMigrations(database, messagingMigrations);
    messaging = await createMessaging({ database, natsUrl: `nats://127.0.0.1:${proxy.port}`, natsPrefix: prefix });
  });

  afterAll(async () => {
    await messaging?.close().catch(() => undefined);
    await database?.destroy();
    const cleanup = await connectTestNats();
    await removeNatsPrefix(cleanup, prefix).catch(() => undefined);
    await cleanup.close();
    await proxy.stop();
  });

  it('given the link drops, then check() names the outage; given it returns, then bus, queue and kv work again', async () => {
    await messaging.check();
    const received: unknown[] = [];
    await messaging.bus.subscribe('live.test', (message) => {
      received.push(message);
    });

    proxy.cut();
    await eventually('check() to fail', async () => {
      try {
        await messaging.check();
        return false;
      } catch (error) {
        return /NATS/.test((error as Error).message);
      }
    });

    // The client's library gives up after 10 attempts by default; ours must keep trying.
    await eventually('more than 10 reconnect attempts', async () => proxy.refused > 10, 60_000);
    proxy.restore();
    await eventually('check() to pass again', async () => {
      await messaging.check();
      return true;
    });
    await messaging.bus.publish('live.test', { after: 'reconnect' });
    await eventually('the message published after the reconnect', async () => received.length > 0);
    expect(received).toEqual([{ after: 'reconnect' }]);

    const enqueued = await messaging.queue.enqueue('reconnect-test', { n: 1 });
    expect(enqueued.duplicate).toBe(false);
    await eventually('the job to be leased', async () => (await messaging.queue.lease('reconnect-test', { limit: 1 })).length === 1);
    await messaging.kv.put('after-reconnect', { ok: true });
    expect((await messaging.kv.get('after-reconnect'))?.value).toEqual({ ok: true });
  }, 120_000);
});
