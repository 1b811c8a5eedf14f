/**
 * Chat event kinds (seeds/002, DESIGN §5) as one typed union. Streams: `you-local` (the you-entity), `bot-<id>` (a
 * bot's identity) and `chat-<id>` (everything that happens in one chat, including the bot-owned memories and edge
 * changes the turn caused, so the chat's history and its consequences share one order).
 */
export interface YouAuthored {
  name: string;
  pronouns: string;
  persona: string;
}

export interface BotAuthored {
  bot_id: string;
  name: string;
  persona: string;
  voice_samples: string[];
  traits: string[];
  backstory: string;
  initial_relationship: string;
  kickoff_prose: string;
  /** The Character Card V2/V3 the bot was imported from (kept whole so a re-export keeps what we do not use). */
  card?: unknown;
}

export interface ChatCreated {
  chat_id: string;
  bot_id: string;
  /** The in-fiction clock, ISO 8601 UTC. */
  time: string;
  weather: string;
}

export interface ContainerCreated {
  chat_id: string;
  container_id: string;
  name: string;
  type: string;
  properties: { moving: boolean; public: boolean; audible_range: string };
  /** Set when a scene-close pass of this reply created it (a move). */
  turn_id?: string;
}

export interface ActivityAction {
  verb: string;
  interruptible: boolean;
  required_attention: 'low' | 'medium' | 'high';
  expected_duration: string;
}

export interface ActivityChange {
  chat_id: string;
  /** `you` or a bot id. */
  entity_id: string;
  container_id: string;
  posture: string;
  action: ActivityAction;
  attention: string;
  holding: string[];
}

export interface SceneOpened {
  chat_id: string;
  scene_id: string;
  container_id: string;
  started_at: string;
  participants: string[];
  /** Set when a scene-close pass of this reply opened it. */
  turn_id?: string;
}

export interface SceneClosed {
  chat_id: string;
  scene_id: string;
  ended_at: string;
  reason: string;
  /** Set when the scene-close pass of this reply closed it (absent: the drawer's button). */
  turn_id?: string;
}

/**
 * On scene close: the owner's per-POV summary replaces the terse text of that scene's memories, and the owner's edge
 * summary (owner -> you) is updated.
 */
export interface SceneSummarized {
  chat_id: string;
  scene_id: string;
  owner_id: string;
  summary: string;
  edge_summary: string;
  memory_ids: string[];
  turn_id?: string;
}

export interface EdgeUpdate {
  chat_id: string;
  source_id: string;
  target_id: string;
  affinity_delta: number;
  trust_delta: number;
  knowledge_facts: string[];
  /** Replaces the edge summary when set (the kickoff seed; scene-close summaries later). */
  summary?: string;
  /** Sets the starting values instead of applying deltas (the kickoff seed). */
  seed?: { affinity: number; trust: number };
  turn_id?: string;
  at: string;
}

export interface Witness {
  you: boolean;
  host: boolean;
  guest: boolean;
}

export interface MemoryWritten {
  chat_id: string;
  memory_id: string;
  owner_id: string;
  scene_id: string | null;
  turn_id: string | null;
  pov_summary: string;
  witness: Witness;
  chat_clock_at: string;
  significance: number;
  source: string;
}

export interface MemorySignificanceScored {
  chat_id: string;
  memory_id: string;
  significance: number;
  /** The reply whose post-turn pass scored it (absent on older events and manual changes). */
  turn_id?: string;
}

export interface MemoryPinChanged {
  chat_id: string;
  memory_id: string;
  owner_id: string;
  pinned: boolean;
  auto: boolean;
  reason: string;
  /** The reply whose post-turn pass (auto-)pinned or evicted it; absent for a pin you set in the drawer. */
  turn_id?: string;
}

export interface TurnSegment {
  kind: 'dialogue' | 'action' | 'ooc';
  text: string;
}

export interface UserTurn {
  chat_id: string;
  turn_id: string;
  text: string;
  segments: TurnSegment[];
  at: string;
}

export interface LedgerEntry {
  part: string;
  tier: 'must' | 'should' | 'nice';
  action: 'kept' | 'dropped' | 'trimmed';
  tokens: number;
  /** Why it was dropped or trimmed (empty when kept whole). */
  reason: string;
  count?: number;
}

export interface PromptLedger {
  budget: { hard: number; soft: number };
  total: number;
  tiers: Record<'must' | 'should' | 'nice', number>;
  entries: LedgerEntry[];
}

export interface RetrievedMemory {
  memory_id: string;
  pov_summary: string;
  pinned: boolean;
  score: number;
  parts: { text: number; recency: number; significance: number };
  why: string;
  /** `village`: one of a villager bot's village memories, fetched at retrieval time (not a chat memory row). */
  source?: 'village';
}

export interface AssistantTurnStarted {
  chat_id: string;
  turn_id: string;
  reply_to: string;
  ledger: PromptLedger;
  retrieved: RetrievedMemory[];
}

export interface AssistantTurn {
  chat_id: string;
  turn_id: string;
  text: string;
  truncated: boolean;
  /** `stop` finished; `stopped` by the user; `error` the backend failed; `shutdown` the server stopped. */
  ended: 'stop' | 'length' | 'stopped' | 'error' | 'shutdown';
  model: string;
  error?: string;
  at: string;
}

export interface TimePassed {
  chat_id: string;
  turn_id: string;
  minutes: number;
  from: string;
  to: string;
}

/** What a drawer edit changes: one field of an activity, an edge or a memory. */
export type ManualEditTarget =
  | { kind: 'activity'; entity_id: string; field: 'posture' | 'verb' | 'attention' | 'holding' }
  | { kind: 'edge'; source_id: string; target_id: string; field: 'affinity' | 'trust' | 'summary' }
  | { kind: 'memory'; memory_id: string; field: 'pov_summary' | 'significance' };

/** You changed a value in the drawer; the prior value is kept so the log shows what was overridden. */
export interface ManualEdit {
  chat_id: string;
  target: ManualEditTarget;
  prior: string | number | string[] | null;
  value: string | number | string[];
  at: string;
}

/** What a rewind undoes, counted over the events it takes out of effect (the impact preview, kept in the event). */
export interface RewindImpact {
  messages: number;
  scene_transitions: number;
  edge_updates: number;
  memories: number;
  time_passes: number;
  other: number;
}

/**
 * Rewind "to here": every event after `to_version` stops counting, except events derived from a turn that is kept
 * (a post-turn pass of the target reply that landed late). Turns after the cut are retracted for good: a pass of theirs
 * that lands later is ignored too. Nothing is deleted from the log; the read models are re-projected.
 */
export interface ChatRewound {
  chat_id: string;
  /** The last stream version that still counts. */
  to_version: number;
  /** The message the rewind was asked for ("to here"), for display. */
  to_turn_id: string;
  impact: RewindImpact;
  /** The pre-rewind snapshot of the chat's read models (SnapshotStore stream and version). */
  snapshot: { stream_id: string; version: number } | null;
  at: string;
}

/** Undoes the latest rewind (allowed within `chat.rewind_undo_seconds` and before anything else happened). */
export interface ChatRewindUndone {
  chat_id: string;
  rewind_version: number;
  at: string;
}

/** You edited your turn before a regenerate (the prior text is kept here; the message shows the new one). */
export interface UserTurnEdit {
  chat_id: string;
  turn_id: string;
  text: string;
  segments: TurnSegment[];
  prior_text: string;
  prior_segments: TurnSegment[];
  at: string;
}

/**
 * A regenerate replaced the reply `turn_id` by `superseded_by`. The old reply stays as a browsable variant; what its
 * post-turn passes derived (edges, memories, pins, time) is retracted.
 */
export interface AssistantTurnSuperseded {
  chat_id: string;
  turn_id: string;
  superseded_by: string;
  at: string;
}

/**
 * Reset a bot (on `bot-<id>`): each listed chat goes back to its kickoff (`keep_through_version`), every turn and what
 * it derived is retracted. Identity, initial relationship and kickoff prose stay; the log keeps the history.
 */
export interface BotReset {
  bot_id: string;
  chats: Array<{ chat_id: string; keep_through_version: number }>;
  at: string;
}

export type ChatEvent =
  | { type: 'you_authored'; data: YouAuthored }
  | { type: 'bot_authored'; data: BotAuthored }
  | { type: 'chat_created'; data: ChatCreated }
  | { type: 'container_created'; data: ContainerCreated }
  | { type: 'activity_change'; data: ActivityChange }
  | { type: 'scene_opened'; data: SceneOpened }
  | { type: 'scene_closed'; data: SceneClosed }
  | { type: 'edge_update'; data: EdgeUpdate }
  | { type: 'memory_written'; data: MemoryWritten }
  | { type: 'memory_significance_scored'; data: MemorySignificanceScored }
  | { type: 'memory_pin_changed'; data: MemoryPinChanged }
  | { type: 'user_turn'; data: UserTurn }
  | { type: 'assistant_turn_started'; data: AssistantTurnStarted }
  | { type: 'assistant_turn'; data: AssistantTurn }
  | { type: 'time_passed'; data: TimePassed }
  | { type: 'chat_rewound'; data: ChatRewound }
  | { type: 'chat_rewind_undone'; data: ChatRewindUndone }
  | { type: 'user_turn_edit'; data: UserTurnEdit }
  | { type: 'assistant_turn_superseded'; data: AssistantTurnSuperseded }
  | { type: 'bot_reset'; data: BotReset }
  | { type: 'manual_edit'; data: ManualEdit }
  | { type: 'scene_summarized'; data: SceneSummarized };

export type ChatEventType = ChatEvent['type'];

export const chatEventTypes: readonly ChatEventType[] = [
  'you_authored',
  'bot_authored',
  'chat_created',
  'container_created',
  'activity_change',
  'scene_opened',
  'scene_closed',
  'edge_update',
  'memory_written',
  'memory_significance_scored',
  'memory_pin_changed',
  'user_turn',
  'assistant_turn_started',
  'assistant_turn',
  'time_passed',
  'chat_rewound',
  'chat_rewind_undone',
  'user_turn_edit',
  'assistant_turn_superseded',
  'bot_reset',
  'manual_edit',
  'scene_summarized',
];

/** Event kinds after which the chat's read models are rebuilt from the log (they retract earlier effects). */
export const reprojectingEventTypes: readonly ChatEventType[] = [
  'chat_rewound',
  'chat_rewind_undone',
  'assistant_turn_superseded',
  'bot_reset',
  'manual_edit',
  'scene_summarized',
];

export const youStreamId = 'you-local';
export const botStreamId = (botId: string): string => `bot-${botId}`;
export const chatStreamId = (chatId: string): string => `chat-${chatId}`;
