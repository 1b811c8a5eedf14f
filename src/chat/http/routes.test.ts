/** The routes tools rely on (issue 6 §6), with no model configured: first-run redirects, the JSON API, the pages. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SseClient } from '../../web/testing.js';
import { type ChatHarness, startChatHarness } from './testing/harness.js';

describe('chat routes (offline narrator)', () => {
  let harness: ChatHarness;
  const url = (path: string) => `${harness.url}${path}`;
  const json = (path: string, body: unknown) =>
    fetch(url(path), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  beforeAll(async () => {
    harness = await startChatHarness();
    harness.startWorker();
  });

  afterAll(async () => {
    await harness?.close();
  });

  it('walks the first run through the JSON API, then plays a turn and reads the chat back', async () => {
    const first = await fetch(url('/chat'), { redirect: 'manual' });
    expect(first.status).toBe(303);
    expect(first.headers.get('location')).toBe('/settings?first=1');
    const settings = await (await fetch(url('/settings'))).text();
    expect(settings).toContain('No language model is configured');

    expect((await json('/api/you', { name: 'Sam', pronouns: 'they/them', persona: 'nurse' })).status).toBe(200);
    const noBots = await fetch(url('/chats'), { redirect: 'manual' });
    expect(noBots.headers.get('location')).toBe('/bots/new?first=1');

    const created = await json('/api/bots', {
      name: 'Aino <b>',
      persona: 'barista',
      voice_samples: '"Hi."\n---\n"Bye."',
      traits: 'dry, loyal',
      kickoff_prose: 'Evening at the cafe.',
    });
    expect(created.status).toBe(201);
    const { bot_id } = (await created.json()) as { bot_id: string };
    const { parse } = (await (await fetch(url(`/api/bots/${bot_id}/kickoff`), { method: 'POST' })).json()) as { parse: unknown };
    expect(parse).toMatchObject({ container_name: 'The cafe', container_type: 'venue' });
    const chat = await json('/api/chats', { bot_id, kickoff: parse });
    expect(chat.status).toBe(201);
    const { chat_id } = (await chat.json()) as { chat_id: string };

    const page = await (await fetch(url(`/chats/${chat_id}`))).text();
    expect(page).toContain('Aino &lt;b>');
    expect(page).not.toContain('Aino <b>');

    const tab = await SseClient.open(url(`/stream?topics=chat-${chat_id}`));
    const turn = await json(`/api/chats/${chat_id}/turns`, { text: '"Tea, please." ((ooc))' });
    expect(turn.status).toBe(202);
    await tab.waitFor((frames) => frames.some((frame) => frame.event === 'memory_written'), 'the memory');
    tab.close();

    const read = (await (await fetch(url(`/api/chats/${chat_id}`))).json()) as Record<string, unknown>;
    expect(read).toMatchObject({ chat_id, bot: { bot_id }, streaming_turn_id: null, scene: { container: { name: 'The cafe' } } });
    expect((read.messages as Array<{ role: string; text: string }>).map((message) => message.role)).toEqual(['user', 'assistant']);
    expect((read.messages as Array<{ text: string }>)[1]?.text).toContain('offline narrator');
    expect((read.memories as unknown[]).length).toBe(1);
    expect(read.ledger).toMatchObject({ budget: { hard: 8000, soft: 6000 } });
    expect(typeof read.position).toBe('number');

    const drawer = await (await fetch(url(`/chats/${chat_id}/drawer`))).text();
    expect(drawer).toContain('Tea, please.');
    expect(drawer).toContain('0/8');
    const list = await (await fetch(url('/chats'))).text();
    expect(list).toContain('offline narrator');
  });

  it('accepts the HTML forms and redirects like a browser expects', async () => {
    const form = (path: string, fields: Record<string, string>) =>
      fetch(url(path), { method: 'POST', body: new URLSearchParams(fields), redirect: 'manual' });
    const saved = await form('/settings', { name: 'Sam', pronouns: '', persona: '' });
    expect(saved.status).toBe(303);
    const bot = await form('/bots/new', { name: 'Eino', persona: 'fisher', kickoff_prose: 'On the boat at dawn.' });
    expect(bot.headers.get('location')).toMatch(/^\/bots\/bot_\w+\/kickoff$/);
    const invalid = await form('/bots/new', { name: '', persona: '', kickoff_prose: '' });
    expect(invalid.status).toBe(400);
    expect(await invalid.text()).toContain('Name, persona and kickoff are required.');
    const kickoffPage = await (await fetch(url(bot.headers.get('location') ?? ''))).text();
    expect(kickoffPage).toContain('offline reader');
    const openapi = (await (await fetch(url('/openapi.json'))).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(openapi.paths)).toEqual(
      expect.arrayContaining(['/api/you', '/api/bots', '/api/chats', '/api/chats/{id}/turns', '/api/chats/{id}']),
    );
    expect(Object.keys(openapi.paths)).not.toContain('/chats/{id}');
    const unknown = await fetch(url('/api/chats/nope'));
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toContain('application/problem+json');
  });
});
