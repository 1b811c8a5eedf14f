/**
 * tips: `GET /api/tips/next` at 200 requests/s (open loop) on the tips product as served (`tipsModule` routes,
 * `openRuntime`, SQLite file), with a realistic user stream (40 tasks, habits, a day of calendar, mood, context) and a
 * model that has already learned from earlier reactions. While the load runs, the user reacts to every 20th tip
 * (`shown` + `reaction`), so the next request makes a fresh decision (candidates, LinUCB over 176 features, an
 * append) instead of returning the open one. Reference: an empty handler on the same app at the same rate,
 * interleaved with the tips requests.
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
import { keepAliveAgent, openLoop, timedRequest } from '../lib/http.js';
import { round, summarize, watchPauses } from '../lib/measure.js';
import { type BenchContext, type Benchmark, row } from '../lib/types.js';

const ratePerSecond = 200;
const reactEvery = 20;
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
      `${requests} GET /api/tips/next at ${ratePerSecond}/s (open loop), each with an empty-handler request; a reaction every ${reactEvery}`,
    );
    const tips: number[] = [];
    const fresh: number[] = [];
    const open: number[] = [];
    const empty: number[] = [];
    const reactionMs: number[] = [];
    const sideRequests: Promise<void>[] = [];
    let quiet = 0;
    const react = async (decisionId: string, index: number) => {
      const shown = await timedRequest(agent, `${bench.url}/api/tips/decisions/${decisionId}/shown`, { method: 'POST' });
      const reacted = await timedRequest(agent, `${bench.url}/api/tips/decisions/${decisionId}/reaction`, {
        method: 'POST',
        body: { reaction: reactions[index % 3] },
      });
      // Two tabs can react to one decision at once; the product answers 409 to the second, which is fine here.
      if (reacted.status === 200) reactionMs.push(shown.ms + reacted.ms);
    };
    const watch = watchPauses();
    const load = await openLoop(ratePerSecond, requests, async (index, due) => {
      const sinceDue = <T>(request: Promise<T>) => request.then((value) => ({ value, ms: performance.now() - due }));
      const [response, reference] = await Promise.all([
        sinceDue(timedRequest(agent, `${bench.url}/api/tips/next`)),
        sinceDue(timedRequest(agent, `${bench.url}${emptyPath}`)),
      ]);
      if (response.value.status !== 200)
        throw new Error(`GET /api/tips/next: ${response.value.status} ${response.value.body.slice(0, 300)}`);
      empty.push(reference.ms);
      tips.push(response.ms);
      const body = JSON.parse(response.value.body) as NextBody;
      if (body.status !== 'tip') quiet++;
      else (body.fresh ? fresh : open).push(response.ms);
      if (index % reactEvery === reactEvery - 1 && body.decision && body.decision.shownAt === undefined)
        sideRequests.push(react(body.decision.decisionId, index).catch(() => undefined));
    });
    await Promise.all(sideRequests);
    const pauses = watch.stop();
    return {
      pauses,
      seconds: load.seconds,
      lateP99Ms: load.lateP99Ms,
      tips: summarize(tips),
      fresh: summarize(fresh),
      open: summarize(open),
      empty: summarize(empty),
      reaction: summarize(reactionMs),
      quiet,
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
  title: 'Tips: GET /api/tips/next p50/p99 at 200 requests/s; bandit update cost',
  reference: 'an empty handler on the same app at the same rate, interleaved (latency); a fresh decision p50 (bandit update cost)',
  async run(context) {
    const requests = context.quick ? 1_600 : 6_000;
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
          `GET /api/tips/next p50 at ${ratePerSecond}/s`,
          { value: round(load.tips.p50), unit: ms },
          { label: 'empty handler p50', value: round(load.empty.p50), unit: ms },
          'x the empty handler',
          {
            details: {
              all: roundAll(load.tips),
              freshDecisions: roundAll(load.fresh),
              openDecisionReturned: roundAll(load.open),
              emptyHandler: roundAll(load.empty),
              quietAnswers: load.quiet,
              seconds: round(load.seconds),
              clientLateP99Ms: round(load.lateP99Ms),
              processPauses: load.pauses,
            },
          },
        ),
        row(
          `GET /api/tips/next p99 at ${ratePerSecond}/s`,
          { value: round(load.tips.p99), unit: ms },
          { label: 'empty handler p99', value: round(load.empty.p99), unit: ms },
          'x the empty handler',
          { target: { text: 'tips p99 < 10 ms', measured: round(load.tips.p99), met: load.tips.p99 < 10 } },
        ),
        row(
          'same, fresh decisions only, p99',
          { value: round(load.fresh.p99), unit: ms },
          { label: 'empty handler p99', value: round(load.empty.p99), unit: ms },
          'x the empty handler',
          { details: { count: load.fresh.count, reactionShownPlusReactMs: roundAll(load.reaction) } },
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
        `The client runs in the benchmark's process on the same 2 cores: latency is request written -> body read, so it includes the client's share; ${load.tips.count} tips requests in ${round(load.seconds)} s (sends were at most ${round(load.lateP99Ms)} ms late, p99).`,
        `While the load ran, this process paused for GC ${load.pauses.gcCount} times (longest ${load.pauses.gcMaxMs} ms) and its event loop was up to ${load.pauses.loopDelayMaxMs} ms late (p99 ${load.pauses.loopDelayP99Ms} ms): a tail the empty handler shares is the process or the machine, not the route.`,
        `${load.fresh.count} of the requests made a fresh decision (after a reaction); the rest returned the open tip (p50 ${round(load.open.p50)} ms).`,
        'The bandit is timed on the model TipsService.currentModel returns (the product class, d = 176), on a scratch service.',
      ],
    };
  },
};

function roundAll(summary: ReturnType<typeof summarize>): Record<string, number> {
  return Object.fromEntries(Object.entries(summary).map(([key, value]) => [key, round(value)]));
}
