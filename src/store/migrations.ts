/**
 * Forward-only migrations through Kysely's Migrator (recorded in `kysely_migration`, locked while they run).
 * Every module exports an ordered list; the composition root passes them all. Names sort in order of application.
 */
import { type Kysely, type Migration, type MigrationProvider, Migrator } from 'kysely';
import { MigrationError } from '../core/errors.js';
import { sleep } from '../core/sleep.js';
import type { StoreDatabase } from './database.js';
import type { DialectAdapter, SqlDialect } from './dialect/index.js';

export interface StoreMigration {
  /** Sortable, unique name, e.g. `0001-store-events`. */
  name: string;
  /** `adapter` holds what differs between the dialects (JSON column type, auto-increment keys, full-text indexes). */
  // biome-ignore lint/suspicious/noExplicitAny: migrations run against the untyped schema
  up(db: Kysely<any>, adapter: DialectAdapter): Promise<void>;
}

export interface MigrationReport {
  applied: string[];
}

export async function runMigrations(database: StoreDatabase, migrations: readonly StoreMigration[]): Promise<MigrationReport> {
  const names = new Set<string>();
  for (const migration of migrations) {
    if (names.has(migration.name)) throw new MigrationError(migration.name, new Error('duplicate migration name'));
    names.add(migration.name);
  }
  const provider: MigrationProvider = {
    async getMigrations() {
      const record: Record<string, Migration> = {};
      for (const migration of migrations) record[migration.name] = { up: (db) => migration.up(db, database.adapter) };
      return record;
    },
  };
  // Kysely looks for its bookkeeping tables in every schema unless told which one; pin it to ours so two schemas on
  // one server (tests, or two installations) never read each other's migration state.
  let migrationTableSchema: string | undefined;
  try {
    migrationTableSchema = await database.adapter.migrationSchema(database.db);
  } catch (error) {
    throw new MigrationError('(setup)', error as Error);
  }
  const migrator = new Migrator({ db: database.db, provider, ...(migrationTableSchema ? { migrationTableSchema } : {}) });
  let outcome = await migrator.migrateToLatest();
  // Kysely's table check reads every schema of the server (has_schema_privilege per schema); another schema dropped
  // at that moment fails it with 3F000 before anything was applied. Migrating again is safe and sees the drop done.
  for (let attempt = 1; attempt < 4 && isOtherSchemaDropped(outcome.error, migrationTableSchema); attempt += 1) {
    await sleep(50 * attempt);
    outcome = await migrator.migrateToLatest();
  }
  const { error, results = [] } = outcome;
  const failed = results.find((result) => result.status === 'Error');
  if (error !== undefined || failed !== undefined)
    throw new MigrationError(failed?.migrationName ?? 'unknown', error ?? new Error('failed'));
  return { applied: results.filter((result) => result.status === 'Success').map((result) => result.migrationName) };
}

/** True for PostgreSQL's "schema ... does not exist" (3F000) naming a schema other than ours. */
export function isOtherSchemaDropped(error: unknown, ownSchema: string | undefined): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (code !== '3F000' || typeof message !== 'string') return false;
  return ownSchema === undefined || !message.includes(`"${ownSchema}"`);
}

/** Column types of migrations written before the adapter; `adapter.jsonType` is the same. */
export const columnTypes = {
  json: (dialect: SqlDialect | DialectAdapter): 'jsonb' | 'text' =>
    typeof dialect === 'string' ? (dialect === 'postgres' ? 'jsonb' : 'text') : dialect.jsonType,
  bigint: () => 'bigint',
} as const;
