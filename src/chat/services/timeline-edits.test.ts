/**
 * Issue 7 acceptance over the loopback OpenAI-protocol server (scripted model), on SQLite and PostgreSQL:
 * - Rewind: 5 turns, rewind to turn 2 -> every chat read model equals its dump after turn 2; undo restores turn 5's;
 *   the log still holds every event; a pre-rewind snapshot holds the turn-5 dump.
 * - Regenerate (with an edit): the old reply is superseded, what its passes derived is retracted, the new one applied.
 * - Reset: the bot's chat is back at its kickoff dump, identity intact, another bot's chat untouched.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OpenAITestServer, type ReplyScript, startOpenAITestServer } from '../../llm/testing/openai-test-server.js';
import { resolveTestDialects } from '../../store/testing.js';
import { heuristicKickoff } from '../domain/kickoff.js';
import { authorBarista, type ChatHarness, startChatHarness } from '../http/testing/harness.js';
import type { ChatDump } from '../read-model/queries.js';
import { preRewindSnapshotStream } from './timeline-edits.js';

/** Replies number themselves; each state pass moves affinity by its own call count, so every turn leaves a trace. */
function script(): ReplyScript {
  let replies = 0;
  let states = 0;
  return (request) => {
    if (request.body?.stream === true) {
      replies++;
      return { type: 'stream', chunks: [`*Aino nods.* `, `"Reply ${replies}."`] };
    }
    const system = String((request.body?.messages as Array<{ content: string }> | undefined)?.[0]?.content ?? '');
    if (system.includes('significant')) return { type: 'chat', content: JSON.stringify({ significance: 1, reason: 'ordinary' }) };
    if (system.includes('minutes')) return { type: 'chat', content: JSON.stringify({ minutes: 3 }) };
    if (system.includes('affinity')) {
      states++;
      return {
        type: 'chat',
        content: JSON.stringify({
          bot_to_you: { affinity_delta: states, trust_delta: -1, knowledge_facts: [`fact ${states}`] },
          you_to_bot: { affinity_delta: 1, trust_delta: 0, knowledge_facts: [] },
        }),
      };
    }
    return { type: 'chat', content: JSON.stringify(heuristicKickoff('cafe', 'regular', '2026-01-01')) };
  };
}

/** The stream bookkeeping of the chat row (its version, and the position it last moved at) is not a projection. */
function comparable(dump: ChatDump): ChatDump {
  const { version: _version, updated_position: _updated, ...chat } = dump.chat ?? {};
  return { chat, tables: dump.tables };
}

const dialects = await resolveTestDialects();

for (const dialect of dialects)
  describe.skipIf(dialect.skip)(`rewind, regenerate and reset (${dialect.name})`, () => {
    let server: OpenAITestServer;
    let harness: ChatHarness;
    let botId: string;
    let chatId: string;
    const replies: string[] = [];
    const dumps: ChatDump[] = [];

    beforeAll(async () => {
      server = await startOpenAITestServer();
      server.setDefault(script());
      harness = await startChatHarness(
        `[llm]\nprovider = "openai-compatible"\nbase_url = "${server.url}"\nmodel = "test-model"\nmax_retries = 0\ncache = "off"\n`,
        () => dialect.open(),
      );
      const app = harness.chat;
      await app.authoring.authorYou({ name: 'Sam', pronouns: 'they/them', persona: 'a night nurse' });
      botId = await authorBarista(app);
      chatId = await app.authoring.confirmKickoff(botId, heuristicKickoff('At the cafe.', 'regular', '2026-01-01T18:00:00.000Z'));
      dumps.push(await app.read.dump(chatId));
      harness.startWorker();
    });

    afterAll(async () => {
      await harness?.close();
      await server?.close();
    });

    async function passesOf(replyId: string): Promise<void> {
      const deadline = Date.now() + 10_000;
      while (!(await harness.chat.read.memory(`mem_${replyId}`))) {
        if (Date.now() > deadline) throw new Error(`no passes for ${replyId}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      // the time pass is the last event of the batch; wait for the clock to settle as well
      const events = await harness.services.store.readStream(`chat-${chatId}`);
      expect(events.some((event) => event.type === 'time_passed' && (event.data as { turn_id: string }).turn_id === replyId)).toBe(true);
    }

    async function turn(chat: string, text: string): Promise<string> {
      const { replyId } = await harness.chat.turns.submitTurn(chat, text);
      await harness.chat.generations.settled(chat);
      return replyId;
    }

    it('rewinds 5 turns to turn 2 (every read model equals its turn-2 dump), undoes it (turn 5 again); the log keeps all', async () => {
      const app = harness.chat;
      for (let index = 1; index <= 5; index++) {
        const replyId = await turn(chatId, `"Hello number ${index}." ((ooc ${index}))`);
        await passesOf(replyId);
        replies.push(replyId);
        dumps.push(await app.read.dump(chatId));
      }
      const logBefore = await harness.services.store.readStream(`chat-${chatId}`);
      expect((dumps[5]?.tables.chat_messages ?? []).length).toBe(10);
      expect(comparable(dumps[2] as ChatDump)).not.toEqual(comparable(dumps[5] as ChatDump));
      expect((dumps[2]?.tables.chat_memories ?? []).length).toBe(2);

      const preview = await app.timeline.rewindPreview(chatId, replies[1] as string);
      expect(preview.impact).toEqual({ messages: 6, scene_transitions: 0, edge_updates: 6, memories: 3, time_passes: 3, other: 3 });

      await app.timeline.rewind(chatId, replies[1] as string);
      expect(comparable(await app.read.dump(chatId))).toEqual(comparable(dumps[2] as ChatDump));
      const logAfter = await harness.services.store.readStream(`chat-${chatId}`);
      expect(logAfter.slice(0, logBefore.length)).toEqual(logBefore);
      expect(logAfter.map((event) => event.type).slice(logBefore.length)).toEqual(['chat_rewound']);
      const snapshot = await harness.services.snapshots.loadLatest<ChatDump>(preRewindSnapshotStream(chatId));
      expect(snapshot?.version).toBe(logBefore.length);
      expect(comparable(snapshot?.state as ChatDump)).toEqual(comparable(dumps[5] as ChatDump));
      // the chat accepts decisions at the stream's real version
      expect((await app.read.requireChat(chatId)).version).toBe(logAfter.length);
      expect(await app.timeline.undoable(chatId)).toMatchObject({ version: logAfter.length, toTurnId: replies[1] });

      await app.timeline.undoRewind(chatId);
      expect(comparable(await app.read.dump(chatId))).toEqual(comparable(dumps[5] as ChatDump));
      expect(await app.timeline.undoable(chatId)).toBeUndefined();
      await expect(app.timeline.undoRewind(chatId)).rejects.toThrow(/no rewind to undo/);
      const logFinal = await harness.services.store.readStream(`chat-${chatId}`);
      expect(logFinal.slice(0, logAfter.length)).toEqual(logAfter);
      expect(logFinal.at(-1)?.type).toBe('chat_rewind_undone');
    });

    it('regenerates the latest reply after an edit: the old one is a superseded variant, its effects retracted, the new applied', async () => {
      const app = harness.chat;
      const old = replies[4] as string;
      const before = dumps[4] as ChatDump;
      const { replyId, edited } = await app.timeline.regenerate(chatId, old, '"Hello number 5, edited."');
      expect(edited).toBe(true);
      await app.generations.settled(chatId);
      await passesOf(replyId);

      const read = app.read;
      const oldMessage = await read.message(old);
      expect(oldMessage).toMatchObject({ superseded_by: replyId, status: 'done', text: expect.stringContaining('Reply 5') });
      expect(await read.message(replyId)).toMatchObject({ superseded_by: null, text: expect.stringContaining('Reply 6') });
      const userTurn = (await app.read.requireChat(chatId)).state.lastUserTurnId as string;
      expect(await read.message(userTurn)).toMatchObject({ text: '"Hello number 5, edited."', edited_from: '"Hello number 5." ((ooc 5))' });
      expect(await read.memory(`mem_${old}`)).toBeUndefined();
      expect(await read.memory(`mem_${replyId}`)).toBeDefined();

      // edges and clock: the turn-4 state plus the new reply's pass only (the 6th state pass moves affinity by 6)
      const edgeBefore = before.tables.chat_edges?.find((edge) => edge.source_id === botId) as { affinity: number; trust: number };
      const edges = await read.edges(['you', botId]);
      expect(edges.find((edge) => edge.source_id === botId)).toMatchObject({
        affinity: Math.min(100, edgeBefore.affinity + 6),
        trust: edgeBefore.trust - 1,
      });
      expect(edges.find((edge) => edge.source_id === botId)?.knowledge).not.toContain('fact 5');
      expect(edges.find((edge) => edge.source_id === botId)?.knowledge).toContain('fact 6');
      const clockBefore = (before.chat?.state as { clock: string } | undefined)?.clock ?? '';
      expect((await app.read.requireChat(chatId)).state.clock).toBe(new Date(Date.parse(clockBefore) + 3 * 60_000).toISOString());
      // the prompt of the new reply had neither the old reply nor the turn twice
      const lastStream = server.requests.filter((request) => request.body?.stream === true).at(-1);
      const prompt = JSON.stringify(lastStream?.body?.messages);
      expect(prompt).not.toContain('Reply 5');
      expect(prompt).toContain('Hello number 5, edited.');
      expect(prompt.split('Hello number 5, edited.').length).toBe(2);
      const types = (await harness.services.store.readStream(`chat-${chatId}`)).map((event) => event.type);
      expect(types).toEqual(expect.arrayContaining(['user_turn_edit', 'assistant_turn_superseded']));
      // a late pass of the superseded reply is logged but not in effect
      expect(await app.passes.runPasses({ chat_id: chatId, turn_id: old, user_turn_id: userTurn })).toEqual([]);
    });

    it('a 429 or 401 from the backend ends the reply with its code; Retry (a regenerate) supersedes the failed reply', async () => {
      const app = harness.chat;
      for (const [status, code] of [
        [429, 'llm_rate_limited'],
        [401, 'llm_auth'],
        [503, 'llm_unavailable'],
      ] as const) {
        server.enqueue({ type: 'error', status });
        const failed = await turn(chatId, `"Status ${status}?"`);
        expect(await app.read.message(failed)).toMatchObject({
          ended: 'error',
          truncated: true,
          error: expect.stringMatching(new RegExp(`^${code}:`)),
        });
        const { replyId } = await app.timeline.regenerate(chatId, failed);
        await app.generations.settled(chatId);
        expect(await app.read.message(failed)).toMatchObject({ superseded_by: replyId });
        expect(await app.read.message(replyId)).toMatchObject({ ended: 'stop', truncated: false });
        await passesOf(replyId);
      }
    });

    it('a move ends the scene on a hard signal: the per-POV summary replaces its memories, a new place and scene open', async () => {
      const app = harness.chat;
      const before = (await app.read.requireChat(chatId)).state.activeSceneId;
      const reply = await turn(chatId, '*We drove to the harbour together.* "What a night."');
      await passesOf(reply);
      const deadline = Date.now() + 10_000;
      while ((await app.read.requireChat(chatId)).state.activeSceneId === before && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 10));
      const chat = await app.read.requireChat(chatId);
      const scenes = await app.read.scenes(chatId);
      expect(scenes.find((scene) => scene.scene_id === before)?.ended_at).not.toBeNull();
      expect(scenes.find((scene) => scene.scene_id === chat.state.activeSceneId)).toMatchObject({ ended_at: null });
      expect((await app.read.containers(chatId)).find((item) => item.container_id === chat.state.containerId)?.name).toBe('Harbour');
      const memories = await app.read.sceneMemories(before ?? '', botId);
      expect(memories.length).toBeGreaterThan(1);
      expect(new Set(memories.map((memory) => memory.pov_summary)).size).toBe(1);
      expect(memories[0]?.pov_summary).toMatch(/^At .*What a night/);
      expect((await app.read.edges(['you', botId])).find((edge) => edge.source_id === botId)?.summary).toContain('Last time at');
      const types = (await harness.services.store.readStream(`chat-${chatId}`)).map((event) => event.type).slice(-4);
      expect(types).toEqual(['scene_summarized', 'scene_closed', 'container_created', 'scene_opened']);
    });

    it('resets the bot after its name is typed: back to the kickoff, identity intact, another bot untouched', async () => {
      const app = harness.chat;
      const otherBot = await app.authoring.authorBot({
        name: 'Eino',
        persona: 'a fisher',
        voice_samples: [],
        traits: [],
        backstory: '',
        initial_relationship: 'neighbour',
        kickoff_prose: 'On the pier.',
      });
      const otherChat = await app.authoring.confirmKickoff(
        otherBot,
        heuristicKickoff('On the pier.', 'neighbour', '2026-01-01T06:00:00.000Z'),
      );
      const otherReply = await turn(otherChat, '"Morning, Eino."');
      const deadline = Date.now() + 10_000;
      while (!(await app.read.memory(`mem_${otherReply}`)) && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 10));
      await new Promise((resolve) => setTimeout(resolve, 50));
      const otherBefore = await app.read.dump(otherChat);
      const identity = await app.read.bot(botId);

      await expect(app.timeline.resetBot(botId, 'Aimo')).rejects.toThrow(/type the bot's name/);
      expect(await app.timeline.resetBot(botId, 'Aino')).toEqual({ chats: 1 });

      expect(comparable(await app.read.dump(chatId))).toEqual(comparable(dumps[0] as ChatDump));
      expect(await app.read.bot(botId)).toEqual(identity);
      expect(await app.read.pinned(botId)).toEqual([]);
      expect(await app.read.dump(otherChat)).toEqual(otherBefore);
      const botLog = await harness.services.store.readStream(`bot-${botId}`);
      expect(botLog.map((event) => event.type)).toEqual(['bot_authored', 'bot_reset']);
      // the chat sits ready at its kickoff: the next turn plays
      const next = await turn(chatId, '"Hi again."');
      expect(await app.read.message(next)).toMatchObject({ status: 'done' });
    });
  });
