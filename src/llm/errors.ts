/**
 * Typed LLM errors. Every failure a provider or the gateway raises on purpose is an LlmError with an `llm_*` code
 * from the catalog, so callers (job handlers, routes) branch on the code and never on a library's error class.
 */
import { AppError, type ErrorCode } from '../core/errors.js';

export type LlmErrorCode = Extract<ErrorCode, `llm_${string}`>;

export interface LlmErrorOptions {
  cause?: unknown;
  /** HTTP status of the backend's answer, when there was one. */
  statusCode?: number;
  /** How long the backend asked us to wait (Retry-After), in milliseconds. */
  retryAfterMs?: number;
  /** Overrides the code's default (rate limited and unavailable are retryable, the rest are not). */
  retryable?: boolean;
  details?: Record<string, unknown>;
}

const retryableCodes: ReadonlySet<LlmErrorCode> = new Set(['llm_rate_limited', 'llm_unavailable']);

export class LlmError extends AppError {
  declare readonly code: LlmErrorCode;
  readonly statusCode: number | undefined;
  readonly retryAfterMs: number | undefined;
  /** Worth another attempt after a pause: the backend is busy or briefly gone, not wrong. */
  readonly retryable: boolean;

  constructor(code: LlmErrorCode, message: string, options: LlmErrorOptions = {}) {
    const details = {
      ...options.details,
      ...(options.statusCode === undefined ? {} : { statusCode: options.statusCode }),
      ...(options.retryAfterMs === undefined ? {} : { retryAfterMs: options.retryAfterMs }),
    };
    super(code, message, {
      ...(Object.keys(details).length > 0 ? { details } : {}),
      ...(options.cause === undefined ? {} : { cause: options.cause }),
    });
    this.name = 'LlmError';
    this.statusCode = options.statusCode;
    this.retryAfterMs = options.retryAfterMs;
    this.retryable = options.retryable ?? retryableCodes.has(code);
  }
}

export function isLlmError(value: unknown): value is LlmError {
  return value instanceof LlmError;
}

/**
 * The error to raise when `signal` has fired. The gateway aborts with an LlmError as the reason (`llm_timeout` for
 * its own timer, `llm_aborted` for the caller's signal); any other reason is a plain abort.
 */
export function abortError(signal: AbortSignal | undefined): LlmError {
  const reason: unknown = signal?.reason;
  if (reason instanceof LlmError) return reason;
  return new LlmError('llm_aborted', 'the model call was aborted');
}

/** Throws the abort error when `signal` has already fired; call between steps that do not watch the signal. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortError(signal);
}

/**
 * Parses Retry-After (delta seconds or an HTTP date) and OpenAI's `retry-after-ms`, in milliseconds.
 * `now` is the current epoch time, for the date form.
 */
export function parseRetryAfter(headers: Record<string, string | undefined> | undefined, now: number): number | undefined {
  if (headers === undefined) return undefined;
  const lower = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
  const milliseconds = lower['retry-after-ms'];
  if (milliseconds !== undefined && /^\d+(\.\d+)?$/.test(milliseconds.trim())) return Math.ceil(Number(milliseconds));
  const value = lower['retry-after']?.trim();
  if (value === undefined || value === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.ceil(Number(value) * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
