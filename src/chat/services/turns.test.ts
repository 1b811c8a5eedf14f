/**
 * A turn against the loopback OpenAI-protocol server: token deltas reach every SSE subscriber in the same order,
 * the reply is stored, the post-turn passes run from the job queue; a subscriber that drops mid-stream does not stop
 * generation and catches up with Last-Event-ID; Stop aborts upstream and keeps the partial reply.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type OpenAITestServer,
  type ReplyScript,
  type ScriptedReply,
  startOpenAITestServer,
} from '../../llm/testing/openai-test-server.js';
import { resolveTestDialects } from '../../store/testing.js';
import { SseClient, waitUntil } from '../../web/testing.js';
import { heuristicKickoff } from '../domain/kickoff.js';
import { authorBarista, type ChatHarness, startChatHarness } from '../http/testing/harness.js';

const chunks = ['*Aino ', 'sets down ', 'the cup.* ', '"You came ', 'back, Sam. ', 'I kept ', 'your tea ', 'warm."'];

/** Streams get the scripted reply; the three classifier passes get JSON by what they ask. */
function script(stream: () => ScriptedReply): ReplyScript {
  return (request) => {
    if (request.body?.stream === true) return stream();
    const system = String((request.body?.messages as Array<{ content: string }> | undefined)?.[0]?.content ?? '');
    const content = system.includes('significant')
      ? { significance: 3, reason: 'a promise' }
      : system.includes('minutes')
        ? { minutes: 7 }
        : system.includes('affinity')
          ? {
              bot_to_you: { affinity_delta: 4, trust_delta: 2, knowledge_facts: ['Sam came back'] },
              you_to_bot: { affinity_delta: 1, trust_delta: 1, knowledge_facts: [] },
            }
          : heuristicKickoff('cafe', 'regular', '2026-01-01');
    return { type: 'chat', content: JSON.stringify(content) };
  };
}

const deltas = (client: SseClient) =>
  client
    .events()
    .filter((frame) => frame.event === 'chat-delta')
    .map((frame) => JSON.parse(frame.data ?? '{}') as { seq: number; text: string });

const dialects = await resolveTestDialects();

for (const dialect of dialects)
  describe.skipIf(dialect.skip)(`chat turns over the loopback OpenAI server (${dialect.name})`, () => {
    let server: OpenAITestServer;
    let harness: ChatHarness;
    let chatId: string;
    let nextStream: () => ScriptedReply = () => ({ type: 'stream', chunks, chunkDelayMs: 15 });

    beforeAll(async () => {
      server = await startOpenAITestServer();
      server.setDefault(script(() => nextStream()));
      harness = await startChatHarness(
        `[llm]\nprovider = "openai-compatible"\nbase_url = "${server.url}"\nmodel = "test-model"\nmax_retries = 0\ncache = "off"\n`,
        () => dialect.open(),
      );
      const app = harness.chat;
      await app.authoring.authorYou({ name: 'Sam', pronouns: 'they/them', persona: 'a night nurse' });
      const botId = await authorBarista(app);
      const { parse } = await app.authoring.parseKickoff(botId);
      chatId = await app.authoring.confirmKickoff(botId, parse);
      harness.startWorker();
    });

    afterAll(async () => {
      await harness?.close();
      await server?.close();
    });

    async function post(text: string): Promise<{ turn_id: string; reply_id: string }> {
      const response = await fetch(`${harness.url}/api/chats/${chatId}/turns`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ text }),
      });
      expect(response.status).toBe(202);
      return (await response.json()) as { turn_id: string; reply_id: string };
    }

    async function types(): Promise<string[]> {
      return (await harness.services.store.readStream(`chat-${chatId}`)).map((event) => event.type);
    }

    it('streams the same deltas in the same order to two subscribers, stores the reply and runs the passes', async () => {
      const stream = `${harness.url}/stream?topics=chat-${chatId}`;
      const [first, second] = await Promise.all([SseClient.open(stream), SseClient.open(stream)]);
      const { reply_id } = await post('*sits down* "Hi, Aino." ((be nice))');
      for (const client of [first, second])
        await client.waitFor((frames) => frames.some((frame) => frame.event === 'assistant_turn'), 'the final turn');
      expect(deltas(first)).toEqual(deltas(second));
      expect(deltas(first).map((delta) => delta.seq)).toEqual(chunks.map((_, index) => index + 1));
      expect(
        deltas(first)
          .map((delta) => delta.text)
          .join(''),
      ).toBe(chunks.join(''));
      const final = first.events().find((frame) => frame.event === 'assistant_turn');
      expect(JSON.parse(final?.data ?? '{}').data).toMatchObject({ turn_id: reply_id, text: chunks.join(''), truncated: false });
      // OOC never reached the model
      const streamed = server.requests.find((request) => request.body?.stream === true);
      expect(JSON.stringify(streamed?.body?.messages)).not.toContain('be nice');

      const deadline = Date.now() + 10_000;
      while (!(await types()).includes('memory_written') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      const log = await types();
      expect(log).toEqual(
        expect.arrayContaining(['user_turn', 'assistant_turn_started', 'assistant_turn', 'edge_update', 'memory_written', 'time_passed']),
      );
      expect(log.indexOf('user_turn')).toBeLessThan(log.indexOf('assistant_turn_started'));
      expect(log.indexOf('assistant_turn_started')).toBeLessThan(log.indexOf('assistant_turn'));
      const memory = await harness.chat.read.memory(`mem_${reply_id}`);
      expect(memory).toMatchObject({ significance: 3, pinned: true, auto_pinned: true });
      const edges = await harness.chat.read.edges(['you', (await harness.chat.read.requireChat(chatId)).bot_id]);
      expect(edges.find((edge) => edge.target_id === 'you')).toMatchObject({ affinity: 54, trust: 52 });
      expect((await harness.chat.read.requireChat(chatId)).state.clock).toMatch(/T\d\d:07:00/);
      first.close();
      second.close();
    });

    it('keeps generating when a subscriber drops mid-stream; Last-Event-ID delivers what it missed', async () => {
      nextStream = () => ({ type: 'stream', chunks, chunkDelayMs: 40 });
      const stream = `${harness.url}/stream?topics=chat-${chatId}`;
      const dropper = await SseClient.open(stream);
      const { reply_id } = await post('"Still there?"');
      await dropper.waitFor(
        (frames) =>
          frames.some((frame) => frame.event === 'chat-delta') && frames.some((frame) => frame.event === 'assistant_turn_started'),
        'the reply start and a first delta',
      );
      dropper.close();
      const lastId = [...dropper.frames].reverse().find((frame) => frame.id !== undefined)?.id;
      expect(lastId).toBeDefined();
      await harness.chat.generations.settled(chatId);
      const stored = await harness.chat.read.message(reply_id);
      expect(stored).toMatchObject({ status: 'done', text: chunks.join(''), truncated: false });

      const again = await SseClient.open(stream, { 'last-event-id': String(lastId) });
      await again.waitFor((frames) => frames.some((frame) => frame.event === 'assistant_turn'), 'the missed final turn');
      const missed = again.events().filter((frame) => frame.id !== undefined);
      expect(missed.every((frame) => Number(frame.id) > Number(lastId))).toBe(true);
      expect(missed.some((frame) => frame.event === 'user_turn')).toBe(false);
      expect(JSON.parse(missed.find((frame) => frame.event === 'assistant_turn')?.data ?? '{}').data.text).toBe(chunks.join(''));
      again.close();
    });

    it('Stop aborts the upstream request and stores the partial reply as truncated; send is locked meanwhile', async () => {
      nextStream = () => ({ type: 'stream', chunks, hangAfter: 3 });
      const before = server.requestCount;
      const { reply_id } = await post('"Tell me a long story."');
      await waitUntil(() => (harness.chat.generations.partial(chatId)?.seq ?? 0) >= 3, 'three deltas');
      const locked = await fetch(`${harness.url}/api/chats/${chatId}/turns`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ text: 'again' }),
      });
      expect(locked.status).toBe(409);
      const stop = await fetch(`${harness.url}/api/chats/${chatId}/stop`, { method: 'POST' });
      expect(await stop.json()).toEqual({ stopped: true });
      const streamRequest = server.requests.slice(before).find((request) => request.body?.stream === true);
      await server.waitForClose(streamRequest?.index ?? -1, 5_000);
      expect(await harness.chat.read.message(reply_id)).toMatchObject({
        text: chunks.slice(0, 3).join(''),
        truncated: true,
        ended: 'stopped',
      });
      expect((await harness.chat.read.requireChat(chatId)).state.streamingTurnId).toBeNull();
    });
  });
