/**
 * The embedded job queue: a `jobs` table on SQLite or PostgreSQL, one code path.
 *
 * A job is `ready` (possibly not yet available), `leased` (until `lease_until`, proven by `lease_token`), `done` or
 * `dead`. Leasing increments `attempts`; a leased job whose lease ran out is leasable again (the worker vanished), or
 * is dead-lettered when it already used its last attempt. Ack and nack only touch a row whose token still matches,
 * so a worker whose lease expired and was handed to someone else learns that it lost the job.
 *
 * Concurrency: on PostgreSQL the lease picks rows with `FOR UPDATE SKIP LOCKED`, so parallel workers never take the
 * same job; SQLite runs one statement at a time. Done rows stay (they keep the idempotency key taken).
 */
import { randomUUID } from 'node:crypto';
import type { Generated, Kysely } from 'kysely';
import { sleep } from '../../core/sleep.js';
import type { StoreDatabase } from '../../store/database.js';
import type { DialectAdapter } from '../../store/dialect/index.js';
import type { StoreMigration } from '../../store/migrations.js';
import { assertQueueName } from '../names.js';
import type { DeadLetter, EnqueueOptions, EnqueueResult, JobQueue, LeasedJob, LeaseOptions, NackOutcome, QueueDepth } from '../ports.js';
import {
  assertEnqueueOptions,
  type JobQueueOptions,
  leaseExpiredError,
  leaseLimit,
  type ResolvedJobQueueOptions,
  resolveJobQueueOptions,
  retryDelay,
} from '../queue-settings.js';

type JobStatus = 'ready' | 'leased' | 'done' | 'dead';

interface JobsTable {
  /** Also the FIFO order. */
  id: Generated<number>;
  queue: string;
  /** JSON text: jsonb on PostgreSQL, text on SQLite. */
  payload: string;
  idempotency_key: string | null;
  status: JobStatus;
  attempts: number;
  max_attempts: number;
  available_at: number;
  lease_until: number | null;
  lease_token: string | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
}

interface JobTables {
  jobs: JobsTable;
}

export const jobQueueMigrations: StoreMigration[] = [
  {
    name: '0100-messaging-jobs',
    async up(db, adapter) {
      let table = db.schema.createTable('jobs');
      table = adapter.addAutoIncrementKey(table, 'id');
      await table
        .addColumn('queue', 'text', (column) => column.notNull())
        .addColumn('payload', adapter.jsonType, (column) => column.notNull())
        .addColumn('idempotency_key', 'text')
        .addColumn('status', 'text', (column) => column.notNull())
        .addColumn('attempts', 'integer', (column) => column.notNull())
        .addColumn('max_attempts', 'integer', (column) => column.notNull())
        .addColumn('available_at', 'bigint', (column) => column.notNull())
        .addColumn('lease_until', 'bigint')
        .addColumn('lease_token', 'text')
        .addColumn('last_error', 'text')
        .addColumn('created_at', 'bigint', (column) => column.notNull())
        .addColumn('updated_at', 'bigint', (column) => column.notNull())
        .addUniqueConstraint('jobs_queue_idempotency_key', ['queue', 'idempotency_key'])
        .execute();
      await db.schema.createIndex('jobs_queue_status').on('jobs').columns(['queue', 'status', 'available_at']).execute();
    },
  },
];

export interface SqlJobQueueOptions extends JobQueueOptions {
  /** How often a waiting `lease` polls the table. Enqueues through this instance wake it at once. Default 250 ms. */
  pollIntervalMs?: number;
}

export class SqlJobQueue implements JobQueue {
  private readonly db: Kysely<JobTables>;
  private readonly adapter: DialectAdapter;
  private readonly settings: ResolvedJobQueueOptions;
  private readonly pollIntervalMs: number;
  /** Leases waiting in `waitMs`, woken by a local enqueue. */
  private readonly waiters = new Set<() => void>();
  private closed = false;

  constructor(database: StoreDatabase, options: SqlJobQueueOptions = {}) {
    this.db = database.db as Kysely<JobTables>;
    this.adapter = database.adapter;
    this.settings = resolveJobQueueOptions(options);
    this.pollIntervalMs = options.pollIntervalMs ?? 250;
  }

  async enqueue(queue: string, payload: unknown, options: EnqueueOptions = {}): Promise<EnqueueResult> {
    assertQueueName(queue);
    const maxAttempts = options.maxAttempts ?? this.settings.maxAttempts;
    assertEnqueueOptions(options, maxAttempts);
    const now = this.settings.clock.now();
    const inserted = await this.db
      .insertInto('jobs')
      .values({
        queue,
        payload: JSON.stringify(payload ?? null),
        idempotency_key: options.idempotencyKey ?? null,
        status: 'ready',
        attempts: 0,
        max_attempts: maxAttempts,
        available_at: now + (options.delayMs ?? 0),
        lease_until: null,
        lease_token: null,
        last_error: null,
        created_at: now,
        updated_at: now,
      })
      .onConflict((conflict) => conflict.columns(['queue', 'idempotency_key']).doNothing())
      .returning('id')
      .executeTakeFirst();
    if (inserted) {
      this.wakeWaiters();
      return { id: String(inserted.id), duplicate: false };
    }
    const existing = await this.db
      .selectFrom('jobs')
      .select('id')
      .where('queue', '=', queue)
      .where('idempotency_key', '=', options.idempotencyKey ?? null)
      .executeTakeFirstOrThrow();
    return { id: String(existing.id), duplicate: true };
  }

  async lease<Payload = unknown>(queue: string, options: LeaseOptions = {}): Promise<LeasedJob<Payload>[]> {
    assertQueueName(queue);
    const waitMs = options.waitMs ?? 0;
    // Waiting is measured in real time: the injected clock may be a manual one that never moves on its own.
    const deadline = performance.now() + waitMs;
    for (;;) {
      const jobs = await this.leaseOnce<Payload>(queue, options);
      const remaining = deadline - performance.now();
      if (jobs.length > 0 || remaining <= 0 || this.closed) return jobs;
      await this.waitForWork(Math.min(remaining, this.pollIntervalMs));
    }
  }

  async ack(job: LeasedJob): Promise<boolean> {
    const now = this.settings.clock.now();
    const result = await this.db
      .updateTable('jobs')
      .set({ status: 'done', lease_until: null, lease_token: null, updated_at: now })
      .where('id', '=', jobIdNumber(job.id))
      .where('status', '=', 'leased')
      .where('lease_token', '=', job.leaseToken)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async nack(job: LeasedJob, error: string, options: { retryInMs?: number } = {}): Promise<NackOutcome> {
    const row = await this.db
      .selectFrom('jobs')
      .select(['attempts', 'max_attempts'])
      .where('id', '=', jobIdNumber(job.id))
      .where('status', '=', 'leased')
      .where('lease_token', '=', job.leaseToken)
      .executeTakeFirst();
    if (!row) return 'stale';
    const now = this.settings.clock.now();
    const outcome: NackOutcome = row.attempts >= row.max_attempts ? 'dead' : 'retry';
    const delay = options.retryInMs ?? retryDelay(row.attempts, this.settings);
    const result = await this.db
      .updateTable('jobs')
      .set({
        status: outcome === 'dead' ? 'dead' : 'ready',
        available_at: outcome === 'dead' ? now : now + delay,
        lease_until: null,
        lease_token: null,
        last_error: error,
        updated_at: now,
      })
      .where('id', '=', jobIdNumber(job.id))
      .where('status', '=', 'leased')
      .where('lease_token', '=', job.leaseToken)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) !== 1) return 'stale';
    if (outcome === 'dead')
      this.settings.logger.warn({ queue: job.queue, jobId: job.id, attempts: row.attempts, error }, 'job dead-lettered');
    return outcome;
  }

  async deadLetters<Payload = unknown>(queue: string, options: { limit?: number } = {}): Promise<DeadLetter<Payload>[]> {
    assertQueueName(queue);
    const rows = await this.db
      .selectFrom('jobs')
      .select(['id', 'queue', 'payload', 'attempts', 'last_error', 'idempotency_key'])
      .where('queue', '=', queue)
      .where('status', '=', 'dead')
      .orderBy('updated_at')
      .orderBy('id')
      .limit(options.limit ?? 100)
      .execute();
    return rows.map((row) => ({
      id: String(row.id),
      queue: row.queue,
      payload: this.decodePayload<Payload>(row.payload),
      attempts: row.attempts,
      lastError: row.last_error ?? '',
      idempotencyKey: row.idempotency_key ?? undefined,
    }));
  }

  async requeueDead(queue: string, id: string): Promise<boolean> {
    assertQueueName(queue);
    const now = this.settings.clock.now();
    const result = await this.db
      .updateTable('jobs')
      .set({ status: 'ready', attempts: 0, available_at: now, lease_until: null, lease_token: null, updated_at: now })
      .where('id', '=', jobIdNumber(id))
      .where('queue', '=', queue)
      .where('status', '=', 'dead')
      .executeTakeFirst();
    const requeued = Number(result.numUpdatedRows) === 1;
    if (requeued) this.wakeWaiters();
    return requeued;
  }

  async depth(queue: string): Promise<QueueDepth> {
    assertQueueName(queue);
    const rows = await this.db
      .selectFrom('jobs')
      .select((expression) => ['status', expression.fn.countAll().as('count')])
      .where('queue', '=', queue)
      .where('status', 'in', ['ready', 'leased', 'dead'])
      .groupBy('status')
      .execute();
    const depth: QueueDepth = { ready: 0, leased: 0, dead: 0 };
    for (const row of rows) depth[row.status as keyof QueueDepth] = Number(row.count);
    return depth;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wakeWaiters();
  }

  private async leaseOnce<Payload>(queue: string, options: LeaseOptions): Promise<LeasedJob<Payload>[]> {
    const now = this.settings.clock.now();
    const leaseMs = options.leaseMs ?? this.settings.leaseMs;
    const limit = leaseLimit(options);

    // Jobs whose last lease ran out are dead, not leasable. SKIP LOCKED here too, so parallel sweeps never wait on each other.
    const expired = await this.db
      .with(
        (cte) => cte('exhausted').materialized(),
        (db) =>
          db
            .selectFrom('jobs')
            .select('id')
            .where('queue', '=', queue)
            .where('status', '=', 'leased')
            .where('lease_until', '<=', now)
            .whereRef('attempts', '>=', 'max_attempts')
            .$call((query) => this.adapter.lockSkippingLocked(query)),
      )
      .updateTable('jobs')
      .set({ status: 'dead', last_error: leaseExpiredError, lease_until: null, lease_token: null, updated_at: now })
      .where('id', 'in', (expression) => expression.selectFrom('exhausted').select('id'))
      .returning(['id', 'attempts'])
      .execute();
    for (const job of expired)
      this.settings.logger.warn({ queue, jobId: job.id, attempts: job.attempts }, 'job dead-lettered: lease expired');

    const leaseToken = randomUUID();
    const rows = await this.db
      .with(
        (cte) => cte('candidates').materialized(),
        (db) =>
          db
            .selectFrom('jobs')
            .select('id')
            .where('queue', '=', queue)
            .where((expression) =>
              expression.or([
                expression.and([expression('status', '=', 'ready'), expression('available_at', '<=', now)]),
                expression.and([expression('status', '=', 'leased'), expression('lease_until', '<=', now)]),
              ]),
            )
            .whereRef('attempts', '<', 'max_attempts')
            .orderBy('available_at')
            .orderBy('id')
            .limit(limit)
            .$call((query) => this.adapter.lockSkippingLocked(query)),
      )
      .updateTable('jobs')
      .set((expression) => ({
        status: 'leased',
        attempts: expression('attempts', '+', 1),
        lease_until: now + leaseMs,
        lease_token: leaseToken,
        updated_at: now,
      }))
      .where('id', 'in', (expression) => expression.selectFrom('candidates').select('id'))
      .returningAll()
      .execute();

    rows.sort((left, right) => left.available_at - right.available_at || left.id - right.id);
    return rows.map((row) => ({
      id: String(row.id),
      queue: row.queue,
      payload: this.decodePayload<Payload>(row.payload),
      attempt: row.attempts,
      maxAttempts: row.max_attempts,
      idempotencyKey: row.idempotency_key ?? undefined,
      leaseToken,
    }));
  }

  /** pg parses jsonb itself (a JSON string payload arrives as a plain string), SQLite hands back the text. */
  private decodePayload<Payload>(value: unknown): Payload {
    return this.adapter.readJson<Payload>(value);
  }

  private async waitForWork(milliseconds: number): Promise<void> {
    const controller = new AbortController();
    const wake = () => controller.abort();
    this.waiters.add(wake);
    try {
      await sleep(milliseconds, controller.signal);
    } catch {
      // woken early by an enqueue or close
    } finally {
      this.waiters.delete(wake);
    }
  }

  private wakeWaiters(): void {
    for (const wake of this.waiters) wake();
  }
}

/** Job ids are the row's sequence number as a string; anything else matches no job. */
function jobIdNumber(id: string): number {
  return /^\d{1,15}$/.test(id) ? Number(id) : -1;
}
