import { readdirSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../store/index.js';
import { createTipsHarness, type TipsHarness } from './testing.js';

const fixtures = new URL('../services/integrations/fixtures/', import.meta.url);
const read = (name: string) => readFileSync(new URL(name, fixtures), 'utf8');

/** About 5 MB of events that each repeat every second since 1990. */
function recurrenceBomb(): string {
  const event = (index: number) =>
    `BEGIN:VEVENT\r\nUID:bomb-${index}@corpus.test\r\nDTSTAMP:20261001T000000Z\r\nDTSTART:19900101T000000Z\r\nRRULE:FREQ=SECONDLY\r\nSUMMARY:Again\r\nEND:VEVENT\r\n`;
  const events = Array.from({ length: 50_000 }, (_, index) => event(index)).join('');
  return `BEGIN:VCALENDAR\r\nVERSION:2.0\r\n${events}END:VCALENDAR\r\n`;
}

const importIcs = (harness: TipsHarness, payload: string) =>
  harness.app.inject({ method: 'POST', url: '/api/tips/import/ics', headers: { 'content-type': 'text/calendar' }, payload });

// Calendar files are read in worker threads (started under a TypeScript loader here): generous timeouts on a loaded machine.
describe('iCalendar import over HTTP', { timeout: 180_000 }, () => {
  let harness: TipsHarness | undefined;
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });

  it('given a DURATION bomb and a 5 MB recurrence bomb, then both are 400s naming line and property, and a request sent meanwhile is served first', async () => {
    // The size limit is raised so the 5 MB bomb reaches the worker and holds it until the expansion budget or time limit.
    harness = await createTipsHarness(await openDatabase({ sqlitePath: ':memory:' }), {
      overrides: { 'tips.ics_max_bytes': '8000000', 'tips.ics_max_expansions': '1000000000000', 'tips.ics_timeout_ms': '8000' },
    });
    const bomb = recurrenceBomb();
    expect(bomb.length).toBeGreaterThan(5_000_000);
    let bombAnswered = false;
    const bombResponse = importIcs(harness, bomb).then((response) => {
      bombAnswered = true;
      return response;
    });
    const durationResponse = importIcs(harness, read('hostile-duration.ics'));
    const served = await harness.app.inject({ method: 'GET', url: '/api/tips/next' });
    expect(served.statusCode).toBe(200);
    expect(bombAnswered).toBe(false);

    const [duration, bombed] = await Promise.all([durationResponse, bombResponse]);
    expect(duration.statusCode).toBe(400);
    expect(duration.headers['content-type']).toContain('application/problem+json');
    expect([duration.json().line, duration.json().property]).toEqual([9, 'DURATION']);
    expect(bombed.statusCode).toBe(400);
    expect(bombed.headers['content-type']).toContain('application/problem+json');
    // Stopped by the time limit (or the worker's heap limit) while reading the whole file or one of its VEVENTs.
    expect(['VCALENDAR', 'VEVENT']).toContain(bombed.json().property);
    expect(bombed.json().line).toBeGreaterThanOrEqual(1);
    expect(bombed.json().detail).toMatch(/took longer than 8000 ms|more memory/);
  });

  it('given the 5 MB bomb under the default size limit, then it is a 400 naming the line where the limit is crossed', async () => {
    harness = await createTipsHarness(await openDatabase({ sqlitePath: ':memory:' }));
    const response = await importIcs(harness, recurrenceBomb());
    expect(response.statusCode).toBe(400);
    expect(response.json().detail).toContain('over the limit of 2000000 bytes');
    expect(response.json().line).toBeGreaterThan(1);
  });

  it('given every file of the corpus, then each imports (201) or is refused (400), never a 500', async () => {
    harness = await createTipsHarness(await openDatabase({ sqlitePath: ':memory:' }));
    const names = readdirSync(fixtures).filter((name) => name.endsWith('.ics'));
    const statuses = await Promise.all(names.map(async (name) => [name, (await importIcs(harness as TipsHarness, read(name))).statusCode]));
    expect(statuses).toEqual(names.map((name) => [name, name.startsWith('hostile-') ? 400 : 201]));
  });
});
