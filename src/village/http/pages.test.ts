import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVillageFixture, type VillageFixture } from './testing.js';

describe('village pages (server-rendered, readable without JavaScript)', () => {
  let fixture: VillageFixture;
  beforeAll(async () => {
    fixture = await createVillageFixture({ overrides: { 'village.read_rate_per_minute': '0' } });
    await fixture.service.runs.start(9);
    await fixture.service.engine.advance(9, 600);
    await fixture.drain();
  });
  afterAll(() => fixture.close());

  it('renders each tab with its channel`s posts, the sim clock and the weather', async () => {
    for (const [tab, className] of [
      ['feed', 'feed-post'],
      ['chat', 'chat-message'],
      ['news', 'news-article'],
    ] as const) {
      const page = await fixture.app.inject({ url: `/village?tab=${tab}` });
      expect(page.statusCode).toBe(200);
      expect(page.headers['content-type']).toContain('text/html');
      expect(page.body).toContain(`class="post ${className}`);
      expect(page.body).toContain('sse-connect="/stream?topics=villagelive"');
      expect(page.body).toContain('päivä 7');
      expect(page.body).toContain('class="clock-weather"');
    }
    expect((await fixture.app.inject({ url: '/village?tab=news' })).body).toContain('Koivulahden Sanomat');
  });

  it('pages older posts with a plain link, without live swaps on older pages', async () => {
    const first = (await fixture.app.inject({ url: '/village?tab=chat' })).body;
    const older = /href="\/village\?tab=chat&amp;before=([A-Za-z0-9_-]+)"/.exec(first)?.[1];
    expect(older).toBeDefined();
    const second = await fixture.app.inject({ url: `/village?tab=chat&before=${older}` });
    expect(second.statusCode).toBe(200);
    expect(second.body).toContain('chat-message');
    expect(second.body).not.toContain('sse-swap="post-CHAT"');
    expect((await fixture.app.inject({ url: '/village?tab=chat&before=zzz' })).statusCode).toBe(400);
    expect((await fixture.app.inject({ url: '/village?tab=blog' })).statusCode).toBe(400);
  });

  it('shows an NPC with relationships, memories and posts; an unknown NPC is a 404', async () => {
    const page = await fixture.app.inject({ url: '/village/npcs/npc_sanni' });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<h1>Sanni Virtanen</h1>');
    expect(page.body).toContain('class="meter-fill');
    expect(page.body).toContain('Muistot');
    expect((await fixture.app.inject({ url: '/village/npcs/npc_nobody' })).statusCode).toBe(404);
    expect((await fixture.app.inject({ url: '/village/npcs' })).body).toContain('/village/npcs/npc_aino');
  });

  it('shows the event timeline with impact badges and the admin page with controls and figures', async () => {
    const events = (await fixture.app.inject({ url: '/village/events' })).body;
    expect(events).toContain('class="impact impact-');
    expect(events).toContain('timeline-item');
    const admin = (await fixture.app.inject({ url: '/village/admin' })).body;
    for (const text of [
      'action="/admin/run/start"',
      'action="/admin/run/stop"',
      'action="/admin/run/speed"',
      'action="/admin/replay"',
      'Moderointijono',
    ])
      expect(admin).toContain(text);
    expect(admin).toContain('offline-kirjoittaja');
  });

  it('serves its stylesheet', async () => {
    const css = await fixture.app.inject({ url: '/village/static/village.css' });
    expect(css.statusCode).toBe(200);
    expect(css.headers['content-type']).toContain('text/css');
  });
});
