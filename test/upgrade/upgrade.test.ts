/**
 * A database made by an older main (`main-0a57848.db`, see README.md) opened by today's code: migrations run, the app
 * serves it in-process as the `api` role (nothing ticks or works in the background), and every read recorded by the
 * old code answers the same, byte for byte after JSON parsing, and the village run's event log hashes the same.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/core/config.js';
import { silentLogger } from '../../src/core/logger.js';
import { type RunningServer, startServer } from '../../src/server.js';
import { capture, type ExpectedFile, freezeDate, logHash } from './read-models.js';

const here = new URL('.', import.meta.url);
const expected = JSON.parse(readFileSync(new URL('expected.json', here), 'utf8')) as ExpectedFile;
const fixture = new URL(`main-${expected.madeBy}.db`, here);

describe(`a database made by main@${expected.madeBy}`, () => {
  let scratch: string;
  let server: RunningServer;
  let restoreDate: () => void;
  const previousTimeZone = process.env.TZ;

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'koivulahti-upgrade-'));
    const copy = join(scratch, 'fixture.db');
    copyFileSync(fixture, copy);
    process.env.TZ = expected.timeZone;
    restoreDate = freezeDate(expected.frozenNow);
    const config = parseConfig({ fileText: `${expected.configText}\n[database]\nsqlite_path = ${JSON.stringify(copy)}\n` });
    server = await startServer(config, silentLogger, { roles: ['api'] });
  }, 60_000);

  afterAll(async () => {
    await server?.close();
    restoreDate?.();
    if (previousTimeZone === undefined) delete process.env.TZ;
    else process.env.TZ = previousTimeZone;
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('keeps the village event log: same events, same hash', async () => {
    const events = await server.runtime.store.readStream(expected.village.streamId);
    expect(events).toHaveLength(expected.village.events);
    expect(events.map((event) => event.type)).toContain('run_started');
    expect(logHash(events)).toBe(expected.village.logHash);
  });

  // In recorded order: the replay near the end is the only request that writes (the admin page's last-replay note).
  it.each(expected.responses.map((response) => [`${response.method} ${response.url}`, response] as const))(
    '%s answers as the old code did',
    async (_name, recorded) => {
      const actual = await capture(server.app, recorded);
      expect({ status: actual.status, kind: actual.kind }).toEqual({ status: recorded.status, kind: recorded.kind });
      expect(actual.response).toEqual(recorded.response);
    },
  );
});
