import { afterEach, describe, expect, it } from 'vitest';
import { createTestApp, listenOnLoopback, SseClient, type SseFrame, type TestApp, waitUntil } from '../testing.js';
import { liveTopic } from './frames.js';
import { maxTopics } from './sse-hub.js';

interface StreamedData {
  position: number;
  streamId: string;
  version: number;
  type: string;
  data: unknown;
}

const parse = (frame: SseFrame) => JSON.parse(frame.data ?? 'null') as StreamedData;
const durable = (client: SseClient) => client.events().filter((frame) => frame.id !== undefined);

describe('SSE hub: GET /stream', () => {
  let harness: TestApp;
  const clients: SseClient[] = [];

  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    await harness?.close();
  });

  async function start(overrides: Record<string, string> = {}): Promise<string> {
    harness = await createTestApp({ overrides });
    return listenOnLoopback(harness.app);
  }

  async function connect(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
    const client = await SseClient.open(url, headers);
    clients.push(client);
    return client;
  }

  it('streams appended events with their positions as ids, in order, after retry', async () => {
    const base = await start();
    const client = await connect(`${base}/stream?topics=chat`);
    expect(client.response.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(client.response.headers['cache-control']).toBe('no-cache, no-transform');
    expect(client.frames[0]).toEqual({ retry: 3000 });
    const { events } = await harness.context.store.append('chat-1', 'no-stream', [
      { type: 'chat_created', data: { title: 'Saunailta' } },
      { type: 'user_turn', data: { text: 'Hei' } },
      { type: 'assistant_turn', data: { text: 'Moi' } },
    ]);
    await client.waitFor(() => durable(client).length === 3, 'three events');
    const frames = durable(client);
    expect(frames.map((frame) => frame.id)).toEqual(events.map((event) => String(event.position)));
    expect(frames.map((frame) => frame.event)).toEqual(['chat_created', 'user_turn', 'assistant_turn']);
    expect(parse(frames[1] as SseFrame)).toEqual({
      position: events[1]?.position,
      streamId: 'chat-1',
      version: 2,
      type: 'user_turn',
      data: { text: 'Hei' },
    });
    expect(client.frames.filter((frame) => frame.retry !== undefined)).toHaveLength(1);
  });

  it('starts at the head: events written before the connection are not replayed', async () => {
    const base = await start();
    await harness.context.store.append('chat-1', 'no-stream', [{ type: 'old', data: {} }]);
    const client = await connect(`${base}/stream?topics=chat`);
    await harness.context.store.append('chat-1', 1, [{ type: 'new', data: {} }]);
    await client.waitFor(() => durable(client).length === 1, 'the new event');
    expect(durable(client).map((frame) => frame.event)).toEqual(['new']);
  });

  it('delivers only the subscribed topics: a world event does not reach a chat subscriber', async () => {
    const base = await start();
    const chat = await connect(`${base}/stream?topics=chat`);
    const exact = await connect(`${base}/stream?topics=world-koivulahti`);
    await harness.context.store.append('world-koivulahti', 'any', [{ type: 'day_started', data: { day: 1 } }]);
    await harness.context.store.append('world-elsewhere', 'any', [{ type: 'day_started', data: { day: 1 } }]);
    await harness.context.store.append('chat-7', 'any', [{ type: 'chat_created', data: {} }]);
    await chat.waitFor(() => durable(chat).length >= 1, 'the chat event');
    await harness.context.store.append('world-koivulahti', 'any', [{ type: 'day_ended', data: { day: 1 } }]);
    await exact.waitFor(() => durable(exact).length >= 2, 'both world-koivulahti events');
    // Events arrive in position order, so anything filtered wrongly would have arrived before these.
    expect(durable(chat).map((frame) => parse(frame).streamId)).toEqual(['chat-7']);
    expect(durable(exact).map((frame) => [parse(frame).streamId, frame.event])).toEqual([
      ['world-koivulahti', 'day_started'],
      ['world-koivulahti', 'day_ended'],
    ]);
  });

  it('resumes after Last-Event-ID on reconnect, missing nothing and repeating nothing', async () => {
    const base = await start();
    const store = harness.context.store;
    const first = await connect(`${base}/stream?topics=chat-1`);
    await store.append('chat-1', 'no-stream', [
      { type: 'one', data: {} },
      { type: 'two', data: {} },
    ]);
    await first.waitFor(() => durable(first).length === 2, 'the first two events');
    const lastId = durable(first).at(-1)?.id as string;
    first.close();
    await waitUntil(() => harness.app.sse.connections().length === 0, 'the first stream to close');
    await store.append('chat-1', 2, [
      { type: 'three', data: {} },
      { type: 'four', data: {} },
    ]);
    const second = await connect(`${base}/stream?topics=chat-1&lastEventId=0`, { 'last-event-id': lastId });
    await second.waitFor(() => durable(second).length >= 2, 'the missed events');
    await store.append('chat-1', 4, [{ type: 'five', data: {} }]);
    await second.waitFor(() => durable(second).length >= 3, 'the live event');
    expect(durable(second).map((frame) => frame.event)).toEqual(['three', 'four', 'five']);
  });

  it('replays history from ?lastEventId= on the first connect', async () => {
    const base = await start();
    await harness.context.store.append('chat-1', 'no-stream', [
      { type: 'one', data: {} },
      { type: 'two', data: {} },
    ]);
    const client = await connect(`${base}/stream?topics=chat&lastEventId=0`);
    await client.waitFor(() => durable(client).length === 2, 'the history');
    expect(durable(client).map((frame) => frame.id)).toEqual(['1', '2']);
  });

  it('forwards an ephemeral bus message without an id', async () => {
    const base = await start();
    const client = await connect(`${base}/stream?topics=chat-42,world`);
    await harness.context.bus.publish(liveTopic('chat-42'), { event: 'token', data: { delta: 'Hei' } });
    await harness.context.bus.publish(liveTopic('chat-41'), { event: 'token', data: { delta: 'not mine' } });
    await harness.context.bus.publish(liveTopic('world'), { data: '<p>Päivä 2</p>' });
    await client.waitFor(() => client.events().length === 2, 'two live messages');
    expect(client.events()).toEqual([
      { event: 'token', data: '{"delta":"Hei"}' },
      { event: 'message', data: '<p>Päivä 2</p>' },
    ]);
  });

  it('sends heartbeat comments every sse.heartbeat_ms', async () => {
    const base = await start({ 'sse.heartbeat_ms': '1000' });
    const client = await connect(`${base}/stream?topics=chat`);
    await client.waitFor((frames) => frames.some((frame) => frame.comment === 'heartbeat'), 'a heartbeat');
    expect(client.events()).toEqual([]);
  });

  it('lets go of the store and the bus when the client disconnects', async () => {
    const base = await start();
    const client = await connect(`${base}/stream?topics=chat,world,tips`);
    expect(harness.context.bus.subscriptionCount).toBe(3);
    expect(harness.app.sse.connections()).toHaveLength(1);
    client.close();
    await waitUntil(() => harness.app.sse.connections().length === 0, 'the hub to drop the connection');
    expect(harness.context.bus.subscriptionCount).toBe(0);
  });

  it('ends open streams when the app closes, so close does not hang', async () => {
    const base = await start();
    const client = await connect(`${base}/stream?topics=chat`);
    await harness.app.close();
    await client.waitFor(() => client.ended, 'the stream to end');
    expect(harness.context.bus.subscriptionCount).toBe(0);
  });

  it('does not let a client that stops reading hold up another one', async () => {
    const base = await start({ 'sse.max_buffered_events': '10' });
    const store = harness.context.store;
    const slow = await connect(`${base}/stream?topics=chat`);
    const fast = await connect(`${base}/stream?topics=chat`);
    slow.pause();
    // Enough bytes to fill the slow client's socket buffers on both sides of the loopback connection.
    const payload = 'x'.repeat(64 * 1024);
    const total = 400;
    for (let batch = 0; batch < total / 50; batch++) {
      await store.append(
        'chat-1',
        'any',
        Array.from({ length: 50 }, (_, index) => ({ type: 'big', data: { index: batch * 50 + index, payload } })),
      );
    }
    await fast.waitFor(() => durable(fast).length === total, 'the fast client to get every event');
    expect(durable(fast).map((frame) => parse(frame).data)).toEqual(
      Array.from({ length: total }, (_, index) => expect.objectContaining({ index })),
    );
    const slowInfo = () => harness.app.sse.connections().find((connection) => connection.id === 1);
    await waitUntil(() => slowInfo()?.waitingForDrain === true, 'the slow client to be backpressured');
    expect(slowInfo()?.lastPosition).toBeLessThan(total);

    // Live messages for the stalled client queue up to sse.max_buffered_events; the oldest are dropped.
    for (let index = 0; index < 15; index++) await harness.context.bus.publish(liveTopic('chat'), { event: 'tick', data: index });
    expect(slowInfo()).toMatchObject({ queuedLive: 10, droppedLive: 5 });
    await fast.waitFor(() => fast.events().filter((frame) => frame.event === 'tick').length === 15, 'every tick on the fast client');

    slow.resume();
    await slow.waitFor(() => durable(slow).length === total, 'the slow client to catch up');
    await slow.waitFor(() => slow.events().filter((frame) => frame.event === 'tick').length === 10, 'the kept ticks');
    expect(
      slow
        .events()
        .filter((frame) => frame.event === 'tick')
        .map((frame) => Number(frame.data)),
    ).toEqual([5, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
  });

  it.each([
    ['', 'query.topics.0'],
    ['chat,,world', 'query.topics.1'],
    ['chat%20room', 'query.topics.0'],
    ['live.chat', 'query.topics.0'],
    [Array.from({ length: maxTopics + 1 }, (_, index) => `t${index}`).join(','), 'query.topics'],
  ])('refuses topics=%j with 400 naming %s', async (topics, field) => {
    harness = await createTestApp();
    const response = await harness.app.inject({ method: 'GET', url: `/stream?topics=${topics}` });
    expect(response.statusCode).toBe(400);
    expect(response.json().code).toBe('validation_failed');
    expect(response.json().errors.map((error: { field: string }) => error.field)).toContain(field);
  });

  it('has no HEAD route, which would hold a socket open', async () => {
    harness = await createTestApp();
    const response = await harness.app.inject({ method: 'HEAD', url: '/stream?topics=chat' });
    expect(response.statusCode).toBe(404);
  });

  it('refuses a missing topics parameter and a malformed Last-Event-ID', async () => {
    harness = await createTestApp();
    const missing = await harness.app.inject({ method: 'GET', url: '/stream' });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().errors[0].field).toBe('query.topics');
    const badId = await harness.app.inject({ method: 'GET', url: '/stream?topics=chat', headers: { 'last-event-id': 'abc' } });
    expect(badId.statusCode).toBe(400);
    expect(badId.json().errors[0].field).toBe('headers.last-event-id');
  });
});
