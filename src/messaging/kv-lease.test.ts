import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../core/clock.js';
import { resolveTestDialects } from '../store/testing.js';
import { messagingMigrations } from './index.js';
import { KvLease } from './kv-lease.js';
import { NatsKvStore } from './nats/nats-kv-store.js';
import type { KvStore } from './ports.js';
import { SqlKvStore } from './sql/sql-kv-store.js';
import { connectTestNats, natsSkipReason, removeNatsPrefix, uniqueNatsPrefix } from './testing.js';

interface Backend {
  name: string;
  skip: string | undefined;
  open(clock: ManualClock): Promise<{ kv: KvStore; dispose(): Promise<void> }>;
}

const backends: Backend[] = [];
for (const dialect of await resolveTestDialects()) {
  backends.push({
    name: `sql kv on ${dialect.name}`,
    skip: dialect.skip,
    async open(clock) {
      const database = await dialect.open();
      for (const migration of messagingMigrations) await migration.up(database.db, database.adapter);
      return { kv: new SqlKvStore(database, { clock }), dispose: () => database.destroy() };
    },
  });
}
backends.push({
  name: 'nats kv',
  skip: await natsSkipReason(),
  async open(clock) {
    const connection = await connectTestNats();
    const prefix = uniqueNatsPrefix();
    return {
      kv: new NatsKvStore(connection, { prefix, clock, storage: 'memory' }),
      async dispose() {
        await removeNatsPrefix(connection, prefix);
        await connection.close();
      },
    };
  },
});

const disposers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const dispose of disposers.splice(0)) await dispose();
});

for (const backend of backends) {
  describe.skipIf(backend.skip)(`kv lease: ${backend.name}`, () => {
    const setup = async () => {
      const clock = new ManualClock(1_700_000_000_000);
      const { kv, dispose } = await backend.open(clock);
      disposers.push(dispose);
      const lease = (owner: string) => new KvLease({ kv, key: 'village.lease.world', owner, ttlMs: 3_000, clock });
      return { clock, lease };
    };

    it('given two contenders, when both acquire, then exactly one holds the lease and the holder can renew it', async () => {
      const { lease } = await setup();
      const first = lease('engine-1');
      const second = lease('engine-2');
      const results = await Promise.all([first.acquire(), second.acquire()]);
      expect(results.filter(Boolean)).toHaveLength(1);
      const [holder, standby] = results[0] ? [first, second] : [second, first];
      expect(await holder.acquire()).toBe(true);
      expect(await standby.acquire()).toBe(false);
      expect(holder.isHeld()).toBe(true);
      expect(standby.isHeld()).toBe(false);
      expect((await holder.holder())?.owner).toBe(results[0] ? 'engine-1' : 'engine-2');
    });

    it('given a holder that stops renewing, when the TTL passes, then a standby takes over and the old holder cannot renew', async () => {
      const { clock, lease } = await setup();
      const owner = lease('engine-1');
      const standby = lease('engine-2');
      expect(await owner.acquire()).toBe(true);
      clock.advance(2_100);
      expect(owner.isHeld()).toBe(false);
      expect(await standby.acquire()).toBe(false);
      clock.advance(1_000);
      expect(await standby.acquire()).toBe(true);
      expect(await owner.acquire()).toBe(false);
      expect((await standby.holder())?.owner).toBe('engine-2');
    });

    it('given heartbeats within the TTL, when time passes far beyond it, then the holder keeps the lease', async () => {
      const { clock, lease } = await setup();
      const owner = lease('engine-1');
      const standby = lease('engine-2');
      expect(await owner.acquire()).toBe(true);
      for (let beat = 0; beat < 10; beat++) {
        clock.advance(1_000);
        expect(owner.renewalDue()).toBe(true);
        expect(await owner.acquire()).toBe(true);
        expect(await standby.acquire()).toBe(false);
      }
    });

    it('given a holder that releases, when a standby asks, then it gets the lease at once', async () => {
      const { clock, lease } = await setup();
      const owner = lease('engine-1');
      const standby = lease('engine-2');
      expect(await owner.acquire()).toBe(true);
      await owner.release();
      expect(owner.isHeld()).toBe(false);
      clock.advance(2);
      expect(await standby.acquire()).toBe(true);
      // Releasing a lease someone else now holds changes nothing.
      await owner.release();
      expect(await lease('engine-3').acquire()).toBe(false);
    });
  });
}
