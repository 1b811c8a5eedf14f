/**
 * The error catalog: every error the program raises on purpose has a stable code and an HTTP status.
 * The web layer turns an AppError into application/problem+json; the CLI prints `code: message`.
 */
export const errorCatalog = {
  validation_failed: { status: 400, title: 'Validation failed' },
  invalid_json: { status: 400, title: 'Malformed JSON body' },
  unauthorized: { status: 401, title: 'Unauthorized' },
  host_not_allowed: { status: 403, title: 'Host not allowed' },
  origin_not_allowed: { status: 403, title: 'Origin not allowed' },
  not_found: { status: 404, title: 'Not found' },
  method_not_allowed: { status: 405, title: 'Method not allowed' },
  version_conflict: { status: 409, title: 'Stream version conflict' },
  duplicate: { status: 409, title: 'Duplicate' },
  payload_too_large: { status: 413, title: 'Payload too large' },
  unsupported_media_type: { status: 415, title: 'Unsupported media type' },
  rate_limited: { status: 429, title: 'Too many requests' },
  config_invalid: { status: 500, title: 'Invalid configuration' },
  migration_failed: { status: 500, title: 'Migration failed' },
  store_unavailable: { status: 503, title: 'Store unavailable' },
  llm_auth: { status: 502, title: 'Model backend refused the credentials' },
  llm_rate_limited: { status: 503, title: 'Model backend is rate limiting' },
  llm_unavailable: { status: 502, title: 'Model backend unavailable' },
  llm_timeout: { status: 504, title: 'Model backend timed out' },
  llm_invalid_output: { status: 502, title: 'Model output failed validation' },
  llm_cache_miss: { status: 409, title: 'Replay cache miss' },
  llm_not_installed: { status: 501, title: 'Local model runtime not installed' },
  llm_model_invalid: { status: 500, title: 'Local model file missing or invalid' },
  llm_aborted: { status: 499, title: 'Model call aborted' },
  internal: { status: 500, title: 'Internal error' },
} as const;

export type ErrorCode = keyof typeof errorCatalog;

export interface AppErrorOptions {
  /** Extra machine-readable fields, copied into the problem document. */
  details?: Record<string, unknown>;
  cause?: unknown;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = errorCatalog[code].status;
    this.details = options.details;
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
