/**
 * event-store: append throughput (single events against batches of 100, and 4 concurrent writers against one,
 * which shows the PostgreSQL append lock of ADR 0003) and replay of the whole log (1M events, 100k with --quick)
 * through `EventStore.readAll` against a raw keyset scan of the same table. SQLite (file, WAL) and PostgreSQL (own
 * schema at TEST_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test; skipped with a note when unreachable).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventStore, openDatabase, runMigrations, type StoreDatabase, storeMigrations } from '../../src/store/index.js';
import { isPostgresReachable, testDialects, testPostgresUrl } from '../../src/store/testing.js';
import { round, timed } from '../lib/measure.js';
import { type BenchContext, type Benchmark, type ResultRow, row } from '../lib/types.js';

const event = { type: 'measured', data: { text: 'Koivulahden kahvio aukeaa kello seitsemän.', value: 42 } };
const pageSize = 5_000;
const loadBatch = 1_000;
const warmUpEvents = 200;

interface Sizes {
  single: number;
  batched: number;
  concurrent: number;
  replay: number;
  /** Alternating raw / readAll passes over the whole log; the best of each counts. */
  replayRounds: number;
}

async function measureDialect(
  label: string,
  open: () => Promise<StoreDatabase>,
  sizes: Sizes,
  context: BenchContext,
): Promise<ResultRow[]> {
  const database = await open();
  try {
    await runMigrations(database, storeMigrations);
    const store = new EventStore(database);
    const rate = (count: number, seconds: number) => round(count / seconds);

    // Warm the driver and the JIT so the first measured case (the reference) is not charged for it.
    for (let index = 0; index < warmUpEvents; index++) await store.append('warm-up', 'any', [event]);
    context.log(`${label}: ${sizes.single} single appends`);
    const single = await timed(async () => {
      for (let index = 0; index < sizes.single; index++) await store.append(`single-${index % 50}`, 'any', [event]);
    });
    context.log(`${label}: ${sizes.batched} events in batches of 100`);
    const batch = Array.from({ length: 100 }, () => event);
    const batched = await timed(async () => {
      for (let index = 0; index < sizes.batched / 100; index++) await store.append(`batch-${index % 50}`, 'any', batch);
    });
    context.log(`${label}: 4 concurrent writers, ${sizes.concurrent} events`);
    const concurrent = await timed(async () => {
      await Promise.all(
        Array.from({ length: 4 }, async (_, writer) => {
          for (let index = 0; index < sizes.concurrent / 4; index++) await store.append(`concurrent-${writer}`, 'any', [event]);
        }),
      );
    });

    const written = warmUpEvents + sizes.single + sizes.batched + sizes.concurrent;
    const toLoad = Math.max(0, sizes.replay - written);
    context.log(`${label}: loading ${toLoad} more events (batches of ${loadBatch}) for the replay`);
    const loadBatchEvents = Array.from({ length: loadBatch }, () => event);
    const loaded = await timed(async () => {
      for (let done = 0; done < toLoad; done += loadBatch)
        await store.append(`load-${(done / loadBatch) % 100}`, 'any', loadBatchEvents.slice(0, Math.min(loadBatch, toLoad - done)));
    });
    const total = await store.headPosition();

    context.log(
      `${label}: replaying ${total} events: a warm-up scan, then ${sizes.replayRounds} rounds of a raw scan and EventStore.readAll (pages of ${pageSize})`,
    );
    const rawScan = async () => {
      let count = 0;
      let after = 0;
      for (;;) {
        const rows = await database.db
          .selectFrom('events')
          .selectAll()
          .where('position', '>', after)
          .orderBy('position')
          .limit(pageSize)
          .execute();
        if (rows.length === 0) break;
        count += rows.length;
        after = Number(rows[rows.length - 1]?.position);
      }
      return count;
    };
    const storeScan = async () => {
      let count = 0;
      let after = 0;
      for (;;) {
        const page = await store.readAll({ after, limit: pageSize });
        if (page.length === 0) break;
        count += page.length;
        after = page[page.length - 1]?.position ?? after;
      }
      return count;
    };
    // One unmeasured pass first, so neither measured pass is the one that pulls the table into the page cache; then
    // alternating rounds, keeping each side's best, because a shared machine disturbs single passes.
    await rawScan();
    let raw = Number.POSITIVE_INFINITY;
    let replay = Number.POSITIVE_INFINITY;
    let rawCount = 0;
    let replayCount = 0;
    for (let pass = 0; pass < sizes.replayRounds; pass++) {
      raw = Math.min(
        raw,
        await timed(async () => {
          rawCount = await rawScan();
        }),
      );
      replay = Math.min(
        replay,
        await timed(async () => {
          replayCount = await storeScan();
        }),
      );
    }
    await store.close();
    if (rawCount !== total || replayCount !== total)
      throw new Error(`${label}: replay read ${replayCount} and raw ${rawCount} of ${total} events`);

    const perSecond = 'events/s';
    const singleRate = rate(sizes.single, single);
    return [
      row(
        `${label}: append, batches of 100`,
        { value: rate(sizes.batched, batched), unit: perSecond },
        { label: 'single-event appends', value: singleRate, unit: perSecond },
        'x single appends',
        {
          details: { events: sizes.batched, singleEvents: sizes.single },
        },
      ),
      row(
        `${label}: append, 4 concurrent writers`,
        { value: rate(sizes.concurrent, concurrent), unit: perSecond },
        { label: 'one writer, single appends', value: singleRate, unit: perSecond },
        'x one writer',
        { details: { events: sizes.concurrent } },
      ),
      row(
        `${label}: replay ${formatCount(total)} events (readAll)`,
        { value: rate(total, replay), unit: perSecond },
        { label: 'raw keyset scan of the table', value: rate(total, raw), unit: perSecond },
        'of the raw scan',
        { details: { events: total, pageSize, bulkLoadEventsPerSecond: toLoad > 0 ? rate(toLoad, loaded) : undefined } },
      ),
    ];
  } finally {
    await database.destroy();
  }
}

function formatCount(count: number): string {
  if (count >= 1_000_000 && count % 1_000_000 === 0) return `${count / 1_000_000}M`;
  if (count >= 1_000 && count % 1_000 === 0) return `${count / 1_000}k`;
  return String(count);
}

export const eventStoreBenchmark: Benchmark = {
  name: 'event-store',
  title: 'Event store: append and replay, SQLite and PostgreSQL',
  reference: 'single-event appends (for batches and concurrent writers); a raw keyset scan of the events table (for replay)',
  async run(context) {
    const sizes: Sizes = context.quick
      ? { single: 1_000, batched: 10_000, concurrent: 1_000, replay: 100_000, replayRounds: 3 }
      : { single: 5_000, batched: 50_000, concurrent: 4_000, replay: 1_000_000, replayRounds: 2 };
    const rows: ResultRow[] = [];
    const notes: string[] = [];
    const directory = mkdtempSync(join(tmpdir(), 'koivulahti-bench-'));
    try {
      rows.push(...(await measureDialect('sqlite', () => openDatabase({ sqlitePath: join(directory, 'bench.db') }), sizes, context)));
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
    const postgres = testDialects.find((dialect) => dialect.name === 'postgres');
    if (postgres && (await isPostgresReachable())) rows.push(...(await measureDialect('postgres', () => postgres.open(), sizes, context)));
    else notes.push(`PostgreSQL not reachable at ${testPostgresUrl.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@')}: skipped`);
    notes.push(
      'SQLite is a file in the temp directory (WAL, synchronous=NORMAL); PostgreSQL runs in its own schema, dropped afterwards.',
      'Every append is one transaction; on PostgreSQL it takes the append lock (ADR 0003), so concurrent writers queue.',
      'SQLite has one writer and a synchronous driver, so its 4-writer ratio shows scheduling around the driver, not parallel writes.',
      'Replay against the raw scan: on SQLite the raw rows keep data and metadata as JSON text, which readAll parses; on PostgreSQL the driver parses jsonb in both.',
    );
    return { parameters: { ...sizes, pageSize, loadBatch }, rows, notes };
  },
};
