/**
 * The error catalog: every error the program raises on purpose has a stable code and an HTTP status.
 * The web layer turns an AppError into application/problem+json; the CLI prints `code: message`.
 */
export const errorCatalog = {
  validation_failed: { status: 400, title: 'Validation failed' },
  invalid_json: { status: 400, title: 'Malformed JSON body' },
  bad_request: { status: 400, title: 'Bad request' },
  bad_url: { status: 400, title: 'Malformed URL' },
  unauthorized: { status: 401, title: 'Unauthorized' },
  forbidden: { status: 403, title: 'Forbidden' },
  csrf_invalid: { status: 403, title: 'Missing or wrong CSRF token' },
  host_not_allowed: { status: 403, title: 'Host not allowed' },
  origin_not_allowed: { status: 403, title: 'Origin not allowed' },
  not_found: { status: 404, title: 'Not found' },
  method_not_allowed: { status: 405, title: 'Method not allowed' },
  request_timeout: { status: 408, title: 'Request timeout' },
  version_conflict: { status: 409, title: 'Stream version conflict' },
  duplicate: { status: 409, title: 'Duplicate' },
  payload_too_large: { status: 413, title: 'Payload too large' },
  uri_too_long: { status: 414, title: 'URI too long' },
  unsupported_media_type: { status: 415, title: 'Unsupported media type' },
  rate_limited: { status: 429, title: 'Too many requests' },
  headers_too_large: { status: 431, title: 'Request header fields too large' },
  config_invalid: { status: 500, title: 'Invalid configuration' },
  migration_failed: { status: 500, title: 'Migration failed' },
  store_unavailable: { status: 503, title: 'Store unavailable' },
  storage_full: { status: 507, title: 'Storage full' },
  storage_read_only: { status: 503, title: 'Storage read-only' },
  storage_corrupt: { status: 503, title: 'Storage corrupt' },
  not_ready: { status: 503, title: 'Not ready' },
  upstream_unavailable: { status: 502, title: 'Upstream service unavailable' },
  upstream_timeout: { status: 504, title: 'Upstream service timed out' },
  llm_auth: { status: 502, title: 'Model backend refused the credentials' },
  llm_rate_limited: { status: 503, title: 'Model backend is rate limiting' },
  llm_unavailable: { status: 502, title: 'Model backend unavailable' },
  llm_timeout: { status: 504, title: 'Model backend timed out' },
  llm_invalid_output: { status: 502, title: 'Model output failed validation' },
  llm_cache_miss: { status: 409, title: 'Replay cache miss' },
  llm_not_installed: { status: 501, title: 'Local model runtime not installed' },
  llm_model_invalid: { status: 500, title: 'Local model file missing or invalid' },
  llm_aborted: { status: 499, title: 'Model call aborted' },
  llm_context_exceeded: { status: 413, title: "Prompt does not fit the model's context" },
  llm_rejected: { status: 502, title: 'Model backend rejected the request' },
  internal: { status: 500, title: 'Internal error' },
} as const;

export type ErrorCode = keyof typeof errorCatalog;

export interface AppErrorOptions {
  /** Extra machine-readable fields, copied into the problem document. */
  details?: Record<string, unknown>;
  cause?: unknown;
  /** The message is safe to show a client even for a 5xx (it names no secret; it tells an operator what to do). */
  expose?: boolean;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: Record<string, unknown> | undefined;
  readonly expose: boolean;

  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = errorCatalog[code].status;
    this.details = options.details;
    this.expose = options.expose ?? false;
  }

  get title(): string {
    return errorCatalog[this.code].title;
  }
}

export function isAppError(value: unknown): value is AppError {
  return value instanceof AppError;
}

/** A configuration value failed validation; `key` is the dotted path as written in config.toml or the env name. */
export class ConfigError extends AppError {
  readonly key: string;
  constructor(key: string, reason: string) {
    super('config_invalid', `${key}: ${reason}`, { details: { key, reason } });
    this.name = 'ConfigError';
    this.key = key;
  }
}

export class MigrationError extends AppError {
  readonly migration: string;
  constructor(migration: string, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super('migration_failed', `migration ${migration} failed: ${reason}`, { details: { migration }, cause });
    this.name = 'MigrationError';
    this.migration = migration;
  }
}

export class NotFoundError extends AppError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('not_found', message, details === undefined ? {} : { details });
    this.name = 'NotFoundError';
  }
}

export class ValidationError extends AppError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('validation_failed', message, details === undefined ? {} : { details });
    this.name = 'ValidationError';
  }
}
