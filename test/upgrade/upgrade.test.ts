/**
 * A database made by an older main (`main-0a57848.db`, see README.md) opened by today's code: migrations run, the app
 * serves it in-process, and every request recorded against the old code answers the same (JSON compared after
 * parsing, pages by their visible text), the village run's event log hashes the same, and the chat read models rebuilt
 * from the old log on a cold start read the same as the ones the old code projected.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import SqliteDatabase from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/core/config.js';
import { silentLogger } from '../../src/core/logger.js';
import { type RunningServer, startServer } from '../../src/server.js';
import type { ProcessRole } from '../../src/web/product-module.js';
import { capture, type ExpectedFile, freezeDate, logHash, type RecordedResponse } from './read-models.js';

const here = new URL('.', import.meta.url);
const expected = JSON.parse(readFileSync(new URL('expected.json', here), 'utf8')) as ExpectedFile;
const fixture = new URL(`main-${expected.madeBy}.db`, here);

/** The app on a fresh copy of the fixture, with the recording's frozen instant and time zone. */
async function openCopy(roles: readonly ProcessRole[], prepare?: (path: string) => void) {
  const scratch = mkdtempSync(join(tmpdir(), 'koivulahti-upgrade-'));
  const copy = join(scratch, 'fixture.db');
  copyFileSync(fixture, copy);
  prepare?.(copy);
  const previousTimeZone = process.env.TZ;
  process.env.TZ = expected.timeZone;
  const restoreDate = freezeDate(expected.frozenNow);
  const config = parseConfig({ fileText: `${expected.configText}\n[database]\nsqlite_path = ${JSON.stringify(copy)}\n` });
  let server: RunningServer | undefined;
  try {
    server = await startServer(config, silentLogger, { roles });
  } finally {
    if (!server) cleanUp();
  }
  function cleanUp(): void {
    restoreDate();
    if (previousTimeZone === undefined) delete process.env.TZ;
    else process.env.TZ = previousTimeZone;
    rmSync(scratch, { recursive: true, force: true });
  }
  const running = server;
  return {
    server: running,
    async close() {
      await running.close();
      cleanUp();
    },
  };
}

const title = (response: RecordedResponse) => `${response.method} ${response.url}`;

describe(`a database made by main@${expected.madeBy}, served by today's code`, () => {
  let opened: Awaited<ReturnType<typeof openCopy>>;

  // The api role only: nothing ticks the village or works the queues while the reads are compared.
  beforeAll(async () => {
    opened = await openCopy(['api']);
  }, 60_000);

  afterAll(async () => {
    await opened?.close();
  });

  it('keeps the village event log: same events, same hash', async () => {
    const events = await opened.server.runtime.store.readStream(expected.village.streamId);
    expect(events).toHaveLength(expected.village.events);
    expect(events[0]?.type).toBe('run_started');
    expect(logHash(events)).toBe(expected.village.logHash);
  });

  // In recorded order: reads first, then the replay, then a few writes on the old data (a chat rewound and the rewind
  // undone, the open tip reacted to, a hidden post restored), each followed by the reads it changes.
  it.each(expected.responses.map((response) => [title(response), response] as const))(
    '%s answers as the old code did',
    async (_name, recorded) => {
      const actual = await capture(opened.server.app, recorded);
      expect({ status: actual.status, kind: actual.kind }).toEqual({ status: recorded.status, kind: recorded.kind });
      expect(actual.response).toEqual(recorded.response);
    },
  );
});

describe(`chat read models of main@${expected.madeBy} rebuilt from its log on a cold start`, () => {
  let opened: Awaited<ReturnType<typeof openCopy>>;
  const firstWrite = expected.responses.findIndex((response) => response.method === 'POST');
  const chatReads = expected.responses
    .slice(0, firstWrite)
    .filter((response) => /^\/(api\/(chats|bots|villagers)|chats|bots|settings)\b/.test(response.url));
  const [chatId] = expected.ids.chatIds;

  // Emptied read models with chat events in the log is what the engine's cold start rebuilds from the log.
  beforeAll(async () => {
    opened = await openCopy(['api', 'engine'], (path) => {
      const database = new SqliteDatabase(path);
      database.exec('DELETE FROM chat_bots; DELETE FROM chat_you;');
      database.close();
    });
    const deadline = performance.now() + 30_000;
    for (;;) {
      const response = await opened.server.app.inject({ url: `/api/chats/${chatId}`, headers: { host: '127.0.0.1' } });
      if (response.statusCode === 200) break;
      if (performance.now() > deadline) throw new Error(`the chat read models were not rebuilt: ${response.statusCode} ${response.body}`);
      await sleep(50);
    }
  }, 60_000);

  afterAll(async () => {
    await opened?.close();
  });

  it('has the chat reads to compare', () => {
    expect(chatReads.length).toBeGreaterThanOrEqual(10);
  });

  it.each(chatReads.map((response) => [title(response), response] as const))(
    '%s answers as before the rebuild',
    async (_name, recorded) => {
      const actual = await capture(opened.server.app, recorded);
      expect({ status: actual.status, kind: actual.kind }).toEqual({ status: recorded.status, kind: recorded.kind });
      expect(actual.response).toEqual(recorded.response);
    },
  );
});
