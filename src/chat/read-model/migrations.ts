/** Chat read models (0400 range). JSON is jsonb on PostgreSQL and text on SQLite; flags are 0/1 integers on both. */
import { type Kysely, sql } from 'kysely';
import type { DialectAdapter, FullTextIndex, StoreMigration } from '../../store/index.js';

/** Full-text search over memories (an FTS5 table on SQLite, a tsvector column on PostgreSQL). */
export const memorySearchIndex: FullTextIndex = { table: 'chat_memories', key: 'memory_id', column: 'pov_summary', stored: ['owner_id'] };

// biome-ignore lint/suspicious/noExplicitAny: migrations run against the untyped schema
async function createTables(db: Kysely<any>, adapter: DialectAdapter): Promise<void> {
  const json = adapter.jsonType;
  await db.schema
    .createTable('chat_you')
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('name', 'text', (column) => column.notNull())
    .addColumn('pronouns', 'text', (column) => column.notNull())
    .addColumn('persona', 'text', (column) => column.notNull())
    .execute();
  await db.schema
    .createTable('chat_bots')
    .addColumn('bot_id', 'text', (column) => column.primaryKey())
    .addColumn('name', 'text', (column) => column.notNull())
    .addColumn('persona', 'text', (column) => column.notNull())
    .addColumn('voice_samples', sql.raw(json), (column) => column.notNull())
    .addColumn('traits', sql.raw(json), (column) => column.notNull())
    .addColumn('backstory', 'text', (column) => column.notNull())
    .addColumn('initial_relationship', 'text', (column) => column.notNull())
    .addColumn('kickoff_prose', 'text', (column) => column.notNull())
    .addColumn('position', 'bigint', (column) => column.notNull())
    .execute();
  await db.schema
    .createTable('chat_chats')
    .addColumn('chat_id', 'text', (column) => column.primaryKey())
    .addColumn('bot_id', 'text', (column) => column.notNull())
    .addColumn('state', sql.raw(json), (column) => column.notNull())
    .addColumn('version', 'integer', (column) => column.notNull())
    .addColumn('last_snippet', 'text', (column) => column.notNull().defaultTo(''))
    .addColumn('last_ledger', sql.raw(json))
    .addColumn('last_retrieved', sql.raw(json))
    .addColumn('created_position', 'bigint', (column) => column.notNull())
    .addColumn('updated_position', 'bigint', (column) => column.notNull())
    .execute();
  await db.schema
    .createTable('chat_containers')
    .addColumn('container_id', 'text', (column) => column.primaryKey())
    .addColumn('chat_id', 'text', (column) => column.notNull())
    .addColumn('name', 'text', (column) => column.notNull())
    .addColumn('type', 'text', (column) => column.notNull())
    .addColumn('properties', sql.raw(json), (column) => column.notNull())
    .execute();
  await db.schema
    .createTable('chat_scenes')
    .addColumn('scene_id', 'text', (column) => column.primaryKey())
    .addColumn('chat_id', 'text', (column) => column.notNull())
    .addColumn('container_id', 'text', (column) => column.notNull())
    .addColumn('started_at', 'text', (column) => column.notNull())
    .addColumn('ended_at', 'text')
    .addColumn('close_reason', 'text')
    .addColumn('participants', sql.raw(json), (column) => column.notNull())
    .execute();
  await db.schema
    .createTable('chat_activity')
    .addColumn('chat_id', 'text', (column) => column.notNull())
    .addColumn('entity_id', 'text', (column) => column.notNull())
    .addColumn('container_id', 'text', (column) => column.notNull())
    .addColumn('posture', 'text', (column) => column.notNull())
    .addColumn('action', sql.raw(json), (column) => column.notNull())
    .addColumn('attention', 'text', (column) => column.notNull())
    .addColumn('holding', sql.raw(json), (column) => column.notNull())
    .addPrimaryKeyConstraint('chat_activity_pk', ['chat_id', 'entity_id'])
    .execute();
  await db.schema
    .createTable('chat_edges')
    .addColumn('source_id', 'text', (column) => column.notNull())
    .addColumn('target_id', 'text', (column) => column.notNull())
    .addColumn('affinity', 'integer', (column) => column.notNull())
    .addColumn('trust', 'integer', (column) => column.notNull())
    .addColumn('summary', 'text', (column) => column.notNull())
    .addColumn('knowledge', sql.raw(json), (column) => column.notNull())
    .addColumn('last_chat_id', 'text')
    .addColumn('last_interaction_at', 'text')
    .addPrimaryKeyConstraint('chat_edges_pk', ['source_id', 'target_id'])
    .execute();
  await db.schema
    .createTable('chat_messages')
    .addColumn('turn_id', 'text', (column) => column.primaryKey())
    .addColumn('chat_id', 'text', (column) => column.notNull())
    .addColumn('role', 'text', (column) => column.notNull())
    .addColumn('text', 'text', (column) => column.notNull())
    .addColumn('segments', sql.raw(json))
    .addColumn('status', 'text', (column) => column.notNull())
    .addColumn('truncated', 'integer', (column) => column.notNull().defaultTo(0))
    .addColumn('ended', 'text')
    .addColumn('error', 'text')
    .addColumn('at', 'text', (column) => column.notNull())
    .addColumn('position', 'bigint', (column) => column.notNull())
    .execute();
  await db.schema.createIndex('chat_messages_chat').on('chat_messages').columns(['chat_id', 'position']).execute();
  await db.schema
    .createTable('chat_memories')
    .addColumn('memory_id', 'text', (column) => column.primaryKey())
    .addColumn('owner_id', 'text', (column) => column.notNull())
    .addColumn('chat_id', 'text', (column) => column.notNull())
    .addColumn('scene_id', 'text')
    .addColumn('turn_id', 'text')
    .addColumn('pov_summary', 'text', (column) => column.notNull())
    .addColumn('witness_you', 'integer', (column) => column.notNull())
    .addColumn('witness_host', 'integer', (column) => column.notNull())
    .addColumn('witness_guest', 'integer', (column) => column.notNull())
    .addColumn('chat_clock_at', 'text', (column) => column.notNull())
    .addColumn('source', 'text', (column) => column.notNull())
    .addColumn('significance', 'integer', (column) => column.notNull())
    .addColumn('pinned', 'integer', (column) => column.notNull().defaultTo(0))
    .addColumn('auto_pinned', 'integer', (column) => column.notNull().defaultTo(0))
    .addColumn('position', 'bigint', (column) => column.notNull())
    .execute();
  await db.schema.createIndex('chat_memories_owner').on('chat_memories').columns(['owner_id', 'position']).execute();
  await db.schema.createIndex('chat_memories_turn').on('chat_memories').column('turn_id').execute();
  await adapter.createFullTextIndex(db, memorySearchIndex);
}

/** Regenerate and edit: a superseded reply keeps its row (a browsable variant); an edited turn remembers its first text. */
// biome-ignore lint/suspicious/noExplicitAny: migrations run against the untyped schema
async function addVariants(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('chat_messages').addColumn('superseded_by', 'text').execute();
  await db.schema.alterTable('chat_messages').addColumn('reply_to', 'text').execute();
  await db.schema.alterTable('chat_messages').addColumn('edited_from', 'text').execute();
}

export const chatMigrations: readonly StoreMigration[] = [
  { name: '0400-chat-read-models', up: createTables },
  { name: '0401-chat-message-variants', up: (db) => addVariants(db) },
  {
    name: '0402-chat-bot-cards',
    up: async (db, adapter) => {
      await db.schema.alterTable('chat_bots').addColumn('card', sql.raw(adapter.jsonType)).execute();
    },
  },
];
