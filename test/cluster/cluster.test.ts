/**
 * Distributed mode end to end (issue 10): separate api, engine and worker processes on the real PostgreSQL and NATS
 * JetStream. The writer model is a loopback OpenAI-protocol server that answers slowly, so jobs are in flight when a
 * process dies.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { jetstreamManager } from '@nats-io/jetstream';
import { afterEach, describe, expect, it } from 'vitest';
import { type OpenAITestServer, startOpenAITestServer } from '../../src/llm/testing/openai-test-server.js';
import { outboxStreamName } from '../../src/messaging/index.js';
import { connectTestNats } from '../../src/messaging/testing.js';
import { EventStore, openDatabase, SnapshotStore } from '../../src/store/index.js';
import { defaultVillageSettings, hashSettings, loadCatalog, replayRun, runIdFor } from '../../src/village/index.js';
import { SseClient } from '../../src/web/testing.js';
import { Cluster, clusterSkipReason, leaseHolder, llmEnvironment, type RoleProcess, sample, startPostWriter } from './harness.js';

const skip = await clusterSkipReason();

let cluster: Cluster | undefined;
let writer: OpenAITestServer | undefined;
afterEach(async () => {
  await cluster?.close();
  await writer?.close();
  cluster = undefined;
  writer = undefined;
});

const seed = 7;
const villageConfig = (extra = '') => `
[village]
autostart = true
seed = ${seed}
tick_ms = 60
lease_ms = 2000
render_workers = 3

[queue]
lease_ms = 4000
backoff_base_ms = 100
${extra}
`;

async function waitFor<T>(read: () => Promise<T | undefined | false>, label: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${label}`);
    await sleep(100);
  }
}

const runId = () => {
  const catalog = loadCatalog();
  return runIdFor(catalog.catalog.world.id, seed, catalog.hash, hashSettings(defaultVillageSettings));
};

async function worldVersion(current: Cluster): Promise<number> {
  const rows = await current.query<{ version: number | null }>('select max(version) as version from events where stream_id = $1', [
    `world-${runId()}`,
  ]);
  return Number(rows[0]?.version ?? 0);
}

/** Keys `<event>/<channel>/<author>` of every render the world log asked for, and of every post written. */
async function renderKeys(current: Cluster): Promise<{ requested: string[]; written: string[] }> {
  const events = await current.query<{ stream_id: string; type: string; data: Record<string, string> | string }>(
    `select stream_id, type, data from events where stream_id = $1 or stream_id = $2 order by position`,
    [`world-${runId()}`, `village-${runId()}`],
  );
  const parse = (data: Record<string, string> | string) => (typeof data === 'string' ? (JSON.parse(data) as Record<string, string>) : data);
  const requested = events
    .filter((event) => event.type === 'render_requested')
    .map((event) => parse(event.data))
    .map((data) => `${data.eventId}/${data.channel}/${data.authorId}`);
  const written = events
    .filter((event) => event.type === 'post_published' || event.type === 'post_rejected')
    .map((event) => parse(event.data))
    .map((data) => `${data.sourceEventId}/${data.channel}/${data.authorId}`);
  return { requested, written };
}

async function stopVillage(api: RoleProcess): Promise<void> {
  const response = await fetch(`${api.url}/admin/run/stop`, { method: 'POST' });
  expect(response.status).toBe(200);
}

/** Waits until the render queue is empty (nothing ready or leased) and every requested render has its post. */
async function drained(current: Cluster, worker: RoleProcess): Promise<void> {
  await waitFor(async () => {
    const text = await worker.metrics();
    const ready = sample(text, 'koivulahti_queue_depth', 'queue="village-render",state="ready"');
    const leased = sample(text, 'koivulahti_queue_depth', 'queue="village-render",state="leased"');
    const { requested, written } = await renderKeys(current);
    return ready === 0 && leased === 0 && written.length >= requested.length;
  }, 'the render queue to drain');
}

describe.skipIf(skip)('cluster on PostgreSQL and NATS', () => {
  it('given 2 api, 2 engines and 2 workers, when the owning engine and a worker are killed mid-run, then the run continues with no gap, duplicate or lost post', async () => {
    writer = await startPostWriter(150);
    cluster = await Cluster.open({ config: villageConfig(), environment: llmEnvironment(writer) });
    const current = cluster;
    const [api1, api2] = await current.start('api', 'api');
    const engines = await current.start('engine', 'engine');
    const workers = await current.start('worker', 'worker');
    if (!api1 || !api2) throw new Error('no api');

    // Posts flow from the workers while the first engine owns the world.
    await waitFor(
      async () => (await renderKeys(current)).written.length >= 5 && writer && writer.inFlight > 0,
      'posts and a render in flight',
    );
    const owner = await waitFor(() => leaseHolder(engines), 'a lease holder');
    const versionAtKill = await worldVersion(current);
    const [victimWorker, survivingWorker] = workers;
    if (!victimWorker || !survivingWorker) throw new Error('no workers');
    await Promise.all([current.stop(owner, 'SIGKILL'), current.stop(victimWorker, 'SIGKILL')]);

    // The standby engine takes over within the lease TTL and the world moves on.
    const standby = engines.find((engine) => engine !== owner);
    if (!standby) throw new Error('no standby');
    await waitFor(async () => (await leaseHolder([standby])) === standby, 'the standby to take the lease', 20_000);
    await waitFor(async () => (await worldVersion(current)) > versionAtKill + 80, 'the world to advance after the takeover');
    await stopVillage(api2);
    await drained(current, survivingWorker);

    // The world's log: versions 1..n with no gap or repeat, positions strictly increasing.
    const log = await current.query<{ version: number; position: string }>(
      'select version, position from events where stream_id = $1 order by version',
      [`world-${runId()}`],
    );
    expect(log.map((row) => Number(row.version))).toEqual(log.map((_, index) => index + 1));
    const positions = log.map((row) => Number(row.position));
    expect(positions.every((position, index) => index === 0 || position > (positions[index - 1] ?? 0))).toBe(true);

    // And it is exactly what one uninterrupted engine would have written: replayed from the seed, event for event.
    const database = await openDatabase({ url: current.databaseUrl });
    try {
      const report = await replayRun({
        catalog: loadCatalog(),
        persistence: { store: new EventStore(database), snapshots: new SnapshotStore(database) },
        runId: runId(),
      });
      expect(report.divergence).toBeUndefined();
      expect(report.identical).toBe(true);
      expect(report.compared).toBe(log.length);
    } finally {
      await database.destroy();
    }

    // Every render the world asked for has exactly one post, and there is no post nobody asked for.
    const { requested, written } = await renderKeys(current);
    expect(requested.length).toBeGreaterThan(5);
    expect(new Set(requested).size).toBe(requested.length);
    expect([...written].sort()).toEqual([...requested].sort());
    const dead = sample(await survivingWorker.metrics(), 'koivulahti_queue_depth', 'queue="village-render",state="dead"');
    expect(dead).toBe(0);
    // The takeover was seen: the standby logged acquiring the lease after the kill.
    expect(current.logLines().some((line) => line.process === standby.name && line.msg === 'lease acquired')).toBe(true);
  });

  it('given one worker with renders in flight, when it gets SIGTERM, then it exits cleanly and no job is lost or done twice', async () => {
    writer = await startPostWriter(400);
    cluster = await Cluster.open({ config: villageConfig(), environment: llmEnvironment(writer) });
    const current = cluster;
    const [api] = await current.start('api');
    const [engine] = await current.start('engine');
    if (!api || !engine) throw new Error('no api or engine');
    // Let the engine queue up renders with no worker running.
    await waitFor(async () => (await renderKeys(current)).requested.length >= 12, 'renders to be requested');
    await stopVillage(api);
    const [first] = await current.start('worker');
    if (!first) throw new Error('no worker');
    await waitFor(async () => (await renderKeys(current)).written.length >= 2 && writer && writer.inFlight > 0, 'renders in flight');
    const code = await current.stop(first, 'SIGTERM');
    expect(code).toBe(0);
    const firstOutput = first.output();
    expect(firstOutput).toContain('shut down cleanly');

    const [second] = await current.start('worker');
    if (!second) throw new Error('no second worker');
    await drained(current, second);
    const { requested, written } = await renderKeys(current);
    expect([...written].sort()).toEqual([...requested].sort());

    // Each job was done exactly once across both workers: one "job done" with a written post per job key, no
    // delivery found its work already done, and nothing was dead-lettered.
    const done = current.logLines().filter((line) => line.msg === 'job done' && line.queue === 'village-render');
    const writtenOutcomes = done.filter((line) => line.outcome === 'published' || line.outcome === 'rejected');
    expect(writtenOutcomes.map((line) => line.key).sort()).toEqual([...new Set(writtenOutcomes.map((line) => line.key))].sort());
    expect(writtenOutcomes).toHaveLength(requested.length);
    expect(done.filter((line) => line.outcome === 'duplicate')).toEqual([]);
    expect(writtenOutcomes.some((line) => line.process === first.name)).toBe(true);
    expect(writtenOutcomes.some((line) => line.process === second.name)).toBe(true);
    expect(sample(await second.metrics(), 'koivulahti_queue_depth', 'queue="village-render",state="dead"')).toBe(0);
  });

  it('given an api process killed while streaming a reply, then an engine closes the reply with the text streamed so far and the chat goes on', async () => {
    writer = await startOpenAITestServer();
    const chunks = Array.from({ length: 60 }, (_, index) => `sana${index} `);
    writer.setDefault((request) =>
      request.body?.stream === true
        ? { type: 'stream', chunks, chunkDelayMs: 100 }
        : // Classifier and kickoff calls: not JSON, so the chat uses its heuristics (the fallback).
          { type: 'chat', content: 'no json here' },
    );
    cluster = await Cluster.open({
      config: villageConfig('[chat]\nbackup_at = ""\ngeneration_heartbeat_ms = 300\n').replace('autostart = true', 'autostart = false'),
      environment: llmEnvironment(writer),
    });
    const current = cluster;
    const [api1, api2] = await current.start('api', 'api');
    await current.start('engine', 'worker');
    if (!api1 || !api2) throw new Error('no api');
    const json = (api: RoleProcess, path: string, body: unknown) =>
      fetch(`${api.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await json(api1, '/api/you', { name: 'Sam', pronouns: 'they/them', persona: 'nurse' })).status).toBe(200);
    const created = await json(api1, '/api/bots', {
      name: 'Aino',
      persona: 'barista',
      voice_samples: '"Hi."',
      traits: 'dry',
      kickoff_prose: 'Evening at the cafe.',
    });
    const { bot_id } = (await created.json()) as { bot_id: string };
    const { parse } = (await (await fetch(`${api1.url}/api/bots/${bot_id}/kickoff`, { method: 'POST' })).json()) as { parse: unknown };
    const { chat_id } = (await (await json(api1, '/api/chats', { bot_id, kickoff: parse })).json()) as { chat_id: string };

    const tab = await SseClient.open(`${api2.url}/stream?topics=chat-${chat_id}`);
    expect((await json(api1, `/api/chats/${chat_id}/turns`, { text: '"Tell me a long story."' })).status).toBe(202);
    await tab.waitFor((frames) => frames.filter((frame) => frame.event === 'chat-delta').length >= 8, 'deltas on api 2');
    await current.stop(api1, 'SIGKILL');
    const streamed = tab
      .events()
      .filter((frame) => frame.event === 'chat-delta')
      .map((frame) => (JSON.parse(frame.data ?? '{}') as { text: string }).text)
      .join('');

    await waitFor(async () => tab.events().some((frame) => frame.event === 'assistant_turn'), 'the engine to close the reply', 30_000);
    const closed = tab.events().find((frame) => frame.event === 'assistant_turn');
    // A durable frame's data is `{ ..., data: <the event's data> }`.
    const { data } = JSON.parse(closed?.data ?? '{}') as { data: { text: string; ended: string } };
    expect(data.ended).toBe('shutdown');
    // The kept text is what streamed up to the last heartbeat: a non-empty prefix of what the tab saw (or all of it).
    expect(data.text.length).toBeGreaterThan(0);
    expect(streamed.startsWith(data.text) || data.text.startsWith(streamed)).toBe(true);
    tab.close();

    const read = (await (await fetch(`${api2.url}/api/chats/${chat_id}`)).json()) as { streaming_turn_id: string | null };
    expect(read.streaming_turn_id).toBeNull();
    // The chat is not locked: the next turn goes through the surviving api.
    expect((await json(api2, `/api/chats/${chat_id}/turns`, { text: '"Go on."' })).status).toBe(202);
  });

  it('streams a village post and a chat turn made through one api process to an SSE client of another', async () => {
    cluster = await Cluster.open({ config: villageConfig('[chat]\nbackup_at = ""\n') });
    const current = cluster;
    const [api1, api2] = await current.start('api', 'api');
    await current.start('engine', 'worker');
    if (!api1 || !api2) throw new Error('no api');

    // Village: a post written by the worker process reaches a live page stream served by api 2.
    const village = await SseClient.open(`${api2.url}/stream?topics=villagelive`);
    await village.waitFor(
      (frames) => frames.some((frame) => frame.event?.startsWith('post-') && (frame.data ?? '').includes('class=')),
      'a live village post on api 2',
    );
    village.close();

    // Chat: authored on api 1, watched on api 2, the turn sent to api 1.
    const json = (path: string, body: unknown) =>
      fetch(`${api1.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await json('/api/you', { name: 'Sam', pronouns: 'they/them', persona: 'nurse' })).status).toBe(200);
    const created = await json('/api/bots', {
      name: 'Aino',
      persona: 'barista',
      voice_samples: '"Hi."\n---\n"Bye."',
      traits: 'dry, loyal',
      kickoff_prose: 'Evening at the cafe.',
    });
    expect(created.status).toBe(201);
    const { bot_id } = (await created.json()) as { bot_id: string };
    const { parse } = (await (await fetch(`${api1.url}/api/bots/${bot_id}/kickoff`, { method: 'POST' })).json()) as { parse: unknown };
    const chat = await json('/api/chats', { bot_id, kickoff: parse });
    expect(chat.status).toBe(201);
    const { chat_id } = (await chat.json()) as { chat_id: string };

    const tab = await SseClient.open(`${api2.url}/stream?topics=chat-${chat_id}`);
    expect((await json(`/api/chats/${chat_id}/turns`, { text: '"Tea, please."' })).status).toBe(202);
    await tab.waitFor((frames) => frames.some((frame) => frame.event === 'chat-delta'), 'token deltas on api 2');
    await tab.waitFor((frames) => frames.some((frame) => frame.event === 'assistant_turn'), 'the finished turn on api 2');
    // The post-turn passes ran in the worker process and their memory reached api 2's stream too.
    await tab.waitFor((frames) => frames.some((frame) => frame.event === 'memory_written'), 'the memory from the worker');
    tab.close();

    // The engine's outbox relay mirrored the log to JetStream, chat events included, for outside consumers.
    const connection = await connectTestNats();
    try {
      const manager = await jetstreamManager(connection);
      const subjects = await waitFor(async () => {
        const info = await manager.streams.info(outboxStreamName(current.prefix), { subjects_filter: '>' });
        const found = Object.keys(info.state.subjects ?? {});
        return found.includes(`${current.prefix}.events.chat`) ? found : undefined;
      }, 'chat events on the outbox stream');
      expect(subjects).toContain(`${current.prefix}.events.village`);
    } finally {
      await connection.close();
    }
  });
});
