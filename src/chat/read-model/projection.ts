/**
 * The chat read models, applied inline in the append's transaction (so a page rendered after a POST sees it).
 * The chat row keeps the aggregate state (`evolve`) and the stream version `decide` runs against.
 */

import { sql } from 'kysely';
import { clamp } from '../../core/math.js';
import type { DialectAdapter } from '../../store/dialect/index.js';
import type { InlineProjection, Recorded, RecordedEvent, Transaction } from '../../store/event-store.js';
import { botStreamId, type ChatEvent, chatEventTypes, chatStreamId, reprojectingEventTypes } from '../domain/events.js';
import { type ChatState, evolve, initialChatState } from '../domain/state.js';
import { derivedTurn, effectiveEvents } from '../domain/timeline.js';
import { memorySearchIndex } from './migrations.js';

export type RecordedChatEvent = Recorded<ChatEvent>;

const bool = (value: boolean): number => (value ? 1 : 0);
const json = (value: unknown): string => JSON.stringify(value);

export function chatProjection(adapter: DialectAdapter): InlineProjection {
  return {
    name: 'chat-read-models',
    handles: chatEventTypes,
    async apply(transaction, events) {
      const recorded = events as readonly RecordedEvent[] as readonly RecordedChatEvent[];
      if (!recorded.some((event) => reprojecting.has(event.type))) {
        for (const event of recorded) await applyEvent(transaction, adapter, event);
        return;
      }
      // A rewind, its undo, a reset or a regenerate retracts earlier effects: rebuild the bot's chats from the log
      // (the batch is already in the events table, so the rebuild covers all of it).
      const bots = new Set<string>();
      for (const event of recorded) {
        if (event.type === 'bot_reset') bots.add(event.data.bot_id);
        else if ('chat_id' in event.data) {
          const row = await transaction
            .selectFrom('chat_chats')
            .select('bot_id')
            .where('chat_id', '=', event.data.chat_id)
            .executeTakeFirst();
          if (row) bots.add(String(row.bot_id));
        }
      }
      const last = recorded[recorded.length - 1] as RecordedChatEvent;
      for (const botId of bots) await reprojectBot(transaction, adapter, botId, last);
    },
  };
}

const reprojecting = new Set<string>(reprojectingEventTypes);

async function readLogged(
  db: Transaction,
  adapter: DialectAdapter,
  streamId: string,
  upTo: number,
  type?: string,
): Promise<RecordedChatEvent[]> {
  let query = db.selectFrom('events').selectAll().where('stream_id', '=', streamId).where('position', '<=', upTo);
  if (type) query = query.where('type', '=', type);
  const rows = await query.orderBy('position').execute();
  return rows.map(
    (row) =>
      ({
        position: Number(row.position),
        streamId: row.stream_id,
        version: Number(row.version),
        type: row.type,
        data: adapter.readJson(row.data),
        metadata: adapter.readJson(row.metadata) ?? {},
        recordedAt: Number(row.recorded_at),
      }) as RecordedChatEvent,
  );
}

/** The events in effect for every chat of the bot up to a position, merged in log order, and each chat's stream version. */
export async function effectiveForBot(
  db: Transaction,
  adapter: DialectAdapter,
  botId: string,
  chatIds: readonly string[],
  upTo: number,
): Promise<{ effective: RecordedChatEvent[]; versions: Map<string, number> }> {
  const resets = await readLogged(db, adapter, botStreamId(botId), upTo, 'bot_reset');
  const effective: RecordedChatEvent[] = [];
  const versions = new Map<string, number>();
  for (const chatId of chatIds) {
    const logged = await readLogged(db, adapter, chatStreamId(chatId), upTo);
    versions.set(
      chatId,
      logged.reduce((max, event) => Math.max(max, event.version), 0),
    );
    effective.push(...effectiveEvents([...logged, ...resets], chatId));
  }
  effective.sort((a, b) => a.position - b.position);
  return { effective, versions };
}

/** Drops the read-model rows of the bot's chats (and its edges) and replays the events in effect. */
async function reprojectBot(db: Transaction, adapter: DialectAdapter, botId: string, trigger: RecordedChatEvent): Promise<void> {
  const chats = await db.selectFrom('chat_chats').select(['chat_id', 'updated_position']).where('bot_id', '=', botId).execute();
  const chatIds = chats.map((chat) => String(chat.chat_id));
  if (chatIds.length === 0) return;
  // Only the log up to the trigger: a rebuild replaying the log event by event must not see the future.
  const { effective, versions } = await effectiveForBot(db, adapter, botId, chatIds, trigger.position);
  await adapter.fullTextRemove(db, memorySearchIndex, sql`select memory_id from chat_memories where chat_id in (${sql.join(chatIds)})`);
  for (const table of ['chat_memories', 'chat_messages', 'chat_scenes', 'chat_activity', 'chat_containers', 'chat_chats'])
    await db.deleteFrom(table).where('chat_id', 'in', chatIds).execute();
  await db
    .deleteFrom('chat_edges')
    .where((expression) => expression.or([expression('source_id', '=', botId), expression('target_id', '=', botId)]))
    .execute();
  for (const event of effective) await applyEvent(db, adapter, event);
  for (const chatId of chatIds) {
    const touched = trigger.type === 'bot_reset' || trigger.streamId === chatStreamId(chatId);
    await db
      .updateTable('chat_chats')
      .set({
        version: versions.get(chatId) ?? 0,
        ...(touched ? { updated_position: trigger.position } : {}),
      })
      .where('chat_id', '=', chatId)
      .execute();
  }
}

/** A post-turn pass's event counts only while its reply is in effect (not rewound, reset or superseded). */
async function replyInEffect(db: Transaction, turnId: string): Promise<boolean> {
  const row = await db.selectFrom('chat_messages').select('superseded_by').where('turn_id', '=', turnId).executeTakeFirst();
  return row !== undefined && row.superseded_by == null;
}

async function applyEvent(db: Transaction, adapter: DialectAdapter, event: RecordedChatEvent): Promise<void> {
  const turn = derivedTurn(event);
  if (turn !== undefined && !(await replyInEffect(db, turn))) {
    // A late pass of a reply that was rewound, reset or superseded: logged, not in effect.
    if ('chat_id' in event.data)
      await db
        .updateTable('chat_chats')
        .set({ version: event.version })
        .where('chat_id', '=', (event.data as { chat_id: string }).chat_id)
        .execute();
    return;
  }
  if ('chat_id' in event.data) await evolveChat(db, adapter, event);
  switch (event.type) {
    case 'you_authored': {
      const row = { id: 'you', name: event.data.name, pronouns: event.data.pronouns, persona: event.data.persona };
      await db
        .insertInto('chat_you')
        .values(row)
        .onConflict((conflict) => conflict.column('id').doUpdateSet({ name: row.name, pronouns: row.pronouns, persona: row.persona }))
        .execute();
      return;
    }
    case 'bot_authored': {
      const d = event.data;
      const row = {
        name: d.name,
        persona: d.persona,
        voice_samples: json(d.voice_samples),
        traits: json(d.traits),
        backstory: d.backstory,
        initial_relationship: d.initial_relationship,
        kickoff_prose: d.kickoff_prose,
        card: d.card === undefined ? null : json(d.card),
      };
      await db
        .insertInto('chat_bots')
        .values({ bot_id: d.bot_id, position: event.position, ...row })
        .onConflict((conflict) => conflict.column('bot_id').doUpdateSet(row))
        .execute();
      return;
    }
    case 'chat_created':
      return;
    case 'container_created': {
      const d = event.data;
      await db
        .insertInto('chat_containers')
        .values({ container_id: d.container_id, chat_id: d.chat_id, name: d.name, type: d.type, properties: json(d.properties) })
        .execute();
      return;
    }
    case 'activity_change': {
      const d = event.data;
      const row = {
        container_id: d.container_id,
        posture: d.posture,
        action: json(d.action),
        attention: d.attention,
        holding: json(d.holding),
      };
      await db
        .insertInto('chat_activity')
        .values({ chat_id: d.chat_id, entity_id: d.entity_id, ...row })
        .onConflict((conflict) => conflict.columns(['chat_id', 'entity_id']).doUpdateSet(row))
        .execute();
      return;
    }
    case 'scene_opened': {
      const d = event.data;
      await db
        .insertInto('chat_scenes')
        .values({
          scene_id: d.scene_id,
          chat_id: d.chat_id,
          container_id: d.container_id,
          started_at: d.started_at,
          participants: json(d.participants),
        })
        .execute();
      return;
    }
    case 'scene_closed':
      await db
        .updateTable('chat_scenes')
        .set({ ended_at: event.data.ended_at, close_reason: event.data.reason })
        .where('scene_id', '=', event.data.scene_id)
        .execute();
      return;
    case 'edge_update': {
      const d = event.data;
      const existing = await db
        .selectFrom('chat_edges')
        .selectAll()
        .where('source_id', '=', d.source_id)
        .where('target_id', '=', d.target_id)
        .executeTakeFirst();
      const knowledge = existing ? adapter.readJson<string[]>(existing.knowledge) : [];
      for (const fact of d.knowledge_facts) if (!knowledge.includes(fact)) knowledge.push(fact);
      const base = d.seed ?? { affinity: Number(existing?.affinity ?? 50), trust: Number(existing?.trust ?? 50) };
      const row = {
        affinity: clamp(Math.round(base.affinity + d.affinity_delta), 0, 100),
        trust: clamp(Math.round(base.trust + d.trust_delta), 0, 100),
        summary: d.summary ?? String(existing?.summary ?? ''),
        knowledge: json(knowledge.slice(-50)),
        last_chat_id: d.chat_id,
        last_interaction_at: d.at,
      };
      await db
        .insertInto('chat_edges')
        .values({ source_id: d.source_id, target_id: d.target_id, ...row })
        .onConflict((conflict) => conflict.columns(['source_id', 'target_id']).doUpdateSet(row))
        .execute();
      return;
    }
    case 'memory_written': {
      const d = event.data;
      // A memory id is written once; a repeated pass (say, one that landed while its turn was rewound) is ignored.
      if (await db.selectFrom('chat_memories').select('memory_id').where('memory_id', '=', d.memory_id).executeTakeFirst()) return;
      await db
        .insertInto('chat_memories')
        .values({
          memory_id: d.memory_id,
          owner_id: d.owner_id,
          chat_id: d.chat_id,
          scene_id: d.scene_id,
          turn_id: d.turn_id,
          pov_summary: d.pov_summary,
          witness_you: bool(d.witness.you),
          witness_host: bool(d.witness.host),
          witness_guest: bool(d.witness.guest),
          chat_clock_at: d.chat_clock_at,
          source: d.source,
          significance: d.significance,
          position: event.position,
        })
        .execute();
      await adapter.fullTextAdd(db, memorySearchIndex, [d.memory_id]);
      return;
    }
    case 'memory_significance_scored':
      await db
        .updateTable('chat_memories')
        .set({ significance: event.data.significance })
        .where('memory_id', '=', event.data.memory_id)
        .execute();
      return;
    case 'memory_pin_changed':
      await db
        .updateTable('chat_memories')
        .set({ pinned: bool(event.data.pinned), auto_pinned: bool(event.data.pinned && event.data.auto) })
        .where('memory_id', '=', event.data.memory_id)
        .execute();
      return;
    case 'user_turn': {
      const d = event.data;
      await db
        .insertInto('chat_messages')
        .values({
          turn_id: d.turn_id,
          chat_id: d.chat_id,
          role: 'user',
          text: d.text,
          segments: json(d.segments),
          status: 'done',
          at: d.at,
          position: event.position,
        })
        .execute();
      return;
    }
    case 'assistant_turn_started': {
      const d = event.data;
      const state = await db.selectFrom('chat_chats').select('state').where('chat_id', '=', d.chat_id).executeTakeFirst();
      const clock = state ? adapter.readJson<ChatState>(state.state).clock : '';
      await db
        .insertInto('chat_messages')
        .values({
          turn_id: d.turn_id,
          chat_id: d.chat_id,
          role: 'assistant',
          text: '',
          status: 'streaming',
          reply_to: d.reply_to,
          at: clock,
          position: event.position,
        })
        .execute();
      await db
        .updateTable('chat_chats')
        .set({ last_ledger: json(d.ledger), last_retrieved: json(d.retrieved) })
        .where('chat_id', '=', d.chat_id)
        .execute();
      return;
    }
    case 'assistant_turn': {
      const d = event.data;
      await db
        .updateTable('chat_messages')
        .set({ text: d.text, status: 'done', truncated: bool(d.truncated), ended: d.ended, error: d.error ?? null })
        .where('turn_id', '=', d.turn_id)
        .execute();
      if (d.text.trim() !== '')
        await db
          .updateTable('chat_chats')
          .set({ last_snippet: d.text.slice(0, 160) })
          .where('chat_id', '=', d.chat_id)
          .execute();
      return;
    }
    case 'time_passed':
      return;
    case 'user_turn_edit': {
      const d = event.data;
      const prior = await db.selectFrom('chat_messages').select('edited_from').where('turn_id', '=', d.turn_id).executeTakeFirst();
      await db
        .updateTable('chat_messages')
        .set({ text: d.text, segments: json(d.segments), edited_from: prior?.edited_from ?? d.prior_text })
        .where('turn_id', '=', d.turn_id)
        .execute();
      return;
    }
    case 'assistant_turn_superseded':
      await db
        .updateTable('chat_messages')
        .set({ superseded_by: event.data.superseded_by })
        .where('turn_id', '=', event.data.turn_id)
        .execute();
      return;
    case 'manual_edit':
      await applyManualEdit(db, adapter, event.data);
      return;
    case 'scene_summarized': {
      const d = event.data;
      if (d.memory_ids.length > 0) {
        await db.updateTable('chat_memories').set({ pov_summary: d.summary }).where('memory_id', 'in', d.memory_ids).execute();
        await adapter.fullTextRemove(db, memorySearchIndex, d.memory_ids);
        await adapter.fullTextAdd(db, memorySearchIndex, d.memory_ids);
      }
      await db
        .updateTable('chat_edges')
        .set({ summary: d.edge_summary })
        .where('source_id', '=', d.owner_id)
        .where('target_id', '=', 'you')
        .execute();
      return;
    }
    case 'chat_rewound':
    case 'chat_rewind_undone':
    case 'bot_reset':
      // Control events: handled by re-projecting (they never reach here through a replay).
      return;
  }
}

async function applyManualEdit(db: Transaction, adapter: DialectAdapter, d: Extract<ChatEvent, { type: 'manual_edit' }>['data']) {
  const target = d.target;
  if (target.kind === 'activity') {
    const row = await db
      .selectFrom('chat_activity')
      .selectAll()
      .where('chat_id', '=', d.chat_id)
      .where('entity_id', '=', target.entity_id)
      .executeTakeFirst();
    if (!row) return;
    const change =
      target.field === 'verb'
        ? { action: json({ ...adapter.readJson<Record<string, unknown>>(row.action), verb: String(d.value) }) }
        : target.field === 'holding'
          ? { holding: json(Array.isArray(d.value) ? d.value : [String(d.value)]) }
          : { [target.field]: String(d.value) };
    await db.updateTable('chat_activity').set(change).where('chat_id', '=', d.chat_id).where('entity_id', '=', target.entity_id).execute();
    return;
  }
  if (target.kind === 'edge') {
    const change =
      target.field === 'summary' ? { summary: String(d.value) } : { [target.field]: clamp(Math.round(Number(d.value)), 0, 100) };
    await db
      .updateTable('chat_edges')
      .set(change)
      .where('source_id', '=', target.source_id)
      .where('target_id', '=', target.target_id)
      .execute();
    return;
  }
  if (target.field === 'significance') {
    await db
      .updateTable('chat_memories')
      .set({ significance: Math.max(0, Math.min(3, Math.round(Number(d.value)))) })
      .where('memory_id', '=', target.memory_id)
      .execute();
    return;
  }
  const memory = await db.selectFrom('chat_memories').select('owner_id').where('memory_id', '=', target.memory_id).executeTakeFirst();
  if (!memory) return;
  await db
    .updateTable('chat_memories')
    .set({ pov_summary: String(d.value) })
    .where('memory_id', '=', target.memory_id)
    .execute();
  await adapter.fullTextRemove(db, memorySearchIndex, [target.memory_id]);
  await adapter.fullTextAdd(db, memorySearchIndex, [target.memory_id]);
}

async function evolveChat(db: Transaction, adapter: DialectAdapter, event: RecordedChatEvent): Promise<void> {
  const chatId = (event.data as { chat_id: string }).chat_id;
  const row = await db.selectFrom('chat_chats').select(['state']).where('chat_id', '=', chatId).executeTakeFirst();
  const before = row ? adapter.readJson<ChatState>(row.state) : initialChatState();
  const after = evolve(before, event as ChatEvent);
  if (row) {
    await db
      .updateTable('chat_chats')
      .set({ state: json(after), version: event.version, updated_position: event.position })
      .where('chat_id', '=', chatId)
      .execute();
  } else if (event.type === 'chat_created') {
    await db
      .insertInto('chat_chats')
      .values({
        chat_id: chatId,
        bot_id: event.data.bot_id,
        state: json(after),
        version: event.version,
        created_position: event.position,
        updated_position: event.position,
      })
      .execute();
  }
}
