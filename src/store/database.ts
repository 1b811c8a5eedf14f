/**
 * One Kysely instance over either SQLite (better-sqlite3, the embedded default) or PostgreSQL (pg).
 * Where SQL differs, callers ask `database.adapter` (src/store/dialect) instead of branching on the dialect.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { type DatabaseConnection, Kysely, PostgresDialect, SqliteDialect, SqliteDriver } from 'kysely';
import pg from 'pg';
import { AppError } from '../core/errors.js';
import { createPostgresAdapter, type DialectAdapter, type SqlDialect, sqliteAdapter, UnsupportedDialectError } from './dialect/index.js';
import { storageErrorOf } from './storage-errors.js';

export type { SqlDialect } from './dialect/index.js';

export interface StoreDatabase {
  // biome-ignore lint/suspicious/noExplicitAny: each module narrows the schema with `db.withTables<...>()`
  readonly db: Kysely<any>;
  /** For display (health, logs); code that needs SQL to differ uses `adapter`. */
  readonly dialect: SqlDialect;
  /** Every SQL difference between the dialects. */
  readonly adapter: DialectAdapter;
  /** PostgreSQL connection settings, kept for features that need a dedicated connection (LISTEN). */
  readonly postgres?: pg.PoolConfig;
  destroy(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** A postgres:// URL; when absent the SQLite file at `sqlitePath` is used. */
  url?: string | undefined;
  sqlitePath?: string;
  poolSize?: number;
  /** PostgreSQL schema to use as search_path (tests use one schema each). */
  schema?: string;
  /**
   * Told when an idle PostgreSQL connection fails (the server restarted, `pg_terminate_backend`, a cut link). The pool
   * drops that connection and opens a new one on the next query; without a listener the error would end the process.
   */
  onConnectionError?: (error: Error) => void;
}

const int8Oid = 20;

export async function openDatabase(options: OpenDatabaseOptions): Promise<StoreDatabase> {
  if (options.url) {
    const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(options.url)?.[1]?.toLowerCase();
    if (scheme !== 'postgres' && scheme !== 'postgresql') throw new UnsupportedDialectError(scheme ?? redactUrl(options.url));
    return openPostgres(options.url, options);
  }
  return openSqlite(options.sqlitePath ?? './data/koivulahti.db');
}

function openSqlite(path: string): StoreDatabase {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  let connection: SqliteDatabase.Database;
  try {
    connection = new SqliteDatabase(path);
  } catch (error) {
    throw (
      storageErrorOf(error, path, { sqlitePath: path }) ??
      new AppError('store_unavailable', `cannot open SQLite database at ${path}: ${(error as Error).message}`, { cause: error })
    );
  }
  try {
    connection.pragma('journal_mode = WAL');
    connection.pragma('foreign_keys = ON');
    connection.pragma('busy_timeout = 5000');
    connection.pragma('synchronous = NORMAL');
  } catch (error) {
    connection.close();
    throw storageErrorOf(error, path, { sqlitePath: path }) ?? error;
  }
  const db = new Kysely({ dialect: new SafeRollbackSqliteDialect({ database: connection }) });
  return { db, dialect: 'sqlite', adapter: sqliteAdapter, destroy: () => db.destroy() };
}

/**
 * SQLite rolls a transaction back by itself on some errors (SQLITE_FULL, SQLITE_IOERR); Kysely's ROLLBACK then fails
 * with "cannot rollback - no transaction is active" and that error replaces the real one. Skip the ROLLBACK then.
 */
class SafeRollbackSqliteDialect extends SqliteDialect {
  constructor(private readonly settings: { database: SqliteDatabase.Database }) {
    super(settings);
  }

  override createDriver() {
    const database = this.settings.database;
    return new (class extends SqliteDriver {
      override async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
        if (database.inTransaction) await super.rollbackTransaction(connection);
      }
    })(this.settings);
  }
}

async function openPostgres(url: string, options: OpenDatabaseOptions): Promise<StoreDatabase> {
  const config: pg.PoolConfig = {
    connectionString: url,
    max: options.poolSize ?? 10,
    // Without a limit a query waits forever for a connection while the server is unreachable.
    connectionTimeoutMillis: 5_000,
    application_name: 'koivulahti',
    // int8 (positions, epoch milliseconds) fits a JavaScript number for the next 285,000 years.
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === int8Oid ? Number : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
    ...(options.schema ? { options: `-c search_path=${options.schema}` } : {}),
  };
  const pool = new pg.Pool(config);
  const connectionError = (error: Error) => options.onConnectionError?.(error);
  pool.on('error', connectionError);
  // A connection that fails while checked out (between the queries of a transaction) emits on the client itself.
  pool.on('connect', (client) => client.on('error', connectionError));
  try {
    const client = await pool.connect();
    client.release();
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw new AppError('store_unavailable', `cannot connect to PostgreSQL (${redactUrl(url)}): ${(error as Error).message}`, {
      cause: error,
    });
  }
  const db = new Kysely({ dialect: new PostgresDialect({ pool }) });
  return { db, dialect: 'postgres', adapter: createPostgresAdapter(config), postgres: config, destroy: () => db.destroy() };
}

/** Hides the password of a connection URL for logs and errors. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable url)';
  }
}

/** Reads a JSON column's value; prefer `database.adapter.readJson`. */
export function readJson<T = unknown>(value: unknown, dialect: SqlDialect): T {
  return adapterFor(dialect).readJson<T>(value);
}

/** True when `error` is a unique-constraint violation on either dialect. */
export function isUniqueViolation(error: unknown): boolean {
  return sqliteAdapter.isUniqueViolation(error) || adapterFor('postgres').isUniqueViolation(error);
}

const postgresValues = createPostgresAdapter({});

/** The adapter of a dialect for what needs no connection (values, SQL text). */
function adapterFor(dialect: SqlDialect): DialectAdapter {
  return dialect === 'sqlite' ? sqliteAdapter : postgresValues;
}
