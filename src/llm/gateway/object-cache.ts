/**
 * The replay cache of generateObject, keyed by everything that shapes the answer. A hit is validated against the
 * schema again (a mismatch is a miss); in read-only mode a miss is an error instead of a call. Cache trouble never
 * fails a call: a read that fails is a miss, a write that fails is only warned about.
 */
import type { z } from 'zod';
import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../core/logger.js';
import type { KvStore } from '../../messaging/ports.js';
import type { StoreDatabase } from '../../store/database.js';
import type { LlmAliasName } from '../aliases.js';
import {
  type CachedObject,
  type CacheKeyInput,
  type CacheMode,
  computeCacheKey,
  KvLlmCache,
  type LlmCache,
  SqlLlmCache,
} from '../cache.js';
import { LlmError } from '../errors.js';
import type { ProviderKind, TokenUsage } from '../provider.js';
import type { LlmSettings } from './options.js';

export interface ObjectCacheOptions {
  settings: Pick<LlmSettings, 'cache' | 'cache_ttl_ms'>;
  database: StoreDatabase;
  kv: KvStore | undefined;
  clock: Clock;
  logger: Logger;
}

export class ObjectCache {
  readonly mode: CacheMode;
  private readonly cache: LlmCache;
  private readonly logger: Logger;

  constructor(options: ObjectCacheOptions) {
    const { settings, kv } = options;
    this.mode = settings.cache;
    this.logger = options.logger;
    this.cache = kv ? new KvLlmCache(kv, settings.cache_ttl_ms) : new SqlLlmCache(options.database, options.clock, settings.cache_ttl_ms);
  }

  /** The offline writer is deterministic and free: caching it would only fill the table. */
  usedFor(kind: ProviderKind): boolean {
    return this.mode !== 'off' && kind !== 'offline';
  }

  key(input: CacheKeyInput): string {
    return computeCacheKey(input);
  }

  /** The cached answer that still matches the schema; in read-only mode, a miss throws `llm_cache_miss`. */
  async replay<T>(alias: LlmAliasName, key: string, schema: z.ZodType<T>): Promise<{ object: T; model: string } | undefined> {
    const hit = await this.cache.get(key).catch((error: unknown) => {
      this.logger.warn({ alias, error: (error as Error).message }, 'llm cache read failed');
      return undefined;
    });
    const replayed = hit === undefined ? undefined : schema.safeParse(hit.object);
    if (hit !== undefined && replayed?.success) return { object: replayed.data, model: hit.model };
    if (this.mode === 'read-only')
      throw new LlmError(
        'llm_cache_miss',
        `replay: the cache has no answer for alias ${alias} (key ${key.slice(0, 16)}), and read-only mode makes no calls`,
        { details: { alias, cacheKey: key } },
      );
    return undefined;
  }

  /** Keeps a validated answer (only in mode `on`). */
  async store(alias: LlmAliasName, key: string, entry: CachedObject & { usage: TokenUsage }): Promise<void> {
    if (this.mode !== 'on') return;
    await this.cache.put(key, entry, { alias }).catch((error: unknown) => {
      this.logger.warn({ alias, error: (error as Error).message }, 'llm cache write failed');
    });
  }
}
