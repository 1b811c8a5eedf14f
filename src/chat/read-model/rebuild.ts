/**
 * Read-model snapshots and rebuilds (seeds/002 T31). A snapshot is every chat read-model row at a log position,
 * read in one transaction; a rebuild clears the read models, restores the newest snapshot (or nothing, for a full
 * replay) and replays the chat events after it through the same projection the appends use.
 */
import type { Kysely } from 'kysely';
import type { StoreDatabase } from '../../store/database.js';
import type { DialectAdapter } from '../../store/dialect/index.js';
import type { InlineProjection, RecordedEvent, Transaction } from '../../store/event-store.js';
import type { SnapshotStore } from '../../store/snapshots.js';
import { chatEventTypes } from '../domain/events.js';
import { memorySearchIndex } from './migrations.js';
import { chatProjection } from './projection.js';

/** Every chat read-model table with the columns that order its rows. */
export const chatReadModelTables: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['chat_you', ['id']],
  ['chat_bots', ['bot_id']],
  ['chat_chats', ['chat_id']],
  ['chat_containers', ['container_id']],
  ['chat_scenes', ['scene_id']],
  ['chat_activity', ['chat_id', 'entity_id']],
  ['chat_edges', ['source_id', 'target_id']],
  ['chat_messages', ['turn_id']],
  ['chat_memories', ['memory_id']],
];

export const readModelSnapshotStream = 'chat-read-models';
/** Bump with every chat migration that changes a read-model table: older snapshots are then ignored. */
export const readModelSchemaVersion = 402;

export type ReadModelTables = Record<string, Array<Record<string, unknown>>>;

export interface ReadModelSnapshot {
  position: number;
  tables: ReadModelTables;
}

/** Rows as stored, the generated `search` column left out. */
export async function dumpReadModels(db: Transaction): Promise<ReadModelTables> {
  const tables: ReadModelTables = {};
  for (const [table, order] of chatReadModelTables) {
    let query = db.selectFrom(table).selectAll();
    for (const column of order) query = query.orderBy(column);
    tables[table] = (await query.execute()).map((row: Record<string, unknown>) => {
      const out: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(row)) {
        if (key === 'search') continue;
        // JSON columns: text on SQLite (kept as stored), parsed jsonb on PostgreSQL (written back as JSON text).
        out[key] = typeof value === 'bigint' ? Number(value) : value;
      }
      return out;
    });
  }
  return tables;
}

async function clear(db: Transaction, adapter: DialectAdapter): Promise<void> {
  for (const [table] of chatReadModelTables) await db.deleteFrom(table).execute();
  await adapter.fullTextRemove(db, memorySearchIndex);
}

async function restore(db: Transaction, adapter: DialectAdapter, tables: ReadModelTables): Promise<void> {
  for (const [table] of chatReadModelTables) {
    const rows = (tables[table] ?? []).map((row) => {
      const out: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(row))
        out[key] = value !== null && typeof value === 'object' ? JSON.stringify(value) : value;
      return out;
    });
    for (let start = 0; start < rows.length; start += 100)
      await db
        .insertInto(table)
        .values(rows.slice(start, start + 100))
        .execute();
  }
  await adapter.fullTextAdd(db, memorySearchIndex);
}

async function headPosition(db: Transaction): Promise<number> {
  const row = await db
    .selectFrom('events')
    .select((expression) => expression.fn.max('position').as('head'))
    .executeTakeFirst();
  return Number(row?.head ?? 0);
}

function transaction(database: StoreDatabase) {
  return database.adapter.consistentReadTransaction(database.db);
}

/** Saves a snapshot of every chat read model at the log's head (one consistent read) and keeps the newest `keep`. */
export async function snapshotReadModels(database: StoreDatabase, snapshots: SnapshotStore, keep: number): Promise<ReadModelSnapshot> {
  const snapshot = await transaction(database).execute(async (db) => ({
    position: await headPosition(db as Transaction),
    tables: await dumpReadModels(db as Transaction),
  }));
  await snapshots.save(readModelSnapshotStream, snapshot.position, snapshot, readModelSchemaVersion);
  await snapshots.prune(readModelSnapshotStream, keep);
  return snapshot;
}

/**
 * Rebuilds every chat read model: from the newest snapshot plus the events after it, or (`fromSnapshot: false`, or no
 * snapshot of this schema) by replaying the whole log. Runs in one transaction.
 */
export async function rebuildReadModels(
  database: StoreDatabase,
  snapshots: SnapshotStore,
  options: { fromSnapshot: boolean },
): Promise<{ from: number; replayed: number }> {
  const snapshot = options.fromSnapshot
    ? await snapshots.loadLatest<ReadModelSnapshot>(readModelSnapshotStream, { schemaVersion: readModelSchemaVersion })
    : undefined;
  const projection: InlineProjection = chatProjection(database.adapter);
  return database.db.transaction().execute(async (db) => {
    const tx = db as Kysely<Record<string, Record<string, unknown>>> as Transaction;
    await clear(tx, database.adapter);
    const from = snapshot?.state.position ?? 0;
    if (snapshot) await restore(tx, database.adapter, snapshot.state.tables);
    let after = from;
    let replayed = 0;
    for (;;) {
      const rows = await tx
        .selectFrom('events')
        .selectAll()
        .where('position', '>', after)
        .where('type', 'in', chatEventTypes)
        .orderBy('position')
        .limit(500)
        .execute();
      if (rows.length === 0) break;
      for (const row of rows) {
        const event: RecordedEvent = {
          position: Number(row.position),
          streamId: String(row.stream_id),
          version: Number(row.version),
          type: String(row.type),
          data: database.adapter.readJson(row.data),
          metadata: database.adapter.readJson(row.metadata) ?? {},
          recordedAt: Number(row.recorded_at),
        };
        // One event at a time: a re-projecting event rebuilds from the log up to itself only.
        await projection.apply(tx, [event]);
        after = event.position;
        replayed++;
      }
    }
    return { from, replayed };
  });
}

/** The newest snapshot's position and age, and how many chat events came after it (at most `limit`). */
export async function snapshotLag(
  database: StoreDatabase,
  snapshots: SnapshotStore,
  limit: number,
): Promise<{ position: number; createdAt: number | undefined; eventsSince: number }> {
  const latest = await snapshots.loadLatest<ReadModelSnapshot>(readModelSnapshotStream, { schemaVersion: readModelSchemaVersion });
  const position = latest?.state.position ?? 0;
  const rows = await database.db
    .selectFrom('events')
    .select('position')
    .where('position', '>', position)
    .where('type', 'in', chatEventTypes)
    .limit(limit)
    .execute();
  return { position, createdAt: latest?.createdAt, eventsSince: rows.length };
}
