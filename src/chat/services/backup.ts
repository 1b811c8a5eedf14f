/**
 * Backups of the SQLite database with SQLite's online backup API (better-sqlite3 `.backup()`): consistent while the
 * program keeps writing. Nightly at `chat.backup_at` (local time, default 03:00), the newest `chat.backups_keep`
 * kept. `backupDatabase` is what an on-demand `koivulahti backup` calls. PostgreSQL deployments use pg_dump instead.
 */
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import type { Clock } from '../../core/clock.js';
import type { Config } from '../../core/config.js';
import { ValidationError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { sleep } from '../../core/sleep.js';

const backupName = /^koivulahti-\d{8}T\d{6}Z?(?:-\d+)?\.db$/;

const pad = (value: number, size = 2) => String(value).padStart(size, '0');

function stamp(at: Date): string {
  return `${at.getUTCFullYear()}${pad(at.getUTCMonth() + 1)}${pad(at.getUTCDate())}T${pad(at.getUTCHours())}${pad(at.getUTCMinutes())}${pad(at.getUTCSeconds())}Z`;
}

/** Copies the SQLite file at `sqlitePath` into `directory` online, keeps the newest `keep` backups; returns the path. */
export async function backupSqlite(sqlitePath: string, directory: string, keep: number, now: Date): Promise<string> {
  if (sqlitePath === ':memory:') throw new ValidationError('an in-memory database cannot be backed up');
  mkdirSync(directory, { recursive: true });
  let target = join(directory, `koivulahti-${stamp(now)}.db`);
  for (let index = 1; readdirSync(directory).includes(target.split('/').pop() ?? ''); index++)
    target = join(directory, `koivulahti-${stamp(now)}-${index}.db`);
  const source = new SqliteDatabase(sqlitePath, { readonly: true, fileMustExist: true });
  try {
    await source.backup(target);
  } finally {
    source.close();
  }
  pruneBackups(directory, keep);
  return target;
}

/** Removes all but the newest `keep` backups (by name: the names sort by time). */
export function pruneBackups(directory: string, keep: number): string[] {
  const backups = readdirSync(directory)
    .filter((name) => backupName.test(name))
    .sort();
  const removed = backups.slice(0, Math.max(0, backups.length - keep));
  for (const name of removed) rmSync(join(directory, name), { force: true });
  return removed;
}

/** Milliseconds from `now` until the next local `HH:MM`. */
export function msUntilNext(now: Date, at: string): number {
  const match = /^(\d{1,2}):(\d{2})$/.exec(at);
  if (!match) throw new ValidationError(`backup time must be HH:MM, not ${at}`);
  const next = new Date(now.getTime());
  next.setHours(Number(match[1]), Number(match[2]), 0, 0);
  if (next.getTime() <= now.getTime()) next.setDate(next.getDate() + 1);
  return next.getTime() - now.getTime();
}

/** An on-demand backup of the configured database (`koivulahti backup`). */
export function backupDatabase(config: Config, clock: Clock): Promise<string> {
  if (config.database.url) throw new ValidationError('the store is PostgreSQL: back it up with pg_dump');
  return backupSqlite(config.database.sqlite_path, config.chat.backup_dir, config.chat.backups_keep, new Date(clock.now()));
}

/** Backs up nightly at `chat.backup_at` until the signal aborts (SQLite stores only; `backup_at = ""` turns it off). */
export async function runNightlyBackups(config: Config, clock: Clock, logger: Logger, signal: AbortSignal): Promise<void> {
  if (config.database.url || config.chat.backup_at === '' || config.database.sqlite_path === ':memory:') return;
  while (!signal.aborted) {
    const wait = msUntilNext(new Date(clock.now()), config.chat.backup_at);
    await sleep(wait, signal).catch(() => undefined);
    if (signal.aborted) return;
    try {
      const path = await backupDatabase(config, clock);
      logger.info({ path }, 'nightly backup written');
    } catch (error) {
      logger.warn({ error: (error as Error).message }, 'nightly backup failed');
    }
  }
}
