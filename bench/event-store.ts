/**
 * Event store append throughput on SQLite (file, WAL) and PostgreSQL: single-event appends against batches of 100,
 * and the cost of the PostgreSQL append lock (ADR 0003) measured as 4 concurrent appenders against 1.
 * Run: npx tsx bench/event-store.ts [--events 2000]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { EventStore, openDatabase, runMigrations, type StoreDatabase, storeMigrations } from '../src/store/index.js';
import { isPostgresReachable, testDialects } from '../src/store/testing.js';

const { values } = parseArgs({ options: { events: { type: 'string', default: '2000' } } });
const total = Number(values.events);

async function timed(run: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await run();
  return (performance.now() - started) / 1000;
}

async function measure(name: string, open: () => Promise<StoreDatabase>): Promise<void> {
  const database = await open();
  await runMigrations(database, storeMigrations);
  const store = new EventStore(database);
  const event = { type: 'measured', data: { text: 'Koivulahden kahvio aukeaa kello seitsemän.', value: 42 } };
  const single = await timed(async () => {
    for (let index = 0; index < total; index++) await store.append(`single-${index % 50}`, 'any', [event]);
  });
  const batched = await timed(async () => {
    for (let index = 0; index < total / 100; index++)
      await store.append(
        `batch-${index % 50}`,
        'any',
        Array.from({ length: 100 }, () => event),
      );
  });
  const concurrent = await timed(async () => {
    await Promise.all(
      Array.from({ length: 4 }, async (_, writer) => {
        for (let index = 0; index < total / 4; index++) await store.append(`concurrent-${writer}`, 'any', [event]);
      }),
    );
  });
  const replay = await timed(async () => {
    let after = 0;
    for (;;) {
      const page = await store.readAll({ after, limit: 5_000 });
      if (page.length === 0) break;
      after = page[page.length - 1]?.position ?? after;
    }
  });
  const all = total * 3;
  const rate = (count: number, seconds: number) => Math.round(count / seconds);
  console.log(`\n${name}`);
  console.log(`  single appends        ${String(rate(total, single)).padStart(8)} events/s   (reference)`);
  console.log(`  batches of 100        ${String(rate(total, batched)).padStart(8)} events/s   x${(single / batched).toFixed(1)} vs single`);
  console.log(
    `  4 concurrent writers  ${String(rate(total, concurrent)).padStart(8)} events/s   x${(single / concurrent).toFixed(2)} vs one writer`,
  );
  console.log(`  readAll replay        ${String(rate(all, replay)).padStart(8)} events/s   over ${all} events`);
  await store.close();
  await database.destroy();
}

console.log(
  `event-store bench: ${total} events per case, node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'})`,
);
const directory = mkdtempSync(join(tmpdir(), 'koivulahti-bench-'));
await measure('SQLite (file, WAL)', () => openDatabase({ sqlitePath: join(directory, 'bench.db') }));
rmSync(directory, { recursive: true, force: true });
const postgres = testDialects.find((dialect) => dialect.name === 'postgres');
if (postgres && (await isPostgresReachable())) await measure('PostgreSQL (local, own schema)', () => postgres.open());
else console.log('\nPostgreSQL not reachable: skipped');
