/**
 * The retry policy: rate limiting and outages are retried with jittered backoff, honouring Retry-After up to the cap;
 * what the error says cannot heal (auth, timeouts, bad requests) fails at once.
 */
import type { Logger } from '../../core/logger.js';
import type { ResolvedAlias } from '../aliases.js';
import type { CallRecord } from '../call-log.js';
import { abortError, isLlmError, LlmError } from '../errors.js';
import { backoffDelay, type Sleep } from '../limits.js';
import type { LlmSettings } from './options.js';

export class RetryPolicy {
  constructor(
    private readonly settings: Pick<LlmSettings, 'max_retries' | 'retry_base_ms' | 'retry_max_wait_ms'>,
    private readonly random: () => number,
    readonly sleep: Sleep,
    private readonly logger: Logger,
  ) {}

  /** How long to wait before retry number `retry` after `error`; undefined when it is not retried. */
  waitBefore(error: LlmError, retry: number): number | undefined {
    const { max_retries, retry_base_ms, retry_max_wait_ms } = this.settings;
    if (!error.retryable || retry >= max_retries) return undefined;
    if (error.retryAfterMs !== undefined) return error.retryAfterMs <= retry_max_wait_ms ? error.retryAfterMs : undefined;
    return backoffDelay(retry, retry_base_ms, retry_max_wait_ms, this.random);
  }

  /** Runs `run` until it succeeds or fails for good, counting attempts and retries on the call record. */
  async run<T>(alias: ResolvedAlias, call: CallRecord, signal: AbortSignal | undefined, run: () => Promise<T>): Promise<T> {
    for (let retry = 0; ; retry++) {
      call.attempts++;
      try {
        return await run();
      } catch (error) {
        const failure = toLlmError(error);
        const wait = this.waitBefore(failure, retry);
        if (wait === undefined) throw failure;
        call.retried = true;
        this.logger.info({ alias: alias.name, code: failure.code, statusCode: failure.statusCode, waitMs: wait }, 'retrying model call');
        await this.sleep(wait, signal);
      }
    }
  }
}

/** Any error as an LlmError: the abort error when the signal fired, else an unretried `llm_unavailable`. */
export function toLlmError(error: unknown, signal?: AbortSignal): LlmError {
  if (isLlmError(error)) return error;
  if (signal?.aborted) return abortError(signal);
  return new LlmError('llm_unavailable', `the model provider failed: ${error instanceof Error ? error.message : String(error)}`, {
    cause: error,
    retryable: false,
  });
}
