/**
 * Forward-only migrations through Kysely's Migrator (recorded in `kysely_migration`, locked while they run).
 * Every module exports an ordered list; the composition root passes them all. Names sort in order of application.
 */
import { type Kysely, type Migration, type MigrationProvider, Migrator, sql } from 'kysely';
import { MigrationError } from '../core/errors.js';
import type { SqlDialect, StoreDatabase } from './database.js';

export interface StoreMigration {
  /** Sortable, unique name, e.g. `0001-store-events`. */
  name: string;
  // biome-ignore lint/suspicious/noExplicitAny: migrations run against the untyped schema
  up(db: Kysely<any>, dialect: SqlDialect): Promise<void>;
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
      for (const migration of migrations) record[migration.name] = { up: (db) => migration.up(db, database.dialect) };
      return record;
    },
  };
  // Kysely looks for its bookkeeping tables in every schema unless told which one; pin it to ours so two schemas on
  // one server (tests, or two installations) never read each other's migration state.
  const migrationTableSchema = database.dialect === 'postgres' ? await currentSchema(database) : undefined;
  const migrator = new Migrator({ db: database.db, provider, ...(migrationTableSchema ? { migrationTableSchema } : {}) });
  const { error, results = [] } = await migrator.migrateToLatest();
  const failed = results.find((result) => result.status === 'Error');
  if (error !== undefined || failed !== undefined)
    throw new MigrationError(failed?.migrationName ?? 'unknown', error ?? new Error('failed'));
  return { applied: results.filter((result) => result.status === 'Success').map((result) => result.migrationName) };
}

async function currentSchema(database: StoreDatabase): Promise<string> {
  const result = await sql<{ schema: string }>`select current_schema() as schema`.execute(database.db);
  const schema = result.rows[0]?.schema;
  if (!schema) throw new MigrationError('(setup)', new Error('PostgreSQL has no current schema; check search_path'));
  return schema;
}

/** Column type helpers for the few places where the dialects differ. */
export const columnTypes = {
  json: (dialect: SqlDialect) => (dialect === 'postgres' ? 'jsonb' : 'text'),
  bigint: () => 'bigint',
} as const;
