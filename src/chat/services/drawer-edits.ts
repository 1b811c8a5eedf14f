/**
 * Drawer edits: you change one field of an activity, a relationship or a memory (`manual_edit`, with the prior value
 * kept), or pin / unpin a memory (`memory_pin_changed`, not automatic).
 */
import { NotFoundError, ValidationError } from '../../core/errors.js';
import { type ChatEvent, chatStreamId, type ManualEditTarget } from '../domain/events.js';
import type { ChatRow } from '../read-model/queries.js';
import { type ChatDeps, isoNow } from './context.js';

export type DrawerEditsDeps = Pick<ChatDeps, 'store' | 'read' | 'clock' | 'settings'>;

type EditValue = string | number | string[];

/** The prior and the new value of one field, or a ValidationError naming the field. */
interface Change {
  prior: EditValue | null;
  value: EditValue;
}

function wholeNumber(target: ManualEditTarget, raw: string, low: number, high: number): number {
  const parsed = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(parsed) || parsed < low || parsed > high)
    throw new ValidationError(`${target.field} must be a whole number from ${low} to ${high}`);
  return parsed;
}

function boundedText(target: ManualEditTarget, raw: string, max: number): string {
  const trimmed = raw.trim();
  if (trimmed.length > max) throw new ValidationError(`${target.field} is at most ${max} characters`);
  return trimmed;
}

export class DrawerEdits {
  constructor(private readonly deps: DrawerEditsDeps) {}

  /** Changes one field in the drawer: `manual_edit` with the prior value. Returns false when nothing changed. */
  async manualEdit(chatId: string, target: ManualEditTarget, raw: string): Promise<boolean> {
    const chat = await this.deps.read.requireChat(chatId);
    const { prior, value } =
      target.kind === 'activity'
        ? await this.activityChange(chatId, target, raw)
        : target.kind === 'edge'
          ? await this.edgeChange(chat, target, raw)
          : await this.memoryChange(chatId, target, raw);
    if (JSON.stringify(prior) === JSON.stringify(value)) return false;
    await this.deps.store.append(chatStreamId(chatId), 'stream-exists', [
      { type: 'manual_edit', data: { chat_id: chatId, target, prior, value, at: isoNow(this.deps.clock) } } satisfies ChatEvent,
    ]);
    return true;
  }

  /** Pins or unpins a memory from the drawer (`memory_pin_changed`, not automatic); pinning respects `pin_cap`. */
  async setPin(chatId: string, memoryId: string, pinned: boolean): Promise<boolean> {
    const chat = await this.deps.read.requireChat(chatId);
    const memory = await this.deps.read.memory(memoryId);
    if (memory?.chat_id !== chatId) throw new NotFoundError(`no memory ${memoryId} in this chat`);
    if (memory.pinned === pinned) return false;
    const cap = this.deps.settings.pin_cap;
    if (pinned && (await this.deps.read.pinned(chat.bot_id)).length >= cap)
      throw new ValidationError(`${cap} memories are pinned already (chat.pin_cap); unpin one first`);
    await this.deps.store.append(chatStreamId(chatId), 'stream-exists', [
      {
        type: 'memory_pin_changed',
        data: { chat_id: chatId, memory_id: memoryId, owner_id: chat.bot_id, pinned, auto: false, reason: 'drawer' },
      } satisfies ChatEvent,
    ]);
    return true;
  }

  private async activityChange(chatId: string, target: Extract<ManualEditTarget, { kind: 'activity' }>, raw: string): Promise<Change> {
    const row = (await this.deps.read.activity(chatId)).find((entry) => entry.entity_id === target.entity_id);
    if (!row) throw new NotFoundError(`no activity for ${target.entity_id}`);
    const prior = target.field === 'verb' ? row.action.verb : target.field === 'holding' ? row.holding : row[target.field];
    if (target.field !== 'holding') return { prior, value: boundedText(target, raw, 200) };
    const holding = boundedText(target, raw, 500)
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean);
    return { prior, value: holding };
  }

  private async edgeChange(chat: ChatRow, target: Extract<ManualEditTarget, { kind: 'edge' }>, raw: string): Promise<Change> {
    const row = (await this.deps.read.edges(['you', chat.bot_id])).find(
      (edge) => edge.source_id === target.source_id && edge.target_id === target.target_id,
    );
    if (!row) throw new NotFoundError(`no relationship ${target.source_id} -> ${target.target_id}`);
    const value = target.field === 'summary' ? boundedText(target, raw, 2000) : wholeNumber(target, raw, 0, 100);
    return { prior: row[target.field], value };
  }

  private async memoryChange(chatId: string, target: Extract<ManualEditTarget, { kind: 'memory' }>, raw: string): Promise<Change> {
    const row = await this.deps.read.memory(target.memory_id);
    if (row?.chat_id !== chatId) throw new NotFoundError(`no memory ${target.memory_id} in this chat`);
    const value = target.field === 'significance' ? wholeNumber(target, raw, 0, 3) : boundedText(target, raw, 2000);
    if (value === '') throw new ValidationError('a memory needs some text');
    return { prior: row[target.field], value };
  }
}
