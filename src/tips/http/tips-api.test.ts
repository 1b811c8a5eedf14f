import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../core/config.js';
import { resolveTestDialects } from '../../store/testing.js';
import { TipsService } from '../services/index.js';
import { createTipsHarness, type TipsHarness } from './testing.js';

const dialects = await resolveTestDialects();
const fixture = readFileSync(new URL('../services/integrations/fixtures/recurring-zones.ics', import.meta.url), 'utf8');
const minute = 60_000;

const tasks = [
  { kind: 'task', taskId: 'dentist', title: 'Call the dentist', priority: 4, dueAt: Date.parse('2026-11-22T10:00:00Z') },
  { kind: 'task', taskId: 'plants', title: 'Water the plants', priority: 2, durationMinutes: 5 },
  { kind: 'task', taskId: 'report', title: 'Draft the quarterly report', priority: 3 },
];

for (const dialect of dialects) {
  describe.skipIf(dialect.skip)(`tips API on ${dialect.name}`, () => {
    let harness: TipsHarness | undefined;
    afterEach(async () => {
      await harness?.close();
      harness = undefined;
    });

    async function open(overrides: Record<string, string> = {}, fetcher?: typeof fetch) {
      harness = await createTipsHarness(await dialect.open(), { overrides, ...(fetcher ? { fetch: fetcher } : {}) });
      return harness;
    }

    it('given tasks, when tips are shown and marked done, then the next one comes, a done tip never returns, and the log holds every decision', async () => {
      const { app, clock } = await open();
      const posted = await app.inject({ method: 'POST', url: '/api/tips/signals', payload: { signals: tasks } });
      expect(posted.statusCode).toBe(201);
      expect(posted.json().signalIds).toHaveLength(3);

      const doneTexts: string[] = [];
      const doneKeys: string[] = [];
      for (let round = 0; round < 8; round++) {
        const next = await app.inject({ method: 'GET', url: '/api/tips/next?show=true' });
        expect(next.statusCode).toBe(200);
        const { decision } = next.json();
        expect(doneKeys).not.toContain(decision.tip.key);
        const reaction = decision.tip.kind === 'nothing' ? 'dismiss' : 'done';
        if (reaction === 'done') {
          doneTexts.push(decision.tip.text);
          doneKeys.push(decision.tip.key);
        }
        const reacted = await app.inject({
          method: 'POST',
          url: `/api/tips/decisions/${decision.decisionId}/reaction`,
          payload: { reaction },
        });
        expect(reacted.statusCode).toBe(200);
        clock.advance(5 * minute);
      }
      expect(new Set(doneKeys).size).toBe(doneKeys.length);
      expect(doneKeys.sort()).toEqual(['task:dentist', 'task:plants', 'task:report']);

      const log = (await app.inject({ method: 'GET', url: '/api/tips/decisions?limit=100' })).json().decisions as Array<{
        decisionId: string;
        reaction: string;
        shownAt: number;
        record: { candidates: Array<{ propensity: number }>; policy: { epsilon: number } };
      }>;
      expect(log).toHaveLength(8);
      for (const entry of log) {
        expect(entry.shownAt).toBeGreaterThan(0);
        expect(['done', 'dismiss']).toContain(entry.reaction);
        const propensities = entry.record.candidates.map((candidate) => candidate.propensity);
        expect(Math.min(...propensities)).toBeGreaterThanOrEqual(entry.record.policy.epsilon / propensities.length - 1e-12);
        expect(propensities.reduce((sum, value) => sum + value, 0)).toBeCloseTo(1, 12);
        const verify = (await app.inject({ method: 'GET', url: `/api/tips/decisions/${entry.decisionId}/verify` })).json();
        expect(verify.same).toBe(true);
      }
    });

    it('given a decision not yet shown, then a reaction is refused; once shown it is taken once, and a different second reaction is a 409', async () => {
      const { app } = await open();
      await app.inject({ method: 'POST', url: '/api/tips/signals', payload: tasks[1] });
      const { decision } = (await app.inject({ method: 'GET', url: '/api/tips/next' })).json();
      expect(decision.shownAt).toBeUndefined();
      const early = await app.inject({
        method: 'POST',
        url: `/api/tips/decisions/${decision.decisionId}/reaction`,
        payload: { reaction: 'done' },
      });
      expect(early.statusCode).toBe(400);
      expect(early.headers['content-type']).toContain('application/problem+json');
      expect((await app.inject({ method: 'POST', url: `/api/tips/decisions/${decision.decisionId}/shown` })).statusCode).toBe(200);
      const first = await app.inject({
        method: 'POST',
        url: `/api/tips/decisions/${decision.decisionId}/reaction`,
        payload: { reaction: 'helpful' },
      });
      expect(first.json().decision.reward).toBe(0.8);
      const again = await app.inject({
        method: 'POST',
        url: `/api/tips/decisions/${decision.decisionId}/reaction`,
        payload: { reaction: 'helpful' },
      });
      expect(again.statusCode).toBe(200);
      const other = await app.inject({
        method: 'POST',
        url: `/api/tips/decisions/${decision.decisionId}/reaction`,
        payload: { reaction: 'dismiss' },
      });
      expect(other.statusCode).toBe(409);
      const unknown = await app.inject({ method: 'POST', url: '/api/tips/decisions/nope/reaction', payload: { reaction: 'done' } });
      expect(unknown.statusCode).toBe(404);
      const openapi = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
      expect(Object.keys(openapi.paths).filter((path) => path.startsWith('/api/tips'))).toEqual([
        '/api/tips/signals',
        '/api/tips/next',
        '/api/tips/decisions/{id}/shown',
        '/api/tips/decisions/{id}/reaction',
        '/api/tips/decisions',
        '/api/tips/decisions/{id}/verify',
        '/api/tips/import/ics',
        '/api/tips/import/todoist',
        '/api/tips/shadows',
        '/api/tips/evaluate',
        '/api/tips/consents',
        '/api/tips/integrations/todoist/import',
        '/api/tips/integrations/todoist/disconnect',
        '/api/tips/export',
        '/api/tips/account/delete',
      ]);
    });

    it('given an unreacted tip, when the page is opened twice, then the same tip is shown (one decision)', async () => {
      const { app } = await open();
      await app.inject({ method: 'POST', url: '/api/tips/signals', payload: { signals: tasks } });
      const first = await app.inject({ method: 'GET', url: '/tips' });
      const second = await app.inject({ method: 'GET', url: '/tips' });
      const id = (html: string) => /data-decision="([^"]+)"/.exec(html)?.[1];
      expect(id(first.body)).toBeDefined();
      expect(id(second.body)).toBe(id(first.body));
      expect(first.body.match(/class="tip-text"/g)).toHaveLength(1);
      expect(first.body).toContain('rel="manifest"');
    });

    it('given the page form, when "Done" is posted by htmx, then the next card comes back as a fragment; without htmx, a 303 to /tips', async () => {
      const { app } = await open();
      await app.inject({
        method: 'POST',
        url: '/api/tips/signals',
        payload: { signals: [...tasks, { ...tasks[1], taskId: 'xss', title: '<script>alert(1)</script>' }] },
      });
      const page = await app.inject({ method: 'GET', url: '/tips' });
      expect(page.body).not.toContain('<script>alert(1)</script>');
      const first = /data-decision="([^"]+)"/.exec(page.body)?.[1] as string;
      const form = { 'content-type': 'application/x-www-form-urlencoded' };
      const fragment = await app.inject({
        method: 'POST',
        url: `/tips/decisions/${first}/reaction`,
        headers: { ...form, 'hx-request': 'true' },
        payload: 'reaction=done',
      });
      expect(fragment.statusCode).toBe(200);
      expect(fragment.body.startsWith('<section id="tip"')).toBe(true);
      const second = /data-decision="([^"]+)"/.exec(fragment.body)?.[1] as string;
      expect(second).not.toBe(first);
      const plain = await app.inject({
        method: 'POST',
        url: `/tips/decisions/${second}/reaction`,
        headers: form,
        payload: 'reaction=not_now',
      });
      expect([plain.statusCode, plain.headers.location]).toEqual([303, '/tips']);
      const all = (await app.inject({ method: 'GET', url: '/tips' })).body;
      expect(all).not.toContain('<script>alert(1)</script>');
    });

    it('given two processes asking for a tip at once, then one decision is made and both show it', async () => {
      const { app, service, store, clock } = await open();
      await app.inject({ method: 'POST', url: '/api/tips/signals', payload: { signals: tasks } });
      const other = new TipsService({
        config: parseConfig({ overrides: { 'tips.quiet_hours_start': '00:00', 'tips.quiet_hours_end': '00:00' } }).tips,
        store,
        database: store.database,
        clock,
      });
      const results = await Promise.all([service.next({ show: true }), other.next({ show: true }), service.next({ show: true })]);
      const ids = results.map((result) => (result.status === 'tip' ? result.decision.decisionId : result.status));
      expect(new Set(ids).size).toBe(1);
      const log = (await app.inject({ method: 'GET', url: '/api/tips/decisions' })).json().decisions;
      expect(log).toHaveLength(1);
      expect(log[0].shownAt).toBe(clock.now());
    });

    it('given quiet hours now, then the page shows no tip and no decision is made', async () => {
      const { app } = await open({ 'tips.quiet_hours_start': '09:00', 'tips.quiet_hours_end': '11:00' });
      await app.inject({ method: 'POST', url: '/api/tips/signals', payload: { signals: tasks } });
      const next = (await app.inject({ method: 'GET', url: '/api/tips/next' })).json();
      expect(next).toEqual({ status: 'quiet', reason: 'quiet_hours' });
      expect((await app.inject({ method: 'GET', url: '/tips' })).body).toContain('Nothing until 11:00');
    });

    it('given an ICS file with recurrences and time zones, then its entries import; a malformed one is a 400 naming the line', async () => {
      const { app, clock, service } = await open();
      clock.set(Date.parse('2026-11-01T08:00:00Z'));
      const imported = await app.inject({
        method: 'POST',
        url: '/api/tips/import/ics',
        headers: { 'content-type': 'text/calendar' },
        payload: fixture,
      });
      expect(imported.statusCode).toBe(201);
      // The window is a day back and 30 days ahead of 1 November: the October standups are out; three New York calls, the lunch,
      // the day off, the custom-zone call and the moved standup are in.
      expect(imported.json().imported).toBe(7);
      const calendar = [...(await service.load()).calendar.values()];
      expect(calendar.map((entry) => new Date(entry.start).toISOString())).toEqual([
        '2026-10-31T12:30:00.000Z',
        '2026-11-01T13:30:00.000Z',
        '2026-11-02T13:30:00.000Z',
        '2026-11-03T12:00:00.000Z',
        '2026-11-03T22:00:00.000Z',
        '2026-11-05T05:00:00.000Z',
        '2026-11-09T09:00:00.000Z',
      ]);
      const bad = await app.inject({
        method: 'POST',
        url: '/api/tips/import/ics',
        headers: { 'content-type': 'text/calendar' },
        payload:
          'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTART;TZID=Europe/Helsinki:2026-11-24 10:00\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n',
      });
      expect(bad.statusCode).toBe(400);
      expect(bad.headers['content-type']).toContain('application/problem+json');
      expect(bad.json().detail).toMatch(/^ICS line 5 \(DTSTART\)/);
      expect([bad.json().line, bad.json().property]).toEqual([5, 'DTSTART']);
    });

    it('given a Todoist account behind a loopback fake of API v1, then its active tasks import with projects, priorities and due times', async () => {
      const seen: string[] = [];
      const server: Server = createServer((request, response) => {
        seen.push(`${request.method} ${request.url} ${request.headers.authorization}`);
        const url = new URL(request.url ?? '/', 'http://fake');
        response.setHeader('content-type', 'application/json');
        if (request.headers.authorization !== 'Bearer secret-token') {
          response.statusCode = 401;
          response.end('{"error":"unauthorized"}');
        } else if (url.pathname === '/api/v1/projects') {
          response.end(JSON.stringify({ results: [{ id: 'p1', name: 'Home' }], next_cursor: null }));
        } else if (url.pathname === '/api/v1/tasks' && !url.searchParams.get('cursor')) {
          response.end(
            JSON.stringify({
              results: [
                {
                  id: '101',
                  content: 'Pay the electricity bill',
                  project_id: 'p1',
                  priority: 4,
                  due: { date: '2026-11-23', is_recurring: false },
                  checked: false,
                },
                { id: '102', content: 'Already done', project_id: 'p1', priority: 1, checked: true },
              ],
              next_cursor: 'page-2',
            }),
          );
        } else if (url.pathname === '/api/v1/tasks') {
          response.end(
            JSON.stringify({
              results: [
                {
                  id: '103',
                  content: 'Stretch',
                  priority: 2,
                  due: { date: '2026-11-23T18:30:00', timezone: null },
                  duration: { amount: 20, unit: 'minute' },
                },
              ],
              next_cursor: null,
            }),
          );
        } else {
          response.statusCode = 404;
          response.end('{}');
        }
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      try {
        const { app, service } = await open({ 'tips.todoist_api_url': `http://127.0.0.1:${port}/api/v1` });
        const refused = await app.inject({ method: 'POST', url: '/api/tips/import/todoist', payload: { token: 'wrong' } });
        expect(refused.statusCode).toBe(401);
        expect(refused.body).not.toContain('wrong');
        const imported = await app.inject({ method: 'POST', url: '/api/tips/import/todoist', payload: { token: 'secret-token' } });
        expect(imported.statusCode).toBe(201);
        expect(imported.json().imported).toBe(2);
        const state = await service.load();
        const bill = state.tasks.get('todoist-101');
        expect([bill?.title, bill?.project, bill?.priority, bill?.dueAllDay, new Date(bill?.dueAt ?? 0).toISOString()]).toEqual([
          'Pay the electricity bill',
          'Home',
          4,
          true,
          '2026-11-23T21:59:59.000Z',
        ]);
        const stretch = state.tasks.get('todoist-103');
        expect([new Date(stretch?.dueAt ?? 0).toISOString(), stretch?.durationMinutes]).toEqual(['2026-11-23T16:30:00.000Z', 20]);
        expect(seen.some((line) => line.includes('cursor=page-2'))).toBe(true);
      } finally {
        await new Promise((resolve) => server.close(resolve));
      }
    });

    it('given the manual entry page, when a task is posted as a form, then it becomes a signal and the page says so', async () => {
      const { app, service } = await open();
      expect((await app.inject({ method: 'GET', url: '/tips/signals' })).statusCode).toBe(200);
      const posted = await app.inject({
        method: 'POST',
        url: '/tips/signals',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'kind=task&title=Buy+birch+logs&due=2026-11-23T17%3A00&priority=3&durationMinutes=30&project=',
      });
      expect(posted.statusCode).toBe(303);
      expect(posted.headers.location).toContain('ok=');
      const [task] = [...(await service.load()).tasks.values()];
      expect([task?.title, task?.priority, task?.durationMinutes, new Date(task?.dueAt ?? 0).toISOString()]).toEqual([
        'Buy birch logs',
        3,
        30,
        '2026-11-23T15:00:00.000Z',
      ]);
      const bad = await app.inject({
        method: 'POST',
        url: '/tips/signals',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'kind=mood&score=9',
      });
      expect(bad.headers.location).toContain('error=');
    });
  });
}
