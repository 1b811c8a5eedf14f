/**
 * The chat aggregate, Emmett style: `evolve(state, event)` folds one event, `decide(command, state)` turns a command
 * into events or refuses it. Pure: ids and times come in with the command.
 */
import type { ActivityChange, ChatEvent, ContainerCreated, PromptLedger, RetrievedMemory, RewindImpact, TurnSegment } from './events.js';

export interface ChatState {
  status: 'empty' | 'active';
  chatId: string;
  botId: string;
  clock: string;
  weather: string;
  activeSceneId: string | null;
  containerId: string | null;
  /** The assistant turn being generated, if any. */
  streamingTurnId: string | null;
  turns: number;
  lastUserTurnId: string | null;
  /** The latest finished reply (the one Regenerate replaces). */
  lastReplyId?: string | null;
}

export const initialChatState = (): ChatState => ({
  status: 'empty',
  chatId: '',
  botId: '',
  clock: '',
  weather: '',
  activeSceneId: null,
  containerId: null,
  streamingTurnId: null,
  turns: 0,
  lastUserTurnId: null,
  lastReplyId: null,
});

export function evolve(state: ChatState, event: ChatEvent): ChatState {
  switch (event.type) {
    case 'chat_created':
      return {
        ...state,
        status: 'active',
        chatId: event.data.chat_id,
        botId: event.data.bot_id,
        clock: event.data.time,
        weather: event.data.weather,
      };
    case 'container_created':
      return { ...state, containerId: state.containerId ?? event.data.container_id };
    case 'scene_opened':
      return { ...state, activeSceneId: event.data.scene_id, containerId: event.data.container_id };
    case 'scene_closed':
      return state.activeSceneId === event.data.scene_id ? { ...state, activeSceneId: null } : state;
    case 'user_turn':
      return { ...state, turns: state.turns + 1, lastUserTurnId: event.data.turn_id };
    case 'assistant_turn_started':
      return { ...state, streamingTurnId: event.data.turn_id };
    case 'assistant_turn':
      return {
        ...state,
        turns: state.turns + 1,
        streamingTurnId: state.streamingTurnId === event.data.turn_id ? null : state.streamingTurnId,
        lastReplyId: event.data.turn_id,
      };
    case 'time_passed':
      return { ...state, clock: event.data.to };
    default:
      return state;
  }
}

export class ChatRuleError extends Error {
  constructor(
    readonly rule:
      | 'chat_missing'
      | 'chat_exists'
      | 'reply_streaming'
      | 'empty_turn'
      | 'not_streaming'
      | 'not_latest_reply'
      | 'no_such_turn'
      | 'nothing_to_undo',
    message: string,
  ) {
    super(message);
    this.name = 'ChatRuleError';
  }
}

export interface KickoffConfirmed {
  chatId: string;
  botId: string;
  time: string;
  weather: string;
  containerId: string;
  container: Omit<ContainerCreated, 'chat_id' | 'container_id'>;
  sceneId: string;
  you: Omit<ActivityChange, 'chat_id' | 'entity_id' | 'container_id'>;
  bot: Omit<ActivityChange, 'chat_id' | 'entity_id' | 'container_id'>;
  edgeSummary: string;
  edgeKnowledge: string[];
  edgeSeed: { affinity: number; trust: number };
}

export type ChatCommand =
  | { type: 'confirm_kickoff'; kickoff: KickoffConfirmed }
  | {
      type: 'submit_turn';
      chatId: string;
      userTurnId: string;
      assistantTurnId: string;
      text: string;
      segments: TurnSegment[];
      ledger: PromptLedger;
      retrieved: RetrievedMemory[];
    }
  | {
      type: 'finish_reply';
      chatId: string;
      turnId: string;
      text: string;
      ended: 'stop' | 'length' | 'stopped' | 'error' | 'shutdown';
      model: string;
      error?: string;
      at: string;
    }
  | {
      type: 'rewind';
      chatId: string;
      toVersion: number;
      toTurnId: string;
      impact: RewindImpact;
      snapshot: { stream_id: string; version: number } | null;
      at: string;
    }
  | { type: 'undo_rewind'; chatId: string; rewindVersion: number | undefined; at: string }
  | {
      type: 'regenerate';
      chatId: string;
      replyId: string;
      newReplyId: string;
      edit?: { text: string; segments: TurnSegment[]; priorText: string; priorSegments: TurnSegment[] };
      ledger: PromptLedger;
      retrieved: RetrievedMemory[];
      at: string;
    };

export function decide(command: ChatCommand, state: ChatState): ChatEvent[] {
  switch (command.type) {
    case 'confirm_kickoff':
      return confirmKickoff(command, state);
    case 'submit_turn':
      return submitTurn(command, state);
    case 'finish_reply':
      return finishReply(command, state);
    case 'rewind':
      return rewind(command, state);
    case 'undo_rewind':
      return undoRewind(command, state);
    case 'regenerate':
      return regenerate(command, state);
  }
}

type CommandOf<T extends ChatCommand['type']> = Extract<ChatCommand, { type: T }>;

function confirmKickoff(command: CommandOf<'confirm_kickoff'>, state: ChatState): ChatEvent[] {
  if (state.status !== 'empty') throw new ChatRuleError('chat_exists', 'this chat already exists');
  const k = command.kickoff;
  const chat_id = k.chatId;
  return [
    { type: 'chat_created', data: { chat_id, bot_id: k.botId, time: k.time, weather: k.weather } },
    { type: 'container_created', data: { chat_id, container_id: k.containerId, ...k.container } },
    { type: 'activity_change', data: { chat_id, entity_id: 'you', container_id: k.containerId, ...k.you } },
    { type: 'activity_change', data: { chat_id, entity_id: k.botId, container_id: k.containerId, ...k.bot } },
    {
      type: 'scene_opened',
      data: { chat_id, scene_id: k.sceneId, container_id: k.containerId, started_at: k.time, participants: ['you', k.botId] },
    },
    {
      type: 'edge_update',
      data: {
        chat_id,
        source_id: k.botId,
        target_id: 'you',
        affinity_delta: 0,
        trust_delta: 0,
        knowledge_facts: k.edgeKnowledge,
        summary: k.edgeSummary,
        seed: k.edgeSeed,
        at: k.time,
      },
    },
    {
      type: 'edge_update',
      data: {
        chat_id,
        source_id: 'you',
        target_id: k.botId,
        affinity_delta: 0,
        trust_delta: 0,
        knowledge_facts: [],
        summary: k.edgeSummary,
        seed: k.edgeSeed,
        at: k.time,
      },
    },
  ];
}

function submitTurn(command: CommandOf<'submit_turn'>, state: ChatState): ChatEvent[] {
  if (state.status !== 'active') throw new ChatRuleError('chat_missing', 'no such chat');
  if (state.streamingTurnId !== null) throw new ChatRuleError('reply_streaming', 'a reply is still streaming; stop it or wait');
  if (command.text.trim() === '') throw new ChatRuleError('empty_turn', 'the turn is empty');
  return [
    {
      type: 'user_turn',
      data: { chat_id: command.chatId, turn_id: command.userTurnId, text: command.text, segments: command.segments, at: state.clock },
    },
    {
      type: 'assistant_turn_started',
      data: {
        chat_id: command.chatId,
        turn_id: command.assistantTurnId,
        reply_to: command.userTurnId,
        ledger: command.ledger,
        retrieved: command.retrieved,
      },
    },
  ];
}

function finishReply(command: CommandOf<'finish_reply'>, state: ChatState): ChatEvent[] {
  if (state.streamingTurnId !== command.turnId) throw new ChatRuleError('not_streaming', 'that reply is not streaming');
  return [
    {
      type: 'assistant_turn',
      data: {
        chat_id: command.chatId,
        turn_id: command.turnId,
        text: command.text,
        truncated: command.ended !== 'stop',
        ended: command.ended,
        model: command.model,
        ...(command.error === undefined ? {} : { error: command.error }),
        at: command.at,
      },
    },
  ];
}

function rewind(command: CommandOf<'rewind'>, state: ChatState): ChatEvent[] {
  if (state.status !== 'active') throw new ChatRuleError('chat_missing', 'no such chat');
  if (state.streamingTurnId !== null) throw new ChatRuleError('reply_streaming', 'a reply is still streaming; stop it first');
  return [
    {
      type: 'chat_rewound',
      data: {
        chat_id: command.chatId,
        to_version: command.toVersion,
        to_turn_id: command.toTurnId,
        impact: command.impact,
        snapshot: command.snapshot,
        at: command.at,
      },
    },
  ];
}

function undoRewind(command: CommandOf<'undo_rewind'>, state: ChatState): ChatEvent[] {
  if (state.status !== 'active') throw new ChatRuleError('chat_missing', 'no such chat');
  if (command.rewindVersion === undefined)
    throw new ChatRuleError('nothing_to_undo', 'there is no rewind to undo (30 s passed or the chat moved on)');
  return [{ type: 'chat_rewind_undone', data: { chat_id: command.chatId, rewind_version: command.rewindVersion, at: command.at } }];
}

function regenerate(command: CommandOf<'regenerate'>, state: ChatState): ChatEvent[] {
  if (state.status !== 'active') throw new ChatRuleError('chat_missing', 'no such chat');
  if (state.streamingTurnId !== null) throw new ChatRuleError('reply_streaming', 'a reply is still streaming; stop it or wait');
  if (!state.lastReplyId || state.lastReplyId !== command.replyId || !state.lastUserTurnId)
    throw new ChatRuleError('not_latest_reply', 'only the latest reply can be regenerated');
  const events: ChatEvent[] = [];
  if (command.edit) {
    if (command.edit.text.trim() === '') throw new ChatRuleError('empty_turn', 'the turn is empty');
    events.push({
      type: 'user_turn_edit',
      data: {
        chat_id: command.chatId,
        turn_id: state.lastUserTurnId,
        text: command.edit.text,
        segments: command.edit.segments,
        prior_text: command.edit.priorText,
        prior_segments: command.edit.priorSegments,
        at: command.at,
      },
    });
  }
  events.push(
    {
      type: 'assistant_turn_superseded',
      data: { chat_id: command.chatId, turn_id: command.replyId, superseded_by: command.newReplyId, at: command.at },
    },
    {
      type: 'assistant_turn_started',
      data: {
        chat_id: command.chatId,
        turn_id: command.newReplyId,
        reply_to: state.lastUserTurnId,
        ledger: command.ledger,
        retrieved: command.retrieved,
      },
    },
  );
  return events;
}

/** Adds minutes to an ISO instant; pure string arithmetic over Date parsing (no clock read). */
export function addMinutes(iso: string, minutes: number): string {
  const base = Date.parse(iso);
  if (Number.isNaN(base)) return iso;
  return new Date(base + minutes * 60_000).toISOString();
}
