/**
 * The embedded key-value store: a `kv` table on SQLite or PostgreSQL.
 *
 * Every write is one statement whose condition is checked by the database, so compare-and-set is atomic on both
 * dialects: `INSERT ... ON CONFLICT DO UPDATE ... WHERE` (PostgreSQL re-checks the WHERE on the locked row) or a
 * conditional UPDATE, judged by whether a row came back. An expired key behaves as absent. Deleting a key keeps its
 * row as an expired tombstone (like a NATS KV delete marker), so revisions keep increasing across delete and
 * re-create and a compare-and-set holding a revision from before the delete cannot succeed.
 */
import type { Kysely } from 'kysely';
import { type Clock, systemClock } from '../../core/clock.js';
import { ValidationError } from '../../core/errors.js';
import type { StoreDatabase } from '../../store/database.js';
import type { DialectAdapter } from '../../store/dialect/index.js';
import type { StoreMigration } from '../../store/migrations.js';
import { assertKvKey } from '../names.js';
import type { KvEntry, KvStore } from '../ports.js';

interface KvTable {
  key: string;
  /** JSON text: jsonb on PostgreSQL, text on SQLite. */
  value: string;
  revision: number;
  /** Epoch milliseconds; null = never expires. */
  expires_at: number | null;
  updated_at: number;
}

interface KvTables {
  kv: KvTable;
}

export const kvStoreMigrations: StoreMigration[] = [
  {
    name: '0101-messaging-kv',
    async up(db, adapter) {
      await db.schema
        .createTable('kv')
        .addColumn('key', 'text', (column) => column.primaryKey())
        .addColumn('value', adapter.jsonType, (column) => column.notNull())
        .addColumn('revision', 'bigint', (column) => column.notNull())
        .addColumn('expires_at', 'bigint')
        .addColumn('updated_at', 'bigint', (column) => column.notNull())
        .execute();
    },
  },
];

export interface SqlKvStoreOptions {
  clock?: Clock;
}

/** `expires_at` of a deleted key: long past, so the row reads as absent. */
const deletedExpiry = 0;

export class SqlKvStore implements KvStore {
  private readonly db: Kysely<KvTables>;
  private readonly adapter: DialectAdapter;
  private readonly clock: Clock;

  constructor(database: StoreDatabase, options: SqlKvStoreOptions = {}) {
    this.db = database.db as Kysely<KvTables>;
    this.adapter = database.adapter;
    this.clock = options.clock ?? systemClock;
  }

  async get<Value = unknown>(key: string): Promise<KvEntry<Value> | undefined> {
    assertKvKey(key);
    const now = this.clock.now();
    const row = await this.db
      .selectFrom('kv')
      .select(['key', 'value', 'revision'])
      .where('key', '=', key)
      .where((expression) => expression.or([expression('expires_at', 'is', null), expression('expires_at', '>', now)]))
      .executeTakeFirst();
    if (!row) return undefined;
    return { key: row.key, value: this.decode<Value>(row.value), revision: row.revision };
  }

  async put(key: string, value: unknown, options: { ttlMs?: number } = {}): Promise<number> {
    assertKvKey(key);
    const now = this.clock.now();
    const row = await this.db
      .insertInto('kv')
      .values({ key, value: encode(value), revision: 1, expires_at: expiresAt(now, options.ttlMs), updated_at: now })
      .onConflict((conflict) =>
        conflict.column('key').doUpdateSet((expression) => ({
          value: expression.ref('excluded.value'),
          revision: expression('kv.revision', '+', 1),
          expires_at: expression.ref('excluded.expires_at'),
          updated_at: expression.ref('excluded.updated_at'),
        })),
      )
      .returning('revision')
      .executeTakeFirstOrThrow();
    return row.revision;
  }

  async compareAndSet(
    key: string,
    expectedRevision: number | null,
    value: unknown,
    options: { ttlMs?: number } = {},
  ): Promise<number | undefined> {
    assertKvKey(key);
    const now = this.clock.now();
    const expires = expiresAt(now, options.ttlMs);
    if (expectedRevision === null) {
      // Inserts a new key, or takes over a row that has expired or was deleted.
      const row = await this.db
        .insertInto('kv')
        .values({ key, value: encode(value), revision: 1, expires_at: expires, updated_at: now })
        .onConflict((conflict) =>
          conflict
            .column('key')
            .doUpdateSet((expression) => ({
              value: expression.ref('excluded.value'),
              revision: expression('kv.revision', '+', 1),
              expires_at: expression.ref('excluded.expires_at'),
              updated_at: expression.ref('excluded.updated_at'),
            }))
            .where((expression) => expression.and([expression('kv.expires_at', 'is not', null), expression('kv.expires_at', '<=', now)])),
        )
        .returning('revision')
        .executeTakeFirst();
      return row?.revision;
    }
    if (!Number.isInteger(expectedRevision) || expectedRevision < 1)
      throw new ValidationError('expectedRevision must be null or a positive integer', { expectedRevision });
    const row = await this.db
      .updateTable('kv')
      .set((expression) => ({ value: encode(value), revision: expression('revision', '+', 1), expires_at: expires, updated_at: now }))
      .where('key', '=', key)
      .where('revision', '=', expectedRevision)
      .where((expression) => expression.or([expression('expires_at', 'is', null), expression('expires_at', '>', now)]))
      .returning('revision')
      .executeTakeFirst();
    return row?.revision;
  }

  async delete(key: string): Promise<void> {
    assertKvKey(key);
    const now = this.clock.now();
    await this.db
      .updateTable('kv')
      .set((expression) => ({ value: encode(null), revision: expression('revision', '+', 1), expires_at: deletedExpiry, updated_at: now }))
      .where('key', '=', key)
      .execute();
  }

  async close(): Promise<void> {}

  /** pg parses jsonb itself (a JSON string value arrives as a plain string), SQLite hands back the text. */
  private decode<Value>(value: unknown): Value {
    return this.adapter.readJson<Value>(value);
  }
}

function encode(value: unknown): string {
  return JSON.stringify(value ?? null);
}

function expiresAt(now: number, ttlMs: number | undefined): number | null {
  if (ttlMs === undefined) return null;
  if (!(ttlMs > 0)) throw new ValidationError('ttlMs must be positive', { ttlMs });
  return now + ttlMs;
}
