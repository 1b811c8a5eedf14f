import { afterEach, describe, expect, it } from 'vitest';
import { createMockProvider } from '../llm/index.js';
import { resolveTestDialects } from '../store/testing.js';
import { createVillageFixture as createFixture, type VillageFixture, type VillageFixtureOptions } from './http/testing.js';
import { contentStreamId } from './read-model/projection.js';
import { type RenderJobPayload, renderQueue } from './render/render-job.js';

let fixture: VillageFixture | undefined;
afterEach(async () => {
  await fixture?.close();
  fixture = undefined;
});

async function posts(current: VillageFixture, query = ''): Promise<Array<Record<string, unknown>>> {
  const response = await current.app.inject({ url: `/posts?limit=200${query}` });
  expect(response.statusCode).toBe(200);
  return response.json().items;
}

const dialects = await resolveTestDialects();

describe.each(dialects)('render pipeline on $name', (dialect) => {
  const createVillageFixture = (options: VillageFixtureOptions = {}) => createFixture({ ...options, open: () => dialect.open() });
  if (dialect.skip) {
    it.skip(`skipped: ${dialect.skip}`, () => undefined);
    return;
  }

  it('given a started run, when ticks advance and the workers drain the queue, then posts appear in FEED, CHAT and NEWS', async () => {
    fixture = await createVillageFixture();
    await fixture.service.start(7);
    await fixture.service.advance(7, 100);
    const outcomes = await fixture.drain();
    expect(outcomes.length).toBeGreaterThan(0);
    expect(outcomes.every((outcome) => outcome === 'published')).toBe(true);
    for (const channel of ['FEED', 'CHAT', 'NEWS']) {
      const items = await posts(fixture, `&channel=${channel}`);
      expect(items.length, channel).toBeGreaterThan(0);
      expect(items.every((item) => item.channel === channel)).toBe(true);
    }
    const news = (await posts(fixture, '&channel=NEWS'))[0];
    expect(news?.author_id).toBe('npc_aino');
    // The offline writer writes Finnish from templates, labelled as offline.
    expect(news?.model).toBe('offline');
    expect(String(news?.text)).toMatch(/Koivulahti|KOIVULAHTI/);
    const status = (await fixture.app.inject({ url: '/admin/run/status' })).json();
    expect(status).toMatchObject({ running: true, seed: 7, queue: { ready: 0, leased: 0, dead: 0 } });
    expect(status.posts.FEED + status.posts.CHAT + status.posts.NEWS).toBe(outcomes.length);
    expect(status.sim_ts).toMatch(/^2026-05-05T00:45:00\+03:00$/);
  });

  it('keeps exactly one post when a worker dies mid-job and the job is delivered again', async () => {
    fixture = await createVillageFixture({ overrides: { 'queue.lease_ms': '1000' } });
    await fixture.service.start(7);
    await fixture.service.advance(7, 40);
    const { queue } = fixture.messaging;

    // Worker A leases a job, writes the post, and dies before acknowledging it.
    const [first] = await queue.lease<RenderJobPayload>(renderQueue, { limit: 1 });
    if (!first) throw new Error('no job');
    expect(await fixture.service.render(first.payload)).toBe('published');
    // Worker B leases a job and dies before writing anything.
    const [second] = await queue.lease<RenderJobPayload>(renderQueue, { limit: 1 });
    if (!second) throw new Error('no second job');

    // The leases run out; both jobs are delivered again and handled to the end.
    fixture.clock.advance(1_001);
    const outcomes = await fixture.drain();
    expect(outcomes).toContain('duplicate');
    const all = await posts(fixture);
    for (const job of [first, second]) {
      const matching = all.filter(
        (post) =>
          post.source_event_id === job.payload.source_event_id &&
          post.channel === job.payload.channel &&
          post.author_id === job.payload.author_id,
      );
      expect(matching).toHaveLength(1);
    }
    expect(await queue.depth(renderQueue)).toEqual({ ready: 0, leased: 0, dead: 0 });
  });

  it('publishes once when two deliveries of one job race (unique source_event_id + channel + author_id)', async () => {
    fixture = await createVillageFixture();
    await fixture.service.start(7);
    await fixture.service.advance(7, 40);
    const [job] = await fixture.messaging.queue.lease<RenderJobPayload>(renderQueue, { limit: 1 });
    if (!job) throw new Error('no job');
    const results = await Promise.all([fixture.service.render(job.payload), fixture.service.render(job.payload)]);
    expect(results.sort()).toEqual(['duplicate', 'published']);
    const events = await fixture.services.store.readStream(contentStreamId(job.payload.runId));
    expect(events.filter((event) => event.type === 'post_published')).toHaveLength(1);
  });

  it('retries a job whose model call fails, then dead-letters it where the admin sees it', async () => {
    const writer = createMockProvider({ default: { error: Object.assign(new Error('connection refused'), { code: 'ECONNREFUSED' }) } });
    fixture = await createVillageFixture({ providers: { writer }, overrides: { 'queue.max_attempts': '2' } });
    await fixture.service.start(7);
    await fixture.service.advance(7, 40);
    const outcomes = await fixture.drain();
    expect(outcomes.every((outcome) => outcome === 'failed')).toBe(true);
    const status = (await fixture.app.inject({ url: '/admin/run/status' })).json();
    expect(status.queue.dead).toBeGreaterThan(0);
    expect(status.queue.dead * 2).toBe(outcomes.length);
    expect(status.dead_letters[0].last_error).toMatch(/connection refused|unavailable/i);
    expect(status.posts).toMatchObject({ FEED: 0, CHAT: 0, NEWS: 0 });
    const page = await fixture.app.inject({ url: '/village/admin' });
    expect(page.body).toContain('Epäonnistuneet työt');
    expect(page.body).toContain('yritystä');
  });

  it('refuses a post that breaks the engine-boundary checks and puts it in the moderation queue', async () => {
    const writer = createMockProvider({
      default: (request) => {
        const context = request.context as { channel: string; author_id: string; source_event_id: string };
        return {
          text: JSON.stringify({
            channel: context.channel,
            author_id: context.author_id,
            source_event_id: context.source_event_id,
            tone: 'friendly',
            text: 'Katso lisää: https://example.com/koivulahti',
            tags: [],
          }),
        };
      },
    });
    fixture = await createVillageFixture({ providers: { writer } });
    await fixture.service.start(7);
    await fixture.service.advance(7, 40);
    const outcomes = await fixture.drain();
    expect(outcomes.length).toBeGreaterThan(0);
    expect(outcomes.every((outcome) => outcome === 'rejected')).toBe(true);
    expect(await posts(fixture)).toEqual([]);
    const queue = (await fixture.app.inject({ url: '/admin/moderation/queue' })).json();
    expect(queue.items.length).toBe(outcomes.length);
    expect(queue.items[0]).toMatchObject({ status: 'rejected' });
    expect(queue.items[0].moderation_note).toContain('link');
  });

  it('resumes a stopped run where it left off, in a new process, with the same events as an uninterrupted one', async () => {
    fixture = await createVillageFixture();
    await fixture.service.start(11);
    await fixture.service.advance(11, 50);
    const runId = fixture.service.runIdFor(11);
    const head = await fixture.services.store.streamVersion(`world-${runId}`);
    // A fresh service (another process) on the same store restores the run and continues it.
    const { VillageService } = await import('./village-service.js');
    const other = new VillageService({ ...fixture.service.deps });
    await other.advance(11, 30);
    const continued = await fixture.services.store.readStream(`world-${runId}`);
    expect(continued.length).toBeGreaterThan(head);

    const reference = await createVillageFixture();
    await reference.service.advance(11, 80);
    const uninterrupted = await reference.services.store.readStream(`world-${runId}`);
    await reference.close();
    expect(continued.map((event) => JSON.stringify([event.type, event.data]))).toEqual(
      uninterrupted.map((event) => JSON.stringify([event.type, event.data])),
    );
  });

  it('given an engine that died between appending ticks and enqueueing their renders, when another takes over, then every render has its job', async () => {
    fixture = await createVillageFixture();
    await fixture.service.start(5);
    const runId = fixture.service.runIdFor(5);
    const { VillageService } = await import('./village-service.js');
    // Engine A: its appends reach the store, its enqueues never happen (it "dies" right after each append).
    const brokenQueue = { ...fixture.messaging.queue, enqueue: async () => Promise.reject(new Error('killed')) };
    const dying = new VillageService({ ...fixture.service.deps, queue: brokenQueue as typeof fixture.messaging.queue });
    await expect(dying.advance(5, 60)).rejects.toThrow('killed');
    const requested = (await fixture.services.store.readStream(`world-${runId}`)).filter((event) => event.type === 'render_requested');
    expect(requested.length).toBeGreaterThan(0);
    expect((await fixture.messaging.queue.depth(renderQueue)).ready).toBe(0);

    // Engine B takes over: restores from the newest snapshot and the log, and enqueues the lost jobs again.
    const successor = new VillageService({ ...fixture.service.deps });
    await successor.advance(5, 0);
    const outcomes = await fixture.drain();
    expect(outcomes.filter((outcome) => outcome === 'published' || outcome === 'rejected')).toHaveLength(requested.length);
    const content = await fixture.services.store.readStream(contentStreamId(runId));
    const keys = content
      .filter((event) => event.type === 'post_published' || event.type === 'post_rejected')
      .map((event) => {
        const data = event.data as { sourceEventId: string; channel: string; authorId: string };
        return `${data.sourceEventId}/${data.channel}/${data.authorId}`;
      });
    const expected = requested.map((event) => {
      const data = event.data as { eventId: string; channel: string; authorId: string };
      return `${data.eventId}/${data.channel}/${data.authorId}`;
    });
    expect(keys.sort()).toEqual(expected.sort());
  });

  it('given two engines on one world, when both run their loops, then only the lease holder appends and a stop hands the world over', async () => {
    fixture = await createVillageFixture({ overrides: { 'village.tick_ms': '1', 'village.lease_ms': '600' } });
    const current = fixture;
    await current.service.start(3);
    const runId = current.service.runIdFor(3);
    const { VillageService } = await import('./village-service.js');
    const first = new VillageService({ ...current.service.deps, owner: 'engine-1' });
    const second = new VillageService({ ...current.service.deps, owner: 'engine-2' });
    const stopFirst = new AbortController();
    const stopSecond = new AbortController();
    const loops = [first.runEngine(stopFirst.signal), second.runEngine(stopSecond.signal)];
    const version = () => current.services.store.streamVersion(`world-${runId}`);
    const { waitUntil } = await import('../web/testing.js');
    let head = 0;
    await waitUntil(async () => {
      current.clock.advance(20);
      head = await version();
      return head > 50;
    }, 'ticks from the lease holder');
    const holder = await first.lease.holder();
    const [owner, standby, stopOwner] = holder?.owner === 'engine-1' ? [first, second, stopFirst] : [second, first, stopSecond];
    expect(owner.lease.isHeld()).toBe(true);
    expect(standby.lease.isHeld()).toBe(false);
    stopOwner.abort();
    await waitUntil(async () => {
      current.clock.advance(20);
      return standby.lease.isHeld() && (await version()) > head + 50;
    }, 'the standby taking over');
    stopFirst.abort();
    stopSecond.abort();
    await Promise.all(loops);
    const report = await current.service.replay(3, undefined);
    expect(report.identical).toBe(true);
  });
});

describe('villageModule.background', () => {
  const createVillageFixture = createFixture;
  it('autostarts a run, advances it and renders posts until the signal aborts, then returns with no job left leased', async () => {
    const { villageModule } = await import('./http/module.js');
    const { waitUntil } = await import('../web/testing.js');
    fixture = await createVillageFixture({ overrides: { 'village.autostart': 'true', 'village.seed': '2', 'village.tick_ms': '1' } });
    const current = fixture;
    const controller = new AbortController();
    const running = Promise.all([
      villageModule.background?.engine?.(current.services, controller.signal),
      villageModule.background?.worker?.(current.services, controller.signal),
    ]);
    let posts = 0;
    // The engine paces itself on the (manual) clock: move it on until posts exist.
    await waitUntil(() => {
      current.clock.advance(50);
      void current.service.queries.postCounts(current.service.runIdFor(2)).then((counts) => {
        posts = counts.FEED + counts.CHAT + counts.NEWS;
      });
      return posts > 0;
    }, 'posts from the background work');
    controller.abort();
    await running;
    expect(await current.service.control()).toMatchObject({ seed: 2, running: true });
    expect((await current.messaging.queue.depth(renderQueue)).leased).toBe(0);
  });
});
