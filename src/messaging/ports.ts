/**
 * Messaging ports. Each has an embedded adapter (SQL tables / in-process) and a NATS JetStream adapter;
 * both pass the same conformance suite (`conformance.ts`).
 */

// ---------- Job queue: at-least-once, lease / ack, backoff, dead letter ----------

export interface EnqueueOptions {
  /** Jobs with the same key on the same queue are enqueued once; the second call reports `duplicate: true`. */
  idempotencyKey?: string;
  /** Delay before the job may be leased. */
  delayMs?: number;
  /** Overrides the adapter's default attempt limit. */
  maxAttempts?: number;
}

export interface EnqueueResult {
  id: string;
  duplicate: boolean;
}

export interface LeasedJob<Payload = unknown> {
  id: string;
  queue: string;
  payload: Payload;
  /** 1 on the first delivery. */
  attempt: number;
  maxAttempts: number;
  idempotencyKey: string | undefined;
  /** Opaque token proving this lease; a stale lease cannot ack or nack. */
  leaseToken: string;
}

export interface LeaseOptions {
  /**
   * How long the worker owns the jobs; afterwards they are delivered again. On NATS the lease is the queue's consumer
   * `ack_wait`, one value per queue: a different value here changes it for every job of that queue.
   */
  leaseMs?: number;
  /** At most this many jobs. */
  limit?: number;
  /** Wait up to this long for a job when none is ready (0 = return at once). */
  waitMs?: number;
}

/** `stale`: the lease had expired and the job was delivered to someone else, so this nack changed nothing. */
export type NackOutcome = 'retry' | 'dead' | 'stale';

export interface DeadLetter<Payload = unknown> {
  id: string;
  queue: string;
  payload: Payload;
  attempts: number;
  lastError: string;
  idempotencyKey: string | undefined;
}

export interface QueueDepth {
  /** Waiting to be leased (including delayed). */
  ready: number;
  /**
   * Leased and not yet acked. On NATS this also counts jobs waiting out a retry backoff or an enqueue delay: the
   * server keeps those "ack pending" and does not say which is which.
   */
  leased: number;
  dead: number;
}

export interface JobQueue {
  enqueue(queue: string, payload: unknown, options?: EnqueueOptions): Promise<EnqueueResult>;
  lease<Payload = unknown>(queue: string, options?: LeaseOptions): Promise<LeasedJob<Payload>[]>;
  /**
   * Marks the job done. Returns false when the lease had expired and the job was delivered to someone else (NATS can
   * only tell for redeliveries to the same queue instance; see nats-job-queue.ts).
   */
  ack(job: LeasedJob): Promise<boolean>;
  /** Fails the attempt: retry after backoff (or `retryInMs`), or dead-letter when attempts are used up. */
  nack(job: LeasedJob, error: string, options?: { retryInMs?: number }): Promise<NackOutcome>;
  deadLetters<Payload = unknown>(queue: string, options?: { limit?: number }): Promise<DeadLetter<Payload>[]>;
  /** Puts a dead job back on its queue with a fresh attempt count. */
  requeueDead(queue: string, id: string): Promise<boolean>;
  depth(queue: string): Promise<QueueDepth>;
  close(): Promise<void>;
}

// ---------- Event bus: topic pub/sub for live views, at-most-once ----------

export type BusHandler = (message: unknown, topic: string) => void;

export interface EventBus {
  /** Topics are dot-separated words: `chat.42.tokens`; a subscription may end in `.>` for everything below. */
  publish(topic: string, message: unknown): Promise<void>;
  /** Resolves once the subscription is live; the returned function ends it. */
  subscribe(topic: string, handler: BusHandler): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

// ---------- Key-value store: flags, leases, caches ----------

export interface KvEntry<Value = unknown> {
  key: string;
  value: Value;
  /** Increases on every write of the key; use it for compare-and-set. */
  revision: number;
}

export interface KvStore {
  get<Value = unknown>(key: string): Promise<KvEntry<Value> | undefined>;
  /** Writes unconditionally; returns the new revision. */
  put(key: string, value: unknown, options?: { ttlMs?: number }): Promise<number>;
  /**
   * Writes only when the key's current revision equals `expectedRevision` (`null` = the key must not exist or has
   * expired). Returns the new revision, or undefined when another writer got there first.
   */
  compareAndSet(key: string, expectedRevision: number | null, value: unknown, options?: { ttlMs?: number }): Promise<number | undefined>;
  delete(key: string): Promise<void>;
  close(): Promise<void>;
}

export interface Messaging {
  kind: 'memory' | 'nats';
  queue: JobQueue;
  bus: EventBus;
  kv: KvStore;
  /** Resolves when the transport is usable now (NATS: connected and answering a ping); rejects with the reason. */
  check(): Promise<void>;
  close(): Promise<void>;
}
