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
const memory = (id: string, text: string, witnessHost = true, turnId: string | null = null): ChatEvent => ({
  type: 'memory_written',
  data: {
    chat_id: 'c1',
    memory_id: id,
    owner_id: 'b1',
    scene_id: 's1',
    turn_id: turnId,
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
      store = new EventStore(database, { inlineProjections: [chatProjection(database.adapter)] });
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
          : event.type === 'bot_authored' || event.type === 'bot_reset'
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
      await given(bot, chatCreated, ...reply('turn-m1', 'u-m1', 'Chamomile, then.'));
      await when(
        memory('m1', 'Sam ordered chamomile tea at the harbour cafe', true, 'turn-m1'),
        memory('m2', 'Sam talked about tea behind my back', false),
      );
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
      await given(bot, chatCreated, ...reply('a1', 'u1', 'one'));
      await when({ type: 'time_passed', data: { chat_id: 'c1', turn_id: 'a1', minutes: 5, from: at, to: '2026-01-01T19:05:00.000Z' } });
      expect((await read.chat('c1'))?.state.clock).toBe('2026-01-01T19:05:00.000Z');
    });

    const reply = (turnId: string, replyTo: string, text: string): ChatEvent[] => [
      { type: 'user_turn', data: { chat_id: 'c1', turn_id: replyTo, text: 'hi', segments: [{ kind: 'dialogue', text: 'hi' }], at } },
      { type: 'assistant_turn_started', data: { chat_id: 'c1', turn_id: turnId, reply_to: replyTo, ledger, retrieved: [] } },
      { type: 'assistant_turn', data: { chat_id: 'c1', turn_id: turnId, text, truncated: false, ended: 'stop', model: 'm', at } },
    ];
    /** What a post-turn pass of `turnId` derives: an edge delta, a memory and ten minutes. */
    const passes = (turnId: string, affinity: number, to: string): ChatEvent[] => [
      {
        type: 'edge_update',
        data: {
          chat_id: 'c1',
          source_id: 'b1',
          target_id: 'you',
          affinity_delta: affinity,
          trust_delta: 0,
          knowledge_facts: [`fact ${turnId}`],
          turn_id: turnId,
          at,
        },
      },
      {
        ...memory(`mem_${turnId}`, `memory of ${turnId}`),
        data: { ...(memory(`mem_${turnId}`, '').data as object), pov_summary: `memory of ${turnId}`, turn_id: turnId },
      } as ChatEvent,
      { type: 'time_passed', data: { chat_id: 'c1', turn_id: turnId, minutes: 10, from: at, to } },
    ];
    const seed: ChatEvent = {
      type: 'edge_update',
      data: {
        chat_id: 'c1',
        source_id: 'b1',
        target_id: 'you',
        affinity_delta: 0,
        trust_delta: 0,
        knowledge_facts: [],
        seed: { affinity: 50, trust: 50 },
        at,
      },
    };
    const affinity = async () => (await read.edges(['b1', 'you']))[0]?.affinity;
    const memories = async () => (await read.recentMemories('c1', 50)).map((item) => item.memory_id).sort();

    it('user_turn_edit: your turn shows the edited text and remembers the first', async () => {
      await given(bot, chatCreated, userTurn);
      await when({
        type: 'user_turn_edit',
        data: {
          chat_id: 'c1',
          turn_id: 'u1',
          text: '"Coffee?"',
          segments: [{ kind: 'dialogue', text: 'Coffee?' }],
          prior_text: userTurn.data.text as string,
          prior_segments: [],
          at,
        },
      });
      expect(await read.message('u1')).toMatchObject({
        text: '"Coffee?"',
        segments: [{ kind: 'dialogue', text: 'Coffee?' }],
        edited_from: '"Tea?" ((ooc))',
      });
    });

    it('assistant_turn_superseded: the old reply stays as a variant, what its passes derived is retracted', async () => {
      // chat v1, seed v2, turn 1 v3-5 + passes v6-8, turn 2 v9-11 + passes v12-14
      await given(bot, chatCreated, seed, ...reply('a1', 'u1', 'one'), ...passes('a1', 5, '2026-01-01T19:10:00.000Z'));
      await given(...reply('a2', 'u2', 'two'), ...passes('a2', 7, '2026-01-01T19:20:00.000Z'));
      expect(await affinity()).toBe(62);
      await when(
        { type: 'assistant_turn_superseded', data: { chat_id: 'c1', turn_id: 'a2', superseded_by: 'a3', at } },
        { type: 'assistant_turn_started', data: { chat_id: 'c1', turn_id: 'a3', reply_to: 'u2', ledger, retrieved: [] } },
      );
      expect(await read.message('a2')).toMatchObject({ superseded_by: 'a3', text: 'two' });
      expect(await read.message('a3')).toMatchObject({ status: 'streaming', reply_to: 'u2', superseded_by: null });
      expect(await affinity()).toBe(55);
      expect(await memories()).toEqual(['mem_a1']);
      expect((await read.chat('c1'))?.state).toMatchObject({ clock: '2026-01-01T19:10:00.000Z', streamingTurnId: 'a3' });
      // a late pass of the superseded reply is logged but changes nothing
      await when(...passes('a2', 9, '2026-01-01T23:00:00.000Z'));
      expect(await affinity()).toBe(55);
      expect(await memories()).toEqual(['mem_a1']);
    });

    it('chat_rewound and chat_rewind_undone: later turns stop counting (nothing deleted), then count again', async () => {
      await given(bot, chatCreated, seed, ...reply('a1', 'u1', 'one'));
      // turn 2 is sent before turn 1's passes land: rewinding to turn 1 keeps its late passes
      await given(
        ...reply('a2', 'u2', 'two'),
        ...passes('a1', 5, '2026-01-01T19:10:00.000Z'),
        ...passes('a2', 7, '2026-01-01T19:20:00.000Z'),
      );
      const version = (await read.chat('c1'))?.version ?? 0;
      expect(version).toBe(14);
      await when({
        type: 'chat_rewound',
        data: {
          chat_id: 'c1',
          to_version: 5,
          to_turn_id: 'a1',
          impact: { messages: 2, scene_transitions: 0, edge_updates: 1, memories: 1, time_passes: 1, other: 0 },
          snapshot: null,
          at,
        },
      });
      expect((await read.messages('c1')).messages.map((message) => message.turn_id)).toEqual(['u1', 'a1']);
      expect(await affinity()).toBe(55);
      expect(await memories()).toEqual(['mem_a1']);
      expect(await read.chat('c1')).toMatchObject({ version: 15, state: { clock: '2026-01-01T19:10:00.000Z', lastReplyId: 'a1' } });
      // a pass of a rewound reply landing late does not count
      await when(...passes('a2', 9, '2026-01-01T23:00:00.000Z'));
      expect(await affinity()).toBe(55);
      await when({ type: 'chat_rewind_undone', data: { chat_id: 'c1', rewind_version: 15, at } });
      expect((await read.messages('c1')).messages.map((message) => message.turn_id)).toEqual(['u1', 'a1', 'u2', 'a2']);
      expect(await affinity()).toBe(71);
      expect(await memories()).toEqual(['mem_a1', 'mem_a2']);
      expect((await store.readStream('chat-c1')).length).toBe(19);
    });

    it("bot_reset: the bot's chats go back to their kickoff, identity stays, another bot is untouched", async () => {
      const other: ChatEvent = { type: 'bot_authored', data: { ...(bot.data as object), bot_id: 'b2', name: 'Eino' } as never };
      await given(
        bot,
        other,
        chatCreated,
        container,
        scene,
        seed,
        ...reply('a1', 'u1', 'one'),
        ...passes('a1', 5, '2026-01-01T19:10:00.000Z'),
      );
      await given(
        { type: 'chat_created', data: { chat_id: 'c2', bot_id: 'b2', time: at, weather: '' } },
        { type: 'user_turn', data: { chat_id: 'c2', turn_id: 'x1', text: 'hei', segments: [], at } },
      );
      await when({ type: 'bot_reset', data: { bot_id: 'b1', chats: [{ chat_id: 'c1', keep_through_version: 4 }], at } });
      expect((await read.messages('c1')).messages).toEqual([]);
      expect(await memories()).toEqual([]);
      expect(await affinity()).toBe(50);
      expect((await read.chat('c1'))?.state).toMatchObject({ clock: at, turns: 0, activeSceneId: 's1', lastUserTurnId: null });
      expect(await read.containers('c1')).toHaveLength(1);
      expect(await read.bot('b1')).toMatchObject({ name: 'Aino', kickoff_prose: 'cafe' });
      expect((await read.messages('c2')).messages.map((message) => message.turn_id)).toEqual(['x1']);
    });

    it('manual_edit: a drawer edit sets activity, edge and memory fields (the prior value stays in the event)', async () => {
      await given(
        bot,
        chatCreated,
        container,
        seed,
        {
          type: 'activity_change',
          data: { chat_id: 'c1', entity_id: 'you', container_id: 'k1', posture: 'standing', action, attention: '', holding: [] },
        },
        memory('m1', 'Sam ordered chamomile tea'),
      );
      const edit = (target: Extract<ChatEvent, { type: 'manual_edit' }>['data']['target'], prior: unknown, value: unknown): ChatEvent =>
        ({ type: 'manual_edit', data: { chat_id: 'c1', target, prior, value, at } }) as ChatEvent;
      await when(
        edit({ kind: 'activity', entity_id: 'you', field: 'posture' }, 'standing', 'sitting'),
        edit({ kind: 'activity', entity_id: 'you', field: 'verb' }, 'reading', 'knitting'),
        edit({ kind: 'activity', entity_id: 'you', field: 'holding' }, [], ['yarn', 'needles']),
        edit({ kind: 'edge', source_id: 'b1', target_id: 'you', field: 'affinity' }, 50, 140),
        edit({ kind: 'edge', source_id: 'b1', target_id: 'you', field: 'summary' }, '', 'old friends'),
        edit({ kind: 'memory', memory_id: 'm1', field: 'pov_summary' }, 'Sam ordered chamomile tea', 'Sam ordered rooibos'),
        edit({ kind: 'memory', memory_id: 'm1', field: 'significance' }, 1, 2),
      );
      expect(await read.activity('c1')).toMatchObject([
        { posture: 'sitting', action: { ...action, verb: 'knitting' }, holding: ['yarn', 'needles'] },
      ]);
      expect(await read.edges(['b1', 'you'])).toMatchObject([{ affinity: 100, trust: 50, summary: 'old friends' }]);
      expect(await read.memory('m1')).toMatchObject({ pov_summary: 'Sam ordered rooibos', significance: 2 });
      expect((await read.searchMemories('b1', 'host', ['rooibos'])).map((item) => item.memory_id)).toEqual(['m1']);
      expect(await read.searchMemories('b1', 'host', ['chamomile'])).toEqual([]);
      const logged = (await store.readStream('chat-c1')).filter((event) => event.type === 'manual_edit');
      expect(logged[0]?.data).toMatchObject({ prior: 'standing', value: 'sitting' });
    });

    it("scene_summarized: the scene's memories get the per-POV summary, the owner's edge summary is updated", async () => {
      await given(bot, chatCreated, container, scene, seed, memory('m1', 'Sam ordered tea'), memory('m2', 'Sam paid'));
      await when({
        type: 'scene_summarized',
        data: {
          chat_id: 'c1',
          scene_id: 's1',
          owner_id: 'b1',
          summary: 'A quiet evening: Sam had tea.',
          edge_summary: 'A regular I like',
          memory_ids: ['m1'],
        },
      });
      expect((await read.memory('m1'))?.pov_summary).toBe('A quiet evening: Sam had tea.');
      expect((await read.memory('m2'))?.pov_summary).toBe('Sam paid');
      expect((await read.searchMemories('b1', 'host', ['quiet'])).map((item) => item.memory_id)).toEqual(['m1']);
      expect((await read.edges(['b1', 'you']))[0]?.summary).toBe('A regular I like');
    });

    it('a scene close derived from a reply is retracted with it (superseded)', async () => {
      await given(bot, chatCreated, container, scene, seed, ...reply('a1', 'u1', 'We drove to the park.'));
      await given(
        { type: 'scene_closed', data: { chat_id: 'c1', scene_id: 's1', ended_at: at, reason: 'moved', turn_id: 'a1' } },
        {
          type: 'container_created',
          data: {
            chat_id: 'c1',
            container_id: 'k2',
            name: 'Park',
            type: 'place',
            properties: { moving: false, public: true, audible_range: 'room' },
            turn_id: 'a1',
          },
        },
        {
          type: 'scene_opened',
          data: { chat_id: 'c1', scene_id: 's2', container_id: 'k2', started_at: at, participants: ['you', 'b1'], turn_id: 'a1' },
        },
      );
      expect((await read.chat('c1'))?.state).toMatchObject({ activeSceneId: 's2', containerId: 'k2' });
      await when({ type: 'assistant_turn_superseded', data: { chat_id: 'c1', turn_id: 'a1', superseded_by: 'a2', at } });
      expect((await read.chat('c1'))?.state).toMatchObject({ activeSceneId: 's1', containerId: 'k1' });
      expect((await read.scenes('c1')).map((item) => [item.scene_id, item.ended_at])).toEqual([['s1', null]]);
      expect((await read.containers('c1')).map((item) => item.container_id)).toEqual(['k1']);
    });

    it('covers every event kind', () => {
      expect([...chatEventTypes].filter((type) => !covered.has(type))).toEqual([]);
    });
  });
}
