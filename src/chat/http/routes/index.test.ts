/** The routes tools rely on (issue 6 §6), with no model configured: first-run redirects, the JSON API, the pages. */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SseClient } from '../../../web/testing.js';
import { type ChatHarness, startChatHarness } from '../testing/harness.js';

const run = promisify(execFile);

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

  it('drawer edits (htmx answers with the drawer), pins, rewind preview and the reset form', async () => {
    const app = harness.chat;
    const chat = (await app.read.chats())[0];
    if (!chat) throw new Error('the first test makes a chat');
    const chatId = chat.chat_id;
    const form = (path: string, fields: Record<string, string>, headers: Record<string, string> = {}) =>
      fetch(url(path), { method: 'POST', body: new URLSearchParams(fields), redirect: 'manual', headers });
    const edited = await form(
      `/chats/${chatId}/edit`,
      { kind: 'edge', source_id: chat.bot_id, target_id: 'you', affinity: '77', trust: '50', summary: 'Old friends <3' },
      { 'hx-request': 'true' },
    );
    expect(edited.status).toBe(200);
    const drawer = await edited.text();
    expect(drawer).toContain('Old friends &lt;3');
    expect(drawer).toContain('id="drawer-body"');
    const edits = (await harness.services.store.readStream(`chat-${chatId}`)).filter((event) => event.type === 'manual_edit');
    expect(edits.map((event) => event.data)).toMatchObject([
      { target: { kind: 'edge', field: 'affinity' }, value: 77 },
      { target: { kind: 'edge', field: 'summary' }, value: 'Old friends <3' },
    ]);
    expect((edits[0]?.data as { prior: number } | undefined)?.prior).toBeTypeOf('number');
    const bad = await form(`/chats/${chatId}/edit`, { kind: 'edge', source_id: chat.bot_id, target_id: 'you', affinity: '170' });
    expect(bad.status).toBe(400);
    const memory = (await app.read.recentMemories(chatId))[0];
    const pinned = await form(`/chats/${chatId}/pin`, { memory_id: memory?.memory_id ?? '', pinned: '1' }, { accept: 'application/json' });
    expect(await pinned.json()).toEqual({ changed: 1 });
    expect(await app.read.pinned(chat.bot_id)).toMatchObject([{ memory_id: memory?.memory_id, auto_pinned: false }]);

    const { messages } = await app.read.messages(chatId);
    const preview = await fetch(url(`/api/chats/${chatId}/rewind-preview?to=${messages[0]?.turn_id}`));
    expect(await preview.json()).toMatchObject({ impact: { messages: 2, memories: 1, other: 4 } });
    const dialog = await (await fetch(url(`/chats/${chatId}/rewind?to=${messages[0]?.turn_id}`))).text();
    expect(dialog).toContain('Rewind to here?');

    const closed = await form(`/chats/${chatId}/scene/close`, {}, { 'hx-request': 'true' });
    expect(closed.status).toBe(200);
    expect((await app.read.scenes(chatId)).map((scene) => scene.ended_at === null)).toEqual([false, true]);
    expect((await app.read.memory(memory?.memory_id ?? ''))?.pov_summary).toMatch(/^At /);

    const wrong = await form(`/bots/${chat.bot_id}/reset`, { name: 'Nobody' });
    expect(wrong.status).toBe(400);
    expect(await wrong.text()).toContain('exactly to reset');
    const reset = await form(`/bots/${chat.bot_id}/reset`, { name: 'Aino <b>' });
    expect(reset.status).toBe(303);
    expect((await app.read.messages(chatId)).messages).toEqual([]);
    expect((await app.read.edges(['you', chat.bot_id])).map((edge) => edge.affinity)).toEqual([50, 50]);
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
    // Form routes validate their bodies too: a field of the wrong kind is named, never a 500.
    const wrongKind = await json('/chats/nope/pin', { memory_id: 'm', pinned: 3 });
    expect(wrongKind.status).toBe(400);
    expect(await wrongKind.json()).toMatchObject({
      code: 'validation_failed',
      errors: [expect.objectContaining({ field: 'body.pinned' })],
    });
  });

  it('serves the page script as browser modules: each one it imports is served and is valid JavaScript', async () => {
    const scratch = mkdtempSync(join(tmpdir(), 'koivulahti-chat-client-'));
    const pending = ['chat-client.js'];
    const seen = new Set<string>();
    try {
      while (pending.length > 0) {
        const name = pending.pop() as string;
        if (seen.has(name)) continue;
        seen.add(name);
        const response = await fetch(url(`/chat/static/${name}`));
        expect(response.status, name).toBe(200);
        expect(response.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
        const code = await response.text();
        for (const match of code.matchAll(/from '\.\/([a-z-]+\.js)'/g)) pending.push(match[1] as string);
        writeFileSync(join(scratch, name), code);
      }
      // Parsed as ES modules (not linked or run) in one process.
      const parse =
        "const vm = require('node:vm'); const fs = require('node:fs'); for (const file of process.argv.slice(1)) new vm.SourceTextModule(fs.readFileSync(file, 'utf8'), { identifier: file });";
      const files = [...seen].map((name) => join(scratch, name));
      await expect(run(process.execPath, ['--experimental-vm-modules', '--no-warnings', '-e', parse, ...files])).resolves.toBeDefined();
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
    expect([...seen].sort()).toEqual(expect.arrayContaining(['chat-client.js', 'live.js', 'prose.js', 'room.js']));
    const page = await (await fetch(url('/bots'))).text();
    expect(page).toMatch(/<script [^>]*type="module" src="\/chat\/static\/chat-client\.js">/);
  }, 60_000);
});
