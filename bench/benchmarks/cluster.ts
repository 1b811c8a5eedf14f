/**
 * cluster: distributed mode with real processes (`test/cluster/harness.ts`) on PostgreSQL and NATS JetStream.
 * - Engine failover: two engines on one world; the owner is stopped with SIGTERM (hands over at once) or `kill -9`
 *   (the standby waits out the lease). Figure: time until the standby holds the lease; reference: `village.lease_ms`.
 * - Worker scale-out: a backlog of render jobs drained by one worker process, then by two, against a loopback model
 *   server answering after a fixed delay. Figure: jobs/s with two workers; reference: jobs/s with one.
 * Skipped with a note when PostgreSQL or NATS is not reachable.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { isNatsReachable } from '../../src/messaging/testing.js';
import { isPostgresReachable } from '../../src/store/testing.js';
import { Cluster, leaseHolder, llmEnvironment, startPostWriter } from '../../test/cluster/harness.js';
import { round } from '../lib/measure.js';
import { type Benchmark, type ResultRow, row } from '../lib/types.js';

async function until<T>(read: () => Promise<T | undefined>, label: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${label}`);
    await sleep(20);
  }
}

/** Milliseconds from stopping the lease holder with `signal` until the other engine holds the lease. */
async function failover(signal: 'SIGTERM' | 'SIGKILL', leaseMs: number): Promise<number> {
  const cluster = await Cluster.open({ config: `[village]\nautostart = true\ntick_ms = 100\nlease_ms = ${leaseMs}\n` });
  try {
    const engines = await cluster.start('engine', 'engine');
    const owner = await until(() => leaseHolder(engines), 'a lease holder');
    // Let the owner settle into its heartbeat rhythm, so the kill lands at a random point of it.
    await sleep(leaseMs / 2 + 700);
    const standby = engines.find((engine) => engine !== owner);
    if (!standby) throw new Error('no standby engine');
    const started = performance.now();
    owner.child.kill(signal);
    await until(async () => ((await leaseHolder([standby])) === standby ? true : undefined), 'the standby', leaseMs * 3);
    return performance.now() - started;
  } finally {
    await cluster.close();
  }
}

/** Render jobs per second drained by `workers` worker processes from a backlog the engine built without them. */
async function drainRate(workers: number, modelDelayMs: number, backlog: number): Promise<{ rate: number; jobs: number }> {
  const model = await startPostWriter(modelDelayMs);
  const cluster = await Cluster.open({
    config: `[village]\nautostart = true\nseed = 3\ntick_ms = 20\nrender_workers = 2\n\n[llm]\nconcurrency = 8\n`,
    environment: llmEnvironment(model),
  });
  try {
    const [api] = await cluster.start('api');
    const [engine] = await cluster.start('engine');
    if (!api || !engine) throw new Error('no api or engine');
    const requested = async () =>
      Number(
        (await cluster.query<{ count: string }>(`select count(*) as count from events where type = 'render_requested'`))[0]?.count ?? 0,
      );
    await until(async () => ((await requested()) >= backlog ? true : undefined), 'the backlog', 120_000);
    await fetch(`${api.url}/admin/run/stop`, { method: 'POST' });
    await sleep(500);
    const total = await requested();
    await cluster.start(...Array.from({ length: workers }, () => 'worker' as const));
    const done = () => cluster.logLines().filter((line) => line.msg === 'job done' && line.queue === 'village-render');
    await until(async () => (done().length >= total ? true : undefined), 'the backlog to drain', 300_000);
    const times = done()
      .map((line) => Number(line.time))
      .sort((a, b) => a - b);
    const first = times[0] ?? 0;
    const last = times[times.length - 1] ?? 0;
    return { rate: ((times.length - 1) * 1000) / Math.max(1, last - first), jobs: times.length };
  } finally {
    await cluster.close();
    await model.close();
  }
}

export const clusterBenchmark: Benchmark = {
  name: 'cluster',
  title: 'Distributed mode: engine failover and worker scale-out with real processes on PostgreSQL and NATS',
  reference: 'failover against the lease TTL; two workers against one worker draining the same backlog',
  async run(context) {
    const notes: string[] = [];
    if (!(await isPostgresReachable()) || !(await isNatsReachable())) {
      notes.push('PostgreSQL or NATS JetStream not reachable: skipped');
      return { parameters: {}, rows: [], notes };
    }
    const rows: ResultRow[] = [];
    const leaseMs = 2_000;
    const leases = context.quick ? [leaseMs] : [leaseMs, 10_000];
    context.log('failover after SIGTERM');
    const handover = await failover('SIGTERM', leaseMs);
    rows.push(
      row(
        'engine handover after SIGTERM',
        { value: Math.round(handover), unit: 'ms' },
        { value: leaseMs, unit: 'ms', label: 'village.lease_ms' },
        'of the lease TTL',
      ),
    );
    for (const lease of leases) {
      context.log(`failover after kill -9, lease ${lease} ms`);
      const takeover = await failover('SIGKILL', lease);
      rows.push(
        row(
          `engine takeover after kill -9 (lease ${lease / 1000} s)`,
          { value: Math.round(takeover), unit: 'ms' },
          { value: lease, unit: 'ms', label: 'village.lease_ms' },
          'of the lease TTL',
          {
            target: { text: 'within the lease TTL (+ one standby poll)', measured: takeover, met: takeover <= lease + 1_000 },
          },
        ),
      );
    }
    const modelDelayMs = 200;
    const backlog = context.quick ? 60 : 150;
    context.log(`drain ${backlog}+ render jobs with 1 worker`);
    const one = await drainRate(1, modelDelayMs, backlog);
    context.log(`drain ${backlog}+ render jobs with 2 workers`);
    const two = await drainRate(2, modelDelayMs, backlog);
    rows.push(
      row(
        'render jobs drained by 2 worker processes',
        { value: round(two.rate), unit: 'jobs/s' },
        { value: round(one.rate), unit: 'jobs/s', label: '1 worker process' },
        'x one worker',
        {
          target: { text: '2 workers >= 1.6 x one', measured: two.rate / one.rate, met: two.rate / one.rate >= 1.6 },
          details: { jobsOne: one.jobs, jobsTwo: two.jobs },
        },
      ),
    );
    notes.push(`model answers after ${modelDelayMs} ms; village.render_workers = 2 per worker process; the ideal is 2 x`);
    return { parameters: { leaseMs: leases, modelDelayMs, backlog }, rows, notes };
  },
};
