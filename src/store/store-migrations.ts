import { sql } from 'kysely';
import type { StoreMigration } from './migrations.js';

/** Tables of the event store itself: the log, snapshots, and async projection checkpoints. */
export const storeMigrations: StoreMigration[] = [
  {
    name: '0001-store-events',
    async up(db, adapter) {
      await adapter
        .addAutoIncrementKey(db.schema.createTable('events'), 'position')
        .addColumn('stream_id', 'text', (column) => column.notNull())
        .addColumn('version', 'integer', (column) => column.notNull())
        .addColumn('type', 'text', (column) => column.notNull())
        .addColumn('data', adapter.jsonType, (column) => column.notNull())
        .addColumn('metadata', adapter.jsonType, (column) => column.notNull())
        .addColumn('recorded_at', 'bigint', (column) => column.notNull())
        .addUniqueConstraint('events_stream_version', ['stream_id', 'version'])
        .execute();
      await db.schema.createIndex('events_type').on('events').columns(['type', 'position']).execute();
    },
  },
  {
    name: '0002-store-snapshots',
    async up(db, adapter) {
      await db.schema
        .createTable('snapshots')
        .addColumn('stream_id', 'text', (column) => column.notNull())
        .addColumn('version', 'integer', (column) => column.notNull())
        .addColumn('schema_version', 'integer', (column) => column.notNull())
        .addColumn('state', adapter.jsonType, (column) => column.notNull())
        .addColumn('created_at', 'bigint', (column) => column.notNull())
        .addPrimaryKeyConstraint('snapshots_pk', ['stream_id', 'version'])
        .execute();
    },
  },
  {
    name: '0003-store-projection-checkpoints',
    async up(db) {
      await db.schema
        .createTable('projection_checkpoints')
        .addColumn('name', 'text', (column) => column.primaryKey())
        .addColumn('position', 'bigint', (column) => column.notNull())
        .addColumn('updated_at', 'bigint', (column) => column.notNull().defaultTo(sql`0`))
        .execute();
    },
  },
];
