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
import { accessSync, constants, statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import { AppError, type ErrorCode } from '../core/errors.js';

interface DriverError {
  code?: unknown;
  message?: unknown;
  cause?: unknown;
}

// Class 08 (connection exception), 57P0x (the server shut down or is starting), 28xxx (the login was refused), 3D000
// (no such database), 53300 (too many connections), and the socket errors of a cut link.
const postgresConnectionCodes = new Set([
  '57P01',
  '57P02',
  '57P03',
  '28000',
  '28P01',
  '3D000',
  '53300',
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
  // SQLITE_CANTOPEN: the file or its directory cannot be opened for writing (permissions, a read-only mount).
  if (code.startsWith('SQLITE_READONLY') || code === 'SQLITE_CANTOPEN' || code === '25006') return 'storage_read_only';
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB' || code === 'XX001' || code === 'XX002') return 'storage_corrupt';
  if (code.startsWith('SQLITE_IOERR') || postgresConnectionCodes.has(code) || /^08...$/.test(code)) return 'store_unavailable';
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
 * SQLite reports a failed write as SQLITE_IOERR_WRITE ("disk I/O error") whatever the reason; the file system says
 * which: no free blocks left (full), or no write permission (a read-only mount, an immutable file).
 */
function diagnoseSqliteIoError(path: string): { code: ErrorCode; why: string } | undefined {
  try {
    const stats = statfsSync(dirname(path));
    if (stats.bavail === 0) return { code: 'storage_full', why: 'no free space left on the file system' };
  } catch {
    // statfs unavailable: fall through to the permission check
  }
  for (const file of [path, `${path}-wal`, dirname(path)]) {
    try {
      accessSync(file, constants.W_OK);
    } catch (error) {
      const errno = (error as { code?: string }).code;
      if (errno === 'ENOENT') continue;
      return { code: 'storage_read_only', why: `${file} is not writable (${errno})` };
    }
  }
  return undefined;
}

/**
 * The storage failure inside `error` (its cause chain included), as an AppError naming `location` (the SQLite file or
 * the redacted PostgreSQL URL); undefined when the error is not a storage failure. AppErrors pass through unchanged.
 * With `sqlitePath`, an I/O error is diagnosed further (full or read-only) from the file system.
 */
export function storageErrorOf(error: unknown, location: string, options: { sqlitePath?: string } = {}): AppError | undefined {
  if (error instanceof AppError) return undefined;
  for (const candidate of driverErrors(error)) {
    let code = classify(candidate);
    if (code === undefined) continue;
    const driverCode = codeOf(candidate);
    let cause = `${driverCode ? `${driverCode}: ` : ''}${messageOf(candidate)}`;
    if (driverCode.startsWith('SQLITE_IOERR') && options.sqlitePath && options.sqlitePath !== ':memory:') {
      const diagnosis = diagnoseSqliteIoError(options.sqlitePath);
      if (diagnosis) {
        code = diagnosis.code;
        cause = `${cause}: ${diagnosis.why}`;
      }
    }
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
