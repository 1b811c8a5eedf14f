/**
 * Backends: the aliases resolved from config, grouped by the backend they call (a base URL or a model file). Aliases
 * on one backend share its limits (in-flight slots, requests per minute); each request also gets its alias's timeout.
 * Provider instances are built on first use, one per backend.
 */
import { performance } from 'node:perf_hooks';
import type { Clock } from '../../core/clock.js';
import { ValidationError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { isAliasName, type LlmAliasName, llmAliasNames, type ResolvedAlias } from '../aliases.js';
import type { CallRecord } from '../call-log.js';
import { LlmError } from '../errors.js';
import { RateLimiter, type Release, Semaphore, type Sleep } from '../limits.js';
import type { LlmProvider, ProviderKind } from '../provider.js';
import { createOfflineProvider } from '../providers/offline-provider.js';
import { createOpenAICompatibleProvider } from '../providers/openai-compatible-provider.js';
import type { AliasDescription, LlmGatewayOptions, LocalProviderFactoryWithSettings } from './options.js';

export interface Backend {
  key: string;
  aliases: LlmAliasName[];
  semaphore: Semaphore;
  limiter: RateLimiter;
}

/** The parts of a call record the limits fill in. */
export type CallTiming = Pick<CallRecord, 'queueWaitMs' | 'serverMs'>;

export interface BackendStats {
  backend: string;
  aliases: LlmAliasName[];
  concurrency: number;
  inFlight: number;
  waiting: number;
  rpm: number;
}

export interface BackendsOptions extends Pick<LlmGatewayOptions, 'providers' | 'localProviderFactory'> {
  aliases: Record<LlmAliasName, ResolvedAlias>;
  clock: Clock;
  sleep: Sleep;
  logger: Logger;
}

export class Backends {
  private readonly backends: Map<string, Backend>;
  private readonly providers = new Map<string, Promise<LlmProvider>>();
  private readonly offline = createOfflineProvider();

  constructor(private readonly options: BackendsOptions) {
    this.backends = groupBackends(Object.values(options.aliases), options.clock, options.sleep);
  }

  alias(name: string): ResolvedAlias {
    if (!isAliasName(name)) throw new ValidationError(`unknown model alias ${JSON.stringify(name)}`, { alias: name, known: llmAliasNames });
    return this.options.aliases[name];
  }

  /** The kind of provider that answers for the alias: an injected one's own, else the configured one. */
  kindOf(alias: ResolvedAlias): ProviderKind {
    return this.options.providers?.[alias.name]?.kind ?? alias.provider;
  }

  describe(name: LlmAliasName): AliasDescription {
    const alias = this.alias(name);
    const kind = this.kindOf(alias);
    return { alias: name, provider: kind, model: alias.model, offline: kind === 'offline' };
  }

  backend(alias: ResolvedAlias): Backend {
    return this.backends.get(alias.backend) as Backend;
  }

  provider(alias: ResolvedAlias): Promise<LlmProvider> {
    const injected = this.options.providers?.[alias.name];
    if (injected !== undefined) return Promise.resolve(injected);
    if (alias.provider === 'offline') return Promise.resolve(this.offline);
    const key =
      alias.provider === 'openai-compatible'
        ? JSON.stringify(['openai-compatible', alias.baseUrl, alias.apiKey, alias.headers])
        : JSON.stringify(['local', alias.modelPath, alias.threads, alias.contextSize]);
    let provider = this.providers.get(key);
    if (provider === undefined) {
      provider = this.createProvider(alias);
      this.providers.set(key, provider);
      // A failed load (local runtime missing) is retried on the next call rather than cached.
      provider.catch(() => this.providers.delete(key));
    }
    return provider;
  }

  /**
   * The backend said how many requests it runs at once: unless an alias on it configured `concurrency`, that becomes
   * its in-flight limit (a local model's sequences are already what the limit said when it was loaded).
   */
  adoptSlots(alias: ResolvedAlias, slots: number): void {
    const backend = this.backend(alias);
    const configured = backend.aliases.some((name) => this.options.aliases[name].concurrencyConfigured);
    if (configured || alias.provider === 'local' || slots === backend.semaphore.limit) return;
    this.options.logger.info({ backend: redactBackend(backend.key), slots }, 'in-flight limit set to the backend slot count');
    backend.semaphore.setLimit(slots);
  }

  /** Waits for a slot and a rate-limit turn on the alias's backend (adding the wait to `timing`); the caller releases the slot. */
  async acquire(alias: ResolvedAlias, signal: AbortSignal | undefined, timing?: CallTiming): Promise<Release> {
    const backend = this.backend(alias);
    const waitStarted = performance.now();
    const release = await backend.semaphore.acquire(signal);
    try {
      await backend.limiter.acquire(signal);
      if (timing !== undefined) timing.queueWaitMs += performance.now() - waitStarted;
      return release;
    } catch (error) {
      release();
      throw error;
    }
  }

  /**
   * Runs one request inside the backend's limits: a slot, a rate-limit turn, and the alias's timeout. `timing` gets the
   * queue wait and the time the backend had the request.
   */
  async limited<T>(
    alias: ResolvedAlias,
    signal: AbortSignal | undefined,
    run: (signal: AbortSignal) => Promise<T>,
    timing?: CallTiming,
  ): Promise<T> {
    const release = await this.acquire(alias, signal, timing);
    const sent = performance.now();
    try {
      const attempt = linkedController(signal);
      const timer = setTimeout(
        () => attempt.controller.abort(new LlmError('llm_timeout', `the model backend did not answer within ${alias.timeoutMs} ms`)),
        alias.timeoutMs,
      );
      try {
        return await run(attempt.controller.signal);
      } finally {
        clearTimeout(timer);
        attempt.unlink();
      }
    } finally {
      if (timing !== undefined) timing.serverMs = (timing.serverMs ?? 0) + (performance.now() - sent);
      release();
    }
  }

  stats(): BackendStats[] {
    return [...this.backends.values()].map((backend) => ({
      backend: redactBackend(backend.key),
      aliases: [...backend.aliases],
      concurrency: backend.semaphore.limit,
      inFlight: backend.semaphore.inFlight,
      waiting: backend.semaphore.waiting,
      rpm: backend.limiter.perMinute,
    }));
  }

  async close(): Promise<void> {
    const loaded = await Promise.allSettled(this.providers.values());
    this.providers.clear();
    for (const result of loaded) if (result.status === 'fulfilled') await result.value.close?.();
    for (const provider of Object.values(this.options.providers ?? {})) await provider?.close?.();
  }

  private async createProvider(alias: ResolvedAlias): Promise<LlmProvider> {
    if (alias.provider === 'openai-compatible')
      return createOpenAICompatibleProvider({
        baseUrl: alias.baseUrl as string,
        apiKey: alias.apiKey,
        headers: alias.headers,
        now: () => this.options.clock.now(),
      });
    const factory: LocalProviderFactoryWithSettings = this.options.localProviderFactory ?? (await importLocalProviderFactory());
    return factory({
      modelPath: alias.modelPath as string,
      ...(alias.threads === undefined ? {} : { threads: alias.threads }),
      ...(alias.contextSize === undefined ? {} : { contextSize: alias.contextSize }),
      // One generation slot per request the backend's semaphore lets in.
      sequences: this.backend(alias).semaphore.limit,
      logger: (level: string, message: string) => this.options.logger.warn({ runtime: 'node-llama-cpp', level }, message),
    });
  }
}

function groupBackends(aliases: readonly ResolvedAlias[], clock: Clock, sleep: Sleep): Map<string, Backend> {
  const backends = new Map<string, Backend>();
  for (const alias of aliases) {
    const existing = backends.get(alias.backend);
    if (existing === undefined) {
      backends.set(alias.backend, {
        key: alias.backend,
        aliases: [alias.name],
        semaphore: new Semaphore(alias.concurrency),
        limiter: new RateLimiter(alias.rpm, clock, sleep),
      });
      continue;
    }
    // Aliases sharing a backend share its limits; when they disagree, the stricter one wins.
    existing.aliases.push(alias.name);
    const concurrency = Math.min(existing.semaphore.limit, alias.concurrency);
    const rpm = [existing.limiter.perMinute, alias.rpm].filter((value) => value > 0);
    if (concurrency !== existing.semaphore.limit) existing.semaphore.setLimit(concurrency);
    if (rpm.length > 0 && Math.min(...rpm) !== existing.limiter.perMinute)
      existing.limiter = new RateLimiter(Math.min(...rpm), clock, sleep);
  }
  return backends;
}

/** An AbortController that also fires (with `llm_aborted`) when the caller's signal does. */
export function linkedController(signal: AbortSignal | undefined): { controller: AbortController; unlink: () => void } {
  const controller = new AbortController();
  if (signal === undefined) return { controller, unlink: () => undefined };
  const onAbort = () => controller.abort(new LlmError('llm_aborted', 'the model call was aborted'));
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });
  return { controller, unlink: () => signal.removeEventListener('abort', onAbort) };
}

/** Backend keys hold a base URL; hide a password in it before it reaches the admin view. */
function redactBackend(key: string): string {
  return key.replace(/\/\/([^/@:]+):[^/@]*@/, '//$1:***@');
}

async function importLocalProviderFactory(): Promise<LocalProviderFactoryWithSettings> {
  // Imported on first use of a `local` alias; that module in turn loads node-llama-cpp (optional) on demand.
  const module = await import('../providers/local-provider.js');
  return module.createLocalProvider;
}
