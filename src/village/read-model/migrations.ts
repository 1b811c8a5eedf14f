/**
 * The village's read-model tables (migrations 0300-0399), filled by the inline projection in `projection.ts`:
 * - `village_runs`: one row per run (seed, sim time, day, weather, head version);
 * - `village_events`: the timeline (one row per `village_event`);
 * - `village_posts`: FEED / CHAT / NEWS posts, unique per (run, source event, channel, author) so a re-delivered
 *   render job can never publish twice; `status` is visible, hidden or rejected.
 */
import type { StoreMigration } from '../../store/index.js';

export const villageMigrations: readonly StoreMigration[] = [
  {
    name: '0300-village-read-model',
    async up(db, adapter) {
      await db.schema
        .createTable('village_runs')
        .addColumn('run_id', 'text', (column) => column.primaryKey())
        .addColumn('world', 'text', (column) => column.notNull())
        .addColumn('seed', 'bigint', (column) => column.notNull())
        .addColumn('language', 'text', (column) => column.notNull())
        .addColumn('sim_time', 'text')
        .addColumn('tick', 'integer', (column) => column.notNull().defaultTo(-1))
        .addColumn('day', 'integer', (column) => column.notNull().defaultTo(0))
        .addColumn('weather', 'text')
        .addColumn('version', 'bigint', (column) => column.notNull().defaultTo(0))
        .addColumn('started_at', 'bigint', (column) => column.notNull())
        .execute();

      await db.schema
        .createTable('village_events')
        .addColumn('position', 'bigint', (column) => column.primaryKey())
        .addColumn('run_id', 'text', (column) => column.notNull())
        .addColumn('event_id', 'text', (column) => column.notNull())
        .addColumn('type', 'text', (column) => column.notNull())
        .addColumn('category', 'text', (column) => column.notNull())
        .addColumn('sim_time', 'text', (column) => column.notNull())
        .addColumn('sim_ms', 'bigint', (column) => column.notNull())
        .addColumn('place', 'text', (column) => column.notNull())
        .addColumn('actors', adapter.jsonType, (column) => column.notNull())
        .addColumn('targets', adapter.jsonType, (column) => column.notNull())
        .addColumn('impact', 'real', (column) => column.notNull())
        .addColumn('data', adapter.jsonType, (column) => column.notNull())
        .addUniqueConstraint('village_events_run_event', ['run_id', 'event_id'])
        .execute();
      await db.schema.createIndex('village_events_run_position').on('village_events').columns(['run_id', 'position']).execute();

      let posts = db.schema.createTable('village_posts');
      posts = adapter.addAutoIncrementKey(posts, 'id');
      await posts
        .addColumn('run_id', 'text', (column) => column.notNull())
        .addColumn('channel', 'text', (column) => column.notNull())
        .addColumn('author_id', 'text', (column) => column.notNull())
        .addColumn('source_event_id', 'text', (column) => column.notNull())
        .addColumn('tone', 'text', (column) => column.notNull())
        .addColumn('text', 'text', (column) => column.notNull())
        .addColumn('tags', adapter.jsonType, (column) => column.notNull())
        .addColumn('safety_notes', 'text')
        .addColumn('model', 'text', (column) => column.notNull())
        .addColumn('fell_back', 'integer', (column) => column.notNull().defaultTo(0))
        .addColumn('sim_time', 'text', (column) => column.notNull())
        .addColumn('sim_ms', 'bigint', (column) => column.notNull())
        .addColumn('place', 'text')
        .addColumn('status', 'text', (column) => column.notNull())
        .addColumn('flags', 'integer', (column) => column.notNull().defaultTo(0))
        .addColumn('moderation_note', 'text')
        .addColumn('position', 'bigint', (column) => column.notNull())
        .addColumn('created_at', 'bigint', (column) => column.notNull())
        .addUniqueConstraint('village_posts_idempotency', ['run_id', 'source_event_id', 'channel', 'author_id'])
        .execute();
      await db.schema
        .createIndex('village_posts_run_channel_time')
        .on('village_posts')
        .columns(['run_id', 'status', 'channel', 'sim_ms', 'id'])
        .execute();
      await db.schema.createIndex('village_posts_author').on('village_posts').columns(['author_id', 'run_id']).execute();
    },
  },
  {
    // `GET /posts` without a channel pages all channels by time; without this index SQLite sorts every visible post
    // of the run on each page (bench api-reads: 77-157 ms p50 at 100k posts).
    name: '0301-village-posts-time-index',
    async up(db) {
      await db.schema.createIndex('village_posts_run_time').on('village_posts').columns(['run_id', 'status', 'sim_ms', 'id']).execute();
    },
  },
];
