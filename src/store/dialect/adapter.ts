/**
 * Every SQL difference between SQLite and PostgreSQL, behind one interface (after Kysely's DialectAdapter). Code
 * outside src/store and src/messaging never branches on the dialect: it asks `database.adapter`.
 */
import type { CreateTableBuilder, Kysely, RawBuilder, SelectQueryBuilder, TransactionBuilder } from 'kysely';
import { AppError } from '../../core/errors.js';

export type SqlDialect = 'sqlite' | 'postgres';

// biome-ignore lint/suspicious/noExplicitAny: the adapter serves every module's schema
export type AnyKysely = Kysely<any>;

/**
 * A full-text index over one text column of a table, keyed by a text column. SQLite keeps it in an FTS5 table
 * `<table>_fts(<key>, <stored...>, <column>)` that writers refresh; PostgreSQL in a generated tsvector column
 * `search` with a GIN index `<table>_search`, which follows the row by itself.
 */
export interface FullTextIndex {
  table: string;
  key: string;
  column: string;
  /** Extra columns copied into the SQLite FTS table (unindexed), e.g. an owner id. */
  stored?: readonly string[];
}

/** Rows to refresh in a full-text index: these keys, a subquery selecting keys, or (absent) every row. */
export type FullTextKeys = readonly string[] | RawBuilder<unknown>;

/** The pieces of a ranked full-text query over `<table> <alias>`. */
export interface FullTextSearch {
  /** Joins the index to the table's alias (empty where the index lives in the table). */
  join: RawBuilder<unknown>;
  /** The row matches any of the terms. */
  matches: RawBuilder<boolean>;
  /** Relevance, higher is better: order by it descending. */
  rank: RawBuilder<number>;
  /** Maps a rank to 0..1 (0 = barely matching). */
  relevance(rank: number): number;
}

/** A live subscription to a notification channel; `close` ends it. */
export interface Listener {
  close(): Promise<void>;
}

export interface DialectAdapter {
  readonly name: SqlDialect;

  // ---- schema (migrations)
  /** Column type of JSON values: jsonb on PostgreSQL, text on SQLite. */
  readonly jsonType: 'jsonb' | 'text';
  /** Adds an auto-incrementing integer primary key column. */
  addAutoIncrementKey<Table extends string, Columns extends string>(
    table: CreateTableBuilder<Table, Columns>,
    column: string,
  ): CreateTableBuilder<Table, Columns>;
  /** Creates the full-text index of `index` on an existing table. */
  createFullTextIndex(db: AnyKysely, index: FullTextIndex): Promise<void>;
  /** Base tables of this database (PostgreSQL: of the current schema), sorted by name. */
  listTables(db: AnyKysely): Promise<string[]>;
  tableExists(db: AnyKysely, name: string): Promise<boolean>;
  /** The schema that holds Kysely's migration bookkeeping, when the dialect has schemas. */
  migrationSchema(db: AnyKysely): Promise<string | undefined>;

  // ---- values
  /** A JSON column's value as read: parsed by pg (jsonb), text on SQLite. The dialect decides, not the value's type. */
  readJson<T = unknown>(value: unknown): T;
  /** True when `error` is a unique-constraint violation. */
  isUniqueViolation(error: unknown): boolean;

  // ---- concurrency
  /** Serialises appenders until the transaction ends (PostgreSQL advisory lock; SQLite has one writer anyway). */
  lockAppends(transaction: AnyKysely, key: number): Promise<void>;
  /** Locks the selected rows for the transaction, skipping rows another transaction holds. */
  // biome-ignore lint/suspicious/noExplicitAny: any select query
  lockSkippingLocked<Query extends SelectQueryBuilder<any, any, any>>(query: Query): Query;
  /** A transaction whose reads all see one snapshot of the database. */
  // biome-ignore lint/suspicious/noExplicitAny: the caller's schema
  consistentReadTransaction(db: AnyKysely): TransactionBuilder<any>;

  // ---- notifications between processes
  /** Sends `payload` on `channel` when the transaction commits (nothing on SQLite). */
  notify(transaction: AnyKysely, channel: string, payload: string): Promise<void>;
  /**
   * Calls `onNotify` for every notification on `channel` from any process. Undefined when the dialect cannot (SQLite:
   * readers poll). Rejects with StoreUnavailableError when the connection cannot be made.
   */
  listen(channel: string, onNotify: () => void, onError: (error: Error) => void): Promise<Listener | undefined>;

  // ---- full-text search
  /** Removes rows from the index (SQLite); a no-op where the index follows the table. */
  fullTextRemove(db: AnyKysely, index: FullTextIndex, keys?: FullTextKeys): Promise<void>;
  /** Adds the table's current rows to the index (SQLite); a no-op where the index follows the table. */
  fullTextAdd(db: AnyKysely, index: FullTextIndex, keys?: FullTextKeys): Promise<void>;
  /** The index's own rows for `keys` (for dumps), or undefined where the index has no rows of its own. */
  fullTextRows(db: AnyKysely, index: FullTextIndex, keys: FullTextKeys): Promise<Record<string, unknown>[] | undefined>;
  /** A ranked search for any of `terms` (plain words) over `index.table` aliased as `alias`. */
  fullTextSearch(index: FullTextIndex, alias: string, terms: readonly string[]): FullTextSearch;
}

/** A dialect name the store does not know. */
export class UnsupportedDialectError extends AppError {
  constructor(name: string) {
    super('config_invalid', `unsupported database '${name}': use a postgres:// URL, or none for SQLite`, { details: { dialect: name } });
    this.name = 'UnsupportedDialectError';
  }
}

/** A full-text index definition or search that cannot be expressed. */
export class FullTextError extends AppError {
  constructor(message: string, details: Record<string, unknown>) {
    super('validation_failed', message, { details });
    this.name = 'FullTextError';
  }
}

const identifier = /^[a-z_][a-z0-9_]*$/;

/** Table and column names go into DDL and raw SQL: only plain identifiers are accepted. */
export function checkFullTextIndex(index: FullTextIndex): void {
  for (const name of [index.table, index.key, index.column, ...(index.stored ?? [])])
    if (!identifier.test(name)) throw new FullTextError(`full-text index names must be plain identifiers, got '${name}'`, { name });
}

/** The words of `terms` that can be searched (no quotes or operators), deduplicated. */
export function searchableTerms(terms: readonly string[]): string[] {
  const words = terms.map((term) => term.replace(/["'&|!():*<>\\]/g, ' ').trim()).filter((term) => term !== '' && !/\s/.test(term));
  return [...new Set(words)];
}
