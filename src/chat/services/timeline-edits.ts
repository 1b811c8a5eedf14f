/**
 * Timeline edits: rewind (with its preview and undo), regenerate (optionally after editing your turn) and bot reset.
 * Nothing is deleted: each appends a control event and the projection re-projects the bot's chats from the events
 * still in effect (`domain/timeline.ts`).
 */
import { AppError, NotFoundError, ValidationError } from '../../core/errors.js';
import { createId } from '../../core/ids.js';
import type { RecordedEvent } from '../../store/event-store.js';
import { botStreamId, type ChatEvent, chatStreamId, type RewindImpact } from '../domain/events.js';
import {
  effectiveEvents,
  impactOf,
  kickoffVersion,
  type LoggedChatEvent,
  previewRewind,
  rewindCut,
  undoableRewind,
} from '../domain/timeline.js';
import type { ChatRow } from '../read-model/queries.js';
import { type ChatDeps, checkTurnLength, decideChat, isoNow } from './context.js';
import type { Generations } from './generations.js';
import type { Prompting } from './prompting.js';

export interface TimelineEditsDeps extends Pick<ChatDeps, 'store' | 'read' | 'clock' | 'settings' | 'snapshots'> {
  prompting: Prompting;
  generations: Generations;
}

export interface RewindPreview {
  chatId: string;
  toTurnId: string;
  toVersion: number;
  impact: RewindImpact;
}

export interface UndoableRewind {
  version: number;
  remainingMs: number;
  toTurnId: string;
}

/** The snapshot stream of a chat's pre-rewind read-model dumps. */
export const preRewindSnapshotStream = (chatId: string): string => `${chatStreamId(chatId)}.pre-rewind`;

export class TimelineEdits {
  constructor(private readonly deps: TimelineEditsDeps) {}

  /** The events in effect in a chat (for tests and tools). */
  async effective(chatId: string): Promise<LoggedChatEvent[]> {
    const chat = await this.deps.read.requireChat(chatId);
    return effectiveEvents(await this.logged(chat), chatId);
  }

  /** What "rewind to here" on a message would take out of effect. */
  async rewindPreview(chatId: string, turnId: string): Promise<RewindPreview> {
    const chat = await this.deps.read.requireChat(chatId);
    const logged = await this.logged(chat);
    const effective = effectiveEvents(logged, chatId);
    const toVersion = rewindCut(effective, turnId);
    if (toVersion === undefined) throw new NotFoundError(`no finished message ${turnId} in this chat`, { turnId });
    const impact = impactOf(effective, previewRewind(logged, chatId, toVersion, chat.version + 1));
    return { chatId, toTurnId: turnId, toVersion, impact };
  }

  /** Rewinds the chat to a message: pre-rewind snapshot, then `chat_rewound` (the read models are re-projected). */
  async rewind(chatId: string, turnId: string): Promise<RewindPreview> {
    const chat = await this.deps.read.requireChat(chatId);
    const preview = await this.rewindPreview(chatId, turnId);
    if (Object.values(preview.impact).every((count) => count === 0)) throw new ValidationError('nothing comes after this message');
    const snapshot = await this.preRewindSnapshot(chat);
    const events = decideChat(
      {
        type: 'rewind',
        chatId,
        toVersion: preview.toVersion,
        toTurnId: turnId,
        impact: preview.impact,
        snapshot,
        at: isoNow(this.deps.clock),
      },
      chat.state,
    );
    await this.deps.store.append(chatStreamId(chatId), chat.version, events);
    return preview;
  }

  /** The latest rewind, while it can be undone. */
  async undoable(chatId: string): Promise<UndoableRewind | undefined> {
    await this.deps.read.requireChat(chatId);
    const events = await this.deps.store.readStream(chatStreamId(chatId));
    return undoableRewind(events, this.deps.clock.now(), this.deps.settings.rewind_undo_seconds * 1000);
  }

  async undoRewind(chatId: string): Promise<void> {
    const chat = await this.deps.read.requireChat(chatId);
    const undoable = await this.undoable(chatId);
    const events = decideChat({ type: 'undo_rewind', chatId, rewindVersion: undoable?.version, at: isoNow(this.deps.clock) }, chat.state);
    await this.deps.store.append(chatStreamId(chatId), chat.version, events);
  }

  /**
   * Regenerates the latest reply, optionally after editing your turn it answers: `user_turn_edit` (when the text
   * changed), `assistant_turn_superseded` (the old reply stays as a variant; what it derived is retracted) and a new
   * reply streamed like any other.
   */
  async regenerate(chatId: string, replyId?: string, editedText?: string): Promise<{ replyId: string; edited: boolean }> {
    if (editedText !== undefined) checkTurnLength(editedText);
    const chat = await this.deps.read.requireChat(chatId);
    const oldReplyId = replyId ?? chat.state.lastReplyId ?? '';
    const userTurnId = chat.state.lastUserTurnId ?? '';
    const user = await this.deps.read.message(userTurnId);
    const edited = editedText !== undefined && user !== undefined && editedText.trim() !== user.text.trim();
    const text = edited ? editedText : (user?.text ?? '');
    const prepared = await this.deps.prompting.prepareTurn(chat, text, { exclude: [userTurnId, oldReplyId] });
    const newReplyId = createId('r');
    const events = decideChat(
      {
        type: 'regenerate',
        chatId,
        replyId: oldReplyId,
        newReplyId,
        ...(edited && user
          ? { edit: { text, segments: prepared.segments, priorText: user.text, priorSegments: user.segments ?? [] } }
          : {}),
        ledger: prepared.ledger,
        retrieved: prepared.retrieved,
        at: isoNow(this.deps.clock),
      },
      chat.state,
    );
    await this.deps.store.append(chatStreamId(chatId), chat.version, events);
    this.deps.generations.start(chatId, newReplyId, prepared.messages, prepared.context);
    return { replyId: newReplyId, edited };
  }

  /**
   * Resets a bot after you typed its name: every chat with it goes back to its kickoff; its memories, edge changes,
   * scenes, turns and clock changes are retracted (`bot_reset` on `bot-<id>`). Identity and kickoff stay.
   */
  async resetBot(botId: string, typedName: string): Promise<{ chats: number }> {
    const bot = await this.deps.read.requireBot(botId);
    if (typedName.trim() !== bot.name.trim()) throw new ValidationError(`type the bot's name exactly (${bot.name}) to reset it`);
    const chats = (await this.deps.read.chats()).filter((chat) => chat.bot_id === botId);
    if (chats.some((chat) => chat.state.streamingTurnId !== null))
      throw new AppError('duplicate', 'a reply is still streaming in a chat with this bot; stop it first', {
        details: { rule: 'reply_streaming' },
      });
    const entries = [];
    for (const chat of chats)
      entries.push({
        chat_id: chat.chat_id,
        keep_through_version: kickoffVersion(await this.deps.store.readStream<RecordedEvent>(chatStreamId(chat.chat_id))),
      });
    await this.deps.store.append(botStreamId(botId), 'stream-exists', [
      { type: 'bot_reset', data: { bot_id: botId, chats: entries, at: isoNow(this.deps.clock) } } satisfies ChatEvent,
    ]);
    return { chats: entries.length };
  }

  /** The chat's logged events plus its bot's resets: what the timeline is folded from. */
  private async logged(chat: ChatRow): Promise<LoggedChatEvent[]> {
    const [events, bot] = await Promise.all([
      this.deps.store.readStream(chatStreamId(chat.chat_id)),
      this.deps.store.readStream(botStreamId(chat.bot_id)),
    ]);
    return [...events, ...bot.filter((event) => event.type === 'bot_reset')];
  }

  /** Saves the chat's read models before a rewind (keeping `pre_rewind_snapshots_keep`); null without a snapshot store. */
  private async preRewindSnapshot(chat: ChatRow): Promise<{ stream_id: string; version: number } | null> {
    const snapshots = this.deps.snapshots;
    if (!snapshots) return null;
    const streamId = preRewindSnapshotStream(chat.chat_id);
    await snapshots.save(streamId, chat.version, await this.deps.read.dump(chat.chat_id));
    await snapshots.prune(streamId, this.deps.settings.pre_rewind_snapshots_keep);
    return { stream_id: streamId, version: chat.version };
  }
}
