import { sql } from 'kysely';
import { columnTypes, type StoreMigration } from './migrations.js';

/** Tables of the event store itself: the log, snapshots, and async projection checkpoints. */
export const storeMigrations: StoreMigration[] = [
  {
    name: '0001-store-events',
    async up(db, dialect) {
      let table = db.schema.createTable('events');
      table =
        dialect === 'postgres'
          ? table.addColumn('position', 'bigserial', (column) => column.primaryKey())
          : table.addColumn('position', 'integer', (column) => column.primaryKey().autoIncrement());
      await table
        .addColumn('stream_id', 'text', (column) => column.notNull())
        .addColumn('version', 'integer', (column) => column.notNull())
        .addColumn('type', 'text', (column) => column.notNull())
        .addColumn('data', columnTypes.json(dialect), (column) => column.notNull())
        .addColumn('metadata', columnTypes.json(dialect), (column) => column.notNull())
        .addColumn('recorded_at', 'bigint', (column) => column.notNull())
        .addUniqueConstraint('events_stream_version', ['stream_id', 'version'])
        .execute();
      await db.schema.createIndex('events_type').on('events').columns(['type', 'position']).execute();
    },
  },
  {
    name: '0002-store-snapshots',
    async up(db, dialect) {
      await db.schema
        .createTable('snapshots')
        .addColumn('stream_id', 'text', (column) => column.notNull())
        .addColumn('version', 'integer', (column) => column.notNull())
        .addColumn('schema_version', 'integer', (column) => column.notNull())
        .addColumn('state', columnTypes.json(dialect), (column) => column.notNull())
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
