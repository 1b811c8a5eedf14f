import { pino } from 'pino';
import { type Clock, ManualClock } from '../../core/clock.js';
import { type Config, parseConfig } from '../../core/config.js';
import type { KvEntry, KvStore } from '../../messaging/ports.js';
import { openDatabase, type StoreDatabase } from '../../store/database.js';
import { runMigrations } from '../../store/migrations.js';
import { abortError } from '../errors.js';
import { createLlmGateway, type LlmGateway, type LlmGatewayOptions } from '../gateway/index.js';
import { llmMigrations } from '../migrations.js';

export interface TestGatewayOptions {
  /** `[llm]` configuration as TOML (the section header is added). */
  toml?: string;
  environment?: Record<string, string>;
  /** A migrated database; by default a fresh in-memory SQLite one (closed by `close`). */
  database?: StoreDatabase;
  kv?: KvStore;
  providers?: LlmGatewayOptions['providers'];
  localProviderFactory?: LlmGatewayOptions['localProviderFactory'];
  clock?: Clock;
  /** Use real timers instead of the recording sleep. */
  realSleep?: boolean;
}

export interface TestGateway {
  gateway: LlmGateway;
  database: StoreDatabase;
  config: Config;
  clock: Clock;
  /** Every log line as written (JSON). */
  logs: string[];
  /** Waits the gateway asked for (backoff, Retry-After, rate limits). */
  sleeps: number[];
  close(): Promise<void>;
}

export async function createTestGateway(options: TestGatewayOptions = {}): Promise<TestGateway> {
  const ownDatabase = options.database === undefined;
  const database = options.database ?? (await openDatabase({ sqlitePath: ':memory:' }));
  if (ownDatabase) await runMigrations(database, llmMigrations);
  const config = parseConfig({ fileText: `[llm]\n${options.toml ?? ''}`, environment: options.environment ?? {} });
  const logs: string[] = [];
  const logger = pino({ level: 'trace' }, { write: (line: string) => logs.push(line) });
  const sleeps: number[] = [];
  const clock = options.clock ?? new ManualClock(1_800_000_000_000);
  const gateway = createLlmGateway({
    config,
    database,
    kv: options.kv,
    logger,
    clock,
    ...(options.providers === undefined ? {} : { providers: options.providers }),
    ...(options.localProviderFactory === undefined ? {} : { localProviderFactory: options.localProviderFactory }),
    ...(options.realSleep
      ? {}
      : {
          sleep: async (milliseconds: number, signal?: AbortSignal) => {
            if (signal?.aborted) throw abortError(signal);
            sleeps.push(milliseconds);
            if (clock instanceof ManualClock) clock.advance(milliseconds);
          },
        }),
  });
  return {
    gateway,
    database,
    config,
    clock,
    logs,
    sleeps,
    async close() {
      await gateway.close();
      if (ownDatabase) await database.destroy();
    },
  };
}

/** A KvStore in memory, with TTL on the injected clock; enough for the cache. */
export class MemoryKv implements KvStore {
  readonly entries = new Map<string, { value: unknown; revision: number; expiresAt: number | undefined }>();
  private revision = 0;

  constructor(private readonly clock: Clock) {}

  async get<Value = unknown>(key: string): Promise<KvEntry<Value> | undefined> {
    const entry = this.entries.get(key);
    if (entry === undefined || (entry.expiresAt !== undefined && entry.expiresAt <= this.clock.now())) return undefined;
    return { key, value: structuredClone(entry.value) as Value, revision: entry.revision };
  }

  async put(key: string, value: unknown, options: { ttlMs?: number } = {}): Promise<number> {
    this.revision++;
    this.entries.set(key, {
      value: structuredClone(value),
      revision: this.revision,
      expiresAt: options.ttlMs === undefined ? undefined : this.clock.now() + options.ttlMs,
    });
    return this.revision;
  }

  async compareAndSet(key: string, expected: number | null, value: unknown, options: { ttlMs?: number } = {}): Promise<number | undefined> {
    const current = await this.get(key);
    if ((current?.revision ?? null) !== expected) return undefined;
    return this.put(key, value, options);
  }

  async delete(key: string): Promise<void> {
    this.entries.delete(key);
  }

  async close(): Promise<void> {}
}

/** Every row of every table of the database, as JSON text (for "the key is stored nowhere" checks). */
export async function dumpAllTables(database: StoreDatabase): Promise<string> {
  const dumps: string[] = [];
  for (const table of await database.adapter.listTables(database.db)) {
    const rows = await database.db.selectFrom(table).selectAll().execute();
    dumps.push(`${table}: ${JSON.stringify(rows)}`);
  }
  return dumps.join('\n');
}
