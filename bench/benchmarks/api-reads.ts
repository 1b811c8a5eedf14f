/**
 * api-reads: `GET /posts` of the village API over 1M posts (100k with --quick), paged with its keyset cursor
 * (`next_cursor` -> `before`), against an empty handler on the same app. The read-model table `village_posts` is
 * filled directly with one SQL statement (a recursive CTE), as the inline projection would have left it: three
 * channels, 18 authors, three posts per sim-time step (so the (sim_ms, id) tie-breaker is exercised), 1 % hidden.
 *
 * Each walk starts at the newest page or at a random depth (`before` = an ISO date-time inside the run, as the seed's
 * API allows) and follows `next_cursor` for a few pages, so shallow and deep pages are both in the sample. Requests
 * are sequential on one keep-alive connection, interleaved with the empty-handler requests.
 */
import { sql } from 'kysely';
import { villageModule, villageServiceFor } from '../../src/village/index.js';
import { type BenchApp, emptyPath, startBenchApp } from '../lib/app.js';
import { keepAliveAgent, timedRequest } from '../lib/http.js';
import { type PauseReport, round, summarize, watchPauses } from '../lib/measure.js';
import { type BenchContext, type Benchmark, type ResultRow, row } from '../lib/types.js';

const startMs = Date.parse('2026-01-01T06:00:00Z');
const stepMs = 60_000;
const pageSize = 50;
const pagesPerWalk = 5;
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
  deepest: number;
  itemsPerPage: number;
  pauses: PauseReport;
}

async function measureWalks(
  context: BenchContext,
  bench: BenchApp,
  label: string,
  query: string,
  walks: number,
  count: number,
  budgetMs: number,
): Promise<ReadFigure> {
  const agent = keepAliveAgent();
  const random = lcg(42);
  const latencies: number[] = [];
  const reference: number[] = [];
  const spanMs = Math.floor(count / 3) * stepMs;
  let deepest = 0;
  let items = 0;
  const started = performance.now();
  const watch = watchPauses();
  let pauses: PauseReport | undefined;
  try {
    // Warm-up: the route, the JSON serializer, SQLite's page cache for the index.
    for (let index = 0; index < 20; index++) {
      await timedRequest(agent, `${bench.url}/posts?limit=${pageSize}${query}`);
      await timedRequest(agent, `${bench.url}${emptyPath}`);
    }
    context.log(`${label}: ${walks} walks of ${pagesPerWalk} pages (limit ${pageSize}), each interleaved with an empty-handler request`);
    for (let walk = 0; walk < walks; walk++) {
      if (performance.now() - started > budgetMs) break;
      // Half the walks from the newest page, half from a random depth.
      const depth = walk % 2 === 0 ? 0 : random();
      let before: string | undefined = depth === 0 ? undefined : new Date(startMs + spanMs * (1 - depth)).toISOString();
      deepest = Math.max(deepest, depth);
      for (let page = 0; page < pagesPerWalk; page++) {
        const url = `${bench.url}/posts?limit=${pageSize}${query}${before ? `&before=${encodeURIComponent(before)}` : ''}`;
        const response = await timedRequest(agent, url);
        if (response.status !== 200) throw new Error(`GET ${url}: ${response.status} ${response.body.slice(0, 300)}`);
        latencies.push(response.ms);
        reference.push((await timedRequest(agent, `${bench.url}${emptyPath}`)).ms);
        const body = JSON.parse(response.body) as { items: unknown[]; next_cursor: string | null };
        items += body.items.length;
        if (!body.next_cursor) break;
        before = body.next_cursor;
      }
    }
  } finally {
    pauses = watch.stop();
    agent.destroy();
  }
  return {
    pauses,
    latency: summarize(latencies),
    reference: summarize(reference),
    requests: latencies.length,
    deepest,
    itemsPerPage: items / Math.max(1, latencies.length),
  };
}

export const apiReadsBenchmark: Benchmark = {
  name: 'api-reads',
  title: 'Village API: GET /posts p99 over 1M posts with keyset pagination',
  reference: 'an empty handler (GET /bench/empty -> {}) on the same app, requested the same way, interleaved',
  async run(context) {
    const count = context.quick ? 100_000 : 1_000_000;
    const walks = context.quick ? 120 : 400;
    const budgetMs = context.quick ? 4_000 : 40_000;
    const bench = await startBenchApp('api-reads', [villageModule], '[village]\nautostart = false\nread_rate_per_minute = 0\n');
    try {
      const runId = await villageServiceFor(bench.services).runs.currentRunId();
      context.log(`seeding ${count} posts into village_posts (run ${runId}) with one SQL statement`);
      const seedSeconds = await seedPosts(bench, runId, count);
      context.log(`seeded in ${round(seedSeconds)} s`);
      const all = await measureWalks(context, bench, 'all channels', '', walks, count, budgetMs);
      const feed = await measureWalks(context, bench, 'channel=FEED', '&channel=FEED', walks, count, budgetMs);
      const ms = 'ms';
      const size = count >= 1_000_000 ? `${count / 1_000_000}M` : `${count / 1_000}k`;
      const details = (figure: ReadFigure) => ({
        requests: figure.requests,
        itemsPerPage: round(figure.itemsPerPage),
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
          pagesPerWalk,
          walks,
          timeBudgetSecondsPerCase: budgetMs / 1000,
          seedSeconds: round(seedSeconds),
          database: 'SQLite file (WAL) in the temp directory, opened by openRuntime like `koivulahti start`',
        },
        rows,
        notes: [
          'Latency is measured by the client on the same machine (node:http, one keep-alive connection): request written to last byte read.',
          'Walks alternate between the newest page and a random depth (`before` = an ISO date-time in the run), then follow next_cursor.',
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
