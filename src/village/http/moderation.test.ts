import { afterEach, describe, expect, it } from 'vitest';
import type { Channel } from '../domain/catalog-schema.js';
import { contentStreamId, type PostPublished } from '../domain/events.js';
import { renderPostFragment } from './pages/components.js';
import { createVillageFixture, type VillageFixture } from './testing.js';

let fixture: VillageFixture | undefined;
afterEach(async () => {
  await fixture?.close();
  fixture = undefined;
});

async function started(): Promise<VillageFixture> {
  const current = await createVillageFixture();
  await current.service.runs.start(5);
  await current.service.engine.advance(5, 100);
  await current.drain();
  return current;
}

describe('moderation', () => {
  it('hides a post from public reads and pages, lists it in the admin queue, restores it; every action is an event', async () => {
    fixture = await started();
    const { app } = fixture;
    const [post] = (await app.inject({ url: '/posts?channel=FEED&limit=1' })).json().items as Array<{
      id: number;
      text: string;
      author_id: string;
    }>;
    if (!post) throw new Error('no post');
    const marker = `id="post-${post.id}"`;
    const author = `/village/npcs/${post.author_id}`;
    expect((await app.inject({ url: '/village?tab=feed' })).body).toContain(marker);
    expect((await app.inject({ url: author })).body).toContain(marker);

    const flagged = await app.inject({
      method: 'POST',
      url: `/admin/moderation/flag?post_id=${post.id}&reason=${encodeURIComponent('asiaton')}`,
    });
    expect(flagged.json()).toMatchObject({ flagged: true, post_id: post.id, reason: 'asiaton', post: { flags: 1, status: 'visible' } });
    expect((await app.inject({ url: '/admin/moderation/queue' })).json().items.map((item: { id: number }) => item.id)).toContain(post.id);

    const hidden = await app.inject({ method: 'POST', url: '/admin/moderation/hide', payload: { post_id: post.id, reason: 'loukkaava' } });
    expect(hidden.json()).toMatchObject({ hidden: true, post: { status: 'hidden' } });
    const publicIds = (await app.inject({ url: '/posts?limit=200' })).json().items.map((item: { id: number }) => item.id);
    expect(publicIds).not.toContain(post.id);
    expect((await app.inject({ url: '/posts?channel=FEED&limit=200' })).json().items.map((item: { id: number }) => item.id)).not.toContain(
      post.id,
    );
    expect((await app.inject({ url: '/village?tab=feed' })).body).not.toContain(marker);
    expect((await app.inject({ url: author })).body).not.toContain(marker);
    expect((await app.inject({ url: `/npcs/${post.author_id}` })).json().posts.map((item: { id: number }) => item.id)).not.toContain(
      post.id,
    );
    const queue = (await app.inject({ url: '/admin/moderation/queue' })).json().items as Array<{ id: number; status: string }>;
    expect(queue.find((item) => item.id === post.id)).toMatchObject({ status: 'hidden' });
    const adminPage = (await app.inject({ url: '/village/admin' })).body;
    expect(adminPage).toContain(`id="admin-post-${post.id}"`);
    expect(adminPage).toContain('loukkaava');

    // A plain HTML form (no JavaScript) restores it and lands back on the admin page.
    const restored = await app.inject({
      method: 'POST',
      url: '/admin/moderation/restore',
      payload: `post_id=${post.id}&reason=ok`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(restored.statusCode).toBe(303);
    expect(restored.headers.location).toBe('/village/admin');
    expect((await app.inject({ url: '/posts?limit=200' })).json().items.map((item: { id: number }) => item.id)).toContain(post.id);
    expect((await app.inject({ url: '/village?tab=feed' })).body).toContain(marker);
    expect((await app.inject({ url: '/admin/moderation/queue' })).json().items.map((item: { id: number }) => item.id)).not.toContain(
      post.id,
    );

    const runId = fixture.service.world.runIdFor(5);
    const actions = (await fixture.services.store.readStream(contentStreamId(runId)))
      .filter((event) => ['post_flagged', 'post_hidden', 'post_restored'].includes(event.type))
      .map((event) => [event.type, (event.data as { postId: number; reason: string }).postId, (event.data as { reason: string }).reason]);
    expect(actions).toEqual([
      ['post_flagged', post.id, 'asiaton'],
      ['post_hidden', post.id, 'loukkaava'],
      ['post_restored', post.id, 'ok'],
    ]);
  });
});

describe('LLM text is escaped in every view', () => {
  const payload = '<img src=x onerror=alert(1)>';
  // preact-render-to-string escapes `<`, `&` and `"`; a lone `>` is harmless in text.
  const escaped = '&lt;img src=x onerror=alert(1)>';

  it('shows `<img src=x onerror=alert(1)>` as text on the home tabs, NPC pages, admin page and live fragments', async () => {
    fixture = await started();
    const { app, service } = fixture;
    const runId = service.world.runIdFor(5);
    const [event] = (await app.inject({ url: '/events?limit=1' })).json().items as Array<{ id: string; sim_ts: string }>;
    if (!event) throw new Error('no event');
    const authors: Record<Channel, string> = { FEED: 'npc_sanni', CHAT: 'npc_leena', NEWS: 'npc_aino' };
    for (const channel of ['FEED', 'CHAT', 'NEWS'] as const) {
      const data: PostPublished = {
        runId,
        channel,
        authorId: authors[channel],
        sourceEventId: `xss_${channel}`,
        tone: 'snarky',
        text: channel === 'NEWS' ? `${payload}\n\n${payload}` : payload,
        tags: [payload],
        safetyNotes: null,
        model: 'mock',
        fellBack: false,
        simTime: '2026-05-06T12:00:00+03:00',
        place: 'place_kahvio',
      };
      await fixture.services.store.append(contentStreamId(runId), 'any', [{ type: 'post_published', data }]);
    }
    const views = [
      '/village?tab=feed',
      '/village?tab=chat',
      '/village?tab=news',
      '/village/npcs/npc_sanni',
      '/village/npcs/npc_leena',
      '/village/npcs/npc_aino',
      '/village/admin',
    ];
    for (const url of views) {
      const body = (await app.inject({ url })).body;
      expect(body, url).toContain(escaped);
      expect(body, url).not.toContain('<img');
    }
    const posts = await service.queries.listPosts({ runId, limit: 3, statuses: ['visible'] });
    expect(posts.map((post) => post.text)).toContain(payload);
    for (const post of posts) {
      const fragment = renderPostFragment(post, service.world);
      expect(fragment).toContain(escaped);
      expect(fragment).not.toContain('<img');
    }
    // The API returns the text as data (JSON), unchanged.
    expect((await app.inject({ url: '/posts?limit=3' })).json().items[0].text).toContain(payload);
  });
});
