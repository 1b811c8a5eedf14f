/**
 * Test helpers: a fresh database per test for every dialect. PostgreSQL tests get their own schema; where
 * PostgreSQL is unreachable they skip with a message, except under CI=true where that is a failure.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { openDatabase, type SqlDialect, type StoreDatabase } from './database.js';

export const testPostgresUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

let postgresReachable: Promise<boolean> | undefined;

export function isPostgresReachable(): Promise<boolean> {
  postgresReachable ??= (async () => {
    const client = new pg.Client({ connectionString: testPostgresUrl, connectionTimeoutMillis: 2_000 });
    try {
      await client.connect();
      await client.end();
      return true;
    } catch {
      return false;
    }
  })();
  return postgresReachable;
}

export interface TestDialect {
  name: SqlDialect;
  /** Reason to skip, or undefined when the dialect can run here. */
  skipReason(): Promise<string | undefined>;
  open(): Promise<StoreDatabase>;
}

export const testDialects: TestDialect[] = [
  {
    name: 'sqlite',
    skipReason: async () => undefined,
    open: () => openDatabase({ sqlitePath: ':memory:' }),
  },
  {
    name: 'postgres',
    async skipReason() {
      if (await isPostgresReachable()) return undefined;
      if (process.env.CI === 'true')
        throw new Error(`PostgreSQL is not reachable at ${testPostgresUrl} and CI=true: the distributed suites must run`);
      return `PostgreSQL is not reachable at ${testPostgresUrl}; skipping (set TEST_DATABASE_URL)`;
    },
    async open() {
      // t_<epoch seconds>_<random>: CI drops leftovers older than an hour without touching a run in progress.
      const schema = `t_${Math.floor(Date.now() / 1000)}_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
      const admin = new pg.Client({ connectionString: testPostgresUrl });
      await admin.connect();
      await admin.query(`create schema ${schema}`);
      await admin.end();
      const database = await openDatabase({ url: testPostgresUrl, schema, poolSize: 8 });
      return {
        ...database,
        async destroy() {
          await database.destroy();
          const cleanup = new pg.Client({ connectionString: testPostgresUrl });
          await cleanup.connect();
          await cleanup.query(`drop schema ${schema} cascade`);
          await cleanup.end();
        },
      };
    },
  },
];

export interface ResolvedTestDialect extends TestDialect {
  /** Set when this dialect cannot run here; the suite is skipped with this message. */
  skip: string | undefined;
}

/** Resolves which dialects can run; call with top-level await and loop with `describe.skipIf(dialect.skip)`. */
export async function resolveTestDialects(): Promise<ResolvedTestDialect[]> {
  const resolved: ResolvedTestDialect[] = [];
  for (const dialect of testDialects) {
    const skip = await dialect.skipReason();
    if (skip) console.warn(`[skip] ${dialect.name}: ${skip}`);
    resolved.push({ ...dialect, skip });
  }
  return resolved;
}
