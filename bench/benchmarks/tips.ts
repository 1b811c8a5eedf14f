/**
 * tips: `GET /api/tips/next` at 10 requests/s on the tips product as served (`tipsModule` routes, `openRuntime`,
 * SQLite file), with a realistic user stream (40 tasks, habits, a day of calendar, mood, context) and a model that has
 * already learned from earlier reactions. The load comes from a separate process on an open-loop schedule, each
 * request timed from when it was due (bench/lib/load.ts). The user reacts to every 2nd tip (`shown` + `reaction`), so
 * the next request makes a fresh decision (candidates, LinUCB over 176 features, an append) instead of returning the
 * open one; the headline is the fresh decisions, the open-tip answers are reported beside them. Reference: an empty
 * handler on the same app, sent by the same client at the same instants.
 *
 * Bandit update cost: one Sherman-Morrison update of the product's model, and a
 * rebuild from 1,000 logged rewards (what a cold process does), timed on the model `TipsService.currentModel` gives
 * (a scratch service on its own in-memory database), compared with a fresh decision's p50 from the load above.
 */
import { performance } from 'node:perf_hooks';
import { systemClock } from '../../src/core/clock.js';
import { parseConfig } from '../../src/core/config.js';
import { EventStore, openDatabase, runMigrations, storeMigrations } from '../../src/store/index.js';
import { TipsService, tipsModule } from '../../src/tips/index.js';
import { type BenchApp, emptyPath, startBenchApp } from '../lib/app.js';
import { keepAliveAgent, timedRequest } from '../lib/http.js';
import { latencies, runLoad } from '../lib/load.js';
import { round, summarize, watchPauses } from '../lib/measure.js';
import { type BenchContext, type Benchmark, row } from '../lib/types.js';

// A rate a loaded 2-core machine can serve: beyond it answers queue, reactions arrive after the backlog, and few
// decisions are fresh.
const ratePerSecond = 10;
const reactEvery = 2;
const tipsConfig = [
  '[tips]',
  'timezone = "Europe/Helsinki"',
  // Always open: the run must not depend on the hour it starts at.
  'quiet_hours_start = "00:00"',
  'quiet_hours_end = "00:00"',
  'daily_budget = 0',
  // Reacted keys come back at once, so candidates do not run out during the run.
  'dedup_days = 0',
  'snooze_minutes = 0',
].join('\n');

const hour = 3_600_000;

function signals(now: number) {
  const tasks = Array.from({ length: 40 }, (_, index) => ({
    kind: 'task' as const,
    taskId: `task-${index}`,
    title: `${['Soita', 'Kirjoita', 'Korjaa', 'Lue', 'Vie'][index % 5]} ${['isännöitsijälle', 'raportti', 'polkupyörä', 'artikkeli', 'paketti postiin'][index % 5]} ${index}`,
    ...(index % 3 === 0 ? { dueAt: now + ((index % 7) - 2) * hour } : {}),
    priority: (index % 4) + 1,
    durationMinutes: 10 + (index % 6) * 10,
  }));
  const habits = ['Kävely', 'Venyttely', 'Vettä', 'Lukeminen'].map((name, index) => ({
    kind: 'habit' as const,
    habitId: `habit-${index}`,
    name,
  }));
  const calendar = Array.from({ length: 10 }, (_, index) => ({
    kind: 'calendar' as const,
    eventId: `event-${index}`,
    title: `Palaveri ${index}`,
    start: now + (index - 3) * hour,
    end: now + (index - 3) * hour + 45 * 60_000,
  }));
  return [
    ...tasks,
    ...habits,
    ...calendar,
    { kind: 'mood' as const, score: 3, note: 'väsyttää vähän', at: now - hour },
    { kind: 'context' as const, at: now, timezone: 'Europe/Helsinki', dayType: 'workday' as const },
  ];
}

interface NextBody {
  status: string;
  fresh?: boolean;
  decision?: { decisionId: string; shownAt?: number };
}

const reactions = ['helpful', 'not_now', 'dismiss', 'done'] as const;

/** Shows and reacts to `count` decisions, so the model has learned before the load starts. */
async function teach(bench: BenchApp, agent: ReturnType<typeof keepAliveAgent>, count: number): Promise<void> {
  for (let index = 0; index < count; index++) {
    const next = JSON.parse((await timedRequest(agent, `${bench.url}/api/tips/next?show=true`)).body) as NextBody;
    if (next.status !== 'tip' || !next.decision) throw new Error(`GET /api/tips/next: ${JSON.stringify(next)}`);
    const reacted = await timedRequest(agent, `${bench.url}/api/tips/decisions/${next.decision.decisionId}/reaction`, {
      method: 'POST',
      body: { reaction: reactions[index % 3] },
    });
    if (reacted.status !== 200) throw new Error(`reaction: ${reacted.status} ${reacted.body.slice(0, 200)}`);
  }
}

async function measureLoad(context: BenchContext, requests: number, learned: number) {
  const bench = await startBenchApp('tips', [tipsModule], tipsConfig);
  const agent = keepAliveAgent();
  try {
    const seeded = await timedRequest(agent, `${bench.url}/api/tips/signals`, { method: 'POST', body: { signals: signals(Date.now()) } });
    if (seeded.status !== 201) throw new Error(`POST /api/tips/signals: ${seeded.status} ${seeded.body.slice(0, 300)}`);
    context.log(`teaching the model ${learned} rewards (show + react through the API)`);
    await teach(bench, agent, learned);
    // Warm-up of both routes at a low rate.
    for (let index = 0; index < 50; index++) {
      await timedRequest(agent, `${bench.url}/api/tips/next`);
      await timedRequest(agent, `${bench.url}${emptyPath}`);
    }
    context.log(
      `${requests} GET /api/tips/next at ${ratePerSecond}/s from a separate process (open loop), each with an empty-handler request; a reaction after every ${reactEvery}th`,
    );
    const watch = watchPauses();
    const load = await runLoad({
      baseUrl: bench.url,
      perSecond: ratePerSecond,
      count: requests,
      targets: [
        { name: 'tips', paths: ['/api/tips/next'], tagField: 'fresh' },
        { name: 'empty', paths: [emptyPath] },
      ],
      followUp: {
        every: reactEvery,
        steps: [
          { method: 'POST', path: '/api/tips/decisions/:id/shown' },
          { method: 'POST', path: '/api/tips/decisions/:id/reaction', bodies: reactions.slice(0, 3).map((reaction) => ({ reaction })) },
        ],
      },
    });
    const pauses = watch.stop();
    const failed = (load.samples.tips ?? []).filter((sample) => sample.status !== 200).length;
    if (failed > 0) throw new Error(`${failed} GET /api/tips/next requests did not answer 200`);
    return {
      pauses,
      clientPauses: load.clientPauses,
      seconds: load.seconds,
      lateP99Ms: load.lateP99Ms,
      reactions: load.followedUp,
      tips: summarize(latencies(load, 'tips')),
      fresh: summarize(latencies(load, 'tips', 'true')),
      open: summarize(latencies(load, 'tips', 'false')),
      empty: summarize(latencies(load, 'empty')),
      quiet: latencies(load, 'tips', 'none').length,
    };
  } finally {
    agent.destroy();
    await bench.close();
  }
}

/** The product's model (176 features), through the public TipsService on a scratch database. */
async function measureBandit(updates: number, rebuilds: number) {
  const database = await openDatabase({ sqlitePath: ':memory:' });
  try {
    await runMigrations(database, storeMigrations);
    const store = new EventStore(database);
    const config = parseConfig({ environment: {} });
    const service = new TipsService({ config: config.tips, store, database, clock: systemClock });
    const model = service.currentModel(await service.load());
    const dimension = model.dimension;
    let seed = 7;
    const random = () => {
      seed = (Math.imul(seed, 1_664_525) + 1_013_904_223) >>> 0;
      return seed / 2 ** 32;
    };
    // Sparse vectors as the features are (one-hot arm x context): ~30 % non-zero.
    const samples = Array.from({ length: 256 }, () => Array.from({ length: dimension }, () => (random() < 0.3 ? random() : 0)));
    const at = (index: number) => samples[index % samples.length] as number[];
    for (let index = 0; index < 200; index++) model.update(at(index), random());
    let started = performance.now();
    for (let index = 0; index < updates; index++) model.update(at(index), random());
    const updateUs = ((performance.now() - started) * 1_000) / updates;
    for (let index = 0; index < 200; index++) model.score(at(index));
    started = performance.now();
    for (let index = 0; index < updates; index++) model.score(at(index));
    const scoreUs = ((performance.now() - started) * 1_000) / updates;
    // A cold process folds the stream and replays every logged reward into a fresh model.
    let rebuildMs = Number.POSITIVE_INFINITY;
    for (let attempt = 0; attempt < rebuilds; attempt++) {
      const fresh = new TipsService({ config: config.tips, store, database, clock: systemClock }).currentModel(await service.load());
      started = performance.now();
      for (let index = 0; index < 1_000; index++) fresh.update(at(index), random());
      rebuildMs = Math.min(rebuildMs, performance.now() - started);
    }
    await store.close();
    return { dimension, updateUs, scoreUs, rebuildMs };
  } finally {
    await database.destroy();
  }
}

export const tipsBenchmark: Benchmark = {
  name: 'tips',
  title: 'Tips: fresh-decision GET /api/tips/next p50/p99 at 10 requests/s from another process; bandit update cost',
  reference: 'an empty handler on the same app, same client process and schedule (latency); a fresh decision p50 (bandit update cost)',
  async run(context) {
    const requests = context.quick ? 200 : 1_200;
    const learned = context.quick ? 60 : 200;
    const load = await measureLoad(context, requests, learned);
    context.log('bandit: Sherman-Morrison updates, scores and a rebuild from 1,000 rewards on the product model');
    const bandit = await measureBandit(context.quick ? 2_000 : 10_000, context.quick ? 3 : 5);
    const ms = 'ms';
    const freshP50 = load.fresh.p50;
    return {
      parameters: {
        ratePerSecond,
        requests,
        reactEvery,
        learnedRewardsBefore: learned,
        signals: { tasks: 40, habits: 4, calendarEvents: 10, mood: 1, context: 1 },
        config: tipsConfig.split('\n').slice(1),
        llm: 'offline (no tip-generator model): rule candidates only',
        database: 'SQLite file (WAL) in the temp directory, opened by openRuntime like `koivulahti start`',
      },
      rows: [
        row(
          `GET /api/tips/next p50, fresh decisions, at ${ratePerSecond}/s`,
          { value: round(load.fresh.p50), unit: ms },
          { label: 'empty handler p50', value: round(load.empty.p50), unit: ms },
          'x the empty handler',
          {
            details: {
              freshDecisions: roundAll(load.fresh),
              openDecisionReturned: roundAll(load.open),
              all: roundAll(load.tips),
              emptyHandler: roundAll(load.empty),
              quietAnswers: load.quiet,
              reactions: load.reactions,
              seconds: round(load.seconds),
              clientLateP99Ms: round(load.lateP99Ms),
              serverProcessPauses: load.pauses,
              clientProcessPauses: load.clientPauses,
            },
          },
        ),
        row(
          `GET /api/tips/next p99, fresh decisions, at ${ratePerSecond}/s`,
          { value: round(load.fresh.p99), unit: ms },
          { label: 'empty handler p99', value: round(load.empty.p99), unit: ms },
          'x the empty handler',
          { target: { text: 'tips p99 < 10 ms', measured: round(load.fresh.p99), met: load.fresh.p99 < 10 } },
        ),
        row(
          'same, the open tip returned (no new decision), p50',
          { value: round(load.open.p50), unit: ms },
          { label: 'empty handler p50', value: round(load.empty.p50), unit: ms },
          'x the empty handler',
          { details: { count: load.open.count, p99: round(load.open.p99) } },
        ),
        row(
          `bandit update (Sherman-Morrison, d = ${bandit.dimension})`,
          { value: round(bandit.updateUs), unit: 'µs' },
          { label: 'fresh decision p50', value: round(freshP50 * 1_000), unit: 'µs' },
          'of a fresh decision',
          { ratio: bandit.updateUs / (freshP50 * 1_000), details: { scoreOneCandidateUs: round(bandit.scoreUs) } },
        ),
        row(
          'bandit rebuild from 1,000 logged rewards (cold process)',
          { value: round(bandit.rebuildMs), unit: ms },
          { label: 'fresh decision p50', value: round(freshP50), unit: ms },
          'x a fresh decision',
        ),
      ],
      notes: [
        `The client is a separate process (bench/lib/load-client.ts) on the same 2 cores; every latency runs from the instant the request was due to the last byte of its answer, so a request the client or server held back counts its wait. ${load.tips.count} tips requests in ${round(load.seconds)} s (sends were at most ${round(load.lateP99Ms)} ms late, p99).`,
        `While the load ran, the server process paused for GC ${load.pauses.gcCount} times (longest ${load.pauses.gcMaxMs} ms) and its event loop was up to ${load.pauses.loopDelayMaxMs} ms late (p99 ${load.pauses.loopDelayP99Ms} ms).`,
        `${load.fresh.count} requests made a fresh decision (after ${load.reactions} reactions); ${load.open.count} returned the open tip.`,
        'The bandit is timed on the model TipsService.currentModel returns (the product class, d = 176), on a scratch service.',
      ],
    };
  },
};

function roundAll(summary: ReturnType<typeof summarize>): Record<string, number> {
  return Object.fromEntries(Object.entries(summary).map(([key, value]) => [key, round(value)]));
}
