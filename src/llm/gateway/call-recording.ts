/**
 * Call recording: every gateway call gets a call record (flags, attempts, tokens, latency) that ends up in the call
 * log, the per-alias stats, the metrics and one log line; a failed or fallen-back call also gets a failure record.
 * Recording never fails a call: a log write that fails is only warned about.
 */
import { performance } from 'node:perf_hooks';
import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../core/logger.js';
import type { Metrics } from '../../core/metrics.js';
import { type LlmAliasName, llmAliasNames, type ResolvedAlias } from '../aliases.js';
import type { CallLog, CallOperation, CallRecord, FailureRecord } from '../call-log.js';
import { type LlmError, throwIfAborted } from '../errors.js';
import type { ChatMessage, ProviderKind, TokenUsage } from '../provider.js';
import { countMessageTokens, countTextTokens } from '../tokens.js';
import { toLlmError } from './retries.js';

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

export class UsageTally {
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

/** Usage counted locally, for a provider that reports none. */
export async function countUsage(messages: readonly ChatMessage[], text: string): Promise<TokenUsage> {
  return { inputTokens: await countMessageTokens(messages), outputTokens: await countTextTokens(text), reported: false };
}

/** A call in progress: its record, the tokens so far and when it started (performance.now()). */
export interface ActiveCall {
  record: CallRecord;
  usage: UsageTally;
  started: number;
}

export interface CallRecorderOptions {
  callLog: CallLog;
  clock: Clock;
  logger: Logger;
  metrics: Metrics | undefined;
  kindOf: (alias: ResolvedAlias) => ProviderKind;
}

export class CallRecorder {
  private readonly stats = Object.fromEntries(
    llmAliasNames.map((name) => [
      name,
      { calls: 0, cacheHits: 0, repaired: 0, retried: 0, fellBack: 0, failed: 0, inputTokens: 0, outputTokens: 0, totalLatencyMs: 0 },
    ]),
  ) as Record<LlmAliasName, AliasStats>;

  constructor(private readonly options: CallRecorderOptions) {}

  start(alias: ResolvedAlias, operation: CallOperation): ActiveCall {
    const record: CallRecord = {
      alias: alias.name,
      provider: this.options.kindOf(alias),
      model: alias.model,
      operation,
      startedAt: this.options.clock.now(),
      latencyMs: 0,
      queueWaitMs: 0,
      serverMs: undefined,
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
    return { record, usage: new UsageTally(), started: performance.now() };
  }

  /** Runs `body` as one recorded call: failures come out as LlmErrors, and the call is recorded however it ends. */
  async track<T>(
    alias: ResolvedAlias,
    operation: CallOperation,
    signal: AbortSignal | undefined,
    body: (call: ActiveCall) => Promise<T>,
  ): Promise<T> {
    const call = this.start(alias, operation);
    try {
      throwIfAborted(signal);
      return await body(call);
    } catch (error) {
      throw await this.fail(call, error, signal);
    } finally {
      await this.finish(call);
    }
  }

  /** Marks the call failed and keeps a failure record (not for an abort or a replay miss); returns the error to throw. */
  async fail(call: ActiveCall, error: unknown, signal: AbortSignal | undefined): Promise<LlmError> {
    const failure = toLlmError(error, signal);
    call.record.failed = true;
    call.record.errorCode = failure.code;
    if (failure.code !== 'llm_aborted' && failure.code !== 'llm_cache_miss')
      await this.recordFailure({
        alias: call.record.alias,
        model: call.record.model,
        kind: failure.code,
        message: failure.message,
        rawExcerpt: undefined,
      });
    return failure;
  }

  async finish(call: ActiveCall): Promise<void> {
    const { record, usage } = call;
    record.latencyMs = performance.now() - call.started;
    record.inputTokens = usage.inputTokens;
    record.outputTokens = usage.outputTokens;
    record.tokensReported = usage.reported;
    this.tally(record);
    if (this.options.metrics) recordCallMetrics(this.options.metrics, record);
    this.logCall(record);
    try {
      await this.options.callLog.recordCall(record);
    } catch (error) {
      this.options.logger.warn({ error: (error as Error).message }, 'could not write the llm call log');
    }
  }

  async recordFailure(failure: Omit<FailureRecord, 'createdAt'>): Promise<void> {
    try {
      await this.options.callLog.recordFailure({ ...failure, createdAt: this.options.clock.now() });
    } catch (error) {
      this.options.logger.warn({ error: (error as Error).message }, 'could not write an llm failure record');
    }
  }

  aliasStats(name: LlmAliasName): AliasStats {
    return { ...this.stats[name] };
  }

  private tally(record: CallRecord): void {
    const tally = this.stats[record.alias as LlmAliasName];
    tally.calls++;
    tally.cacheHits += Number(record.cacheHit);
    tally.repaired += Number(record.repaired);
    tally.retried += Number(record.retried);
    tally.fellBack += Number(record.fellBack);
    tally.failed += Number(record.failed);
    tally.inputTokens += record.inputTokens;
    tally.outputTokens += record.outputTokens;
    tally.totalLatencyMs += record.latencyMs;
  }

  private logCall(record: CallRecord): void {
    const summary = {
      alias: record.alias,
      model: record.model,
      operation: record.operation,
      latencyMs: Math.round(record.latencyMs),
      queueWaitMs: Math.round(record.queueWaitMs),
      serverMs: record.serverMs === undefined ? undefined : Math.round(record.serverMs),
      timeToFirstTokenMs: record.timeToFirstTokenMs === undefined ? undefined : Math.round(record.timeToFirstTokenMs),
      attempts: record.attempts,
      cacheHit: record.cacheHit,
      repaired: record.repaired,
      retried: record.retried,
      fellBack: record.fellBack,
      errorCode: record.errorCode,
    };
    if (record.failed) this.options.logger.warn(summary, 'model call failed');
    else this.options.logger.debug(summary, 'model call');
  }
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
