/**
 * One conformance suite per messaging port, run against every adapter by `messaging.test.ts`. Each test opens its own
 * harness (a fresh database, or a fresh NATS prefix) and disposes of it afterwards.
 *
 * Tests wait for real outcomes (a redelivery, an expiry) with generous limits but never assert how long anything
 * took. Leases and TTLs are short so the waits stay short.
 */

import { afterEach, describe, expect, it } from 'vitest';
import { ValidationError } from '../core/errors.js';
import { sleep } from '../core/sleep.js';
import type { EventBus, JobQueue, KvStore, LeasedJob } from './ports.js';
import type { JobQueueSettings } from './queue-settings.js';

export interface Harness<Port> {
  port: Port;
  dispose(): Promise<void>;
}

export interface SuiteOptions {
  /** When set the suite is skipped with this message. */
  skip?: string | undefined;
}

/** Settings for a test queue: long leases unless a test asks for short ones, so nothing is redelivered by accident. */
export const conformanceQueueSettings: JobQueueSettings = { maxAttempts: 3, leaseMs: 30_000, backoffBaseMs: 50, backoffMaxMs: 200 };

const shortLeaseMs = 400;
const waitLimitMs = 5_000;

/** Polls `probe` until it returns true; fails the test after `limitMs`. */
export async function eventually(probe: () => boolean | Promise<boolean>, description: string, limitMs = waitLimitMs): Promise<void> {
  const deadline = performance.now() + limitMs;
  while (!(await probe())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for: ${description}`);
    await sleep(10);
  }
}

/** Opens harnesses inside tests and disposes of them after each test. */
function useHarnesses<Options, Opened extends Harness<unknown>>(
  open: (options: Options) => Promise<Opened>,
): (options: Options) => Promise<Opened> {
  const opened: Opened[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((harness) => harness.dispose()));
  });
  return async (options) => {
    const harness = await open(options);
    opened.push(harness);
    return harness;
  };
}

// ---------- Job queue ----------

export interface JobQueueHarness extends Harness<JobQueue> {
  /** Another queue instance on the same database or NATS prefix, as a second process would open it. */
  openPeer(): Promise<JobQueue>;
}

export type JobQueueFactory = (settings: JobQueueSettings) => Promise<JobQueueHarness>;

export interface JobQueueSuiteOptions extends SuiteOptions {
  /** Set when the adapter cannot tell that a lease went stale in another instance; that case is skipped with this reason. */
  crossInstanceStaleLease?: string | undefined;
}

export function describeJobQueueConformance(name: string, factory: JobQueueFactory, options: JobQueueSuiteOptions = {}): void {
  describe.skipIf(options.skip)(`job queue conformance: ${name}`, () => {
    const open = useHarnesses(factory);
    const openHarness = (settings: Partial<JobQueueSettings> = {}) => open({ ...conformanceQueueSettings, ...settings });
    const openQueue = async (settings: Partial<JobQueueSettings> = {}) => (await openHarness(settings)).port;

    it('given an enqueued job, when it is leased and acked, then it is delivered once with its payload and attempt 1', async () => {
      const queue = await openQueue();
      const enqueued = await queue.enqueue('render', { post: 7, text: 'hei' });
      expect(enqueued.duplicate).toBe(false);
      expect(typeof enqueued.id).toBe('string');

      const jobs = await queue.lease('render');
      expect(jobs).toHaveLength(1);
      const [job] = jobs as [LeasedJob];
      expect(job).toMatchObject({ id: enqueued.id, queue: 'render', payload: { post: 7, text: 'hei' }, attempt: 1, maxAttempts: 3 });
      expect(job.idempotencyKey).toBeUndefined();

      expect(await queue.ack(job)).toBe(true);
      expect(await queue.lease('render')).toEqual([]);
      expect(await queue.depth('render')).toEqual({ ready: 0, leased: 0, dead: 0 });
    });

    it('given jobs on two queues, when one queue is leased, then only its jobs come back, honouring limit and per-job maxAttempts', async () => {
      const queue = await openQueue();
      await queue.enqueue('render', 'a string payload', { maxAttempts: 7 });
      await queue.enqueue('render', [1, 2, 3]);
      await queue.enqueue('email', { to: 'someone' });

      const first = await queue.lease('render', { limit: 1 });
      expect(first).toHaveLength(1);
      const rest = await queue.lease('render', { limit: 10 });
      expect(rest).toHaveLength(1);
      const payloads = [...first, ...rest].map((job) => job.payload);
      expect(payloads).toEqual(expect.arrayContaining(['a string payload', [1, 2, 3]]));
      expect([...first, ...rest].find((job) => job.payload === 'a string payload')?.maxAttempts).toBe(7);
      expect(await queue.lease('email', { limit: 10 })).toMatchObject([{ queue: 'email', payload: { to: 'someone' } }]);
    });

    it('given an idempotency key, when the same job is enqueued twice, then the second is a duplicate with the same id', async () => {
      const queue = await openQueue();
      const first = await queue.enqueue('render', { post: 1 }, { idempotencyKey: 'post-1:feed' });
      const second = await queue.enqueue('render', { post: 1 }, { idempotencyKey: 'post-1:feed' });
      const other = await queue.enqueue('render', { post: 2 }, { idempotencyKey: 'post-2:feed' });
      const otherQueue = await queue.enqueue('email', { post: 1 }, { idempotencyKey: 'post-1:feed' });

      expect(first.duplicate).toBe(false);
      expect(second).toEqual({ id: first.id, duplicate: true });
      expect(other.duplicate).toBe(false);
      expect(other.id).not.toBe(first.id);
      expect(otherQueue.duplicate).toBe(false);

      const jobs = await queue.lease('render', { limit: 10 });
      expect(jobs.map((job) => job.idempotencyKey).sort()).toEqual(['post-1:feed', 'post-2:feed']);
      expect(await queue.depth('email')).toMatchObject({ ready: 1 });
    });

    it('given 20 jobs, when four workers on two queue instances lease in parallel, then every job is leased exactly once', async () => {
      const harness = await openHarness();
      const queue = harness.port;
      const peer = await harness.openPeer();
      const ids = new Set<string>();
      for (let index = 0; index < 20; index++) ids.add((await queue.enqueue('render', { index })).id);
      expect(ids.size).toBe(20);

      const worker = async (instance: JobQueue) => {
        const leased: string[] = [];
        for (;;) {
          const jobs = await instance.lease('render', { limit: 3 });
          if (jobs.length === 0) return leased;
          for (const job of jobs) {
            leased.push(job.id);
            expect(await instance.ack(job)).toBe(true);
          }
        }
      };
      const all = (await Promise.all([worker(queue), worker(peer), worker(queue), worker(peer)])).flat();
      expect(all).toHaveLength(20);
      expect(new Set(all)).toEqual(ids);
      expect(await queue.depth('render')).toEqual({ ready: 0, leased: 0, dead: 0 });
    });

    it('given a waiting lease, when a job is enqueued meanwhile, then the lease returns it', async () => {
      const queue = await openQueue();
      const waiting = queue.lease('render', { waitMs: waitLimitMs });
      await sleep(50);
      const enqueued = await queue.enqueue('render', { late: true });
      const jobs = await waiting;
      expect(jobs.map((job) => job.id)).toEqual([enqueued.id]);
    });

    it('given a delayed job, when leased before the delay, then nothing comes; later it comes as attempt 1', async () => {
      const queue = await openQueue();
      const enqueued = await queue.enqueue('render', { delayed: true }, { delayMs: 1_000 });
      expect(await queue.lease('render')).toEqual([]);
      const jobs = await queue.lease('render', { waitMs: waitLimitMs });
      expect(jobs).toMatchObject([{ id: enqueued.id, attempt: 1, payload: { delayed: true } }]);
    });

    it('given a nacked job, when the backoff has passed, then it is redelivered as attempt 2', async () => {
      const queue = await openQueue();
      const enqueued = await queue.enqueue('render', { post: 3 });
      const [first] = (await queue.lease('render')) as [LeasedJob];
      expect(await queue.nack(first, 'writer timed out')).toBe('retry');

      const again = await queue.lease('render', { waitMs: waitLimitMs });
      expect(again).toMatchObject([{ id: enqueued.id, attempt: 2, payload: { post: 3 } }]);
      expect(await queue.ack(again[0] as LeasedJob)).toBe(true);
    });

    it('given a nack with a long retryInMs, when leasing now, then the job is not delivered yet', async () => {
      const queue = await openQueue();
      await queue.enqueue('render', { post: 4 });
      const [job] = (await queue.lease('render')) as [LeasedJob];
      expect(await queue.nack(job, 'rate limited', { retryInMs: 60_000 })).toBe('retry');
      expect(await queue.lease('render', { limit: 5 })).toEqual([]);
    });

    it('given a job with 2 attempts, when both fail, then it is dead-lettered; requeueDead brings it back once with fresh attempts', async () => {
      const queue = await openQueue();
      const enqueued = await queue.enqueue('render', { post: 5 }, { idempotencyKey: 'post-5', maxAttempts: 2 });
      const [first] = (await queue.lease('render')) as [LeasedJob];
      expect(await queue.nack(first, 'first failure', { retryInMs: 0 })).toBe('retry');
      const [second] = (await queue.lease('render', { waitMs: waitLimitMs })) as [LeasedJob];
      expect(second).toMatchObject({ id: enqueued.id, attempt: 2, maxAttempts: 2 });
      expect(await queue.nack(second, 'second failure')).toBe('dead');

      expect(await queue.lease('render')).toEqual([]);
      expect(await queue.deadLetters('render')).toEqual([
        { id: enqueued.id, queue: 'render', payload: { post: 5 }, attempts: 2, lastError: 'second failure', idempotencyKey: 'post-5' },
      ]);
      expect(await queue.deadLetters('email')).toEqual([]);
      expect(await queue.depth('render')).toEqual({ ready: 0, leased: 0, dead: 1 });

      expect(await queue.requeueDead('render', enqueued.id)).toBe(true);
      expect(await queue.requeueDead('render', enqueued.id)).toBe(false);
      expect(await queue.deadLetters('render')).toEqual([]);

      const [requeued] = (await queue.lease('render', { waitMs: waitLimitMs })) as [LeasedJob];
      expect(requeued).toMatchObject({ id: enqueued.id, attempt: 1, maxAttempts: 2, payload: { post: 5 }, idempotencyKey: 'post-5' });
      expect(await queue.ack(requeued)).toBe(true);
      expect(await queue.depth('render')).toEqual({ ready: 0, leased: 0, dead: 0 });
    });

    it('given a leased job whose worker vanished, when the lease expires, then the job is delivered again', async () => {
      const queue = await openQueue({ leaseMs: shortLeaseMs });
      const enqueued = await queue.enqueue('render', { post: 6 });
      const [abandoned] = (await queue.lease('render')) as [LeasedJob];
      expect(abandoned.attempt).toBe(1);

      const again = await queue.lease('render', { waitMs: waitLimitMs });
      expect(again).toMatchObject([{ id: enqueued.id, attempt: 2, payload: { post: 6 } }]);
      expect(await queue.ack(again[0] as LeasedJob)).toBe(true);
    });

    it('given a job whose worker vanished on its last attempt, when the lease expires, then it is dead-lettered', async () => {
      const queue = await openQueue({ leaseMs: shortLeaseMs });
      const enqueued = await queue.enqueue('render', { post: 8 }, { maxAttempts: 1 });
      expect(await queue.lease('render')).toHaveLength(1);

      const redelivered: LeasedJob[] = [];
      await eventually(async () => {
        redelivered.push(...(await queue.lease('render', { waitMs: 100 })));
        return (await queue.deadLetters('render')).length > 0;
      }, 'the abandoned job to be dead-lettered');
      expect(redelivered).toEqual([]);
      const [letter] = await queue.deadLetters('render');
      expect(letter).toMatchObject({ id: enqueued.id, attempts: 1, payload: { post: 8 } });
      expect(letter?.lastError).toMatch(/lease expired/);
    });

    it('given a lease that expired and was handed to another worker, when the first worker settles, then ack is false and nack stale', async () => {
      const queue = await openQueue({ leaseMs: shortLeaseMs });
      await queue.enqueue('render', { post: 9 });
      const [stale] = (await queue.lease('render')) as [LeasedJob];
      const [current] = (await queue.lease('render', { waitMs: waitLimitMs })) as [LeasedJob];
      expect(current).toMatchObject({ id: stale.id, attempt: 2 });
      expect(current.leaseToken).not.toBe(stale.leaseToken);

      expect(await queue.ack(stale)).toBe(false);
      expect(await queue.nack(stale, 'too late')).toBe('stale');
      expect(await queue.ack(current)).toBe(true);
      expect(await queue.ack(current)).toBe(false);
      expect(await queue.depth('render')).toEqual({ ready: 0, leased: 0, dead: 0 });
    });

    const crossInstanceSkip = options.crossInstanceStaleLease;
    it.skipIf(crossInstanceSkip)(
      'given a lease that expired and went to another queue instance, when the first instance acks, then ack is false' +
        (crossInstanceSkip ? ` [skipped: ${crossInstanceSkip}]` : ''),
      async () => {
        const harness = await openHarness({ leaseMs: shortLeaseMs });
        const queue = harness.port;
        const peer = await harness.openPeer();
        await queue.enqueue('render', { post: 10 });
        const [stale] = (await queue.lease('render')) as [LeasedJob];
        const [current] = (await peer.lease('render', { waitMs: waitLimitMs })) as [LeasedJob];
        expect(current).toMatchObject({ id: stale.id, attempt: 2 });

        expect(await queue.ack(stale)).toBe(false);
        expect(await peer.ack(current)).toBe(true);
      },
    );

    it('given jobs in every state, when asking for depth, then ready, leased and dead are counted per queue', async () => {
      const queue = await openQueue();
      for (let index = 0; index < 3; index++) await queue.enqueue('render', { index }, { maxAttempts: 1 });
      await queue.enqueue('email', {});
      expect(await queue.depth('render')).toEqual({ ready: 3, leased: 0, dead: 0 });

      const [failing] = (await queue.lease('render')) as [LeasedJob];
      expect(await queue.depth('render')).toEqual({ ready: 2, leased: 1, dead: 0 });
      expect(await queue.nack(failing, 'broken')).toBe('dead');
      expect(await queue.depth('render')).toEqual({ ready: 2, leased: 0, dead: 1 });

      const [succeeding] = (await queue.lease('render')) as [LeasedJob];
      expect(await queue.ack(succeeding)).toBe(true);
      expect(await queue.depth('render')).toEqual({ ready: 1, leased: 0, dead: 1 });
      expect(await queue.depth('email')).toEqual({ ready: 1, leased: 0, dead: 0 });
    });

    it('given an invalid queue name, when enqueueing, then a validation error is raised', async () => {
      const queue = await openQueue();
      await expect(queue.enqueue('render.today', {})).rejects.toBeInstanceOf(ValidationError);
      await expect(queue.enqueue('', {})).rejects.toBeInstanceOf(ValidationError);
    });
  });
}

// ---------- Event bus ----------

export type EventBusFactory = () => Promise<Harness<EventBus>>;

interface Received {
  message: unknown;
  topic: string;
}

function recorder(): { received: Received[]; handler: (message: unknown, topic: string) => void } {
  const received: Received[] = [];
  return { received, handler: (message, topic) => received.push({ message, topic }) };
}

export function describeEventBusConformance(name: string, factory: EventBusFactory, options: SuiteOptions = {}): void {
  describe.skipIf(options.skip)(`event bus conformance: ${name}`, () => {
    const open = useHarnesses(factory);

    it('given exact and wildcard subscriptions, when publishing, then matching subscribers get the message and others do not', async () => {
      const { port: bus } = await open(undefined);
      const exact = recorder();
      const oneWord = recorder();
      const rest = recorder();
      const otherChat = recorder();
      const shorter = recorder();
      await bus.subscribe('chat.42.tokens', exact.handler);
      await bus.subscribe('chat.*.tokens', oneWord.handler);
      await bus.subscribe('chat.>', rest.handler);
      await bus.subscribe('chat.43.tokens', otherChat.handler);
      await bus.subscribe('chat.42', shorter.handler);

      await bus.publish('chat.42.tokens', { token: 'hei' });
      // Markers: delivery is in publish order, so once a marker arrives, an earlier match would have arrived too.
      await bus.publish('chat.43.tokens', { marker: 43 });
      await bus.publish('chat.42', { marker: 42 });
      await eventually(
        () => otherChat.received.length > 0 && shorter.received.length > 0 && rest.received.length >= 3,
        'markers to arrive',
      );

      const hello = { message: { token: 'hei' }, topic: 'chat.42.tokens' };
      expect(exact.received).toEqual([hello]);
      expect(oneWord.received).toEqual([hello, { message: { marker: 43 }, topic: 'chat.43.tokens' }]);
      expect(rest.received).toEqual([
        hello,
        { message: { marker: 43 }, topic: 'chat.43.tokens' },
        { message: { marker: 42 }, topic: 'chat.42' },
      ]);
      expect(otherChat.received).toEqual([{ message: { marker: 43 }, topic: 'chat.43.tokens' }]);
      expect(shorter.received).toEqual([{ message: { marker: 42 }, topic: 'chat.42' }]);
    });

    it('given two subscribers, when one unsubscribes, then only the other keeps receiving', async () => {
      const { port: bus } = await open(undefined);
      const leaving = recorder();
      const staying = recorder();
      const unsubscribe = await bus.subscribe('world.village.events', leaving.handler);
      await bus.subscribe('world.village.events', staying.handler);

      await bus.publish('world.village.events', { n: 1 });
      await eventually(() => leaving.received.length === 1 && staying.received.length === 1, 'first message');
      await unsubscribe();
      await unsubscribe();
      await bus.publish('world.village.events', { n: 2 });
      await eventually(() => staying.received.length === 2, 'second message');

      expect(leaving.received.map((entry) => entry.message)).toEqual([{ n: 1 }]);
      expect(staying.received.map((entry) => entry.message)).toEqual([{ n: 1 }, { n: 2 }]);
    });

    it('given a handler that throws or rejects, when publishing, then the publisher and other handlers are unaffected', async () => {
      const { port: bus } = await open(undefined);
      const healthy = recorder();
      await bus.subscribe('tips.user-1', () => {
        throw new Error('handler bug');
      });
      await bus.subscribe('tips.user-1', (() => Promise.reject(new Error('async handler bug'))) as () => void);
      await bus.subscribe('tips.user-1', healthy.handler);

      await expect(bus.publish('tips.user-1', { tip: 1 })).resolves.toBeUndefined();
      await bus.publish('tips.user-1', { tip: 2 });
      await eventually(() => healthy.received.length === 2, 'both messages');
      expect(healthy.received.map((entry) => entry.message)).toEqual([{ tip: 1 }, { tip: 2 }]);
    });

    it('given a message with a Date, when it is delivered, then it arrives as JSON would carry it', async () => {
      const { port: bus } = await open(undefined);
      const received = recorder();
      await bus.subscribe('chat.1.state', received.handler);
      await bus.publish('chat.1.state', { at: new Date(0), missing: undefined, list: [1, 'two'] });
      await eventually(() => received.received.length === 1, 'the message');
      expect(received.received[0]?.message).toEqual({ at: '1970-01-01T00:00:00.000Z', list: [1, 'two'] });
    });

    it('given an invalid topic, when publishing or subscribing, then a validation error is raised', async () => {
      const { port: bus } = await open(undefined);
      await expect(bus.publish('chat.*', {})).rejects.toBeInstanceOf(ValidationError);
      await expect(bus.publish('chat..42', {})).rejects.toBeInstanceOf(ValidationError);
      await expect(bus.subscribe('chat.>.tokens', () => undefined)).rejects.toBeInstanceOf(ValidationError);
    });
  });
}

// ---------- Key-value store ----------

export type KvStoreFactory = () => Promise<Harness<KvStore>>;

export function describeKvStoreConformance(name: string, factory: KvStoreFactory, options: SuiteOptions = {}): void {
  describe.skipIf(options.skip)(`kv store conformance: ${name}`, () => {
    const open = useHarnesses(factory);

    it('given a key, when put twice, then get returns the latest value and the revision increased', async () => {
      const { port: kv } = await open(undefined);
      expect(await kv.get('run.flag')).toBeUndefined();
      const first = await kv.put('run.flag', { running: true });
      expect(first).toBeGreaterThan(0);
      expect(await kv.get('run.flag')).toEqual({ key: 'run.flag', value: { running: true }, revision: first });

      const second = await kv.put('run.flag', { running: false });
      expect(second).toBeGreaterThan(first);
      expect(await kv.get('run.flag')).toEqual({ key: 'run.flag', value: { running: false }, revision: second });
    });

    it('given values of every JSON type and keys with unusual characters, when read back, then they are unchanged', async () => {
      const { port: kv } = await open(undefined);
      const values: [string, unknown][] = [
        ['llm-cache/3f2a', 'a plain string'],
        ['numbers', 42],
        ['list', [1, 'two', { three: 3 }]],
        ['nothing', null],
        ['Käyttäjä 42: äänet', { ok: true }],
        ['=looks-encoded', 'raw'],
        ['dots..and.', 'odd'],
      ];
      for (const [key, value] of values) await kv.put(key, value);
      for (const [key, value] of values) expect(await kv.get(key)).toMatchObject({ key, value });
      await expect(kv.put('', 1)).rejects.toBeInstanceOf(ValidationError);
    });

    it('given compare-and-set, when the expected revision matches it writes, when it does not it reports undefined', async () => {
      const { port: kv } = await open(undefined);
      const created = await kv.compareAndSet('lease.engine', null, { owner: 'a' });
      expect(created).toBeGreaterThan(0);
      expect(await kv.compareAndSet('lease.engine', null, { owner: 'b' })).toBeUndefined();

      const updated = await kv.compareAndSet('lease.engine', created as number, { owner: 'a', renewed: true });
      expect(updated).toBeGreaterThan(created as number);
      expect(await kv.compareAndSet('lease.engine', created as number, { owner: 'c' })).toBeUndefined();
      expect(await kv.compareAndSet('never.written', 1, { owner: 'd' })).toBeUndefined();
      expect(await kv.get('never.written')).toBeUndefined();
      expect(await kv.get('lease.engine')).toEqual({ key: 'lease.engine', value: { owner: 'a', renewed: true }, revision: updated });
    });

    it('given 8 writers racing with compare-and-set, when they all expect the same revision, then exactly one wins', async () => {
      const { port: kv } = await open(undefined);
      const writers = Array.from({ length: 8 }, (_, index) => index);

      const creations = await Promise.all(writers.map((index) => kv.compareAndSet('lease.race', null, { writer: index })));
      const creators = writers.filter((index) => creations[index] !== undefined);
      expect(creators).toHaveLength(1);
      const afterCreate = await kv.get('lease.race');
      expect(afterCreate).toEqual({ key: 'lease.race', value: { writer: creators[0] }, revision: creations[creators[0] as number] });

      const revision = afterCreate?.revision as number;
      const updates = await Promise.all(writers.map((index) => kv.compareAndSet('lease.race', revision, { writer: index, round: 2 })));
      const updaters = writers.filter((index) => updates[index] !== undefined);
      expect(updaters).toHaveLength(1);
      expect((await kv.get('lease.race'))?.value).toEqual({ writer: updaters[0], round: 2 });
    });

    it('given a key with a TTL, when it expires, then it reads as absent and compare-and-set with null takes it over', async () => {
      const { port: kv } = await open(undefined);
      const shortLived = await kv.put('lock.render', { owner: 'a' }, { ttlMs: 150 });
      const lasting = await kv.put('lock.other', { owner: 'b' }, { ttlMs: 60_000 });
      expect(await kv.get('lock.render')).toMatchObject({ value: { owner: 'a' } });
      expect(await kv.compareAndSet('lock.render', null, { owner: 'b' })).toBeUndefined();

      await eventually(async () => (await kv.get('lock.render')) === undefined, 'the key to expire');
      expect(await kv.compareAndSet('lock.render', shortLived, { owner: 'late' })).toBeUndefined();
      const takenOver = await kv.compareAndSet('lock.render', null, { owner: 'b' }, { ttlMs: 60_000 });
      expect(takenOver).toBeGreaterThan(shortLived);
      expect(await kv.get('lock.render')).toEqual({ key: 'lock.render', value: { owner: 'b' }, revision: takenOver });
      expect(await kv.get('lock.other')).toMatchObject({ revision: lasting });
    });

    it('given a deleted key, when read or compared, then it is absent and old revisions cannot write it', async () => {
      const { port: kv } = await open(undefined);
      const before = await kv.put('chat.7.draft', 'text');
      await kv.delete('chat.7.draft');
      await kv.delete('chat.7.draft');
      await kv.delete('never.existed');
      expect(await kv.get('chat.7.draft')).toBeUndefined();
      expect(await kv.compareAndSet('chat.7.draft', before, 'stale write')).toBeUndefined();

      const recreated = await kv.compareAndSet('chat.7.draft', null, 'new text');
      expect(recreated).toBeGreaterThan(before);
      expect(await kv.get('chat.7.draft')).toEqual({ key: 'chat.7.draft', value: 'new text', revision: recreated });
    });
  });
}
