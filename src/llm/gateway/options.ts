/** What `createLlmGateway` is given, and what it says about an alias. */
import type { Clock } from '../../core/clock.js';
import type { Config } from '../../core/config.js';
import type { Logger } from '../../core/logger.js';
import type { Metrics } from '../../core/metrics.js';
import type { KvStore } from '../../messaging/ports.js';
import type { StoreDatabase } from '../../store/database.js';
import type { LlmAliasName } from '../aliases.js';
import type { Sleep } from '../limits.js';
import type { LlmProvider, LocalProviderOptions, ProviderKind } from '../provider.js';

export interface LlmGatewayOptions {
  /** The whole configuration or just `{ llm }`. */
  config: Pick<Config, 'llm'>;
  /** Holds the call log, the failure records and (without `kv`) the cache; `llmMigrations` must have run. */
  database: StoreDatabase;
  /** When given, the cache lives here (JetStream KV in distributed mode) instead of the `llm_cache` table. */
  kv?: KvStore | undefined;
  logger: Logger;
  clock: Clock;
  /** Providers to use instead of the configured ones, per alias (tests, or an embedding host's own provider). */
  providers?: Partial<Record<LlmAliasName, LlmProvider>>;
  /** Builds the `local` provider; default: `createLocalProvider` from ../providers/local-provider.js, imported on demand. */
  localProviderFactory?: LocalProviderFactoryWithSettings;
  /** Counts calls by outcome, tokens and latency per alias. */
  metrics?: Metrics | undefined;
  /** Test seam: waits for backoff and rate limits (default: real timers). */
  sleep?: Sleep;
  /** Test seam: jitter source in [0, 1). */
  random?: () => number;
}

/** The `[llm]` configuration section. */
export type LlmSettings = Config['llm'];

/**
 * The port's LocalProviderFactory, also given the number of generation slots and a sink for the runtime's log lines
 * (any LocalProviderFactory fits).
 */
export type LocalProviderFactoryWithSettings = (
  settings: LocalProviderOptions & { sequences?: number; logger?: (level: string, message: string) => void },
) => LlmProvider | Promise<LlmProvider>;

export interface AliasDescription {
  alias: LlmAliasName;
  provider: ProviderKind;
  model: string;
  /** True for the offline template writer: its text is a placeholder, and the UI says so. */
  offline: boolean;
}
