import { createServer, type IncomingMessage, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveTestDialects } from '../../store/testing.js';
import type { SignalInput } from '../domain/events.js';
import { contextFeatureNames } from '../domain/features.js';
import { createTipsHarness, type TipsHarness } from '../http/testing.js';
import { generateVaultKey } from './privacy/vault.js';

const dialects = await resolveTestDialects();
const minute = 60_000;
const tokenKeys = `${generateVaultKey('k1')},${generateVaultKey('k2')}`;

const task = { kind: 'task', done: false, source: 'manual' } as const;
const tasks: SignalInput[] = [
  { ...task, taskId: 'dentist', title: 'Call the dentist', priority: 4, dueAt: Date.parse('2026-11-22T10:00:00Z') },
  { ...task, taskId: 'plants', title: 'Water the plants', priority: 2, durationMinutes: 5 },
  { ...task, taskId: 'report', title: 'Draft the quarterly report', priority: 3 },
];

interface FakeTodoist {
  url: string;
  requests: Array<{ method: string; path: string; headers: IncomingMessage['headers']; body: string }>;
  close(): Promise<void>;
}

/** A loopback fake of Todoist's OAuth token exchange, RFC 7009 revocation and the API v1 reads. */
async function fakeTodoist(): Promise<FakeTodoist> {
  const requests: FakeTodoist['requests'] = [];
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      const path = new URL(request.url ?? '/', 'http://x').pathname;
      requests.push({ method: request.method ?? '', path, headers: request.headers, body });
      const json = (status: number, value: unknown) => {
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end(JSON.stringify(value));
      };
      if (path === '/oauth/access_token') {
        const form = new URLSearchParams(body);
        if (form.get('client_id') !== 'client-1' || form.get('client_secret') !== 'shh' || form.get('code') !== 'code-1')
          return json(400, { error: 'invalid_grant' });
        return json(200, { access_token: 'todoist-access-XYZ', token_type: 'Bearer' });
      }
      if (path === '/api/v1/revoke') return json(200, {});
      if (path === '/api/v1/projects') return json(200, { results: [{ id: 'p1', name: 'Home' }], next_cursor: null });
      if (path === '/api/v1/tasks')
        return json(200, { results: [{ id: 't1', content: 'Fix the bike', project_id: 'p1', priority: 3 }], next_cursor: null });
      json(404, {});
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${address.port}`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

for (const dialect of dialects) {
  describe.skipIf(dialect.skip)(`tips trust on ${dialect.name}`, () => {
    let harness: TipsHarness | undefined;
    let todoist: FakeTodoist | undefined;
    afterEach(async () => {
      await harness?.close();
      await todoist?.close();
      harness = undefined;
      todoist = undefined;
    });

    async function open(overrides: Record<string, string> = {}) {
      harness = await createTipsHarness(await dialect.open(), {
        overrides: { 'tips.token_keys': tokenKeys, 'tips.promotion_min_decisions': '5', ...overrides },
      });
      return harness;
    }

    async function play(h: TipsHarness, rounds: number) {
      for (let round = 0; round < rounds; round++) {
        const next = await h.service.next({ show: true });
        if (next.status !== 'tip') throw new Error('expected a tip');
        const chosen = next.decision.candidates[next.decision.chosenIndex];
        await h.service.react(next.decision.decisionId, chosen?.kind === 'nothing' ? 'dismiss' : round % 3 === 0 ? 'not_now' : 'helpful');
        h.clock.advance(30 * minute);
      }
    }

    it('given shadow policies, when decisions are made, then each is scored by every shadow without serving and agreement is tracked', async () => {
      const h = await open();
      await h.service.recordSignals(tasks);
      await play(h, 6);
      const state = await h.service.load();
      for (const id of state.decisionOrder) {
        const decision = state.decisions.get(id);
        expect(decision?.policy.name).toBe('linucb-v1');
        expect(decision?.shadows?.map((shadow) => shadow.policy)).toEqual(['linucb-greedy', 'uniform']);
        for (const shadow of decision?.shadows ?? []) {
          expect(shadow.probabilities).toHaveLength(decision?.candidates.length ?? 0);
          expect(shadow.agrees).toBe(shadow.top === decision?.chosenIndex);
        }
      }
      const evaluation = await h.service.evaluate('linucb-greedy', { resamples: 100 });
      expect(evaluation.decisions).toBe(6);
      expect(evaluation.agreement?.decisions).toBe(6);
      expect(Object.keys(evaluation.report.estimates)).toEqual(['ips', 'snips', 'dr', 'switch-dr']);
      for (const interval of Object.values(evaluation.report.estimates)) expect(interval.low).toBeLessThanOrEqual(interval.high);
    });

    it('given a challenger whose lower bound does not beat the incumbent, when promoted, then it is refused unless overridden with a reason, and the override is an event', async () => {
      const h = await open();
      await h.service.recordSignals(tasks);
      await play(h, 6);
      const refused = await h.service.promote('uniform');
      expect(refused.promoted).toBe(false);
      expect(refused.verdict.challengerLow).toBeLessThanOrEqual(refused.verdict.incumbentValue);
      expect((await h.service.load()).promotions).toEqual([]);
      await expect(h.service.promote('uniform', { override: true })).rejects.toThrow(/reason/);

      const forced = await h.service.promote('uniform', { override: true, reason: 'baseline week' });
      expect(forced.promoted).toBe(true);
      const events = await h.store.readStream(h.service.streamId);
      const promotion = events.find((event) => event.type === 'policy_promoted');
      expect(promotion?.data).toMatchObject({ policy: 'uniform', from: 'linucb-v1', override: true, reason: 'baseline week' });

      h.clock.advance(300 * minute);
      const next = await h.service.next({ show: true });
      if (next.status !== 'tip') throw new Error('expected a tip');
      expect(next.decision.policy.name).toBe('uniform');
      const propensities = next.decision.candidates.map((candidate) => candidate.propensity);
      for (const p of propensities) expect(p).toBeCloseTo(1 / propensities.length, 12);
      expect((await h.service.verify(next.decision.decisionId)).rederived.chosenIndex).toBe(next.decision.chosenIndex);
    });

    it('given consent for tasks is revoked, when the next decision is made, then task features and candidates are gone at once; given again, they return', async () => {
      const h = await open();
      await h.service.recordSignals(tasks);
      await h.service.setConsent('tasks', false);
      const taskLoad = contextFeatureNames.indexOf('task_load');
      const without = await h.service.next({ show: true });
      if (without.status !== 'tip') throw new Error('expected a tip');
      expect(without.decision.context.values[taskLoad]).toBe(0);
      expect(without.decision.candidates.filter((candidate) => candidate.key.startsWith('task:'))).toEqual([]);
      await h.service.react(without.decision.decisionId, 'dismiss');
      const consents = await h.service.consents();
      expect(consents.find((consent) => consent.purpose === 'tasks')).toMatchObject({ granted: false, noticeVersion: '2026-11-23' });

      await h.service.setConsent('tasks', true);
      h.clock.advance(5 * minute);
      const withTasks = await h.service.next({ show: true });
      if (withTasks.status !== 'tip') throw new Error('expected a tip');
      expect(withTasks.decision.context.values[taskLoad]).toBeGreaterThan(0);
      expect(withTasks.decision.candidates.some((candidate) => candidate.key.startsWith('task:'))).toBe(true);
    });

    it('given consent is required by config, when nothing was given, then no signal of a purpose reaches a decision', async () => {
      const h = await open({ 'tips.consent_default': 'required' });
      await h.service.recordSignals(tasks);
      const next = await h.service.next({ show: true });
      if (next.status !== 'tip') throw new Error('expected a tip');
      expect(next.decision.candidates.filter((candidate) => candidate.key.startsWith('task:'))).toEqual([]);
    });

    it('given the JSON API, when consent, shadows, evaluation, export and deletion are used, then each answers and deletion needs the user id', async () => {
      const h = await open();
      await h.service.recordSignals(tasks);
      await play(h, 3);
      const revoke = await h.app.inject({ method: 'POST', url: '/api/tips/consents', payload: { purpose: 'mood', granted: false } });
      expect(revoke.statusCode).toBe(200);
      expect(revoke.json().consents).toContainEqual({ purpose: 'mood', granted: false, noticeVersion: '2026-11-23', at: h.clock.now() });
      expect(
        (await h.app.inject({ method: 'POST', url: '/api/tips/consents', payload: { purpose: 'dna', granted: true } })).statusCode,
      ).toBe(400);
      const shadows = (await h.app.inject({ method: 'GET', url: '/api/tips/shadows' })).json();
      expect(shadows.serving).toBe('linucb-v1');
      expect(shadows.agreement.map((entry: { policy: string }) => entry.policy)).toEqual(['linucb-greedy', 'uniform']);
      const evaluation = await h.app.inject({ method: 'GET', url: '/api/tips/evaluate?policy=linucb-wide' });
      expect(evaluation.statusCode).toBe(200);
      expect(evaluation.json().report.samples).toBe(3);
      const exported = await h.app.inject({ method: 'GET', url: '/api/tips/export' });
      expect(exported.json().events.length).toBeGreaterThan(5);
      expect((await h.app.inject({ method: 'POST', url: '/api/tips/account/delete', payload: { confirm: 'someone' } })).statusCode).toBe(
        400,
      );
      const deleted = await h.app.inject({ method: 'POST', url: '/api/tips/account/delete', payload: { confirm: 'local' } });
      expect(deleted.statusCode).toBe(200);
      expect(deleted.json().tables.tips_decisions).toBe(3);
      expect((await h.app.inject({ method: 'GET', url: '/api/tips/export' })).json().events).toEqual([]);
    });

    it('given the signals page, when consent is saved and deletion confirmed through its forms, then both take effect', async () => {
      const h = await open();
      await h.service.recordSignals(tasks);
      const page = await h.app.inject({ method: 'GET', url: '/tips/signals' });
      expect(page.body).toContain('action="/tips/consents"');
      expect(page.body).toContain('action="/tips/account/delete"');
      const form = { 'content-type': 'application/x-www-form-urlencoded' };
      const saved = await h.app.inject({
        method: 'POST',
        url: '/tips/consents',
        headers: form,
        payload: 'purpose_tasks=on&purpose_calendar=on&purpose_llm=on',
      });
      expect(saved.statusCode).toBe(303);
      expect((await h.service.consents()).map((consent) => [consent.purpose, consent.granted])).toEqual([
        ['tasks', true],
        ['calendar', true],
        ['mood', false],
        ['llm', true],
      ]);
      const wrong = await h.app.inject({ method: 'POST', url: '/tips/account/delete', headers: form, payload: 'confirm=someone' });
      expect(wrong.headers.location).toMatch(/error=/);
      expect((await h.service.load()).tasks.size).toBe(3);
      const right = await h.app.inject({ method: 'POST', url: '/tips/account/delete', headers: form, payload: 'confirm=local' });
      expect(decodeURIComponent(right.headers.location as string)).toMatch(/ok=Deleted \d+ rows of local/);
      expect((await h.service.load()).tasks.size).toBe(0);
    });

    it('given a loopback Todoist, when connected through OAuth, then the token is stored encrypted, used for import, and revoked on disconnect', async () => {
      todoist = await fakeTodoist();
      const h = await open({
        'tips.todoist_client_id': 'client-1',
        'tips.todoist_client_secret': 'shh',
        'tips.todoist_authorize_url': `${todoist.url}/oauth/authorize`,
        'tips.todoist_token_url': `${todoist.url}/oauth/access_token`,
        'tips.todoist_revoke_url': `${todoist.url}/api/v1/revoke`,
        'tips.todoist_api_url': `${todoist.url}/api/v1`,
      });
      const { url, state } = await h.service.authorizeTodoist();
      const authorize = new URL(url);
      expect(authorize.pathname).toBe('/oauth/authorize');
      expect(Object.fromEntries(authorize.searchParams)).toEqual({ client_id: 'client-1', scope: 'data:read', state });

      await expect(h.service.completeTodoist('code-1', 'forged-state')).rejects.toThrow(/OAuth state/);
      await h.service.completeTodoist('code-1', state);
      await expect(h.service.completeTodoist('code-1', state)).rejects.toThrow(/OAuth state/);

      const rows = await h.service.vault.list(h.service.userId);
      expect(rows.map((row) => [row.provider, row.keyId])).toEqual([['todoist', 'k1']]);
      const stored = await h.database.db.selectFrom('tips_tokens').select(['ciphertext']).execute();
      expect(stored[0]?.ciphertext).toMatch(/^v1:k1:/);
      expect(stored[0]?.ciphertext).not.toContain('todoist-access-XYZ');

      expect((await h.service.importTodoistConnected()).imported).toBe(1);
      expect(todoist.requests.find((request) => request.path === '/api/v1/tasks')?.headers.authorization).toBe('Bearer todoist-access-XYZ');

      expect(await h.service.disconnectTodoist()).toEqual({ revoked: true });
      const revoke = todoist.requests.find((request) => request.path === '/api/v1/revoke');
      expect(new URLSearchParams(revoke?.body).get('token')).toBe('todoist-access-XYZ');
      expect(revoke?.headers.authorization).toBe(`Basic ${Buffer.from('client-1:shh').toString('base64')}`);
      expect(await h.service.vault.list(h.service.userId)).toEqual([]);
      const state2 = await h.service.load();
      expect(state2.integrations.size).toBe(0);
    });
  });
}
