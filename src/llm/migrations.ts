/**
 * Tables of the LLM gateway: the response cache (embedded mode), the call log and the failure records.
 * Booleans are 0/1 integers on both dialects (better-sqlite3 cannot bind JavaScript booleans).
 */
import type { Generated } from 'kysely';
import type { StoreMigration } from '../store/migrations.js';

export interface LlmCacheTable {
  key: string;
  alias: string;
  model: string;
  /** JSON text of the cached entry: jsonb on PostgreSQL, text on SQLite. */
  value: string;
  created_at: number;
  /** Epoch milliseconds; null = never expires. */
  expires_at: number | null;
}

export interface LlmCallTable {
  id: Generated<number>;
  alias: string;
  provider: string;
  model: string;
  /** `object` (generateObject), `stream` (streamText) or `embed`. */
  operation: string;
  started_at: number;
  latency_ms: number;
  time_to_first_token_ms: number | null;
  /** Added by 0203: null on rows written before. */
  queue_wait_ms: number | null;
  server_ms: number | null;
  input_tokens: number;
  output_tokens: number;
  /** 1 when the backend reported the token counts, 0 when they were counted locally. */
  tokens_reported: number;
  /** Model requests made (0 on a cache hit; retries add to it). */
  attempts: number;
  cache_hit: number;
  repaired: number;
  retried: number;
  fell_back: number;
  failed: number;
  error_code: string | null;
}

export interface LlmFailureTable {
  id: Generated<number>;
  alias: string;
  model: string;
  /** `truncated`, `unparseable`, `invalid` (output failures that fell back) or an `llm_*` error code. */
  kind: string;
  message: string;
  /** At most 2 KB of what the model wrote. */
  raw_excerpt: string | null;
  created_at: number;
}

export interface LlmTables {
  llm_cache: LlmCacheTable;
  llm_calls: LlmCallTable;
  llm_failures: LlmFailureTable;
}

export const llmMigrations: StoreMigration[] = [
  {
    name: '0200-llm-cache',
    async up(db, adapter) {
      await db.schema
        .createTable('llm_cache')
        .addColumn('key', 'text', (column) => column.primaryKey())
        .addColumn('alias', 'text', (column) => column.notNull())
        .addColumn('model', 'text', (column) => column.notNull())
        .addColumn('value', adapter.jsonType, (column) => column.notNull())
        .addColumn('created_at', 'bigint', (column) => column.notNull())
        .addColumn('expires_at', 'bigint')
        .execute();
      await db.schema.createIndex('llm_cache_expires_at').on('llm_cache').column('expires_at').execute();
    },
  },
  {
    name: '0201-llm-calls',
    async up(db, adapter) {
      let table = db.schema.createTable('llm_calls');
      table = adapter.addAutoIncrementKey(table, 'id');
      await table
        .addColumn('alias', 'text', (column) => column.notNull())
        .addColumn('provider', 'text', (column) => column.notNull())
        .addColumn('model', 'text', (column) => column.notNull())
        .addColumn('operation', 'text', (column) => column.notNull())
        .addColumn('started_at', 'bigint', (column) => column.notNull())
        .addColumn('latency_ms', 'integer', (column) => column.notNull())
        .addColumn('time_to_first_token_ms', 'integer')
        .addColumn('input_tokens', 'integer', (column) => column.notNull())
        .addColumn('output_tokens', 'integer', (column) => column.notNull())
        .addColumn('tokens_reported', 'integer', (column) => column.notNull())
        .addColumn('attempts', 'integer', (column) => column.notNull())
        .addColumn('cache_hit', 'integer', (column) => column.notNull())
        .addColumn('repaired', 'integer', (column) => column.notNull())
        .addColumn('retried', 'integer', (column) => column.notNull())
        .addColumn('fell_back', 'integer', (column) => column.notNull())
        .addColumn('failed', 'integer', (column) => column.notNull())
        .addColumn('error_code', 'text')
        .execute();
      await db.schema.createIndex('llm_calls_started_at').on('llm_calls').columns(['started_at']).execute();
      await db.schema.createIndex('llm_calls_alias').on('llm_calls').columns(['alias', 'started_at']).execute();
    },
  },
  {
    name: '0202-llm-failures',
    async up(db, adapter) {
      let table = db.schema.createTable('llm_failures');
      table = adapter.addAutoIncrementKey(table, 'id');
      await table
        .addColumn('alias', 'text', (column) => column.notNull())
        .addColumn('model', 'text', (column) => column.notNull())
        .addColumn('kind', 'text', (column) => column.notNull())
        .addColumn('message', 'text', (column) => column.notNull())
        .addColumn('raw_excerpt', 'text')
        .addColumn('created_at', 'bigint', (column) => column.notNull())
        .execute();
      await db.schema.createIndex('llm_failures_created_at').on('llm_failures').columns(['created_at']).execute();
    },
  },
  {
    // Named after every module's migrations so far: Kysely applies only names that sort after the last one applied.
    name: '0600-llm-call-timings',
    async up(db) {
      await db.schema.alterTable('llm_calls').addColumn('queue_wait_ms', 'integer').execute();
      await db.schema.alterTable('llm_calls').addColumn('server_ms', 'integer').execute();
    },
  },
];
