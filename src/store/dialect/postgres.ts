/**
 * PostgreSQL (pg): an advisory lock orders appends, LISTEN/NOTIFY wakes other processes, a generated tsvector column
 * with a GIN index does full text, JSON is jsonb (parsed by the driver).
 */
import { sql } from 'kysely';
import pg from 'pg';
import { AppError } from '../../core/errors.js';
import { type AnyKysely, checkFullTextIndex, type DialectAdapter, type FullTextSearch, searchableTerms } from './adapter.js';

export function createPostgresAdapter(connection: pg.ClientConfig): DialectAdapter {
  return {
    name: 'postgres',
    jsonType: 'jsonb',

    addAutoIncrementKey(table, column) {
      return table.addColumn(column, 'bigserial', (definition) => definition.primaryKey()) as typeof table;
    },

    async createFullTextIndex(db, index) {
      checkFullTextIndex(index);
      await sql`alter table ${sql.table(index.table)} add column search tsvector generated always as (to_tsvector('simple', ${sql.ref(index.column)})) stored`.execute(
        db,
      );
      await sql`create index ${sql.id(`${index.table}_search`)} on ${sql.table(index.table)} using gin (search)`.execute(db);
    },

    async listTables(db) {
      const result = await sql<{ name: string }>`select table_name as name from information_schema.tables
        where table_schema = current_schema() and table_type = 'BASE TABLE' order by table_name`.execute(db);
      return result.rows.map((row) => row.name);
    },

    async tableExists(db, name) {
      const result = await sql<{ n: number }>`select count(*) as n from information_schema.tables
        where table_schema = current_schema() and table_name = ${name}`.execute(db);
      return Number(result.rows[0]?.n ?? 0) > 0;
    },

    async migrationSchema(db) {
      const result = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(db);
      const schema = result.rows[0]?.schema;
      if (!schema) throw new AppError('store_unavailable', 'PostgreSQL has no current schema; check search_path');
      return schema;
    },

    readJson<T>(value: unknown): T {
      return value as T;
    },

    isUniqueViolation(error) {
      return (error as { code?: unknown } | null)?.code === '23505';
    },

    async lockAppends(transaction, key) {
      await sql`select pg_advisory_xact_lock(${key})`.execute(transaction);
    },

    lockSkippingLocked(query) {
      return query.forUpdate().skipLocked() as typeof query;
    },

    consistentReadTransaction(db: AnyKysely) {
      return db.transaction().setIsolationLevel('repeatable read');
    },

    async notify(transaction, channel, payload) {
      await sql`select pg_notify(${channel}, ${payload})`.execute(transaction);
    },

    async listen(channel, onNotify, onError) {
      if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new AppError('validation_failed', `not a channel name: '${channel}'`);
      const client = new pg.Client(connection);
      client.on('notification', () => onNotify());
      client.on('error', onError);
      try {
        await client.connect();
        await client.query(`listen ${channel}`);
      } catch (error) {
        await client.end().catch(() => undefined);
        throw new AppError('store_unavailable', `cannot LISTEN on ${channel}: ${(error as Error).message}`, { cause: error });
      }
      return { close: () => client.end().catch(() => undefined) };
    },

    async fullTextRemove() {},

    async fullTextAdd() {},

    async fullTextRows() {
      return undefined;
    },

    fullTextSearch(index, alias, terms): FullTextSearch {
      checkFullTextIndex(index);
      const words = searchableTerms(terms);
      const query = sql`to_tsquery('simple', ${words.join(' | ')})`;
      const search = sql.ref(`${alias}.search`);
      return {
        join: sql``,
        matches: words.length === 0 ? sql<boolean>`1 = 0` : sql<boolean>`${search} @@ ${query}`,
        rank: sql<number>`ts_rank(${search}, ${query})`,
        relevance(rank) {
          const strength = Math.max(0, rank);
          return strength / (strength + 0.05);
        },
      };
    },
  };
}
