/**
 * api-reads: `GET /posts` of the village API over 1M posts (100k with --quick), paged with its keyset cursor
 * (`next_cursor` -> `before`), against an empty handler on the same app. The read-model table `village_posts` is
 * filled directly with one SQL statement (a recursive CTE), as the inline projection would have left it: three
 * channels, 18 authors, three posts per sim-time step (so the (sim_ms, id) tie-breaker is exercised), 1 % hidden.
 *
 * Half the requests ask for the newest page, half for a random depth (`before` = an ISO date-time inside the run), so
 * shallow and deep pages are both in the sample. They come from a separate process on an open-loop schedule (each
 * timed from when it was due), and the empty handler is sent by the same client at the same instants.
 */
import { sql } from 'kysely';
import { villageModule, villageServiceFor } from '../../src/village/index.js';
import { type BenchApp, emptyPath, startBenchApp } from '../lib/app.js';
import { keepAliveAgent, timedRequest } from '../lib/http.js';
import { latencies, runLoad } from '../lib/load.js';
import { type PauseReport, round, summarize, watchPauses } from '../lib/measure.js';
import { type BenchContext, type Benchmark, type ResultRow, row } from '../lib/types.js';

const startMs = Date.parse('2026-01-01T06:00:00Z');
const stepMs = 60_000;
const pageSize = 50;
// Below what one page of each kind costs on a loaded 2-core machine, so the schedule can be kept.
const allChannelsPerSecond = 5;
const feedPerSecond = 20;
const channels = ['FEED', 'CHAT', 'NEWS'] as const;

async function seedPosts(bench: BenchApp, runId: string, count: number): Promise<number> {
  const db = bench.runtime.database.db;
  const started = performance.now();
  // 3 posts per minute of sim time; text ~220 characters like a FEED post.
  await sql`
    with recursive n(i) as (select 1 union all select i + 1 from n where i < ${count})
    insert into village_posts
      (run_id, channel, author_id, source_event_id, tone, text, tags, safety_notes, model, fell_back, sim_time, sim_ms, place,
       status, flags, moderation_note, position, created_at)
    select ${runId},
      case i % 3 when 0 then 'FEED' when 1 then 'CHAT' else 'NEWS' end,
      'npc-' || (i % 18),
      'ev-' || i,
      'friendly',
      'Koivulahden kahvio aukesi tänään myöhässä, koska leipurin auto hajosi satamatiellä. Kalastajat odottivat ulkona ja puhuivat jäistä, ' ||
        'verkoista ja pitkästä talvesta. Postaus numero ' || i || '.',
      '["kahvio","satama"]',
      null,
      'bench',
      0,
      strftime('%Y-%m-%dT%H:%M:%SZ', (${startMs} + (i / 3) * ${stepMs}) / 1000, 'unixepoch'),
      ${startMs} + (i / 3) * ${stepMs},
      'kahvio',
      case when i % 100 = 0 then 'hidden' else 'visible' end,
      0,
      null,
      i,
      ${startMs} + (i / 3) * ${stepMs}
    from n`.execute(db);
  await sql`analyze`.execute(db);
  return (performance.now() - started) / 1000;
}

/** A small deterministic generator (LCG), so every run walks the same pages. */
function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

interface ReadFigure {
  latency: ReturnType<typeof summarize>;
  reference: ReturnType<typeof summarize>;
  requests: number;
  perSecond: number;
  deepest: number;
  itemsPerPage: number;
  clientLateP99Ms: number;
  pauses: PauseReport;
}

/** Page paths: half the newest page, half a random depth (`before` = an ISO date-time in the run). */
function pagePaths(query: string, count: number, requests: number): { paths: string[]; deepest: number } {
  const random = lcg(42);
  const spanMs = Math.floor(count / 3) * stepMs;
  let deepest = 0;
  const paths = Array.from({ length: requests }, (_, index) => {
    if (index % 2 === 0) return `/posts?limit=${pageSize}${query}`;
    const depth = random();
    deepest = Math.max(deepest, depth);
    return `/posts?limit=${pageSize}${query}&before=${encodeURIComponent(new Date(startMs + spanMs * (1 - depth)).toISOString())}`;
  });
  return { paths, deepest };
}

async function measureReads(
  context: BenchContext,
  bench: BenchApp,
  label: string,
  query: string,
  count: number,
  perSecond: number,
  seconds: number,
): Promise<ReadFigure> {
  const agent = keepAliveAgent();
  // Warm-up: the route, the JSON serializer, SQLite's page cache for the index.
  for (let index = 0; index < 10; index++) {
    await timedRequest(agent, `${bench.url}/posts?limit=${pageSize}${query}`);
    await timedRequest(agent, `${bench.url}${emptyPath}`);
  }
  agent.destroy();
  const requests = Math.max(4, Math.round(perSecond * seconds));
  const { paths, deepest } = pagePaths(query, count, requests);
  context.log(`${label}: ${requests} pages at ${perSecond}/s from a separate process (open loop), each with an empty-handler request`);
  const watch = watchPauses();
  const load = await runLoad({
    baseUrl: bench.url,
    perSecond,
    count: requests,
    targets: [
      { name: 'posts', paths },
      { name: 'empty', paths: [emptyPath] },
    ],
  });
  const pauses = watch.stop();
  const pages = load.samples.posts ?? [];
  const failed = pages.filter((sample) => sample.status !== 200).length;
  if (failed > 0) throw new Error(`${failed} of ${pages.length} GET /posts${query} answered other than 200`);
  return {
    pauses,
    latency: summarize(latencies(load, 'posts')),
    reference: summarize(latencies(load, 'empty')),
    requests: pages.length,
    perSecond,
    deepest,
    itemsPerPage: pageSize,
    clientLateP99Ms: load.lateP99Ms,
  };
}

export const apiReadsBenchmark: Benchmark = {
  name: 'api-reads',
  title: 'Village API: GET /posts p99 over 1M posts with keyset pagination',
  reference: 'an empty handler (GET /bench/empty -> {}) on the same app, requested the same way, interleaved',
  async run(context) {
    const count = context.quick ? 100_000 : 1_000_000;
    const seconds = context.quick ? 5 : 40;
    const bench = await startBenchApp('api-reads', [villageModule], '[village]\nautostart = false\nread_rate_per_minute = 0\n');
    try {
      const runId = await villageServiceFor(bench.services).runs.currentRunId();
      context.log(`seeding ${count} posts into village_posts (run ${runId}) with one SQL statement`);
      const seedSeconds = await seedPosts(bench, runId, count);
      context.log(`seeded in ${round(seedSeconds)} s`);
      const all = await measureReads(context, bench, 'all channels', '', count, allChannelsPerSecond, seconds);
      const feed = await measureReads(context, bench, 'channel=FEED', '&channel=FEED', count, feedPerSecond, seconds);
      const ms = 'ms';
      const size = count >= 1_000_000 ? `${count / 1_000_000}M` : `${count / 1_000}k`;
      const details = (figure: ReadFigure) => ({
        requests: figure.requests,
        perSecond: figure.perSecond,
        clientLateP99Ms: round(figure.clientLateP99Ms),
        deepestStart: round(figure.deepest),
        latency: roundAll(figure.latency),
        emptyHandler: roundAll(figure.reference),
        processPauses: figure.pauses,
      });
      const rows: ResultRow[] = [
        row(
          `GET /posts p99, ${size} posts, pages of ${pageSize}`,
          { value: round(all.latency.p99), unit: ms },
          { label: 'empty handler p99', value: round(all.reference.p99), unit: ms },
          'x the empty handler',
          { details: details(all) },
        ),
        row(
          `GET /posts p50, ${size} posts, pages of ${pageSize}`,
          { value: round(all.latency.p50), unit: ms },
          { label: 'empty handler p50', value: round(all.reference.p50), unit: ms },
          'x the empty handler',
        ),
        row(
          `GET /posts?channel=FEED p99, ${size} posts`,
          { value: round(feed.latency.p99), unit: ms },
          { label: 'empty handler p99', value: round(feed.reference.p99), unit: ms },
          'x the empty handler',
          { details: details(feed) },
        ),
      ];
      return {
        parameters: {
          posts: count,
          channels,
          authors: 18,
          postsPerSimMinute: 3,
          hiddenShare: 0.01,
          pageSize,
          ratesPerSecond: { allChannels: allChannelsPerSecond, feed: feedPerSecond },
          secondsPerCase: seconds,
          seedSeconds: round(seedSeconds),
          database: 'SQLite file (WAL) in the temp directory, opened by openRuntime like `koivulahti start`',
        },
        rows,
        notes: [
          'The client is a separate process (bench/lib/load-client.ts) sending on an open-loop schedule; latency runs from the instant each request was due to the last byte of its answer, so queueing behind a slow page counts.',
          'Requests alternate between the newest page and a random depth (`before` = an ISO date-time in the run); the empty handler is sent by the same client at the same instants.',
          `The read rate limit (village.read_rate_per_minute) is off for the run; everything else is the product's route as served.`,
        ],
      };
    } finally {
      await bench.close();
    }
  },
};

function roundAll(summary: ReturnType<typeof summarize>): Record<string, number> {
  return Object.fromEntries(Object.entries(summary).map(([key, value]) => [key, round(value)]));
}
