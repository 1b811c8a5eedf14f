/**
 * Test helpers for the NATS adapters: a reachability check like the PostgreSQL one in `store/testing.ts` (skip with a
 * message, but fail under CI=true), a unique prefix per test, and removal of everything a prefix created.
 */
import { randomBytes } from 'node:crypto';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { connectNats } from './nats/nats-connection.js';

export const testNatsUrl = process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222';

let natsReachable: Promise<boolean> | undefined;

export function isNatsReachable(): Promise<boolean> {
  natsReachable ??= (async () => {
    try {
      const connection = await connectNats(testNatsUrl, { name: 'koivulahti-test-probe', timeoutMs: 2_000 });
      await connection.close();
      return true;
    } catch {
      return false;
    }
  })();
  return natsReachable;
}

/** Why the NATS suites cannot run here, or undefined when they can. Throws under CI=true instead of skipping. */
export async function natsSkipReason(): Promise<string | undefined> {
  if (await isNatsReachable()) return undefined;
  if (process.env.CI === 'true')
    throw new Error(`NATS with JetStream is not reachable at ${testNatsUrl} and CI=true: the distributed suites must run`);
  const reason = `NATS with JetStream is not reachable at ${testNatsUrl}; skipping (set TEST_NATS_URL)`;
  console.warn(`[skip] nats: ${reason}`);
  return reason;
}

export function connectTestNats(): Promise<NatsConnection> {
  return connectNats(testNatsUrl, { name: 'koivulahti-test', timeoutMs: 2_000 });
}

/** A fresh prefix, so parallel test files never share a stream, consumer or bucket. */
export function uniqueNatsPrefix(): string {
  return `t${randomBytes(6).toString('hex')}`;
}

/** Deletes the streams a prefix created: `<prefix>_jobs`, `<prefix>_dead`, the outbox's `<PREFIX>_EVENTS` and `KV_<prefix>-kv`. */
export async function removeNatsPrefix(connection: NatsConnection, prefix: string): Promise<void> {
  const manager = await jetstreamManager(connection);
  const owned: string[] = [];
  for await (const name of manager.streams.names()) {
    if (name.startsWith(`${prefix}_`) || name.startsWith(`${prefix.toUpperCase()}_`) || name === `KV_${prefix}-kv`) owned.push(name);
  }
  await Promise.all(owned.map((name) => manager.streams.delete(name)));
}
