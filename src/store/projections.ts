/**
 * Async projections: read the log after a stored checkpoint and apply batches, each batch and its new checkpoint in
 * one transaction — so a crash re-applies nothing that was committed and loses nothing that was not.
 */
import type { Kysely } from 'kysely';
import { type Clock, systemClock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { EventFilter, EventStore, RecordedEvent, Transaction } from './event-store.js';

export interface AsyncProjection {
  /** Unique; names the checkpoint. Renaming it rebuilds the projection from the start. */
  name: string;
  filter?: EventFilter;
  apply(transaction: Transaction, events: readonly RecordedEvent[]): Promise<void>;
}

type CheckpointTables = {
  projection_checkpoints: { name: string; position: number; updated_at: number };
};

export interface ProjectionRunnerOptions {
  batchSize?: number;
  clock?: Clock;
  logger?: Logger;
}

export class ProjectionRunner {
  private readonly store: EventStore;
  private readonly projection: AsyncProjection;
  private readonly db: Kysely<CheckpointTables>;
  private readonly batchSize: number;
  private readonly clock: Clock;
  private readonly logger: Logger | undefined;

  constructor(store: EventStore, projection: AsyncProjection, options: ProjectionRunnerOptions = {}) {
    this.store = store;
    this.projection = projection;
    this.db = store.database.db as Kysely<CheckpointTables>;
    this.batchSize = options.batchSize ?? 500;
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger;
  }

  async checkpoint(): Promise<number> {
    const row = await this.db
      .selectFrom('projection_checkpoints')
      .select('position')
      .where('name', '=', this.projection.name)
      .executeTakeFirst();
    return Number(row?.position ?? 0);
  }

  /** Applies everything up to the current head; returns the number of events applied. */
  async catchUp(): Promise<number> {
    let applied = 0;
    for (;;) {
      const after = await this.checkpoint();
      const head = await this.store.headPosition();
      if (head <= after) return applied;
      const events = await this.store.readAll({
        after,
        upTo: head,
        limit: this.batchSize,
        ...(this.projection.filter ? { filter: this.projection.filter } : {}),
      });
      const reached = events.length < this.batchSize ? head : (events[events.length - 1]?.position ?? head);
      await this.commit(events, reached);
      applied += events.length;
    }
  }

  /** Follows the log live until the signal aborts. */
  async run(signal: AbortSignal): Promise<void> {
    await this.catchUp();
    const after = await this.checkpoint();
    for await (const event of this.store.subscribe({
      after,
      signal,
      ...(this.projection.filter ? { filter: this.projection.filter } : {}),
    })) {
      await this.commit([event], event.position);
    }
  }

  private async commit(events: readonly RecordedEvent[], reached: number): Promise<void> {
    const now = this.clock.now();
    await this.db.transaction().execute(async (transaction) => {
      if (events.length > 0) await this.projection.apply(transaction as Transaction, events);
      await transaction
        .insertInto('projection_checkpoints')
        .values({ name: this.projection.name, position: reached, updated_at: now })
        .onConflict((conflict) => conflict.column('name').doUpdateSet({ position: reached, updated_at: now }))
        .execute();
    });
    if (events.length > 0) this.logger?.debug({ projection: this.projection.name, reached, count: events.length }, 'projection advanced');
  }
}
