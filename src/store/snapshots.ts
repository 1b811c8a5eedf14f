/** Snapshots: the folded state of a stream at a version, so a cold start reads only the events after it. */
import type { Kysely } from 'kysely';
import { type Clock, systemClock } from '../core/clock.js';
import type { StoreDatabase } from './database.js';
import type { DialectAdapter } from './dialect/index.js';

export interface Snapshot<State = unknown> {
  streamId: string;
  version: number;
  /** Bumped by the owner when the state's shape changes; an old snapshot is then ignored. */
  schemaVersion: number;
  state: State;
  createdAt: number;
}

type SnapshotTables = {
  snapshots: { stream_id: string; version: number; schema_version: number; state: unknown; created_at: number };
};

export class SnapshotStore {
  private readonly db: Kysely<SnapshotTables>;
  private readonly clock: Clock;
  private readonly adapter: DialectAdapter;

  constructor(database: StoreDatabase, options: { clock?: Clock } = {}) {
    this.db = database.db as Kysely<SnapshotTables>;
    this.adapter = database.adapter;
    this.clock = options.clock ?? systemClock;
  }

  async save<State>(streamId: string, version: number, state: State, schemaVersion = 1): Promise<Snapshot<State>> {
    const createdAt = this.clock.now();
    const values = { stream_id: streamId, version, schema_version: schemaVersion, state: JSON.stringify(state), created_at: createdAt };
    await this.db
      .insertInto('snapshots')
      .values(values)
      .onConflict((conflict) =>
        conflict
          .columns(['stream_id', 'version'])
          .doUpdateSet({ schema_version: schemaVersion, state: values.state, created_at: createdAt }),
      )
      .execute();
    return { streamId, version, schemaVersion, state, createdAt };
  }

  /** The newest snapshot of the stream, optionally only one of the given schema version and at or below a version. */
  async loadLatest<State>(
    streamId: string,
    options: { schemaVersion?: number; atOrBefore?: number } = {},
  ): Promise<Snapshot<State> | undefined> {
    let query = this.db.selectFrom('snapshots').selectAll().where('stream_id', '=', streamId).orderBy('version', 'desc').limit(1);
    if (options.schemaVersion !== undefined) query = query.where('schema_version', '=', options.schemaVersion);
    if (options.atOrBefore !== undefined) query = query.where('version', '<=', options.atOrBefore);
    const row = await query.executeTakeFirst();
    if (!row) return undefined;
    return {
      streamId: row.stream_id,
      version: Number(row.version),
      schemaVersion: Number(row.schema_version),
      state: this.adapter.readJson<State>(row.state),
      createdAt: Number(row.created_at),
    };
  }

  /** Keeps the newest `keep` snapshots of the stream; returns how many were removed. */
  async prune(streamId: string, keep: number): Promise<number> {
    const kept = await this.db
      .selectFrom('snapshots')
      .select('version')
      .where('stream_id', '=', streamId)
      .orderBy('version', 'desc')
      .limit(keep)
      .execute();
    const oldestKept = kept[kept.length - 1]?.version;
    if (oldestKept === undefined || kept.length < keep) return 0;
    const result = await this.db
      .deleteFrom('snapshots')
      .where('stream_id', '=', streamId)
      .where('version', '<', oldestKept)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
