/** The job queue conformance suite, run against every adapter by messaging.test.ts. */
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../core/errors.js';
import { sleep } from '../core/sleep.js';
import {
  conformanceQueueSettings,
  eventually,
  type Harness,
  type SuiteOptions,
  shortLeaseMs,
  useHarnesses,
  waitLimitMs,
} from './conformance-harness.js';
import type { JobQueue, LeasedJob } from './ports.js';
import type { JobQueueSettings } from './queue-settings.js';

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

interface JobQueueCases {
  openHarness: (settings?: Partial<JobQueueSettings>) => Promise<JobQueueHarness>;
  openQueue: (settings?: Partial<JobQueueSettings>) => Promise<JobQueue>;
  options: JobQueueSuiteOptions;
}

export function describeJobQueueConformance(name: string, factory: JobQueueFactory, options: JobQueueSuiteOptions = {}): void {
  describe.skipIf(options.skip)(`job queue conformance: ${name}`, () => {
    const open = useHarnesses(factory);
    const openHarness = (settings: Partial<JobQueueSettings> = {}) => open({ ...conformanceQueueSettings, ...settings });
    const openQueue = async (settings: Partial<JobQueueSettings> = {}) => (await openHarness(settings)).port;
    const cases: JobQueueCases = { openHarness, openQueue, options };
    jobQueueDeliveryCases(cases);
    jobQueueConcurrencyCases(cases);
    jobQueueRetryCases(cases);
    jobQueueLeaseExpiryCases(cases);
    jobQueueDepthCases(cases);
  });
}

function jobQueueDeliveryCases({ openQueue }: JobQueueCases): void {
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
}

function jobQueueConcurrencyCases({ openQueue, openHarness }: JobQueueCases): void {
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
}

function jobQueueRetryCases({ openQueue }: JobQueueCases): void {
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
}

function jobQueueLeaseExpiryCases({ openQueue, openHarness, options }: JobQueueCases): void {
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
}

function jobQueueDepthCases({ openQueue }: JobQueueCases): void {
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
}
