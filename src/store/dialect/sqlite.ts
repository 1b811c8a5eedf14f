/** SQLite (better-sqlite3): one writer at a time, FTS5 for full text, JSON as text, no notifications. */
import { sql } from 'kysely';
import {
  type AnyKysely,
  checkFullTextIndex,
  type DialectAdapter,
  type FullTextIndex,
  type FullTextKeys,
  type FullTextSearch,
  searchableTerms,
} from './adapter.js';

const ftsTable = (index: FullTextIndex) => sql.table(`${index.table}_fts`);
const ftsColumns = (index: FullTextIndex) => [index.key, ...(index.stored ?? []), index.column];

function keyCondition(index: FullTextIndex, keys: FullTextKeys | undefined) {
  if (keys === undefined) return sql`1 = 1`;
  if (Array.isArray(keys)) return keys.length === 0 ? sql`1 = 0` : sql`${sql.ref(index.key)} in (${sql.join(keys)})`;
  return sql`${sql.ref(index.key)} in (${keys})`;
}

export const sqliteAdapter: DialectAdapter = {
  name: 'sqlite',
  jsonType: 'text',

  addAutoIncrementKey(table, column) {
    return table.addColumn(column, 'integer', (definition) => definition.primaryKey().autoIncrement()) as typeof table;
  },

  async createFullTextIndex(db, index) {
    checkFullTextIndex(index);
    const columns = ftsColumns(index).map((name) => (name === index.column ? name : `${name} unindexed`));
    // Names are checked identifiers; left unquoted so the stored DDL reads as it always did.
    await sql`create virtual table ${sql.raw(`${index.table}_fts`)} using fts5(${sql.raw(columns.join(', '))})`.execute(db);
  },

  async listTables(db) {
    const result = await sql<{
      name: string;
    }>`select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name`.execute(db);
    return result.rows.map((row) => row.name);
  },

  async tableExists(db, name) {
    const result = await sql<{ n: number }>`select count(*) as n from sqlite_master where type = 'table' and name = ${name}`.execute(db);
    return Number(result.rows[0]?.n ?? 0) > 0;
  },

  async migrationSchema() {
    return undefined;
  },

  readJson<T>(value: unknown): T {
    return (typeof value === 'string' ? JSON.parse(value) : value) as T;
  },

  isUniqueViolation(error) {
    const code = (error as { code?: unknown } | null)?.code;
    return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
  },

  async lockAppends() {},

  lockSkippingLocked(query) {
    return query;
  },

  consistentReadTransaction(db: AnyKysely) {
    return db.transaction();
  },

  async notify() {},

  async listen() {
    return undefined;
  },

  async fullTextRemove(db, index, keys) {
    checkFullTextIndex(index);
    await sql`delete from ${ftsTable(index)} where ${keyCondition(index, keys)}`.execute(db);
  },

  async fullTextAdd(db, index, keys) {
    checkFullTextIndex(index);
    const columns = sql.join(ftsColumns(index).map((name) => sql.ref(name)));
    await sql`insert into ${ftsTable(index)} (${columns}) select ${columns} from ${sql.table(index.table)} where ${keyCondition(index, keys)}`.execute(
      db,
    );
  },

  async fullTextRows(db, index, keys) {
    checkFullTextIndex(index);
    const columns = sql.join(ftsColumns(index).map((name) => sql.ref(name)));
    const result = await sql<
      Record<string, unknown>
    >`select ${columns} from ${ftsTable(index)} where ${keyCondition(index, keys)} order by ${sql.ref(index.key)}`.execute(db);
    return result.rows;
  },

  fullTextSearch(index, alias, terms): FullTextSearch {
    checkFullTextIndex(index);
    const fts = ftsTable(index);
    const words = searchableTerms(terms);
    const match = words.map((word) => `"${word}"`).join(' OR ');
    return {
      join: sql`join ${fts} on ${fts}.${sql.ref(index.key)} = ${sql.ref(`${alias}.${index.key}`)}`,
      matches: words.length === 0 ? sql<boolean>`1 = 0` : sql<boolean>`${fts} match ${match}`,
      // bm25 is lower for better matches.
      rank: sql<number>`-bm25(${fts})`,
      relevance(rank) {
        const strength = Math.max(0, rank);
        return strength / (strength + 1);
      },
    };
  },
};
