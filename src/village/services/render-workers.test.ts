import { afterEach, describe, expect, it } from 'vitest';
import { createMockProvider } from '../../llm/index.js';
import { resolveTestDialects } from '../../store/testing.js';
import { contentStreamId } from '../domain/events.js';
import { createVillageFixture as createFixture, type VillageFixture, type VillageFixtureOptions } from '../http/testing.js';
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
    await fixture.service.runs.start(7);
    await fixture.service.engine.advance(7, 100);
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
    await fixture.service.runs.start(7);
    await fixture.service.engine.advance(7, 40);
    const { queue } = fixture.messaging;

    // Worker A leases a job, writes the post, and dies before acknowledging it.
    const [first] = await queue.lease<RenderJobPayload>(renderQueue, { limit: 1 });
    if (!first) throw new Error('no job');
    expect(await fixture.service.renders.render(first.payload)).toBe('published');
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
    await fixture.service.runs.start(7);
    await fixture.service.engine.advance(7, 40);
    const [job] = await fixture.messaging.queue.lease<RenderJobPayload>(renderQueue, { limit: 1 });
    if (!job) throw new Error('no job');
    const results = await Promise.all([fixture.service.renders.render(job.payload), fixture.service.renders.render(job.payload)]);
    expect(results.sort()).toEqual(['duplicate', 'published']);
    const events = await fixture.services.store.readStream(contentStreamId(job.payload.runId));
    expect(events.filter((event) => event.type === 'post_published')).toHaveLength(1);
  });

  it('retries a job whose model call fails, then dead-letters it where the admin sees it', async () => {
    const writer = createMockProvider({ default: { error: Object.assign(new Error('connection refused'), { code: 'ECONNREFUSED' }) } });
    fixture = await createVillageFixture({ providers: { writer }, overrides: { 'queue.max_attempts': '2' } });
    await fixture.service.runs.start(7);
    await fixture.service.engine.advance(7, 40);
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
    await fixture.service.runs.start(7);
    await fixture.service.engine.advance(7, 40);
    const outcomes = await fixture.drain();
    expect(outcomes.length).toBeGreaterThan(0);
    expect(outcomes.every((outcome) => outcome === 'rejected')).toBe(true);
    expect(await posts(fixture)).toEqual([]);
    const queue = (await fixture.app.inject({ url: '/admin/moderation/queue' })).json();
    expect(queue.items.length).toBe(outcomes.length);
    expect(queue.items[0]).toMatchObject({ status: 'rejected' });
    expect(queue.items[0].moderation_note).toContain('link');
  });
});
