/**
 * Turns: your turn and the start of its reply appended together (send is locked while a reply streams), Stop, and
 * closing replies a crashed process left streaming (orphans).
 */

import { createId } from '../../core/ids.js';
import { sleep } from '../../core/sleep.js';
import { VersionConflictError } from '../../store/event-store.js';
import type { PromptLedger } from '../domain/events.js';
import { chatStreamId } from '../domain/events.js';
import type { ChatRow } from '../read-model/queries.js';
import { type ChatDeps, checkTurnLength, decideChat } from './context.js';
import { type GenerationHeartbeat, type Generations, generationKey } from './generations.js';
import type { Prompting } from './prompting.js';

export interface TurnsDeps extends Pick<ChatDeps, 'store' | 'read' | 'clock' | 'logger' | 'settings' | 'messagingKind' | 'kv'> {
  prompting: Prompting;
  generations: Generations;
}

export class Turns {
  constructor(private readonly deps: TurnsDeps) {}

  /** Records your turn and the reply's start, then generates the reply in the background. */
  async submitTurn(chatId: string, text: string): Promise<{ turnId: string; replyId: string; ledger: PromptLedger }> {
    checkTurnLength(text);
    for (let attempt = 0; ; attempt++) {
      const chat = await this.deps.read.requireChat(chatId);
      const prepared = await this.deps.prompting.prepareTurn(chat, text);
      const turnId = createId('t');
      const replyId = createId('r');
      const { segments, ledger, retrieved } = prepared;
      const events = decideChat(
        { type: 'submit_turn', chatId, userTurnId: turnId, assistantTurnId: replyId, text, segments, ledger, retrieved },
        chat.state,
      );
      try {
        await this.deps.store.append(chatStreamId(chatId), chat.version, events);
      } catch (error) {
        // A post-turn pass of the previous reply appended meanwhile: decide again on the new state.
        if (error instanceof VersionConflictError && attempt < 3) continue;
        throw error;
      }
      this.deps.generations.start(chatId, replyId, prepared.messages, prepared.context);
      return { turnId, replyId, ledger };
    }
  }

  /** Stops the reply streaming in this chat wherever it is generated; the partial reply is kept (truncated). */
  async stop(chatId: string): Promise<boolean> {
    const chat = await this.deps.read.requireChat(chatId);
    const turnId = chat.state.streamingTurnId;
    if (turnId === null) return false;
    if (await this.deps.generations.stopLocal(chatId)) return true;
    await this.deps.generations.requestStop(chatId);
    // Nobody else can be generating in a single process: the turn was orphaned (a crash); close it.
    if (this.deps.messagingKind === 'memory')
      await this.deps.generations.finishReply(chatId, turnId, '', 'stopped', 'none', 'no generation was running');
    return true;
  }

  /**
   * Closes replies left streaming by a crash. Single process: every streaming reply this process does not generate.
   * Distributed: a reply whose heartbeat was missing at this check and the one before (`suspects` carries it over),
   * closed with the text of its last heartbeat. Safe to run in several processes: closing checks the chat's version.
   */
  async closeOrphans(suspects?: Map<string, string>): Promise<number> {
    const distributed = this.deps.messagingKind !== 'memory';
    if (distributed && (!this.deps.kv || !suspects)) return 0;
    const pending = suspects ?? new Map<string, string>();
    let closed = 0;
    const seen = new Set<string>();
    for (const chat of await this.deps.read.chats()) {
      const turnId = chat.state.streamingTurnId;
      if (!turnId || this.deps.generations.isLocal(chat.chat_id)) continue;
      if (!distributed) {
        await this.deps.generations.finishReply(
          chat.chat_id,
          turnId,
          '',
          'shutdown',
          'none',
          'the server stopped while this reply was streaming',
        );
        closed++;
        continue;
      }
      seen.add(chat.chat_id);
      if (await this.closeIfDead(chat, turnId, pending)) closed++;
    }
    for (const chatId of [...pending.keys()]) if (!seen.has(chatId)) pending.delete(chatId);
    return closed;
  }

  /** Distributed mode: checks for orphaned replies every two heartbeats until the signal aborts. */
  async runOrphanChecks(signal: AbortSignal): Promise<void> {
    if (this.deps.messagingKind === 'memory' || !this.deps.kv) return;
    const suspects = new Map<string, string>();
    while (!signal.aborted) {
      await sleep(this.deps.settings.generation_heartbeat_ms * 2, signal).catch(() => undefined);
      if (signal.aborted) break;
      await this.closeOrphans(suspects).catch((error: unknown) =>
        this.deps.logger.warn({ error: (error as Error).message }, 'chat: orphan check failed'),
      );
    }
  }

  /** A reply whose heartbeat is gone at two checks in a row is closed with its last heartbeat's text. */
  private async closeIfDead(chat: ChatRow, turnId: string, suspects: Map<string, string>): Promise<boolean> {
    const key = generationKey(chat.chat_id);
    const heartbeat = (await this.deps.kv?.get<GenerationHeartbeat>(key))?.value;
    const alive =
      heartbeat?.turn_id === turnId && this.deps.clock.now() - heartbeat.beat_at < this.deps.settings.generation_heartbeat_ms * 3;
    if (alive) {
      suspects.delete(chat.chat_id);
      return false;
    }
    if (suspects.get(chat.chat_id) !== turnId) {
      suspects.set(chat.chat_id, turnId);
      return false;
    }
    await this.deps.generations.finishReply(
      chat.chat_id,
      turnId,
      heartbeat?.turn_id === turnId ? heartbeat.text : '',
      'shutdown',
      'none',
      'the process generating this reply stopped; the text streamed until then is kept',
    );
    suspects.delete(chat.chat_id);
    await this.deps.kv?.delete(key).catch(() => undefined);
    this.deps.logger.warn({ chatId: chat.chat_id, turnId }, 'chat: closed a reply whose generating process died');
    return true;
  }
}
