/** Backups with SQLite's online backup API: a consistent copy while a writer is open, retention, the nightly clock. */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { backupSqlite, msUntilNext } from './backup.js';

describe('backups', () => {
  const directories: string[] = [];
  afterEach(() => {
    for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
  });

  it('copies a live WAL database online and keeps the newest backups', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'koivulahti-backup-'));
    directories.push(directory);
    const path = join(directory, 'k.db');
    const live = new SqliteDatabase(path);
    live.pragma('journal_mode = WAL');
    live.exec('create table events (position integer primary key, type text)');
    const insert = live.prepare('insert into events (type) values (?)');
    for (let index = 0; index < 50; index++) insert.run(`e${index}`);
    const backups = join(directory, 'backups');
    const made: string[] = [];
    for (let second = 0; second < 4; second++)
      made.push(await backupSqlite(path, backups, 3, new Date(Date.UTC(2026, 0, 1, 3, 0, second))));
    live.close();
    expect(readdirSync(backups).sort()).toEqual(made.slice(1).map((file) => file.split('/').pop()));
    const copy = new SqliteDatabase(made[3] as string, { readonly: true });
    expect(copy.prepare('select count(*) as n from events').get()).toEqual({ n: 50 });
    copy.close();
    await expect(backupSqlite(':memory:', backups, 3, new Date())).rejects.toThrow(/in-memory/);
  });

  it('waits until the next local HH:MM', () => {
    const now = new Date(2026, 0, 1, 2, 30, 0);
    expect(msUntilNext(now, '03:00')).toBe(30 * 60_000);
    expect(msUntilNext(new Date(2026, 0, 1, 3, 0, 0), '03:00')).toBe(24 * 60 * 60_000);
    expect(() => msUntilNext(now, '3am')).toThrow(/HH:MM/);
  });
});
