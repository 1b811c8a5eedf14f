/** Given / when / then for every chat event kind's projection, on SQLite and (when reachable) PostgreSQL. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StoreDatabase } from '../../store/database.js';
import { EventStore } from '../../store/event-store.js';
import { runMigrations, storeMigrations } from '../../store/index.js';
import { resolveTestDialects } from '../../store/testing.js';
import { type ChatEvent, chatEventTypes } from '../domain/events.js';
import { chatMigrations } from './migrations.js';
import { chatProjection } from './projection.js';
import { ChatReadModel } from './queries.js';

const dialects = await resolveTestDialects();

const at = '2026-01-01T19:00:00.000Z';
const action = { verb: 'reading', interruptible: true, required_attention: 'low' as const, expected_duration: 'an hour' };
const ledger = { budget: { hard: 8000, soft: 6000 }, total: 42, tiers: { must: 40, should: 2, nice: 0 }, entries: [] };

const bot: ChatEvent = {
  type: 'bot_authored',
  data: {
    bot_id: 'b1',
    name: 'Aino',
    persona: 'barista',
    voice_samples: ['"Hi."'],
    traits: ['dry'],
    backstory: '',
    initial_relationship: 'regular',
    kickoff_prose: 'cafe',
  },
};
const chatCreated: ChatEvent = { type: 'chat_created', data: { chat_id: 'c1', bot_id: 'b1', time: at, weather: 'snow' } };
const container: ChatEvent = {
  type: 'container_created',
  data: {
    chat_id: 'c1',
    container_id: 'k1',
    name: 'Cafe',
    type: 'venue',
    properties: { moving: false, public: true, audible_range: 'room' },
  },
};
const scene: ChatEvent = {
  type: 'scene_opened',
  data: { chat_id: 'c1', scene_id: 's1', container_id: 'k1', started_at: at, participants: ['you', 'b1'] },
};
const userTurn: ChatEvent = {
  type: 'user_turn',
  data: {
    chat_id: 'c1',
    turn_id: 'u1',
    text: '"Tea?" ((ooc))',
    segments: [
      { kind: 'dialogue', text: 'Tea?' },
      { kind: 'ooc', text: 'ooc' },
    ],
    at,
  },
};
const started: ChatEvent = {
  type: 'assistant_turn_started',
  data: { chat_id: 'c1', turn_id: 'a1', reply_to: 'u1', ledger, retrieved: [] },
};
const memory = (id: string, text: string, witnessHost = true): ChatEvent => ({
  type: 'memory_written',
  data: {
    chat_id: 'c1',
    memory_id: id,
    owner_id: 'b1',
    scene_id: 's1',
    turn_id: `turn-${id}`,
    pov_summary: text,
    witness: { you: true, host: witnessHost, guest: false },
    chat_clock_at: at,
    significance: 1,
    source: 'direct',
  },
});

const covered = new Set<string>();

for (const dialect of dialects) {
  describe.skipIf(dialect.skip)(`chat projections (${dialect.name})`, () => {
    let database: StoreDatabase;
    let store: EventStore;
    let read: ChatReadModel;
    let stream = 0;

    beforeEach(async () => {
      database = await dialect.open();
      await runMigrations(database, [...storeMigrations, ...chatMigrations]);
      store = new EventStore(database, { inlineProjections: [chatProjection(database.dialect)] });
      read = new ChatReadModel(database);
    });

    afterEach(async () => {
      await store.close();
      await database.destroy();
    });

    /** Appends each event on its stream: you-local, bot-<id> or chat-<id>. */
    async function given(...events: ChatEvent[]): Promise<void> {
      for (const event of events) {
        covered.add(event.type);
        const data = event.data as { chat_id?: string; bot_id?: string };
        const streamId = data.chat_id
          ? `chat-${data.chat_id}`
          : event.type === 'bot_authored'
            ? `bot-${data.bot_id}`
            : `you-local-${stream++}`;
        await store.append(streamId, 'any', [event]);
      }
    }
    const when = given;

    it('you_authored: the you-entity is stored, and re-authoring replaces it', async () => {
      await given({ type: 'you_authored', data: { name: 'Sam', pronouns: 'they', persona: 'nurse' } });
      await when({ type: 'you_authored', data: { name: 'Sami', pronouns: 'he', persona: 'doctor' } });
      expect(await read.you()).toEqual({ name: 'Sami', pronouns: 'he', persona: 'doctor' });
    });

    it('bot_authored: the bot is listed with its voice samples and traits', async () => {
      await when(bot);
      expect(await read.bots()).toMatchObject([{ bot_id: 'b1', name: 'Aino', voice_samples: ['"Hi."'], traits: ['dry'] }]);
    });

    it('chat_created: the chat exists with its clock and version', async () => {
      await given(bot);
      await when(chatCreated);
      const chat = await read.chat('c1');
      expect(chat).toMatchObject({ bot_id: 'b1', version: 1, state: { status: 'active', clock: at, weather: 'snow' } });
      expect((await read.chats()).map((item) => item.bot_name)).toEqual(['Aino']);
    });

    it('container_created: the place is stored', async () => {
      await given(bot, chatCreated);
      await when(container);
      expect(await read.containers('c1')).toEqual([
        { container_id: 'k1', name: 'Cafe', type: 'venue', properties: { moving: false, public: true, audible_range: 'room' } },
      ]);
      expect((await read.chat('c1'))?.state.containerId).toBe('k1');
    });

    it('activity_change: the latest activity per entity wins', async () => {
      await given(bot, chatCreated, container, {
        type: 'activity_change',
        data: { chat_id: 'c1', entity_id: 'you', container_id: 'k1', posture: 'standing', action, attention: '', holding: [] },
      });
      await when({
        type: 'activity_change',
        data: { chat_id: 'c1', entity_id: 'you', container_id: 'k1', posture: 'sitting', action, attention: 'Aino', holding: ['cup'] },
      });
      expect(await read.activity('c1')).toEqual([
        { entity_id: 'you', container_id: 'k1', posture: 'sitting', action, attention: 'Aino', holding: ['cup'] },
      ]);
    });

    it('scene_opened and scene_closed: the scene opens, then ends', async () => {
      await given(bot, chatCreated, container);
      await when(scene);
      expect((await read.chat('c1'))?.state.activeSceneId).toBe('s1');
      await when({ type: 'scene_closed', data: { chat_id: 'c1', scene_id: 's1', ended_at: at, reason: 'manual' } });
      expect((await read.scenes('c1'))[0]).toMatchObject({ scene_id: 's1', ended_at: at, participants: ['you', 'b1'] });
      expect((await read.chat('c1'))?.state.activeSceneId).toBeNull();
    });

    it('edge_update: a seed sets values, deltas move them clamped to 0..100, facts accumulate', async () => {
      await given(bot, chatCreated, {
        type: 'edge_update',
        data: {
          chat_id: 'c1',
          source_id: 'b1',
          target_id: 'you',
          affinity_delta: 0,
          trust_delta: 0,
          knowledge_facts: ['tea'],
          summary: 'regular',
          seed: { affinity: 95, trust: 3 },
          at,
        },
      });
      await when({
        type: 'edge_update',
        data: {
          chat_id: 'c1',
          source_id: 'b1',
          target_id: 'you',
          affinity_delta: 10,
          trust_delta: -10,
          knowledge_facts: ['tea', 'cats'],
          at,
        },
      });
      expect(await read.edges(['b1', 'you'])).toEqual([
        { source_id: 'b1', target_id: 'you', affinity: 100, trust: 0, summary: 'regular', knowledge: ['tea', 'cats'] },
      ]);
    });

    it('memory_written: the memory is stored and found by full text, filtered by witness', async () => {
      await given(bot, chatCreated);
      await when(memory('m1', 'Sam ordered chamomile tea at the harbour cafe'), memory('m2', 'Sam talked about tea behind my back', false));
      const found = await read.searchMemories('b1', 'host', ['chamomile', 'tea']);
      expect(found.map((item) => item.memory_id)).toEqual(['m1']);
      expect(found[0]?.text).toBeGreaterThan(0);
      expect((await read.searchMemories('b1', 'you', ['tea'])).map((item) => item.memory_id).sort()).toEqual(['m1', 'm2']);
      expect((await read.recentMemories('c1')).map((item) => item.memory_id)).toEqual(['m2', 'm1']);
      expect(await read.hasMemoryForTurn('turn-m1')).toBe(true);
    });

    it('memory_significance_scored: the significance changes', async () => {
      await given(bot, chatCreated, memory('m1', 'a kiss'));
      await when({ type: 'memory_significance_scored', data: { chat_id: 'c1', memory_id: 'm1', significance: 3 } });
      expect((await read.memory('m1'))?.significance).toBe(3);
    });

    it('memory_pin_changed: pins and unpins, remembering auto pins', async () => {
      await given(bot, chatCreated, memory('m1', 'a kiss'));
      await when({
        type: 'memory_pin_changed',
        data: { chat_id: 'c1', memory_id: 'm1', owner_id: 'b1', pinned: true, auto: true, reason: 'significance 3' },
      });
      expect(await read.pinned('b1')).toMatchObject([{ memory_id: 'm1', pinned: true, auto_pinned: true }]);
      await when({
        type: 'memory_pin_changed',
        data: { chat_id: 'c1', memory_id: 'm1', owner_id: 'b1', pinned: false, auto: true, reason: 'evicted' },
      });
      expect(await read.pinned('b1')).toEqual([]);
    });

    it('user_turn: the message is stored with its segments', async () => {
      await given(bot, chatCreated);
      await when(userTurn);
      const { messages } = await read.messages('c1');
      expect(messages).toMatchObject([{ turn_id: 'u1', role: 'user', status: 'done', segments: [{ kind: 'dialogue' }, { kind: 'ooc' }] }]);
      expect((await read.chat('c1'))?.state.lastUserTurnId).toBe('u1');
    });

    it('assistant_turn_started: a streaming message appears, send locks, the ledger is kept', async () => {
      await given(bot, chatCreated, userTurn);
      await when(started);
      const chat = await read.chat('c1');
      expect(chat?.state.streamingTurnId).toBe('a1');
      expect(chat?.last_ledger).toEqual(ledger);
      expect((await read.message('a1'))?.status).toBe('streaming');
    });

    it('assistant_turn: the reply is stored (truncated when stopped), send unlocks, the chat list shows it', async () => {
      await given(bot, chatCreated, userTurn, started);
      await when({
        type: 'assistant_turn',
        data: { chat_id: 'c1', turn_id: 'a1', text: '*nods* "Sure."', truncated: true, ended: 'stopped', model: 'm', at },
      });
      expect(await read.message('a1')).toMatchObject({ status: 'done', text: '*nods* "Sure."', truncated: true, ended: 'stopped' });
      const chat = await read.chat('c1');
      expect(chat?.state.streamingTurnId).toBeNull();
      expect(chat?.last_snippet).toBe('*nods* "Sure."');
    });

    it('time_passed: the chat clock moves', async () => {
      await given(bot, chatCreated);
      await when({ type: 'time_passed', data: { chat_id: 'c1', turn_id: 'a1', minutes: 5, from: at, to: '2026-01-01T19:05:00.000Z' } });
      expect((await read.chat('c1'))?.state.clock).toBe('2026-01-01T19:05:00.000Z');
    });

    it('covers every event kind', () => {
      expect([...chatEventTypes].filter((type) => !covered.has(type))).toEqual([]);
    });
  });
}
