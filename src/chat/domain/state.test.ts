import { describe, expect, it } from 'vitest';
import type { ChatEvent, PromptLedger } from './events.js';
import { ChatRuleError, type ChatState, decide, evolve, initialChatState, type KickoffConfirmed } from './state.js';

const ledger: PromptLedger = { budget: { hard: 8000, soft: 6000 }, total: 10, tiers: { must: 10, should: 0, nice: 0 }, entries: [] };
const activity = {
  posture: 'sitting',
  action: { verb: 'reading', interruptible: true, required_attention: 'low' as const, expected_duration: 'an hour' },
  attention: '',
  holding: [],
};
const kickoff: KickoffConfirmed = {
  chatId: 'c1',
  botId: 'b1',
  time: '2026-01-01T19:00:00.000Z',
  weather: 'snow',
  containerId: 'k1',
  container: { name: 'Cafe', type: 'venue', properties: { moving: false, public: true, audible_range: 'room' } },
  sceneId: 's1',
  you: activity,
  bot: activity,
  edgeSummary: 'old friends',
  edgeKnowledge: ['likes tea'],
  edgeSeed: { affinity: 60, trust: 55 },
};

const fold = (events: ChatEvent[], state: ChatState = initialChatState()) => events.reduce(evolve, state);

describe('chat decide / evolve', () => {
  it('given nothing, when the kickoff is confirmed, then the chat, place, activities, scene and seed edges are created', () => {
    const events = decide({ type: 'confirm_kickoff', kickoff }, initialChatState());
    expect(events.map((event) => event.type)).toEqual([
      'chat_created',
      'container_created',
      'activity_change',
      'activity_change',
      'scene_opened',
      'edge_update',
      'edge_update',
    ]);
    const state = fold(events);
    expect(state).toMatchObject({ status: 'active', clock: kickoff.time, activeSceneId: 's1', containerId: 'k1', streamingTurnId: null });
    expect(() => decide({ type: 'confirm_kickoff', kickoff }, state)).toThrow(ChatRuleError);
  });

  it('given a chat, when a turn is submitted, then a user turn and the reply start are recorded and send locks', () => {
    const state = fold(decide({ type: 'confirm_kickoff', kickoff }, initialChatState()));
    const submit = {
      type: 'submit_turn' as const,
      chatId: 'c1',
      userTurnId: 'u1',
      assistantTurnId: 'a1',
      text: 'hi',
      segments: [],
      ledger,
      retrieved: [],
    };
    const events = decide(submit, state);
    expect(events.map((event) => event.type)).toEqual(['user_turn', 'assistant_turn_started']);
    const streaming = fold(events, state);
    expect(streaming.streamingTurnId).toBe('a1');
    expect(() => decide({ ...submit, userTurnId: 'u2', assistantTurnId: 'a2' }, streaming)).toThrow(/still streaming/);
    const finished = decide(
      { type: 'finish_reply', chatId: 'c1', turnId: 'a1', text: 'part', ended: 'stopped', model: 'm', at: 'x' },
      streaming,
    );
    expect(finished[0]).toMatchObject({ type: 'assistant_turn', data: { truncated: true, ended: 'stopped', text: 'part' } });
    expect(fold(finished, streaming)).toMatchObject({ streamingTurnId: null, turns: 2 });
  });

  it('refuses empty turns and turns in chats that do not exist', () => {
    const state = fold(decide({ type: 'confirm_kickoff', kickoff }, initialChatState()));
    const submit = {
      type: 'submit_turn' as const,
      chatId: 'c1',
      userTurnId: 'u1',
      assistantTurnId: 'a1',
      text: '  ',
      segments: [],
      ledger,
      retrieved: [],
    };
    expect(() => decide(submit, state)).toThrow(/empty/);
    expect(() => decide({ ...submit, text: 'hi' }, initialChatState())).toThrow(/no such chat/);
  });

  it('advances the clock on time passage and closes scenes', () => {
    const state = fold(decide({ type: 'confirm_kickoff', kickoff }, initialChatState()));
    const later = evolve(state, {
      type: 'time_passed',
      data: { chat_id: 'c1', turn_id: 'a1', minutes: 5, from: kickoff.time, to: '2026-01-01T19:05:00.000Z' },
    });
    expect(later.clock).toBe('2026-01-01T19:05:00.000Z');
    expect(
      evolve(later, { type: 'scene_closed', data: { chat_id: 'c1', scene_id: 's1', ended_at: 'x', reason: 'manual' } }).activeSceneId,
    ).toBeNull();
  });
});
