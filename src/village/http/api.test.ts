import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../core/config.js';
import { contentStreamId } from '../domain/events.js';
import { assertSafeBind } from './guards.js';
import { createVillageFixture, type VillageFixture } from './testing.js';

function expectProblem(
  response: { statusCode: number; headers: Record<string, unknown>; json(): unknown },
  status: number,
  field?: string,
) {
  expect(response.statusCode).toBe(status);
  expect(String(response.headers['content-type'])).toContain('application/problem+json');
  const problem = response.json() as { status: number; errors?: Array<{ field: string }>; detail: string };
  expect(problem.status).toBe(status);
  if (field) expect(problem.errors?.map((error) => error.field)).toContain(field);
  return problem;
}

describe('village API (open admin on loopback, no token)', () => {
  let fixture: VillageFixture;
  beforeAll(async () => {
    fixture = await createVillageFixture();
    const started = await fixture.app.inject({ method: 'POST', url: '/admin/run/start?seed=3' });
    expect(started.statusCode).toBe(200);
    expect(started.json()).toMatchObject({ started: true, seed: 3, running: true });
    await fixture.service.engine.advance(3, 100);
    await fixture.drain();
  });
  afterAll(() => fixture.close());

  it('GET /posts pages newest first with a keyset cursor until next_cursor is null', async () => {
    const all = (await fixture.app.inject({ url: '/posts?limit=200' })).json().items as Array<{ id: number; sim_ts: string }>;
    expect(all.length).toBeGreaterThan(10);
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const response = await fixture.app.inject({ url: `/posts?limit=7${cursor ? `&before=${cursor}` : ''}` });
      expect(response.statusCode).toBe(200);
      const body = response.json() as { items: Array<{ id: number }>; next_cursor: string | null };
      expect(body.items.length).toBeLessThanOrEqual(7);
      seen.push(...body.items.map((item) => item.id));
      cursor = body.next_cursor;
    } while (cursor);
    expect(seen).toEqual(all.map((item) => item.id));
    const times = all.map((item) => Date.parse(item.sim_ts));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
  });

  it('GET /posts filters by channel and accepts the seed`s `before` date-time', async () => {
    const chat = (await fixture.app.inject({ url: '/posts?channel=CHAT' })).json().items as Array<{ channel: string; sim_ts: string }>;
    expect(chat.length).toBeGreaterThan(0);
    expect(new Set(chat.map((item) => item.channel))).toEqual(new Set(['CHAT']));
    const middle = chat[Math.floor(chat.length / 2)];
    if (!middle) throw new Error('no posts');
    const before = encodeURIComponent(middle.sim_ts);
    const older = (await fixture.app.inject({ url: `/posts?channel=CHAT&before=${before}` })).json().items as Array<{ sim_ts: string }>;
    expect(older.every((item) => Date.parse(item.sim_ts) < Date.parse(middle.sim_ts))).toBe(true);
  });

  it.each([
    ['/posts?limit=0', 'query.limit'],
    ['/posts?limit=201', 'query.limit'],
    ['/posts?limit=ten', 'query.limit'],
    ['/posts?channel=BLOG', 'query.channel'],
    ['/posts?before=not-a-cursor', 'query.before'],
    ['/posts?before=%25%25%25', 'query.before'],
    ['/events?limit=0', 'query.limit'],
    ['/events?limit=501', 'query.limit'],
    ['/events?before=bm9wZQ', 'query.before'],
    ['/npcs/has%20space', 'params.id'],
  ])('GET %s is a 400 problem naming %s', async (url, field) => {
    expectProblem(await fixture.app.inject({ url }), 400, field);
  });

  it('GET /events lists the timeline with impact, newest first, with a cursor', async () => {
    const first = (await fixture.app.inject({ url: '/events?limit=5' })).json();
    expect(first.items).toHaveLength(5);
    expect(first.items[0]).toMatchObject({ id: expect.any(String), impact: expect.any(Number), actors: expect.any(Array) });
    const second = (await fixture.app.inject({ url: `/events?limit=5&before=${first.next_cursor}` })).json();
    expect(second.items[0].position).toBeLessThan(first.items[4].position);
  });

  it('GET /npcs, /npcs/:id and /places describe the villagers and the places', async () => {
    const npcs = (await fixture.app.inject({ url: '/npcs' })).json().items as Array<{ id: string; location: string | null }>;
    expect(npcs.map((npc) => npc.id)).toContain('npc_sanni');
    expect(npcs.every((npc) => typeof npc.location === 'string')).toBe(true);
    const sanni = (await fixture.app.inject({ url: '/npcs/npc_sanni' })).json();
    expect(sanni).toMatchObject({ id: 'npc_sanni', name: 'Sanni Virtanen', state: { mood: expect.any(Number) } });
    expect(sanni.relationships.length).toBeGreaterThan(0);
    expect(sanni.relationships[0]).toMatchObject({ with: expect.any(String), affinity: expect.any(Number) });
    expect(Array.isArray(sanni.memories)).toBe(true);
    expectProblem(await fixture.app.inject({ url: '/npcs/npc_nobody' }), 404);
    const places = (await fixture.app.inject({ url: '/places' })).json().items as Array<{ id: string; present: string[] }>;
    expect(places.map((place) => place.id)).toContain('place_kahvio');
    expect(places.flatMap((place) => place.present).length).toBe(npcs.length);
  });

  it('admin run status includes village facts: queue depth, posts by channel and LLM figures', async () => {
    const status = (await fixture.app.inject({ url: '/admin/run/status' })).json();
    expect(status).toMatchObject({ running: true, seed: 3, speed: 1, queue: { ready: 0, leased: 0, dead: 0 }, llm: { offline: true } });
    expect(status.posts.FEED).toBeGreaterThan(0);
    expect(status.llm.calls).toBeGreaterThan(0);
    expect(status.sim_ts).toMatch(/^2026-05-05T/);
  });

  it('admin controls: speed, stop, start with a seed, replay; bad parameters name the parameter', async () => {
    expect((await fixture.app.inject({ method: 'POST', url: '/admin/run/speed?speed=4' })).json()).toMatchObject({ speed: 4 });
    expect((await fixture.app.inject({ method: 'POST', url: '/admin/run/speed', payload: { speed: 2.5 } })).json()).toMatchObject({
      speed: 2.5,
    });
    expectProblem(await fixture.app.inject({ method: 'POST', url: '/admin/run/speed?speed=0' }), 400, 'query.speed');
    expectProblem(await fixture.app.inject({ method: 'POST', url: '/admin/run/speed' }), 400, 'query.speed');
    expectProblem(await fixture.app.inject({ method: 'POST', url: '/admin/run/start?seed=-1' }), 400, 'query.seed');
    expectProblem(await fixture.app.inject({ method: 'POST', url: '/admin/run/start?seed=abc' }), 400, 'query.seed');

    expect((await fixture.app.inject({ method: 'POST', url: '/admin/run/stop' })).json()).toMatchObject({ stopped: true, running: false });
    expect((await fixture.app.inject({ url: '/admin/run/status' })).json()).toMatchObject({ running: false, seed: 3 });

    const replay = await fixture.app.inject({ method: 'POST', url: '/admin/replay?seed=3' });
    expect(replay.statusCode).toBe(200);
    expect(replay.json()).toMatchObject({ accepted: true, seed: 3, identical: true, from_sim_ts: null });
    const fromSnapshot = await fixture.app.inject({
      method: 'POST',
      url: '/admin/replay',
      payload: { seed: 3, from_sim_ts: '2026-05-05T00:30:00+03:00' },
    });
    expect(fromSnapshot.json()).toMatchObject({ identical: true, from_sim_ts: '2026-05-05T00:30:00+03:00' });
    expect(fromSnapshot.json().started_after).toBeGreaterThan(0);
    expectProblem(await fixture.app.inject({ method: 'POST', url: '/admin/replay?seed=99' }), 404);
    expectProblem(
      await fixture.app.inject({ method: 'POST', url: '/admin/replay?seed=3&from_sim_ts=yesterday' }),
      400,
      'query.from_sim_ts',
    );

    const restarted = (await fixture.app.inject({ method: 'POST', url: '/admin/run/start?seed=4' })).json();
    expect(restarted).toMatchObject({ started: true, running: true, seed: 4 });
    expect((await fixture.app.inject({ url: '/posts' })).json().items).toEqual([]);
    await fixture.app.inject({ method: 'POST', url: '/admin/run/start?seed=3' });
    // Every control action is an event in the run's content stream.
    const events = await fixture.services.store.readStream(contentStreamId(fixture.service.world.runIdFor(3)));
    expect(events.filter((event) => event.type === 'run_control').map((event) => (event.data as { action: string }).action)).toEqual([
      'start',
      'speed',
      'speed',
      'stop',
      'start',
    ]);
  });

  it('moderation parameters are validated and name the parameter', async () => {
    expectProblem(await fixture.app.inject({ method: 'POST', url: '/admin/moderation/flag?post_id=1' }), 400, 'query.reason');
    expectProblem(await fixture.app.inject({ method: 'POST', url: '/admin/moderation/flag?reason=spam' }), 400, 'query.post_id');
    expectProblem(await fixture.app.inject({ method: 'POST', url: '/admin/moderation/hide?post_id=abc' }), 400, 'query.post_id');
    expectProblem(await fixture.app.inject({ method: 'POST', url: '/admin/moderation/restore?post_id=0' }), 400, 'query.post_id');
    expectProblem(await fixture.app.inject({ method: 'POST', url: '/admin/moderation/hide?post_id=999999' }), 404);
  });

  it('lists every village route in /openapi.json', async () => {
    const document = (await fixture.app.inject({ url: '/openapi.json' })).json() as { paths: Record<string, unknown> };
    for (const path of [
      '/posts',
      '/events',
      '/npcs',
      '/npcs/{id}',
      '/places',
      '/admin/run/start',
      '/admin/run/stop',
      '/admin/run/status',
      '/admin/run/speed',
      '/admin/replay',
      '/admin/moderation/flag',
      '/admin/moderation/hide',
      '/admin/moderation/restore',
      '/admin/moderation/queue',
    ])
      expect(Object.keys(document.paths), path).toContain(path);
  });

  it('rate-limits public reads per client', async () => {
    const limited = await createVillageFixture({ overrides: { 'village.read_rate_per_minute': '3' } });
    try {
      for (let count = 0; count < 3; count++) expect((await limited.app.inject({ url: '/places' })).statusCode).toBe(200);
      const refused = await limited.app.inject({ url: '/posts' });
      expectProblem(refused, 429);
      expect(refused.headers['retry-after']).toBeDefined();
      limited.clock.advance(60_000);
      expect((await limited.app.inject({ url: '/posts' })).statusCode).toBe(200);
    } finally {
      await limited.close();
    }
  });
});

describe('village admin auth with a token configured', () => {
  let fixture: VillageFixture;
  beforeAll(async () => {
    fixture = await createVillageFixture({ overrides: { 'server.admin_token': 'sekret-token' } });
  });
  afterAll(() => fixture.close());

  const adminRoutes: Array<[string, string]> = [
    ['POST', '/admin/run/start?seed=1'],
    ['POST', '/admin/run/stop'],
    ['POST', '/admin/run/speed?speed=2'],
    ['GET', '/admin/run/status'],
    ['POST', '/admin/replay?seed=1'],
    ['POST', '/admin/moderation/flag?post_id=1&reason=x'],
    ['POST', '/admin/moderation/hide?post_id=1'],
    ['POST', '/admin/moderation/restore?post_id=1'],
    ['GET', '/admin/moderation/queue'],
  ];

  it.each(adminRoutes)('%s %s is 401 without the token and with a wrong one', async (method, url) => {
    const missing = await fixture.app.inject({ method: method as 'GET', url });
    expectProblem(missing, 401);
    expect(missing.headers['www-authenticate']).toContain('Bearer');
    expectProblem(await fixture.app.inject({ method: method as 'GET', url, headers: { authorization: 'Bearer wrong' } }), 401);
  });

  it('accepts the bearer token; public reads stay open; the admin page asks for the token', async () => {
    const headers = { authorization: 'Bearer sekret-token' };
    expect((await fixture.app.inject({ method: 'POST', url: '/admin/run/start?seed=1', headers })).statusCode).toBe(200);
    expect((await fixture.app.inject({ url: '/admin/run/status', headers })).json()).toMatchObject({ running: true, seed: 1 });
    expect((await fixture.app.inject({ url: '/posts' })).statusCode).toBe(200);
    const page = await fixture.app.inject({ url: '/village/admin' });
    expect(page.statusCode).toBe(401);
    expect(page.body).toContain('name="token"');
    const login = await fixture.app.inject({
      method: 'POST',
      url: '/village/admin/login',
      payload: 'token=sekret-token',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(login.statusCode).toBe(303);
    const cookie = String(login.headers['set-cookie']).split(';')[0] ?? '';
    const admin = await fixture.app.inject({ url: '/village/admin', headers: { cookie } });
    expect(admin.statusCode).toBe(200);
    expect(admin.body).toContain('Moderointijono');
  });

  it('refuses to serve the admin routes on a non-loopback bind without a token', () => {
    expect(() => assertSafeBind(parseConfig({ overrides: { 'server.host': '0.0.0.0' } }).server)).toThrow(/server\.admin_token/);
    expect(() => assertSafeBind(parseConfig({ overrides: { 'server.host': '0.0.0.0', 'server.admin_token': 't' } }).server)).not.toThrow();
    expect(() => assertSafeBind(parseConfig({ overrides: { 'server.host': '::1' } }).server)).not.toThrow();
    expect(() => assertSafeBind(parseConfig({ overrides: { 'server.host': 'localhost' } }).server)).not.toThrow();
  });
});
