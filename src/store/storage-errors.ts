/**
 * Storage failures named for people: a raw driver error (better-sqlite3 or pg) becomes an AppError with a stable code,
 * the file or server it concerns, the cause in the driver's words and what to do. Callers at the edges (the web error
 * handler, the CLI, background loops) pass every unexpected error through `storageErrorOf`.
 *
 * - `storage_full`: SQLITE_FULL, PostgreSQL 53100 (disk_full). Writes fail; reads go on; writes resume once there is room.
 * - `storage_read_only`: SQLITE_READONLY*, SQLITE_CANTOPEN, PostgreSQL 25006 (a read-only server or replica).
 * - `storage_corrupt`: SQLITE_CORRUPT*, SQLITE_NOTADB, PostgreSQL XX001 / XX002.
 * - `store_unavailable`: SQLITE_IOERR*, a PostgreSQL connection that failed or was terminated.
 */
import { AppError, type ErrorCode } from '../core/errors.js';

interface DriverError {
  code?: unknown;
  message?: unknown;
  cause?: unknown;
}

const postgresConnectionCodes = new Set([
  '57P01',
  '57P02',
  '57P03',
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
]);
const postgresConnectionMessages =
  /connection terminated|terminating connection|connection timeout|timeout exceeded when trying to connect|client has encountered a connection error|Connection terminated unexpectedly/i;

function driverErrors(error: unknown): DriverError[] {
  const chain: DriverError[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    chain.push(current as DriverError);
    current = (current as DriverError).cause;
  }
  return chain;
}

function codeOf(error: DriverError): string {
  return typeof error.code === 'string' ? error.code : '';
}

function messageOf(error: DriverError): string {
  return typeof error.message === 'string' ? error.message : '';
}

function classify(error: DriverError): ErrorCode | undefined {
  const code = codeOf(error);
  if (code === 'SQLITE_FULL' || code === '53100') return 'storage_full';
  if (code.startsWith('SQLITE_READONLY') || code === 'SQLITE_CANTOPEN' || code === '25006') return 'storage_read_only';
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB' || code === 'XX001' || code === 'XX002') return 'storage_corrupt';
  if (code.startsWith('SQLITE_IOERR') || postgresConnectionCodes.has(code)) return 'store_unavailable';
  if (code === '' && postgresConnectionMessages.test(messageOf(error))) return 'store_unavailable';
  return undefined;
}

const advice: Partial<Record<ErrorCode, string>> = {
  storage_full: 'free disk space (or raise the quota); writes resume by themselves',
  storage_read_only: 'make the file and its directory writable by this process; writes resume by themselves',
  storage_corrupt: 'stop the server and restore the newest backup (docs/operations.md)',
  store_unavailable: 'check that the database is reachable; the server retries by itself',
};

const what: Partial<Record<ErrorCode, string>> = {
  storage_full: 'is full',
  storage_read_only: 'is read-only',
  storage_corrupt: 'is corrupt or not a database',
  store_unavailable: 'cannot be used',
};

/**
 * The storage failure inside `error` (its cause chain included), as an AppError naming `location` (the SQLite file or
 * the redacted PostgreSQL URL); undefined when the error is not a storage failure. AppErrors pass through unchanged.
 */
export function storageErrorOf(error: unknown, location: string): AppError | undefined {
  if (error instanceof AppError) return undefined;
  for (const candidate of driverErrors(error)) {
    const code = classify(candidate);
    if (code === undefined) continue;
    const driverCode = codeOf(candidate);
    const cause = `${driverCode ? `${driverCode}: ` : ''}${messageOf(candidate)}`;
    return new AppError(code, `the database ${location} ${what[code]} (${cause}); ${advice[code]}`, {
      cause: error,
      details: { location, driverCode: driverCode || undefined },
      // A file path helps whoever reads the page fix it; a database server's address stays in the log.
      expose: code !== 'store_unavailable',
    });
  }
  return undefined;
}

/** True when `error` (or its cause) is a storage failure of any kind. */
export function isStorageError(error: unknown): boolean {
  return driverErrors(error).some((candidate) => classify(candidate) !== undefined);
}
