/**
 * The call log: one `llm_calls` row per gateway call (cache hits and failures included) and one `llm_failures` row
 * per fallback or failed call. Prompts, headers and API keys are never written; a failure keeps at most 2 KB of
 * what the model wrote.
 */
import type { Kysely } from 'kysely';
import type { StoreDatabase } from '../store/database.js';
import type { LlmTables } from './migrations.js';
import { excerpt } from './structured-output.js';

export type CallOperation = 'object' | 'stream' | 'embed';

export interface CallRecord {
  alias: string;
  provider: string;
  model: string;
  operation: CallOperation;
  startedAt: number;
  /** The whole call, from the caller's view: queue wait, every attempt and the waits between them. */
  latencyMs: number;
  /** Waiting for a free backend slot and a rate-limit turn (all attempts). */
  queueWaitMs: number;
  /** Time the backend had the requests: from sending to the last byte of the answer (all attempts). */
  serverMs: number | undefined;
  /** Streams: from sending the request that answered to its first text. */
  timeToFirstTokenMs: number | undefined;
  inputTokens: number;
  outputTokens: number;
  tokensReported: boolean;
  attempts: number;
  cacheHit: boolean;
  repaired: boolean;
  retried: boolean;
  fellBack: boolean;
  failed: boolean;
  errorCode: string | undefined;
}

export interface FailureRecord {
  alias: string;
  model: string;
  kind: string;
  message: string;
  rawExcerpt: string | undefined;
  createdAt: number;
}

export class CallLog {
  private readonly db: Kysely<LlmTables>;

  constructor(database: StoreDatabase) {
    this.db = database.db as Kysely<LlmTables>;
  }

  async recordCall(call: CallRecord): Promise<void> {
    await this.db
      .insertInto('llm_calls')
      .values({
        alias: call.alias,
        provider: call.provider,
        model: call.model,
        operation: call.operation,
        started_at: call.startedAt,
        latency_ms: Math.max(0, Math.round(call.latencyMs)),
        queue_wait_ms: Math.max(0, Math.round(call.queueWaitMs)),
        server_ms: call.serverMs === undefined ? null : Math.max(0, Math.round(call.serverMs)),
        time_to_first_token_ms: call.timeToFirstTokenMs === undefined ? null : Math.max(0, Math.round(call.timeToFirstTokenMs)),
        input_tokens: call.inputTokens,
        output_tokens: call.outputTokens,
        tokens_reported: call.tokensReported ? 1 : 0,
        attempts: call.attempts,
        cache_hit: call.cacheHit ? 1 : 0,
        repaired: call.repaired ? 1 : 0,
        retried: call.retried ? 1 : 0,
        fell_back: call.fellBack ? 1 : 0,
        failed: call.failed ? 1 : 0,
        error_code: call.errorCode ?? null,
      })
      .execute();
  }

  async recordFailure(failure: FailureRecord): Promise<void> {
    await this.db
      .insertInto('llm_failures')
      .values({
        alias: failure.alias,
        model: failure.model,
        kind: failure.kind,
        message: excerpt(failure.message, 1024),
        raw_excerpt: failure.rawExcerpt === undefined ? null : excerpt(failure.rawExcerpt),
        created_at: failure.createdAt,
      })
      .execute();
  }

  async recentCalls(limit = 50): Promise<CallRecord[]> {
    const rows = await this.db.selectFrom('llm_calls').selectAll().orderBy('id', 'desc').limit(limit).execute();
    return rows.map((row) => ({
      alias: row.alias,
      provider: row.provider,
      model: row.model,
      operation: row.operation as CallOperation,
      startedAt: Number(row.started_at),
      latencyMs: row.latency_ms,
      queueWaitMs: row.queue_wait_ms ?? 0,
      serverMs: row.server_ms ?? undefined,
      timeToFirstTokenMs: row.time_to_first_token_ms ?? undefined,
      inputTokens: row.input_tokens,
      outputTokens: row.output_tokens,
      tokensReported: row.tokens_reported === 1,
      attempts: row.attempts,
      cacheHit: row.cache_hit === 1,
      repaired: row.repaired === 1,
      retried: row.retried === 1,
      fellBack: row.fell_back === 1,
      failed: row.failed === 1,
      errorCode: row.error_code ?? undefined,
    }));
  }

  async recentFailures(limit = 50): Promise<FailureRecord[]> {
    const rows = await this.db.selectFrom('llm_failures').selectAll().orderBy('id', 'desc').limit(limit).execute();
    return rows.map((row) => ({
      alias: row.alias,
      model: row.model,
      kind: row.kind,
      message: row.message,
      rawExcerpt: row.raw_excerpt ?? undefined,
      createdAt: Number(row.created_at),
    }));
  }
}
