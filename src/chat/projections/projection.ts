/**
 * The chat read models, applied inline in the append's transaction (so a page rendered after a POST sees it).
 * The chat row keeps the aggregate state (`evolve`) and the stream version `decide` runs against.
 */
import { sql } from 'kysely';
import type { SqlDialect } from '../../store/database.js';
import { readJson } from '../../store/database.js';
import type { InlineProjection, Recorded, RecordedEvent, Transaction } from '../../store/event-store.js';
import { type ChatEvent, chatEventTypes } from '../domain/events.js';
import { type ChatState, clamp, evolve, initialChatState } from '../domain/state.js';

export type RecordedChatEvent = Recorded<ChatEvent>;

const bool = (value: boolean): number => (value ? 1 : 0);
const json = (value: unknown): string => JSON.stringify(value);

export function chatProjection(dialect: SqlDialect): InlineProjection {
  return {
    name: 'chat-read-models',
    handles: chatEventTypes,
    async apply(transaction, events) {
      for (const event of events as readonly RecordedEvent[]) await applyEvent(transaction, dialect, event as RecordedChatEvent);
    },
  };
}

async function applyEvent(db: Transaction, dialect: SqlDialect, event: RecordedChatEvent): Promise<void> {
  if ('chat_id' in event.data) await evolveChat(db, dialect, event);
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
      const knowledge = existing ? readJson<string[]>(existing.knowledge, dialect) : [];
      for (const fact of d.knowledge_facts) if (!knowledge.includes(fact)) knowledge.push(fact);
      const base = d.seed ?? { affinity: Number(existing?.affinity ?? 50), trust: Number(existing?.trust ?? 50) };
      const row = {
        affinity: clamp(base.affinity + d.affinity_delta),
        trust: clamp(base.trust + d.trust_delta),
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
      if (dialect === 'sqlite')
        await sql`insert into chat_memories_fts (memory_id, owner_id, pov_summary) values (${d.memory_id}, ${d.owner_id}, ${d.pov_summary})`.execute(
          db,
        );
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
      const clock = state ? readJson<ChatState>(state.state, dialect).clock : '';
      await db
        .insertInto('chat_messages')
        .values({
          turn_id: d.turn_id,
          chat_id: d.chat_id,
          role: 'assistant',
          text: '',
          status: 'streaming',
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
  }
}

async function evolveChat(db: Transaction, dialect: SqlDialect, event: RecordedChatEvent): Promise<void> {
  const chatId = (event.data as { chat_id: string }).chat_id;
  const row = await db.selectFrom('chat_chats').select(['state']).where('chat_id', '=', chatId).executeTakeFirst();
  const before = row ? readJson<ChatState>(row.state, dialect) : initialChatState();
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
