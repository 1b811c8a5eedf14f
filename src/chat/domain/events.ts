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
}

export interface SceneClosed {
  chat_id: string;
  scene_id: string;
  ended_at: string;
  reason: string;
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
}

export interface MemoryPinChanged {
  chat_id: string;
  memory_id: string;
  owner_id: string;
  pinned: boolean;
  auto: boolean;
  reason: string;
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
  | { type: 'time_passed'; data: TimePassed };

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
];

export const youStreamId = 'you-local';
export const botStreamId = (botId: string): string => `bot-${botId}`;
export const chatStreamId = (chatId: string): string => `chat-${chatId}`;
