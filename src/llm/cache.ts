/**
 * The response cache of generateObject: embedded in the `llm_cache` table, or in a KvStore (JetStream KV when
 * distributed). A hit is a replay of an earlier validated answer. Entries are read back as untrusted input: the
 * gateway validates a hit against the schema again and treats a mismatch as a miss.
 */
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Clock } from '../core/clock.js';
import type { KvStore } from '../messaging/ports.js';
import { readJson, type SqlDialect, type StoreDatabase } from '../store/database.js';
import type { LlmTables } from './migrations.js';
import type { ChatMessage, ModelParams, ResponseFormat, TokenUsage } from './provider.js';
import { type JsonSchema, stableStringify } from './structured-output.js';

export type CacheMode = 'on' | 'off' | 'read-only';

export interface CachedObject {
  object: unknown;
  model: string;
  usage?: TokenUsage;
}

export interface LlmCache {
  get(key: string): Promise<CachedObject | undefined>;
  put(key: string, entry: CachedObject, meta: { alias: string }): Promise<void>;
}

export interface CacheKeyInput {
  model: string;
  messages: readonly ChatMessage[];
  schema: JsonSchema;
  params: ModelParams;
  responseFormat: ResponseFormat['type'];
  /** The caller's own key (e.g. run id + event id), mixed in when given. */
  cacheKey?: string | undefined;
}

/** sha256 over the canonical JSON of everything that shapes the answer. */
export function computeCacheKey(input: CacheKeyInput): string {
  const canonical = stableStringify({
    version: 1,
    model: input.model,
    messages: input.messages.map(({ role, content }) => ({ role, content })),
    schema: input.schema,
    params: input.params,
    responseFormat: input.responseFormat,
    cacheKey: input.cacheKey ?? null,
  });
  return createHash('sha256').update(canonical).digest('hex');
}

export class SqlLlmCache implements LlmCache {
  private readonly db: Kysely<LlmTables>;
  private readonly dialect: SqlDialect;

  constructor(
    database: StoreDatabase,
    private readonly clock: Clock,
    private readonly ttlMs: number,
  ) {
    this.db = database.db as Kysely<LlmTables>;
    this.dialect = database.dialect;
  }

  async get(key: string): Promise<CachedObject | undefined> {
    const now = this.clock.now();
    const row = await this.db
      .selectFrom('llm_cache')
      .select(['value'])
      .where('key', '=', key)
      .where((expression) => expression.or([expression('expires_at', 'is', null), expression('expires_at', '>', now)]))
      .executeTakeFirst();
    return row === undefined ? undefined : readEntry(readJson(row.value, this.dialect));
  }

  async put(key: string, entry: CachedObject, meta: { alias: string }): Promise<void> {
    const now = this.clock.now();
    const row = {
      key,
      alias: meta.alias,
      model: entry.model,
      value: JSON.stringify(entry),
      created_at: now,
      expires_at: this.ttlMs > 0 ? now + this.ttlMs : null,
    };
    await this.db
      .insertInto('llm_cache')
      .values(row)
      .onConflict((conflict) =>
        conflict.column('key').doUpdateSet({ value: row.value, model: row.model, created_at: row.created_at, expires_at: row.expires_at }),
      )
      .execute();
  }

  /** Deletes expired entries; returns how many. */
  async prune(): Promise<number> {
    const result = await this.db.deleteFrom('llm_cache').where('expires_at', '<=', this.clock.now()).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}

export class KvLlmCache implements LlmCache {
  constructor(
    private readonly kv: KvStore,
    private readonly ttlMs: number,
  ) {}

  async get(key: string): Promise<CachedObject | undefined> {
    const entry = await this.kv.get(`llm-cache.${key}`);
    return entry === undefined ? undefined : readEntry(entry.value);
  }

  async put(key: string, entry: CachedObject): Promise<void> {
    await this.kv.put(`llm-cache.${key}`, entry, this.ttlMs > 0 ? { ttlMs: this.ttlMs } : {});
  }
}

function readEntry(value: unknown): CachedObject | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const entry = value as Partial<CachedObject>;
  if (typeof entry.model !== 'string' || !('object' in entry)) return undefined;
  return entry as CachedObject;
}
