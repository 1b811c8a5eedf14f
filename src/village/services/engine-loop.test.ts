import { afterEach, describe, expect, it } from 'vitest';
import { resolveTestDialects } from '../../store/testing.js';
import { waitUntil } from '../../web/testing.js';
import { contentStreamId } from '../domain/events.js';
import { createVillageFixture as createFixture, type VillageFixture, type VillageFixtureOptions } from '../http/testing.js';
import { villageModule } from '../index.js';
import { renderQueue } from './render/render-job.js';
import { createVillageService } from './village-service.js';

let fixture: VillageFixture | undefined;
afterEach(async () => {
  await fixture?.close();
  fixture = undefined;
});

const dialects = await resolveTestDialects();

describe.each(dialects)('engine loop on $name', (dialect) => {
  const createVillageFixture = (options: VillageFixtureOptions = {}) => createFixture({ ...options, open: () => dialect.open() });
  if (dialect.skip) {
    it.skip(`skipped: ${dialect.skip}`, () => undefined);
    return;
  }
  it('resumes a stopped run where it left off, in a new process, with the same events as an uninterrupted one', async () => {
    fixture = await createVillageFixture();
    await fixture.service.runs.start(11);
    await fixture.service.engine.advance(11, 50);
    const runId = fixture.service.world.runIdFor(11);
    const head = await fixture.services.store.streamVersion(`world-${runId}`);
    // A fresh service (another process) on the same store restores the run and continues it.
    const other = createVillageService({ ...fixture.deps });
    await other.engine.advance(11, 30);
    const continued = await fixture.services.store.readStream(`world-${runId}`);
    expect(continued.length).toBeGreaterThan(head);

    const reference = await createVillageFixture();
    await reference.service.engine.advance(11, 80);
    const uninterrupted = await reference.services.store.readStream(`world-${runId}`);
    await reference.close();
    expect(continued.map((event) => JSON.stringify([event.type, event.data]))).toEqual(
      uninterrupted.map((event) => JSON.stringify([event.type, event.data])),
    );
  });

  it('given an engine that died between appending ticks and enqueueing their renders, when another takes over, then every render has its job', async () => {
    fixture = await createVillageFixture();
    await fixture.service.runs.start(5);
    const runId = fixture.service.world.runIdFor(5);
    // Engine A: its appends reach the store, its enqueues never happen (it "dies" right after each append).
    const brokenQueue = { ...fixture.messaging.queue, enqueue: async () => Promise.reject(new Error('killed')) };
    const dying = createVillageService({ ...fixture.deps, queue: brokenQueue as typeof fixture.messaging.queue });
    await expect(dying.engine.advance(5, 60)).rejects.toThrow('killed');
    const requested = (await fixture.services.store.readStream(`world-${runId}`)).filter((event) => event.type === 'render_requested');
    expect(requested.length).toBeGreaterThan(0);
    expect((await fixture.messaging.queue.depth(renderQueue)).ready).toBe(0);

    // Engine B takes over: restores from the newest snapshot and the log, and enqueues the lost jobs again.
    const successor = createVillageService({ ...fixture.deps });
    await successor.engine.advance(5, 0);
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
    await current.service.runs.start(3);
    const runId = current.service.world.runIdFor(3);
    const first = createVillageService({ ...current.deps, owner: 'engine-1' });
    const second = createVillageService({ ...current.deps, owner: 'engine-2' });
    const stopFirst = new AbortController();
    const stopSecond = new AbortController();
    const loops = [first.engine.run(stopFirst.signal), second.engine.run(stopSecond.signal)];
    const version = () => current.services.store.streamVersion(`world-${runId}`);
    let head = 0;
    await waitUntil(async () => {
      current.clock.advance(20);
      head = await version();
      return head > 50;
    }, 'ticks from the lease holder');
    const holder = await first.engine.lease.holder();
    const [owner, standby, stopOwner] = holder?.owner === 'engine-1' ? [first, second, stopFirst] : [second, first, stopSecond];
    expect(owner.engine.lease.isHeld()).toBe(true);
    expect(standby.engine.lease.isHeld()).toBe(false);
    stopOwner.abort();
    await waitUntil(async () => {
      current.clock.advance(20);
      return standby.engine.lease.isHeld() && (await version()) > head + 50;
    }, 'the standby taking over');
    stopFirst.abort();
    stopSecond.abort();
    await Promise.all(loops);
    const report = await current.service.runs.replay(3, undefined);
    expect(report.identical).toBe(true);
  });
});

describe('villageModule.background', () => {
  const createVillageFixture = createFixture;
  it('autostarts a run, advances it and renders posts until the signal aborts, then returns with no job left leased', async () => {
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
      void current.service.queries.postCounts(current.service.world.runIdFor(2)).then((counts) => {
        posts = counts.FEED + counts.CHAT + counts.NEWS;
      });
      return posts > 0;
    }, 'posts from the background work');
    controller.abort();
    await running;
    expect(await current.service.runs.control()).toMatchObject({ seed: 2, running: true });
    expect((await current.messaging.queue.depth(renderQueue)).leased).toBe(0);
  });
});
