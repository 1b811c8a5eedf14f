/**
 * Makes the upgrade fixture: `main-0a57848.db` and `expected.json`.
 *
 * RUNNABLE ONLY AGAINST COMMIT 0a57848 (it drives that commit's HTTP API and imports its modules). It is kept to show
 * how the fixture was made, not to be re-run on newer code: a database made by newer code would test nothing.
 *
 * The steps are in README.md ("Re-making the fixture"). What it does:
 *
 * 1. Starts `koivulahti start` in-process (all roles) on a fresh SQLite file with the offline writer and uses the three
 *    products through their HTTP API only: the village runs about three sim-days until every channel has posts, one
 *    post is flagged and one hidden; a chat gets turns, a regenerate, a rewind (and its undo, and a second rewind that stays), a pin, a
 *    manual edit and a closed scene, plus a villager opened as a character; tips get every signal kind, a consent
 *    change and a series of decisions with reactions.
 * 2. Stops the server cleanly, folds the WAL into the file, switches it to journal_mode DELETE and vacuums it.
 * 3. Opens a copy as the `api` role only (no engine ticking, no workers) with `Date` frozen, records every read in
 *    `expected.json`, and checks that the log hash over the stored world stream equals the hash the engine itself
 *    computes when it re-runs the seed to the same version.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { parseConfig } from '../../src/core/config.js';
import { silentLogger } from '../../src/core/logger.js';
import { startServer } from '../../src/server.js';
import { loadCatalog, settingsFromConfig, VillageRun } from '../../src/village/index.js';
import { capture, type ExpectedFile, freezeDate, logHash, type RecordedRequest, type RecordedResponse } from './read-models.js';

const madeBy = '0a57848';
const here = fileURLToPath(new URL('.', import.meta.url));
const fixturePath = join(here, `main-${madeBy}.db`);
const expectedPath = join(here, 'expected.json');
const timeZone = 'UTC';
process.env.TZ = timeZone;

export const configText = `
[server]
port = 0
[log]
level = "silent"
[village]
autostart = true
seed = 7
tick_ms = 40
speed = 1
night_speedup = 50
read_rate_per_minute = 0
news_max_chars = 400
[llm]
blocklist = ["riita"]
[chat]
backup_at = ""
rewind_undo_seconds = 600
[tips]
timezone = "Europe/Helsinki"
quiet_hours_start = "00:00"
quiet_hours_end = "00:00"
daily_budget = 0
llm_candidates = false
`;

function configFor(sqlitePath: string) {
  return parseConfig({ fileText: `${configText}\n[database]\nsqlite_path = ${JSON.stringify(sqlitePath)}\n` });
}

async function call(base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { accept: 'application/json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    redirect: 'manual',
  });
  const text = await response.text();
  if (response.status >= 400) throw new Error(`${method} ${path}: ${response.status} ${text.slice(0, 500)}`);
  return text.startsWith('{') || text.startsWith('[') ? JSON.parse(text) : text;
}

async function until<T>(label: string, probe: () => Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${label}`);
    await sleep(100);
  }
}

// ---------- 1. use the products ----------

interface Made {
  chatIds: string[];
  botIds: string[];
  rewoundToTurnId: string;
  decisionIds: string[];
}

async function runVillage(base: string): Promise<void> {
  await call(base, 'POST', '/admin/run/start', { seed: 7 });
  await until('posts in every channel', async () => {
    const status = await call(base, 'GET', '/admin/run/status');
    const { FEED, CHAT, NEWS } = status.posts as Record<string, number>;
    return status.day >= 3 && FEED >= 5 && CHAT >= 5 && NEWS >= 2 ? true : undefined;
  });
  await call(base, 'POST', '/admin/run/stop');
  const feed = await call(base, 'GET', '/posts?channel=FEED&limit=10');
  await call(base, 'POST', '/admin/moderation/flag', { post_id: feed.items[1].id, reason: 'fixture: a flagged post' });
  await call(base, 'POST', '/admin/moderation/hide', { post_id: feed.items[2].id, reason: 'fixture: a hidden post' });
}

async function waitForReply(base: string, chatId: string): Promise<void> {
  await until(`the reply in ${chatId}`, async () => {
    const chat = await call(base, 'GET', `/api/chats/${chatId}`);
    return chat.streaming_turn_id === null ? true : undefined;
  });
}

async function turn(base: string, chatId: string, text: string): Promise<{ turn_id: string; reply_id: string }> {
  const result = await call(base, 'POST', `/api/chats/${chatId}/turns`, { text });
  await waitForReply(base, chatId);
  return result;
}

async function runChat(base: string, settle: () => Promise<void>): Promise<Pick<Made, 'chatIds' | 'botIds' | 'rewoundToTurnId'>> {
  await call(base, 'POST', '/api/you', { name: 'Aino', pronouns: 'she/her', persona: 'A translator who moved back to the lake.' });
  const { bot_id: botId } = await call(base, 'POST', '/api/bots', {
    name: 'Veikko',
    persona: 'A retired ferryman, dry humour, keeps bees.',
    voice_samples: ['"The lake does not hurry, and neither do I."'],
    traits: ['patient', 'wry'],
    backstory: 'Ran the ferry for thirty years until the bridge was built.',
    initial_relationship: 'Old neighbours',
    kickoff_prose: 'Late afternoon on the shore by the sauna. Veikko is mending a net; Aino walks down with two cups of coffee.',
  });
  const { parse } = await call(base, 'POST', `/api/bots/${botId}/kickoff`);
  const { chat_id: chatId } = await call(base, 'POST', '/api/chats', { bot_id: botId, kickoff: parse });
  const first = await turn(base, chatId, '"Brought you coffee. Black, like always."');
  await settle();
  await turn(base, chatId, '*sits on the upturned boat* "How are the bees this year?"');
  await settle();
  const third = await turn(base, chatId, '"Do you miss the ferry?" ((keep it gentle))');
  await settle();
  await call(base, 'POST', `/api/chats/${chatId}/regenerate`, {});
  await waitForReply(base, chatId);
  await settle();
  await call(base, 'POST', `/api/chats/${chatId}/regenerate`, { text: '"Do you ever miss the ferry, Veikko?"' });
  await waitForReply(base, chatId);
  await settle();
  await turn(base, chatId, '"I could help you with the net tomorrow."');
  await settle();
  // A rewind that is undone, then one that stays, then the chat goes on from there.
  await call(base, 'POST', `/api/chats/${chatId}/rewind`, { to: third.turn_id });
  await call(base, 'POST', `/api/chats/${chatId}/rewind/undo`);
  await call(base, 'POST', `/api/chats/${chatId}/rewind`, { to: first.reply_id });
  await settle();
  await turn(base, chatId, '*looks at the water* "It is getting dark earlier already."');
  await settle();
  let chat = await call(base, 'GET', `/api/chats/${chatId}`);
  const memory = (chat.memories as Array<{ memory_id: string }>)[0];
  if (memory) await call(base, 'POST', `/chats/${chatId}/pin`, { memory_id: memory.memory_id, pinned: true });
  await call(base, 'POST', `/chats/${chatId}/edit`, {
    kind: 'edge',
    source_id: 'you',
    target_id: botId,
    affinity: '2',
    summary: 'Neighbours who share coffee',
  });
  await call(base, 'POST', `/chats/${chatId}/scene/close`, {});
  await settle();
  await turn(base, chatId, '"Same time tomorrow, then."');
  await settle();
  chat = await call(base, 'GET', `/api/chats/${chatId}`);

  // A villager opened as a character, with one turn.
  const villagers = await call(base, 'GET', '/api/villagers');
  const { bot_id: villagerBotId } = await call(base, 'POST', '/api/bots/villager', { npc_id: villagers[0].id });
  const { parse: villagerParse } = await call(base, 'POST', `/api/bots/${villagerBotId}/kickoff`);
  const { chat_id: villagerChatId } = await call(base, 'POST', '/api/chats', { bot_id: villagerBotId, kickoff: villagerParse });
  await turn(base, villagerChatId, '"Hyvää huomenta! Is the shop open already?"');
  await settle();
  return { chatIds: [chatId, villagerChatId], botIds: [botId, villagerBotId], rewoundToTurnId: first.reply_id };
}

async function runTips(base: string, now: number): Promise<string[]> {
  const hour = 3_600_000;
  await call(base, 'POST', '/api/tips/signals', {
    signals: [
      { kind: 'context', at: now, timezone: 'Europe/Helsinki', dayType: 'workday' },
      { kind: 'task', taskId: 'invoice', title: 'Send the March invoice', priority: 4, dueAt: now + 5 * hour, durationMinutes: 20 },
      { kind: 'task', taskId: 'sauna-wood', title: 'Split wood for the sauna', project: 'Cabin', priority: 2, durationMinutes: 45 },
      { kind: 'task', taskId: 'call-mum', title: 'Call mum', priority: 3, dueAt: now + 30 * hour, dueAllDay: true },
      { kind: 'task', taskId: 'library', title: 'Return the library books', priority: 1, dueAt: now - 20 * hour },
      { kind: 'task', taskId: 'tax', title: 'Check the tax card', priority: 2, done: true },
      { kind: 'habit', habitId: 'walk', name: 'Evening walk', cadence: 'daily' },
      { kind: 'habit', habitId: 'finnish', name: 'Finnish vocabulary', cadence: 'daily' },
      { kind: 'habit', habitId: 'plants', name: 'Water the plants', cadence: 'weekly' },
      { kind: 'check_in', habitId: 'walk', at: now - 26 * hour },
      { kind: 'calendar', eventId: 'dentist', title: 'Dentist', start: now + 2 * hour, end: now + 3 * hour },
      { kind: 'calendar', eventId: 'standup', title: 'Stand-up', start: now + 20 * hour, end: now + 20.25 * hour, busy: true },
      { kind: 'mood', score: 3, note: 'a bit tired', at: now - hour },
    ],
  });
  await call(base, 'POST', '/api/tips/import/ics', {
    ics: [
      'BEGIN:VCALENDAR',
      'VERSION:2.0',
      'PRODID:-//koivulahti//fixture//EN',
      'BEGIN:VEVENT',
      'UID:choir@fixture',
      `DTSTART:${new Date(now + 28 * hour).toISOString().replace(/[-:]/g, '').slice(0, 15)}Z`,
      `DTEND:${new Date(now + 30 * hour).toISOString().replace(/[-:]/g, '').slice(0, 15)}Z`,
      'SUMMARY:Choir practice',
      'END:VEVENT',
      'END:VCALENDAR',
    ].join('\r\n'),
  });
  await call(base, 'POST', '/api/tips/consents', { purpose: 'mood', granted: false });
  await call(base, 'POST', '/api/tips/consents', { purpose: 'mood', granted: true });
  const decisions: string[] = [];
  const reactions = ['done', 'helpful', 'not_now', 'dismiss', 'done', 'helpful', 'not_now', 'done'];
  for (const [index, reaction] of reactions.entries()) {
    const next = await call(base, 'GET', '/api/tips/next?show=true');
    const decisionId = next.decision?.decisionId ?? next.decision?.decision_id;
    if (typeof decisionId !== 'string') throw new Error(`no decision: ${JSON.stringify(next).slice(0, 300)}`);
    decisions.push(decisionId);
    await call(base, 'POST', `/api/tips/decisions/${decisionId}/reaction`, { reaction });
    if (index === 3) await call(base, 'POST', '/api/tips/signals', { kind: 'check_in', habitId: 'finnish', at: now });
  }
  // One decision left open (shown, no reaction) and one decided but never shown.
  const open = await call(base, 'GET', '/api/tips/next?show=true');
  decisions.push(open.decision.decisionId);
  return decisions;
}

async function makeDatabase(path: string): Promise<Made> {
  const server = await startServer(configFor(path), silentLogger);
  try {
    const base = server.url;
    const queueEmpty = async (name: string) => {
      const depth = await server.runtime.messaging.queue.depth(name);
      return depth.ready === 0 && depth.leased === 0 ? true : undefined;
    };
    const settle = async () => {
      await until('chat post-turn passes', () => queueEmpty('chat-post-turn'));
    };
    await runVillage(base);
    await until('village renders', () => queueEmpty('village-render'));
    const chat = await runChat(base, settle);
    const decisionIds = await runTips(base, Date.now());
    await until('village renders', () => queueEmpty('village-render'));
    return { ...chat, decisionIds };
  } finally {
    await server.close();
  }
}

function compact(path: string): void {
  const database = new Database(path);
  database.pragma('wal_checkpoint(TRUNCATE)');
  database.pragma('journal_mode = DELETE');
  database.exec('VACUUM');
  database.close();
}

// ---------- 3. record the reads ----------

function requestsFor(made: Made, hiddenPostId: number, npcIds: string[], eventPages: string[], postPages: string[]): RecordedRequest[] {
  const get = (url: string): RecordedRequest => ({ method: 'GET', url });
  const [chatId = '', villagerChatId = ''] = made.chatIds;
  return [
    // village
    get('/admin/run/status'),
    ...postPages.map(get),
    ...['FEED', 'CHAT', 'NEWS'].map((channel) => get(`/posts?channel=${channel}&limit=200`)),
    ...eventPages.map(get),
    get('/npcs'),
    ...npcIds.map((id) => get(`/npcs/${id}`)),
    get('/places'),
    get('/admin/moderation/queue?limit=500'),
    get('/village'),
    get('/village/events'),
    get('/village/npcs'),
    get(`/village/npcs/${npcIds[0]}`),
    // chat
    get('/api/villagers'),
    ...made.botIds.map((id) => get(`/api/bots/${id}/card.json`)),
    ...made.chatIds.map((id) => get(`/api/chats/${id}`)),
    get(`/api/chats/${chatId}/rewind-preview?to=${made.rewoundToTurnId}`),
    get('/chats'),
    get('/bots'),
    get('/settings'),
    ...made.chatIds.map((id) => get(`/chats/${id}`)),
    ...made.chatIds.map((id) => get(`/chats/${id}/drawer`)),
    get(`/chats/${villagerChatId}/partial`),
    ...made.botIds.map((id) => get(`/bots/${id}/reset`)),
    // tips
    get('/api/tips/decisions?limit=500'),
    ...made.decisionIds.map((id) => get(`/api/tips/decisions/${id}/verify`)),
    get('/api/tips/shadows'),
    ...['linucb-v1', 'linucb-greedy', 'linucb-wide', 'uniform'].map((policy) => get(`/api/tips/evaluate?policy=${policy}`)),
    get('/api/tips/consents'),
    get('/api/tips/export'),
    get('/tips/signals'),
    get('/tips/decisions'),
    // Replays the world from its seed against the log (writes only the admin page's "last replay" note).
    { method: 'POST', url: '/admin/replay', body: { seed: 7 } },
    get('/village/admin'),
    get('/admin/run/status'),
    // Writes on old data, then what they changed: Date is frozen and none of them makes a random id.
    // The chat rewound to its first reply (re-projected from its old events), then the rewind undone.
    { method: 'POST', url: `/api/chats/${chatId}/rewind`, body: { to: made.rewoundToTurnId } },
    get(`/api/chats/${chatId}`),
    get(`/chats/${chatId}/drawer`),
    { method: 'POST', url: `/api/chats/${chatId}/rewind/undo` },
    get(`/api/chats/${chatId}`),
    // The open tip reacted to (the tips state is folded from the old events plus this one).
    { method: 'POST', url: `/api/tips/decisions/${made.decisionIds[made.decisionIds.length - 1]}/reaction`, body: { reaction: 'helpful' } },
    get('/api/tips/decisions?limit=500'),
    get('/api/tips/evaluate?policy=linucb-greedy'),
    // The hidden post restored.
    { method: 'POST', url: '/admin/moderation/restore', body: { post_id: hiddenPostId, reason: 'fixture: restored after the upgrade' } },
    get('/posts?channel=FEED&limit=200'),
    get('/admin/moderation/queue?limit=500'),
  ];
}

async function record(made: Made, frozenNow: number): Promise<ExpectedFile> {
  const scratch = mkdtempSync(join(tmpdir(), 'koivulahti-record-'));
  const copy = join(scratch, 'fixture.db');
  copyFileSync(fixturePath, copy);
  const restore = freezeDate(frozenNow);
  const server = await startServer(configFor(copy), silentLogger, { roles: ['api'] });
  try {
    const { app } = server;
    const json = async (url: string) => JSON.parse((await app.inject({ url, headers: { host: '127.0.0.1' } })).body);
    const status = await json('/admin/run/status');
    const postPages = ['/posts?limit=200'];
    for (let page = await json(postPages[0] ?? ''); page.next_cursor; page = await json(postPages[postPages.length - 1] ?? ''))
      postPages.push(`/posts?limit=200&before=${page.next_cursor}`);
    const eventPages = ['/events?limit=500'];
    for (let page = await json(eventPages[0] ?? ''); page.next_cursor; page = await json(eventPages[eventPages.length - 1] ?? ''))
      eventPages.push(`/events?limit=500&before=${page.next_cursor}`);
    const queue = (await json('/admin/moderation/queue?limit=500')).items as Array<{ id: number; status: string }>;
    const hiddenPostId = queue.find((post) => post.status === 'hidden')?.id;
    if (hiddenPostId === undefined) throw new Error('no hidden post in the moderation queue');
    const npcIds = ((await json('/npcs')).items as Array<{ id: string }>).map((npc) => npc.id);
    const responses: RecordedResponse[] = [];
    for (const request of requestsFor(made, hiddenPostId, npcIds, eventPages, postPages)) {
      const response = await capture(app, request);
      if (response.status >= 500) throw new Error(`${request.url}: ${response.status} ${JSON.stringify(response.response)}`);
      responses.push(response);
    }
    const streamId = `world-${status.run_id}`;
    const events = await server.runtime.store.readStream(streamId);
    const stored = logHash(events);
    // The engine's own hash: re-run the seed in memory to the same version.
    const run = VillageRun.start({ catalog: loadCatalog(), seed: 7, settings: settingsFromConfig(server.runtime.config.village.engine) });
    while (run.version < events.length) await run.advanceTicks(1);
    if (run.version !== events.length) throw new Error(`re-run reached version ${run.version}, the log has ${events.length}`);
    if (run.logHash() !== stored) throw new Error(`engine hash ${run.logHash()} differs from the stored log's ${stored}`);
    return {
      madeBy,
      frozenNow,
      timeZone,
      configText,
      village: { runId: status.run_id, streamId, events: events.length, logHash: stored },
      ids: made,
      responses,
      changes: [],
    };
  } finally {
    await server.close();
    restore();
    rmSync(scratch, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  // Records expected.json again from the committed database, with the same frozen instant and ids.
  if (process.argv.includes('--record-only')) {
    const previous = JSON.parse(readFileSync(expectedPath, 'utf8')) as ExpectedFile;
    const expected = await record(previous.ids, previous.frozenNow);
    writeFileSync(expectedPath, `${JSON.stringify({ ...expected, changes: previous.changes }, null, 2)}\n`);
    console.log(`expected: ${expectedPath} (${expected.responses.length} responses)`);
    return;
  }
  const scratch = mkdtempSync(join(tmpdir(), 'koivulahti-fixture-'));
  const path = join(scratch, 'fixture.db');
  const made = await makeDatabase(path);
  compact(path);
  copyFileSync(path, fixturePath);
  rmSync(scratch, { recursive: true, force: true });
  const frozenNow = Math.ceil(Date.now() / 60_000) * 60_000;
  const expected = await record(made, frozenNow);
  writeFileSync(expectedPath, `${JSON.stringify(expected, null, 2)}\n`);
  console.log(
    `fixture: ${fixturePath}\nexpected: ${expectedPath} (${expected.responses.length} responses, village ${expected.village.events} events, hash ${expected.village.logHash})`,
  );
}

await main();
