/**
 * Which of a chat's logged events are in effect. Rewinds, their undo, bot resets and regenerates never delete
 * anything from the log; they change which events count, and the read models are re-projected from the events that do.
 *
 * Two steps, both pure:
 * 1. The timeline. Events join it in log order. A rewind (or a bot reset) drops from it every event after its cut
 *    (`to_version` / `keep_through_version`) that is not derived from a turn (a post-turn pass's output follows its
 *    reply, below). An undo puts back the timeline as it was before the rewind, plus what was logged since.
 * 2. Derived events (`edge_update`, `memory_written`, `memory_significance_scored`, `memory_pin_changed`,
 *    `time_passed`, and the scene-close pass's `scene_summarized`, `scene_closed`, `container_created`, `scene_opened`,
 *    carrying a reply's `turn_id`) count only while their reply is on the timeline and not superseded by
 *    a regenerate; a significance or pin change counts only while its memory does.
 */
import type { ChatEvent, ChatEventType, RewindImpact } from './events.js';

/** The part of a recorded event the timeline needs. */
export interface LoggedChatEvent {
  position: number;
  version: number;
  streamId: string;
  type: string;
  data: unknown;
  recordedAt?: number;
}

const controlTypes = new Set<string>(['chat_rewound', 'chat_rewind_undone', 'bot_reset']);
const kickoffTypes = new Set<string>(['chat_created', 'container_created', 'activity_change', 'scene_opened', 'edge_update']);

export function isControl(event: { type: string }): boolean {
  return controlTypes.has(event.type);
}

/** The reply a post-turn pass event was derived from, if it is one. */
export function derivedTurn(event: { type: string; data: unknown }): string | undefined {
  const data = event.data as { turn_id?: string | null };
  switch (event.type) {
    case 'edge_update':
    case 'memory_written':
    case 'memory_significance_scored':
    case 'memory_pin_changed':
    case 'time_passed':
    case 'scene_closed':
    case 'scene_opened':
    case 'container_created':
    case 'scene_summarized':
      return typeof data.turn_id === 'string' ? data.turn_id : undefined;
    default:
      return undefined;
  }
}

/** The events of one chat in effect, in log order, without the control events. `events` may hold several streams. */
export function effectiveEvents<E extends LoggedChatEvent>(events: readonly E[], chatId: string): E[] {
  const ordered = [...events].sort((a, b) => a.position - b.position);
  let timeline: E[] = [];
  const rewinds = new Map<number, { timeline: E[]; index: number }>();
  for (const [index, event] of ordered.entries()) {
    if (event.type === 'chat_rewound') {
      const data = event.data as { to_version: number };
      rewinds.set(event.version, { timeline, index });
      timeline = cut(timeline, data.to_version);
    } else if (event.type === 'bot_reset') {
      const entry = (event.data as { chats: Array<{ chat_id: string; keep_through_version: number }> }).chats.find(
        (chat) => chat.chat_id === chatId,
      );
      if (entry) timeline = cut(timeline, entry.keep_through_version);
    } else if (event.type === 'chat_rewind_undone') {
      const saved = rewinds.get((event.data as { rewind_version: number }).rewind_version);
      if (saved) timeline = [...saved.timeline, ...ordered.slice(saved.index + 1, index).filter((logged) => !isControl(logged))];
    } else {
      timeline.push(event);
    }
  }
  return inEffect(timeline);
}

function cut<E extends LoggedChatEvent>(timeline: readonly E[], toVersion: number): E[] {
  return timeline.filter((event) => event.version <= toVersion || derivedTurn(event) !== undefined);
}

function inEffect<E extends LoggedChatEvent>(timeline: readonly E[]): E[] {
  const replies = new Set<string>();
  const superseded = new Set<string>();
  for (const event of timeline) {
    if (event.type === 'assistant_turn_started') replies.add((event.data as { turn_id: string }).turn_id);
    if (event.type === 'assistant_turn_superseded') superseded.add((event.data as { turn_id: string }).turn_id);
  }
  const memories = new Set<string>();
  const kept: E[] = [];
  for (const event of timeline) {
    const turn = derivedTurn(event);
    if (turn !== undefined && (!replies.has(turn) || superseded.has(turn))) continue;
    const memoryId = (event.data as { memory_id?: string }).memory_id;
    if (event.type === 'memory_written' && memoryId) memories.add(memoryId);
    if ((event.type === 'memory_significance_scored' || event.type === 'memory_pin_changed') && memoryId && !memories.has(memoryId))
      continue;
    kept.push(event);
  }
  return kept;
}

/** The version of the last event of the kickoff (the first append of the chat). */
export function kickoffVersion(events: readonly LoggedChatEvent[]): number {
  let version = 0;
  for (const event of [...events].sort((a, b) => a.version - b.version)) {
    if (!kickoffTypes.has(event.type) || derivedTurn(event) !== undefined || event.version !== version + 1) break;
    version = event.version;
  }
  return version;
}

/**
 * The cut for "rewind to here" on a message: a reply keeps everything through its end (and its passes, wherever they
 * landed); your turn goes back to just before it. Undefined when the message is not in effect or still streaming.
 */
export function rewindCut(effective: readonly LoggedChatEvent[], turnId: string): number | undefined {
  for (const event of effective) {
    const data = event.data as { turn_id?: string };
    if (data.turn_id !== turnId) continue;
    if (event.type === 'user_turn') return event.version - 1;
    if (event.type === 'assistant_turn') return event.version;
  }
  return undefined;
}

/** What a change of the effective events takes out of effect, counted for the preview. */
export function impactOf(before: readonly LoggedChatEvent[], after: readonly LoggedChatEvent[]): RewindImpact {
  const remaining = new Set(after.map((event) => event.position));
  const impact: RewindImpact = { messages: 0, scene_transitions: 0, edge_updates: 0, memories: 0, time_passes: 0, other: 0 };
  for (const event of before) {
    if (remaining.has(event.position)) continue;
    const type = event.type as ChatEventType;
    if (type === 'user_turn' || type === 'assistant_turn_started') impact.messages++;
    else if (type === 'assistant_turn') continue;
    else if (type === 'scene_opened' || type === 'scene_closed') impact.scene_transitions++;
    else if (type === 'container_created' || type === 'scene_summarized') continue;
    else if (type === 'edge_update') impact.edge_updates++;
    else if (type === 'memory_written') impact.memories++;
    else if (type === 'time_passed') impact.time_passes++;
    else impact.other++;
  }
  return impact;
}

/** The events a rewind to `toVersion` would leave in effect (for the preview), given the chat's logged events. */
export function previewRewind<E extends LoggedChatEvent>(
  logged: readonly E[],
  chatId: string,
  toVersion: number,
  nextVersion: number,
): E[] {
  const hypothetical = {
    position: Number.MAX_SAFE_INTEGER,
    version: nextVersion,
    streamId: '',
    type: 'chat_rewound',
    data: { to_version: toVersion } as Partial<Extract<ChatEvent, { type: 'chat_rewound' }>['data']>,
  } as unknown as E;
  return effectiveEvents([...logged, hypothetical], chatId);
}

/**
 * Whether the latest rewind can still be undone: it is the chat's last control or user-driven event (only post-turn
 * passes, which it retracted, may follow) and it is at most `windowMs` old.
 */
export function undoableRewind(
  logged: readonly LoggedChatEvent[],
  now: number,
  windowMs: number,
): { version: number; remainingMs: number; toTurnId: string } | undefined {
  const ordered = [...logged].sort((a, b) => a.position - b.position);
  for (let index = ordered.length - 1; index >= 0; index--) {
    const event = ordered[index] as LoggedChatEvent;
    if (event.type === 'chat_rewound') {
      const remainingMs = (event.recordedAt ?? 0) + windowMs - now;
      if (remainingMs <= 0) return undefined;
      return { version: event.version, remainingMs, toTurnId: (event.data as { to_turn_id: string }).to_turn_id };
    }
    if (derivedTurn(event) === undefined) return undefined;
  }
  return undefined;
}
