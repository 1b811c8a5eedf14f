/**
 * The events the post-turn passes and a scene close append, built from what the classifier (or its fallback) said.
 * Pure: ids and the chat's clock come in.
 */
import type { ChatEvent } from './events.js';
import type { SceneSignal, SceneSummary, StateUpdate } from './passes.js';
import { addMinutes } from './state.js';

/** The memory a turn leaves in the bot's mind (Phase 1: the exchange, shortened; scene close rewrites it later). */
export function memorySummary(youName: string, userText: string, replyText: string): string {
  const cut = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1).trimEnd()}…`);
  return `${youName}: ${cut(userText.replace(/\s+/g, ' ').trim(), 160)} — I replied: ${cut(replyText.replace(/\s+/g, ' ').trim(), 240)}`;
}

export interface PostTurnInput {
  chatId: string;
  botId: string;
  /** The reply the passes ran for. */
  turnId: string;
  sceneId: string | null;
  /** The chat's in-fiction clock. */
  at: string;
  memoryText: string;
  state: StateUpdate;
  significance: number;
  minutes: number;
  /** The auto-pin decision for the new memory (`decideAutoPin`). */
  pin: { pin: boolean; evict: string | null };
  pinCap: number;
}

/** Edges both ways, the turn's memory and its significance, auto-pin changes and the time that passed. */
export function postTurnEvents(input: PostTurnInput): ChatEvent[] {
  const { chatId: chat_id, botId, turnId: turn_id, at } = input;
  const memoryId = `mem_${turn_id}`;
  const events: ChatEvent[] = [
    { type: 'edge_update', data: { chat_id, source_id: botId, target_id: 'you', ...input.state.bot_to_you, turn_id, at } },
    { type: 'edge_update', data: { chat_id, source_id: 'you', target_id: botId, ...input.state.you_to_bot, turn_id, at } },
    {
      type: 'memory_written',
      data: {
        chat_id,
        memory_id: memoryId,
        owner_id: botId,
        scene_id: input.sceneId,
        turn_id,
        pov_summary: input.memoryText,
        witness: { you: true, host: true, guest: false },
        chat_clock_at: at,
        significance: 1,
        source: 'direct',
      },
    },
    { type: 'memory_significance_scored', data: { chat_id, memory_id: memoryId, significance: input.significance, turn_id } },
  ];
  const pinChange = (memory_id: string, pinned: boolean, reason: string): ChatEvent => ({
    type: 'memory_pin_changed',
    data: { chat_id, memory_id, owner_id: botId, pinned, auto: true, reason, turn_id },
  });
  if (input.pin.evict) events.push(pinChange(input.pin.evict, false, `evicted: pin cap ${input.pinCap}`));
  if (input.pin.pin) events.push(pinChange(memoryId, true, 'significance 3'));
  if (input.minutes > 0)
    events.push({ type: 'time_passed', data: { chat_id, turn_id, minutes: input.minutes, from: at, to: addMinutes(at, input.minutes) } });
  return events;
}

export interface SceneCloseInput {
  chatId: string;
  botId: string;
  sceneId: string;
  /** The reply whose scene pass closed it; absent for the drawer's button. */
  turnId?: string | undefined;
  at: string;
  summary: SceneSummary;
  memoryIds: string[];
  signal: SceneSignal;
  /** The container the next scene opens in when the signal is not a move. */
  containerId: string;
  /** Ids for the next scene and, on a move, the new container. */
  newSceneId: string;
  newContainerId: string;
}

/** `scene_summarized`, `scene_closed`, a new container on a move, and the next `scene_opened`. */
export function sceneCloseEvents(input: SceneCloseInput): ChatEvent[] {
  const { chatId: chat_id, sceneId: scene_id, at, signal } = input;
  const turn = input.turnId ? { turn_id: input.turnId } : {};
  const moved = signal.container_change && signal.new_container.trim() !== '';
  const events: ChatEvent[] = [
    {
      type: 'scene_summarized',
      data: {
        chat_id,
        scene_id,
        owner_id: input.botId,
        summary: input.summary.summary,
        edge_summary: input.summary.edge_summary,
        memory_ids: input.memoryIds,
        ...turn,
      },
    },
    { type: 'scene_closed', data: { chat_id, scene_id, ended_at: at, reason: signal.reason, ...turn } },
  ];
  if (moved)
    events.push({
      type: 'container_created',
      data: {
        chat_id,
        container_id: input.newContainerId,
        name: signal.new_container.trim(),
        type: 'place',
        properties: { moving: false, public: false, audible_range: 'room' },
        ...turn,
      },
    });
  events.push({
    type: 'scene_opened',
    data: {
      chat_id,
      scene_id: input.newSceneId,
      container_id: moved ? input.newContainerId : input.containerId,
      started_at: at,
      participants: ['you', input.botId],
      ...turn,
    },
  });
  return events;
}
