/**
 * The LLM gateway: the only way model output enters the program. Aliases -> providers; structured output with
 * repair, one corrective retry and the caller's fallback; streaming with abort; the replay cache; per-backend limits
 * (in-flight slots, requests per minute, timeouts, retries with backoff honouring Retry-After); token accounting and
 * the call log. API keys live only inside the providers and are never logged or stored.
 */
import { performance } from 'node:perf_hooks';
import type { z } from 'zod';
import type { Clock } from '../core/clock.js';
import type { Config } from '../core/config.js';
import { ValidationError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { Metrics } from '../core/metrics.js';
import type { KvStore } from '../messaging/ports.js';
import type { StoreDatabase } from '../store/database.js';
import { isAliasName, type LlmAliasName, llmAliasNames, type ResolvedAlias, resolveAliases } from './aliases.js';
import { type CacheMode, computeCacheKey, KvLlmCache, type LlmCache, SqlLlmCache } from './cache.js';
import { CallLog, type CallOperation, type CallRecord, type FailureRecord } from './call-log.js';
import { abortError, isLlmError, LlmError, throwIfAborted } from './errors.js';
import { backoffDelay, RateLimiter, type Release, realSleep, Semaphore, type Sleep } from './limits.js';
import { createBlocklistMatcher, type ModerationResult, moderationMessages, moderationVerdictSchema } from './moderation.js';
import type {
  ChatMessage,
  FinishReason,
  LlmProvider,
  LocalProviderOptions,
  ModelParams,
  ProviderKind,
  ProviderRequest,
  ResponseFormat,
  TokenUsage,
} from './provider.js';
import { createOfflineProvider } from './providers/offline-provider.js';
import { createOpenAICompatibleProvider } from './providers/openai-compatible-provider.js';
import { type JsonSchema, parseModelOutput, toJsonSchema, withJsonInstruction, withValidationFeedback } from './structured-output.js';
import { countMessageTokens, countTextTokens } from './tokens.js';

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
  /** Builds the `local` provider; default: `createLocalProvider` from ./providers/local-provider.js, imported on demand. */
  localProviderFactory?: LocalProviderFactoryWithSettings;
  /** Counts calls by outcome, tokens and latency per alias. */
  metrics?: Metrics | undefined;
  /** Test seam: waits for backoff and rate limits (default: real timers). */
  sleep?: Sleep;
  /** Test seam: jitter source in [0, 1). */
  random?: () => number;
}

export interface GenerateObjectOptions<T> {
  /** Returned (with `fellBack: true`) when the model's answer is still invalid after the one corrective retry. */
  fallback: T | (() => T);
  /** Mixed into the cache key, e.g. `run-7/event-42`, so equal prompts in different places are cached apart. */
  cacheKey?: string;
  /** Values for providers that write without a model (the offline writer's templates and placeholders). */
  context?: Record<string, unknown>;
  /** Per-call overrides of the alias's parameters. */
  params?: ModelParams;
  signal?: AbortSignal;
}

export interface GenerateObjectResult<T> {
  object: T;
  /** The model that wrote it (`offline` for the offline writer). */
  model: string;
  /** Replayed from the cache; no request was made. */
  cached: boolean;
  /** The text needed repair (code fences, trailing commas, ...) before it parsed. */
  repaired: boolean;
  /** More than one request was made (a corrective retry or a retry after a backend error). */
  retried: boolean;
  /** `object` is the caller's fallback. */
  fellBack: boolean;
  usage: TokenUsage;
}

export interface StreamTextOptions {
  signal?: AbortSignal;
  context?: Record<string, unknown>;
  params?: ModelParams;
}

export type TextStreamPart =
  | { type: 'text-delta'; text: string }
  | { type: 'finish'; model: string; usage: TokenUsage; finishReason: FinishReason | undefined };

export interface EmbedResult {
  embeddings: number[][];
  model: string;
}

export interface AliasDescription {
  alias: LlmAliasName;
  provider: ProviderKind;
  model: string;
  /** True for the offline template writer: its text is a placeholder, and the UI says so. */
  offline: boolean;
}

export interface AliasStats {
  calls: number;
  cacheHits: number;
  repaired: number;
  retried: number;
  fellBack: number;
  failed: number;
  inputTokens: number;
  outputTokens: number;
  /** Sum of latencies, for an average: `totalLatencyMs / calls`. */
  totalLatencyMs: number;
}

export interface BackendStats {
  backend: string;
  aliases: LlmAliasName[];
  concurrency: number;
  inFlight: number;
  waiting: number;
  rpm: number;
}

export interface LlmStats {
  cache: CacheMode;
  aliases: Record<LlmAliasName, AliasStats & AliasDescription>;
  backends: BackendStats[];
}

export interface LlmGateway {
  generateObject<Schema extends z.ZodType>(
    alias: LlmAliasName,
    schema: Schema,
    messages: readonly ChatMessage[],
    options: GenerateObjectOptions<z.output<Schema>>,
  ): Promise<GenerateObjectResult<z.output<Schema>>>;
  /** Text deltas, then one `finish` part. Throws an LlmError when the stream fails; a stream without `finish` is incomplete. */
  streamText(alias: LlmAliasName, messages: readonly ChatMessage[], options?: StreamTextOptions): AsyncIterable<TextStreamPart>;
  embed(alias: LlmAliasName, texts: readonly string[], options?: { signal?: AbortSignal }): Promise<EmbedResult>;
  moderate(text: string, options?: { signal?: AbortSignal }): Promise<ModerationResult>;
  describe(alias: LlmAliasName): AliasDescription;
  stats(): LlmStats;
  recentCalls(limit?: number): Promise<CallRecord[]>;
  recentFailures(limit?: number): Promise<FailureRecord[]>;
  close(): Promise<void>;
}

/**
 * The port's LocalProviderFactory, also given the number of generation slots and a sink for the runtime's log lines
 * (any LocalProviderFactory fits).
 */
export type LocalProviderFactoryWithSettings = (
  settings: LocalProviderOptions & { sequences?: number; logger?: (level: string, message: string) => void },
) => LlmProvider | Promise<LlmProvider>;

interface Backend {
  key: string;
  aliases: LlmAliasName[];
  semaphore: Semaphore;
  limiter: RateLimiter;
}

class UsageTally {
  inputTokens = 0;
  outputTokens = 0;
  reported = true;
  add(usage: TokenUsage): void {
    this.inputTokens += usage.inputTokens;
    this.outputTokens += usage.outputTokens;
    this.reported &&= usage.reported;
  }
  snapshot(): TokenUsage {
    return { inputTokens: this.inputTokens, outputTokens: this.outputTokens, reported: this.reported };
  }
}

export function createLlmGateway(options: LlmGatewayOptions): LlmGateway {
  const settings = options.config.llm;
  const aliases = resolveAliases(settings);
  const logger = options.logger.child({ module: 'llm' });
  const clock = options.clock;
  const sleep = options.sleep ?? realSleep;
  const random = options.random ?? Math.random;
  const callLog = new CallLog(options.database);
  const cacheMode: CacheMode = settings.cache;
  const cache: LlmCache = options.kv
    ? new KvLlmCache(options.kv, settings.cache_ttl_ms)
    : new SqlLlmCache(options.database, clock, settings.cache_ttl_ms);
  const matchBlocklist = createBlocklistMatcher(settings.blocklist);

  const backends = new Map<string, Backend>();
  for (const alias of Object.values(aliases)) {
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
    if (concurrency !== existing.semaphore.limit) existing.semaphore = new Semaphore(concurrency);
    if (rpm.length > 0 && Math.min(...rpm) !== existing.limiter.perMinute)
      existing.limiter = new RateLimiter(Math.min(...rpm), clock, sleep);
  }

  const providers = new Map<string, Promise<LlmProvider>>();
  const offline = createOfflineProvider();
  const stats = Object.fromEntries(
    llmAliasNames.map((name) => [
      name,
      { calls: 0, cacheHits: 0, repaired: 0, retried: 0, fellBack: 0, failed: 0, inputTokens: 0, outputTokens: 0, totalLatencyMs: 0 },
    ]),
  ) as Record<LlmAliasName, AliasStats>;

  function aliasOf(name: string): ResolvedAlias {
    if (!isAliasName(name)) throw new ValidationError(`unknown model alias ${JSON.stringify(name)}`, { alias: name, known: llmAliasNames });
    return aliases[name];
  }

  function backendOf(alias: ResolvedAlias): Backend {
    return backends.get(alias.backend) as Backend;
  }

  function providerFor(alias: ResolvedAlias): Promise<LlmProvider> {
    const injected = options.providers?.[alias.name];
    if (injected !== undefined) return Promise.resolve(injected);
    if (alias.provider === 'offline') return Promise.resolve(offline);
    const key =
      alias.provider === 'openai-compatible'
        ? JSON.stringify(['openai-compatible', alias.baseUrl, alias.apiKey, alias.headers])
        : JSON.stringify(['local', alias.modelPath, alias.threads, alias.contextSize]);
    let provider = providers.get(key);
    if (provider === undefined) {
      provider = createProvider(alias);
      providers.set(key, provider);
      // A failed load (local runtime missing) is retried on the next call rather than cached.
      provider.catch(() => providers.delete(key));
    }
    return provider;
  }

  async function createProvider(alias: ResolvedAlias): Promise<LlmProvider> {
    if (alias.provider === 'openai-compatible')
      return createOpenAICompatibleProvider({
        baseUrl: alias.baseUrl as string,
        apiKey: alias.apiKey,
        headers: alias.headers,
        now: () => clock.now(),
      });
    const factory: LocalProviderFactoryWithSettings = options.localProviderFactory ?? (await importLocalProviderFactory());
    return factory({
      modelPath: alias.modelPath as string,
      ...(alias.threads === undefined ? {} : { threads: alias.threads }),
      ...(alias.contextSize === undefined ? {} : { contextSize: alias.contextSize }),
      // One generation slot per request the backend's semaphore lets in.
      sequences: backendOf(alias).semaphore.limit,
      logger: (level: string, message: string) => logger.warn({ runtime: 'node-llama-cpp', level }, message),
    });
  }

  function describe(name: LlmAliasName): AliasDescription {
    const alias = aliasOf(name);
    const kind = options.providers?.[name]?.kind ?? alias.provider;
    return { alias: name, provider: kind, model: alias.model, offline: kind === 'offline' };
  }

  function newCall(alias: ResolvedAlias, operation: CallOperation): CallRecord {
    return {
      alias: alias.name,
      provider: options.providers?.[alias.name]?.kind ?? alias.provider,
      model: alias.model,
      operation,
      startedAt: clock.now(),
      latencyMs: 0,
      timeToFirstTokenMs: undefined,
      inputTokens: 0,
      outputTokens: 0,
      tokensReported: true,
      attempts: 0,
      cacheHit: false,
      repaired: false,
      retried: false,
      fellBack: false,
      failed: false,
      errorCode: undefined,
    };
  }

  async function finishCall(call: CallRecord, started: number, usage: UsageTally): Promise<void> {
    call.latencyMs = performance.now() - started;
    call.inputTokens = usage.inputTokens;
    call.outputTokens = usage.outputTokens;
    call.tokensReported = usage.reported;
    const tally = stats[call.alias as LlmAliasName];
    tally.calls++;
    tally.cacheHits += Number(call.cacheHit);
    tally.repaired += Number(call.repaired);
    tally.retried += Number(call.retried);
    tally.fellBack += Number(call.fellBack);
    tally.failed += Number(call.failed);
    tally.inputTokens += call.inputTokens;
    tally.outputTokens += call.outputTokens;
    tally.totalLatencyMs += call.latencyMs;
    if (options.metrics) recordCallMetrics(options.metrics, call);
    const summary = {
      alias: call.alias,
      model: call.model,
      operation: call.operation,
      latencyMs: Math.round(call.latencyMs),
      attempts: call.attempts,
      cacheHit: call.cacheHit,
      repaired: call.repaired,
      retried: call.retried,
      fellBack: call.fellBack,
      errorCode: call.errorCode,
    };
    if (call.failed) logger.warn(summary, 'model call failed');
    else logger.debug(summary, 'model call');
    try {
      await callLog.recordCall(call);
    } catch (error) {
      logger.warn({ error: (error as Error).message }, 'could not write the llm call log');
    }
  }

  async function recordFailure(failure: Omit<FailureRecord, 'createdAt'>): Promise<void> {
    try {
      await callLog.recordFailure({ ...failure, createdAt: clock.now() });
    } catch (error) {
      logger.warn({ error: (error as Error).message }, 'could not write an llm failure record');
    }
  }

  /** Runs one request inside the backend's limits: a slot, a rate-limit turn, and the alias's timeout. */
  async function limited<T>(alias: ResolvedAlias, signal: AbortSignal | undefined, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const backend = backendOf(alias);
    const release = await backend.semaphore.acquire(signal);
    try {
      await backend.limiter.acquire(signal);
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
      release();
    }
  }

  /** Retries after rate limiting and outages with jittered backoff, honouring Retry-After up to the cap. */
  async function withRetries<T>(
    alias: ResolvedAlias,
    call: CallRecord,
    signal: AbortSignal | undefined,
    run: () => Promise<T>,
  ): Promise<T> {
    for (let retry = 0; ; retry++) {
      call.attempts++;
      try {
        return await run();
      } catch (error) {
        const failure = toLlmError(error);
        const wait = retryWait(failure, retry);
        if (wait === undefined) throw failure;
        call.retried = true;
        logger.info({ alias: alias.name, code: failure.code, statusCode: failure.statusCode, waitMs: wait }, 'retrying model call');
        await sleep(wait, signal);
      }
    }
  }

  function retryWait(error: LlmError, retry: number): number | undefined {
    if (!error.retryable || retry >= settings.max_retries) return undefined;
    if (error.retryAfterMs !== undefined) return error.retryAfterMs <= settings.retry_max_wait_ms ? error.retryAfterMs : undefined;
    return backoffDelay(retry, settings.retry_base_ms, settings.retry_max_wait_ms, random);
  }

  async function generateObject<T>(
    name: LlmAliasName,
    schema: z.ZodType<T>,
    messages: readonly ChatMessage[],
    callOptions: GenerateObjectOptions<T>,
  ): Promise<GenerateObjectResult<T>> {
    const alias = aliasOf(name);
    const call = newCall(alias, 'object');
    const started = performance.now();
    const usage = new UsageTally();
    const signal = callOptions.signal;
    let model = alias.model;
    try {
      throwIfAborted(signal);
      const provider = await providerFor(alias);
      const jsonSchema = toJsonSchema(schema);
      const responseFormat = responseFormatFor(provider.kind, alias, jsonSchema);
      const prompt = withJsonInstruction(messages, jsonSchema);
      const params = { ...alias.params, ...callOptions.params };
      // The offline writer is deterministic and free: caching it would only fill the table.
      const useCache = cacheMode !== 'off' && provider.kind !== 'offline';
      const cacheKey = computeCacheKey({
        model: alias.model,
        messages: prompt,
        schema: jsonSchema,
        params,
        responseFormat: responseFormat.type,
        cacheKey: callOptions.cacheKey,
      });
      if (useCache) {
        const hit = await cache.get(cacheKey).catch((error: unknown) => {
          logger.warn({ alias: name, error: (error as Error).message }, 'llm cache read failed');
          return undefined;
        });
        const replayed = hit === undefined ? undefined : schema.safeParse(hit.object);
        if (hit !== undefined && replayed?.success) {
          call.cacheHit = true;
          call.model = hit.model;
          return {
            object: replayed.data,
            model: hit.model,
            cached: true,
            repaired: false,
            retried: false,
            fellBack: false,
            usage: usage.snapshot(),
          };
        }
        if (cacheMode === 'read-only')
          throw new LlmError(
            'llm_cache_miss',
            `replay: the cache has no answer for alias ${name} (key ${cacheKey.slice(0, 16)}), and read-only mode makes no calls`,
            {
              details: { alias: name, cacheKey },
            },
          );
      }

      const request: ProviderRequest = {
        model: alias.model,
        messages: prompt,
        params,
        responseFormat,
        ...(callOptions.context === undefined ? {} : { context: callOptions.context }),
      };
      const ask = async (messagesToSend: ChatMessage[]) => {
        const result = await withRetries(alias, call, signal, () =>
          limited(alias, signal, (attemptSignal) => provider.generate({ ...request, messages: messagesToSend, signal: attemptSignal })),
        );
        usage.add(result.usage ?? (await countUsage(messagesToSend, result.text)));
        model = result.model;
        call.model = result.model;
        return result;
      };

      const first = await ask(prompt);
      let raw = first.text;
      let outcome = parseModelOutput(schema, first.text, first.finishReason);
      if (!outcome.ok) {
        call.retried = true;
        logger.info({ alias: name, kind: outcome.kind }, 'model output rejected; asking once more with the reason');
        const second = await ask(withValidationFeedback(prompt, first.text, outcome.problem));
        raw = second.text;
        outcome = parseModelOutput(schema, second.text, second.finishReason);
      }
      if (outcome.ok) {
        call.repaired = outcome.repaired;
        if (useCache && cacheMode === 'on')
          await cache.put(cacheKey, { object: outcome.value, model, usage: usage.snapshot() }, { alias: name }).catch((error: unknown) => {
            logger.warn({ alias: name, error: (error as Error).message }, 'llm cache write failed');
          });
        return {
          object: outcome.value,
          model,
          cached: false,
          repaired: outcome.repaired,
          retried: call.retried,
          fellBack: false,
          usage: usage.snapshot(),
        };
      }
      call.fellBack = true;
      logger.warn({ alias: name, model, kind: outcome.kind }, 'model output still invalid after a retry; using the fallback');
      await recordFailure({ alias: name, model, kind: outcome.kind, message: outcome.problem, rawExcerpt: raw });
      const fallback = callOptions.fallback;
      return {
        object: typeof fallback === 'function' ? (fallback as () => T)() : fallback,
        model,
        cached: false,
        repaired: false,
        retried: call.retried,
        fellBack: true,
        usage: usage.snapshot(),
      };
    } catch (error) {
      const failure = toLlmError(error, signal);
      call.failed = true;
      call.errorCode = failure.code;
      if (failure.code !== 'llm_aborted' && failure.code !== 'llm_cache_miss')
        await recordFailure({ alias: name, model, kind: failure.code, message: failure.message, rawExcerpt: undefined });
      throw failure;
    } finally {
      await finishCall(call, started, usage);
    }
  }

  async function* streamText(
    name: LlmAliasName,
    messages: readonly ChatMessage[],
    callOptions: StreamTextOptions = {},
  ): AsyncGenerator<TextStreamPart> {
    const alias = aliasOf(name);
    const call = newCall(alias, 'stream');
    const started = performance.now();
    const usage = new UsageTally();
    const signal = callOptions.signal;
    try {
      throwIfAborted(signal);
      const provider = await providerFor(alias);
      const request: ProviderRequest = {
        model: alias.model,
        messages: [...messages],
        params: { ...alias.params, ...callOptions.params },
        responseFormat: { type: 'text' },
        ...(callOptions.context === undefined ? {} : { context: callOptions.context }),
      };
      const backend = backendOf(alias);
      for (let retry = 0; ; retry++) {
        let release: Release | undefined;
        let emitted = false;
        let text = '';
        const attempt = linkedController(signal);
        // The timeout is an idle timeout: it restarts with every part, so a long answer that keeps coming is fine.
        let timer: NodeJS.Timeout | undefined;
        const arm = () => {
          clearTimeout(timer);
          timer = setTimeout(
            () => attempt.controller.abort(new LlmError('llm_timeout', `the model backend sent nothing for ${alias.timeoutMs} ms`)),
            alias.timeoutMs,
          );
        };
        try {
          release = await backend.semaphore.acquire(signal);
          await backend.limiter.acquire(signal);
          call.attempts++;
          arm();
          let finish: { model: string; usage?: TokenUsage; finishReason?: FinishReason } | undefined;
          for await (const part of provider.stream({ ...request, signal: attempt.controller.signal })) {
            arm();
            if (part.type === 'finish') {
              finish = part;
              continue;
            }
            if (part.text === '') continue;
            if (!emitted) call.timeToFirstTokenMs = performance.now() - started;
            emitted = true;
            text += part.text;
            yield { type: 'text-delta', text: part.text };
          }
          clearTimeout(timer);
          if (finish === undefined) throw new LlmError('llm_unavailable', 'the model stream ended before the model finished');
          usage.add(finish.usage ?? (await countUsage(request.messages, text)));
          call.model = finish.model;
          yield { type: 'finish', model: finish.model, usage: usage.snapshot(), finishReason: finish.finishReason };
          return;
        } catch (error) {
          const failure = toLlmError(error, attempt.controller.signal);
          // Text already shown cannot be taken back, so only a stream that sent nothing is retried.
          const wait = emitted ? undefined : retryWait(failure, retry);
          if (emitted)
            usage.add({
              inputTokens: await countMessageTokens(request.messages),
              outputTokens: await countTextTokens(text),
              reported: false,
            });
          if (wait === undefined) throw failure;
          call.retried = true;
          logger.info({ alias: name, code: failure.code, waitMs: wait }, 'retrying model stream');
          release?.();
          release = undefined;
          await sleep(wait, signal);
        } finally {
          clearTimeout(timer);
          // Also cancels the upstream request when the consumer stopped reading early.
          attempt.controller.abort(new LlmError('llm_aborted', 'the stream was closed by its reader'));
          attempt.unlink();
          release?.();
        }
      }
    } catch (error) {
      const failure = toLlmError(error, signal);
      call.failed = true;
      call.errorCode = failure.code;
      if (failure.code !== 'llm_aborted')
        await recordFailure({ alias: name, model: call.model, kind: failure.code, message: failure.message, rawExcerpt: undefined });
      throw failure;
    } finally {
      await finishCall(call, started, usage);
    }
  }

  async function embed(name: LlmAliasName, texts: readonly string[], callOptions: { signal?: AbortSignal } = {}): Promise<EmbedResult> {
    const alias = aliasOf(name);
    const call = newCall(alias, 'embed');
    const started = performance.now();
    const usage = new UsageTally();
    try {
      throwIfAborted(callOptions.signal);
      const provider = await providerFor(alias);
      if (provider.embed === undefined)
        throw new LlmError('llm_unavailable', `the ${provider.kind} provider of alias ${name} cannot embed`, { retryable: false });
      const embedWith = provider.embed.bind(provider);
      const embeddings = await withRetries(alias, call, callOptions.signal, () =>
        limited(alias, callOptions.signal, (signal) => embedWith(texts, { model: alias.model, signal })),
      );
      let inputTokens = 0;
      for (const text of texts) inputTokens += await countTextTokens(text);
      usage.add({ inputTokens, outputTokens: 0, reported: false });
      return { embeddings, model: alias.model };
    } catch (error) {
      const failure = toLlmError(error, callOptions.signal);
      call.failed = true;
      call.errorCode = failure.code;
      if (failure.code !== 'llm_aborted')
        await recordFailure({ alias: name, model: alias.model, kind: failure.code, message: failure.message, rawExcerpt: undefined });
      throw failure;
    } finally {
      await finishCall(call, started, usage);
    }
  }

  async function moderate(text: string, callOptions: { signal?: AbortSignal } = {}): Promise<ModerationResult> {
    const reasons = matchBlocklist(text);
    const classifierAlias = settings.moderation_alias;
    if (classifierAlias === undefined || describe(classifierAlias).offline)
      return { allowed: reasons.length === 0, reasons, classifier: 'skipped' };
    try {
      const verdict = await generateObject(classifierAlias, moderationVerdictSchema, moderationMessages(text), {
        fallback: { allowed: true, reasons: [] },
        ...(callOptions.signal === undefined ? {} : { signal: callOptions.signal }),
      });
      if (verdict.fellBack) return { allowed: reasons.length === 0, reasons, classifier: 'unavailable' };
      if (!verdict.object.allowed)
        reasons.push(
          ...(verdict.object.reasons.length > 0 ? verdict.object.reasons : ['unspecified']).map((reason) => `classifier: ${reason}`),
        );
      return { allowed: reasons.length === 0, reasons, classifier: verdict.object.allowed ? 'allowed' : 'blocked' };
    } catch (error) {
      if (isLlmError(error) && error.code === 'llm_aborted') throw error;
      // Fail open to the blocklist: a classifier outage must not stop the village; admins can still hide posts.
      logger.warn({ alias: classifierAlias, code: isLlmError(error) ? error.code : 'internal' }, 'moderation classifier unavailable');
      return { allowed: reasons.length === 0, reasons, classifier: 'unavailable' };
    }
  }

  return {
    generateObject: generateObject as LlmGateway['generateObject'],
    streamText,
    embed,
    moderate,
    describe,
    stats() {
      return {
        cache: cacheMode,
        aliases: Object.fromEntries(llmAliasNames.map((name) => [name, { ...describe(name), ...stats[name] }])) as LlmStats['aliases'],
        backends: [...backends.values()].map((backend) => ({
          backend: redactBackend(backend.key),
          aliases: [...backend.aliases],
          concurrency: backend.semaphore.limit,
          inFlight: backend.semaphore.inFlight,
          waiting: backend.semaphore.waiting,
          rpm: backend.limiter.perMinute,
        })),
      };
    },
    recentCalls: (limit) => callLog.recentCalls(limit),
    recentFailures: (limit) => callLog.recentFailures(limit),
    async close() {
      const loaded = await Promise.allSettled(providers.values());
      providers.clear();
      for (const result of loaded) if (result.status === 'fulfilled') await result.value.close?.();
      for (const provider of Object.values(options.providers ?? {})) await provider?.close?.();
    },
  };
}

type CallOutcome = 'ok' | 'cache_hit' | 'fallback' | 'failed';

function callOutcome(call: Pick<CallRecord, 'failed' | 'fellBack' | 'cacheHit'>): CallOutcome {
  if (call.failed) return 'failed';
  if (call.fellBack) return 'fallback';
  return call.cacheHit ? 'cache_hit' : 'ok';
}

function recordCallMetrics(metrics: Metrics, call: CallRecord): void {
  const { alias, operation } = call;
  metrics.llmCalls.inc({ alias, operation, outcome: callOutcome(call) });
  metrics.llmLatency.observe({ alias, operation }, call.latencyMs / 1_000);
  if (call.cacheHit) return;
  metrics.llmTokens.inc({ alias, direction: 'input' }, call.inputTokens);
  metrics.llmTokens.inc({ alias, direction: 'output' }, call.outputTokens);
}

/** `json_schema` for providers that enforce schemas natively (local grammar, offline writer, mocks); the alias's setting otherwise. */
function responseFormatFor(kind: ProviderKind, alias: ResolvedAlias, schema: JsonSchema): ResponseFormat {
  const mode = kind === 'openai-compatible' ? alias.structuredOutputs : 'json_schema';
  if (mode === 'json_schema') return { type: 'json_schema', name: 'response', schema };
  if (mode === 'json_object') return { type: 'json_object' };
  return { type: 'text' };
}

async function countUsage(messages: readonly ChatMessage[], text: string): Promise<TokenUsage> {
  return { inputTokens: await countMessageTokens(messages), outputTokens: await countTextTokens(text), reported: false };
}

/** An AbortController that also fires (with `llm_aborted`) when the caller's signal does. */
function linkedController(signal: AbortSignal | undefined): { controller: AbortController; unlink: () => void } {
  const controller = new AbortController();
  if (signal === undefined) return { controller, unlink: () => undefined };
  const onAbort = () => controller.abort(new LlmError('llm_aborted', 'the model call was aborted'));
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });
  return { controller, unlink: () => signal.removeEventListener('abort', onAbort) };
}

function toLlmError(error: unknown, signal?: AbortSignal): LlmError {
  if (isLlmError(error)) return error;
  if (signal?.aborted) return abortError(signal);
  return new LlmError('llm_unavailable', `the model provider failed: ${error instanceof Error ? error.message : String(error)}`, {
    cause: error,
    retryable: false,
  });
}

/** Backend keys hold a base URL; hide a password in it before it reaches the admin view. */
function redactBackend(key: string): string {
  return key.replace(/\/\/([^/@:]+):[^/@]*@/, '//$1:***@');
}

async function importLocalProviderFactory(): Promise<LocalProviderFactoryWithSettings> {
  // Imported on first use of a `local` alias; that module in turn loads node-llama-cpp (optional) on demand.
  const module = await import('./providers/local-provider.js');
  return module.createLocalProvider;
}
