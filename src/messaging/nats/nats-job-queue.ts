/**
 * The distributed job queue on NATS JetStream (works on nats-server 2.9).
 *
 * Layout per prefix: stream `<prefix>_jobs` (WorkQueue retention, subjects `<prefix>.jobs.<queue>`) with one durable
 * pull consumer `jobs_<queue>` per queue, and stream `<prefix>_dead` (subjects `<prefix>.dead.<queue>`) for dead
 * letters. A message body is a JSON envelope: payload, attempt limit, idempotency key, and for delayed or requeued
 * jobs the start time and the original job id. A job id is the stream sequence of its first enqueue.
 *
 * - Lease = a pull request (`no_wait` + `expires`, so it returns as soon as anything is ready); the lease length is the
 *   consumer's `ack_wait`, one value per queue. Ack / nack / term go to the message's ack subject, which is the core
 *   of the lease token, so any process can settle a job.
 * - Attempts come from the delivery count. `max_deliver` stays unlimited: a job whose worker vanished on its last
 *   attempt comes back once more and is dead-lettered at that delivery instead of silently dropped by the server.
 * - Nack = `nak(delay)` with the backoff, or publish to the dead stream then `term`.
 * - Delayed jobs (`delayMs`): 2.9 has no scheduled delivery, so the first delivery of a delayed job is always handed
 *   back with `nak(remaining delay)` and not counted as an attempt. If a worker dies between that fetch and the nak,
 *   the job costs one attempt.
 *
 * Limits:
 * - Idempotency keys become `Nats-Msg-Id`, so duplicates are only recognised inside the stream's duplicate window
 *   (`dedupeWindowMs`, default 2 minutes); after that the same key enqueues a second job. The SQL queue remembers
 *   keys forever. Handlers must stay idempotent.
 * - Stale leases: the server accepts an ack from an older delivery of a message (it does not compare delivery
 *   counts), so staleness is tracked here, per queue instance, by stream sequence. `ack`/`nack` with a lease this
 *   instance handed out and has since re-delivered (or already settled) return false / 'stale' and send nothing. A
 *   redelivery to another process cannot be seen: the stale ack then succeeds on the server and returns true.
 * - `depth().leased` includes jobs waiting out a nack backoff or a delayed start (the server keeps them ack-pending).
 */
import { randomUUID } from 'node:crypto';
import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamClient,
  type JetStreamManager,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
} from '@nats-io/jetstream';
import { createInbox, type Msg, type NatsConnection, nanos, type Subscription } from '@nats-io/transport-node';
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

export interface NatsJobQueueOptions extends JobQueueOptions {
  /** Names the streams and subjects; letters, digits, - and _. */
  prefix: string;
  /** How long an idempotency key is remembered. Default 2 minutes (the server's default). */
  dedupeWindowMs?: number;
  /** Default file; memory suits tests. */
  storage?: 'file' | 'memory';
  /** Timeout of each JetStream API call and ack. Default 5 s. */
  requestTimeoutMs?: number;
}

/** The message body on the jobs stream. */
interface JobEnvelope {
  payload: unknown;
  maxAttempts: number;
  idempotencyKey?: string;
  /** Epoch milliseconds; set for delayed jobs. */
  availableAt?: number;
  /** Set when a dead job is requeued, so it keeps its id. */
  id?: string;
}

/** The message body on the dead-letter stream. */
interface DeadEnvelope {
  id: string;
  payload: unknown;
  attempts: number;
  maxAttempts: number;
  lastError: string;
  idempotencyKey?: string;
}

interface Delivery {
  stream: string;
  deliveryCount: number;
  streamSequence: number;
}

interface LeaseRecord {
  token: string;
  /** Clock time after which the record may be forgotten. */
  forgetAfter: number;
}

const tokenSeparator = '|';
/** How long a lease record outlives its lease, at least. */
const leaseRecordRetentionMs = 10 * 60_000;

export class NatsJobQueue implements JobQueue {
  private readonly connection: NatsConnection;
  private readonly settings: ResolvedJobQueueOptions;
  private readonly prefix: string;
  private readonly jobsStream: string;
  private readonly deadStream: string;
  private readonly dedupeWindowMs: number;
  private readonly storage: StorageType;
  private readonly requestTimeoutMs: number;
  private readonly client: JetStreamClient;
  /** Tells this instance's lease tokens from other processes'. */
  private readonly instanceId = randomUUID();
  private manager: Promise<JetStreamManager> | undefined;
  private streamsReady: Promise<void> | undefined;
  /** Per queue: the consumer's ack_wait in milliseconds once it exists. */
  private readonly consumers = new Map<string, Promise<number>>();
  /** Current lease per stream sequence, for stale-ack detection. */
  private readonly leases = new Map<number, LeaseRecord>();
  private readonly pulls = new Set<Subscription>();
  private closed = false;

  /** The connection stays the caller's: `close` ends this queue's pulls only. */
  constructor(connection: NatsConnection, options: NatsJobQueueOptions) {
    this.connection = connection;
    this.settings = resolveJobQueueOptions(options);
    this.prefix = options.prefix;
    this.jobsStream = `${options.prefix}_jobs`;
    this.deadStream = `${options.prefix}_dead`;
    this.dedupeWindowMs = options.dedupeWindowMs ?? 120_000;
    this.storage = options.storage === 'memory' ? StorageType.Memory : StorageType.File;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 5_000;
    this.client = jetstream(connection, { timeout: this.requestTimeoutMs });
  }

  async enqueue(queue: string, payload: unknown, options: EnqueueOptions = {}): Promise<EnqueueResult> {
    assertQueueName(queue);
    const maxAttempts = options.maxAttempts ?? this.settings.maxAttempts;
    assertEnqueueOptions(options, maxAttempts);
    await this.ensureStreams();
    const envelope: JobEnvelope = { payload: payload ?? null, maxAttempts };
    if (options.idempotencyKey !== undefined) envelope.idempotencyKey = options.idempotencyKey;
    if (options.delayMs !== undefined && options.delayMs > 0) envelope.availableAt = this.settings.clock.now() + options.delayMs;
    const acknowledgement = await this.client.publish(
      this.jobSubject(queue),
      JSON.stringify(envelope),
      options.idempotencyKey === undefined ? {} : { msgID: `${queue}:${encodeURIComponent(options.idempotencyKey)}` },
    );
    return { id: String(acknowledgement.seq), duplicate: acknowledgement.duplicate };
  }

  async lease<Payload = unknown>(queue: string, options: LeaseOptions = {}): Promise<LeasedJob<Payload>[]> {
    assertQueueName(queue);
    const limit = leaseLimit(options);
    const leaseMs = options.leaseMs ?? this.settings.leaseMs;
    await this.ensureConsumer(queue, leaseMs);
    this.forgetOldLeases();
    const deadline = performance.now() + (options.waitMs ?? 0);
    for (;;) {
      const remaining = Math.round(deadline - performance.now());
      const messages = await this.pull(queue, limit, Math.max(0, remaining));
      const jobs: LeasedJob<Payload>[] = [];
      for (const message of messages) {
        const job = await this.admit<Payload>(queue, message, leaseMs);
        if (job) jobs.push(job);
      }
      // Held (delayed) and dead-lettered deliveries do not count: keep waiting while time is left.
      if (jobs.length > 0 || messages.length === 0 || deadline - performance.now() <= 0 || this.closed) return jobs;
    }
  }

  async ack(job: LeasedJob): Promise<boolean> {
    const lease = this.claimLease(job);
    if (!lease) return false;
    await this.settle(lease.reply, '+ACK');
    return true;
  }

  async nack(job: LeasedJob, error: string, options: { retryInMs?: number } = {}): Promise<NackOutcome> {
    const lease = this.claimLease(job);
    if (!lease) return 'stale';
    if (job.attempt >= job.maxAttempts) {
      await this.deadLetter(job.queue, lease.delivery, {
        id: job.id,
        payload: job.payload,
        attempts: job.attempt,
        maxAttempts: job.maxAttempts,
        lastError: error,
        ...(job.idempotencyKey === undefined ? {} : { idempotencyKey: job.idempotencyKey }),
      });
      await this.settle(lease.reply, '+TERM');
      return 'dead';
    }
    const delay = options.retryInMs ?? retryDelay(job.attempt, this.settings);
    await this.settle(lease.reply, delay > 0 ? `-NAK ${JSON.stringify({ delay: nanos(delay) })}` : '-NAK');
    return 'retry';
  }

  async deadLetters<Payload = unknown>(queue: string, options: { limit?: number } = {}): Promise<DeadLetter<Payload>[]> {
    assertQueueName(queue);
    await this.ensureStreams();
    const limit = options.limit ?? 100;
    const letters: DeadLetter<Payload>[] = [];
    for await (const { envelope } of this.readDead(queue)) {
      if (letters.length >= limit) break;
      letters.push({
        id: envelope.id,
        queue,
        payload: envelope.payload as Payload,
        attempts: envelope.attempts,
        lastError: envelope.lastError,
        idempotencyKey: envelope.idempotencyKey,
      });
    }
    return letters;
  }

  async requeueDead(queue: string, id: string): Promise<boolean> {
    assertQueueName(queue);
    await this.ensureStreams();
    for await (const { sequence, envelope } of this.readDead(queue)) {
      if (envelope.id !== id) continue;
      const job: JobEnvelope = { id, payload: envelope.payload, maxAttempts: envelope.maxAttempts };
      if (envelope.idempotencyKey !== undefined) job.idempotencyKey = envelope.idempotencyKey;
      // The message id makes two racing requeues of the same dead letter enqueue it once.
      const acknowledgement = await this.client.publish(this.jobSubject(queue), JSON.stringify(job), {
        msgID: `requeue:${this.deadStream}:${sequence}`,
      });
      const manager = await this.getManager();
      await manager.streams.deleteMessage(this.deadStream, sequence, false).catch((error: unknown) => {
        // The job is back on its queue either way; requeueing the leftover letter again within the dedupe window is a no-op.
        this.settings.logger.warn({ err: error, queue, jobId: id }, 'requeued dead letter could not be removed');
      });
      return !acknowledgement.duplicate;
    }
    return false;
  }

  async depth(queue: string): Promise<QueueDepth> {
    assertQueueName(queue);
    await this.ensureConsumer(queue, this.settings.leaseMs, { keepAckWait: true });
    const manager = await this.getManager();
    const [consumer, dead] = await Promise.all([
      manager.consumers.info(this.jobsStream, consumerName(queue)),
      manager.streams.info(this.deadStream, { subjects_filter: this.deadSubject(queue) }),
    ]);
    return {
      ready: consumer.num_pending,
      leased: consumer.num_ack_pending,
      dead: dead.state.subjects?.[this.deadSubject(queue)] ?? 0,
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const pull of this.pulls) pull.unsubscribe();
    this.pulls.clear();
  }

  /** Turns a delivered message into a leased job, or holds / dead-letters it and returns undefined. */
  private async admit<Payload>(queue: string, message: Msg, leaseMs: number): Promise<LeasedJob<Payload> | undefined> {
    const reply = message.reply ?? '';
    const delivery = parseDelivery(reply);
    let envelope: JobEnvelope;
    try {
      envelope = message.json<JobEnvelope>();
    } catch (error) {
      this.settings.logger.error({ err: error, queue, sequence: delivery.streamSequence }, 'job message is not JSON; terminated');
      await this.settle(reply, '+TERM');
      return undefined;
    }
    const now = this.settings.clock.now();
    const delayed = envelope.availableAt !== undefined;
    if (delayed && (delivery.deliveryCount === 1 || now < (envelope.availableAt ?? 0))) {
      const remaining = Math.max(0, (envelope.availableAt ?? 0) - now);
      await this.settle(reply, remaining > 0 ? `-NAK ${JSON.stringify({ delay: nanos(remaining) })}` : '-NAK');
      return undefined;
    }
    const id = envelope.id ?? String(delivery.streamSequence);
    const attempt = delivery.deliveryCount - (delayed ? 1 : 0);
    if (attempt > envelope.maxAttempts) {
      await this.deadLetter(queue, delivery, {
        id,
        payload: envelope.payload,
        attempts: attempt - 1,
        maxAttempts: envelope.maxAttempts,
        lastError: leaseExpiredError,
        ...(envelope.idempotencyKey === undefined ? {} : { idempotencyKey: envelope.idempotencyKey }),
      });
      await this.settle(reply, '+TERM');
      return undefined;
    }
    const leaseToken = `${this.instanceId}${tokenSeparator}${reply}`;
    this.leases.set(delivery.streamSequence, { token: leaseToken, forgetAfter: now + leaseMs + leaseRecordRetentionMs });
    return {
      id,
      queue,
      payload: envelope.payload as Payload,
      attempt,
      maxAttempts: envelope.maxAttempts,
      idempotencyKey: envelope.idempotencyKey,
      leaseToken,
    };
  }

  /**
   * Checks that `job` still holds its lease, as far as this instance can know, and ends the lease record.
   * Returns undefined when the lease is stale.
   */
  private claimLease(job: LeasedJob): { reply: string; delivery: Delivery } | undefined {
    const separator = job.leaseToken.indexOf(tokenSeparator);
    if (separator === -1) return undefined;
    const owner = job.leaseToken.slice(0, separator);
    const reply = job.leaseToken.slice(separator + 1);
    let delivery: Delivery;
    try {
      delivery = parseDelivery(reply);
    } catch {
      return undefined;
    }
    if (delivery.stream !== this.jobsStream) return undefined;
    if (owner === this.instanceId) {
      if (this.leases.get(delivery.streamSequence)?.token !== job.leaseToken) return undefined;
      this.leases.delete(delivery.streamSequence);
    }
    return { reply, delivery };
  }

  private forgetOldLeases(): void {
    const now = this.settings.clock.now();
    for (const [sequence, record] of this.leases) if (record.forgetAfter < now) this.leases.delete(sequence);
  }

  private async deadLetter(queue: string, delivery: Delivery, envelope: DeadEnvelope): Promise<void> {
    // Keyed by the job message, so a retry after a crash between this publish and the term does not add a second letter.
    await this.client.publish(this.deadSubject(queue), JSON.stringify(envelope), {
      msgID: `dead:${this.jobsStream}:${delivery.streamSequence}`,
    });
    this.settings.logger.warn({ queue, jobId: envelope.id, attempts: envelope.attempts, error: envelope.lastError }, 'job dead-lettered');
  }

  /** Sends an ack-protocol message and waits for the server to confirm it. */
  private async settle(reply: string, body: string): Promise<void> {
    await this.connection.request(reply, body, { timeout: this.requestTimeoutMs });
  }

  /** One pull request: returns what is ready, waiting up to `waitMs` for the first message. */
  private async pull(queue: string, batch: number, waitMs: number): Promise<Msg[]> {
    const inbox = createInbox();
    const subscription = this.connection.subscribe(inbox);
    this.pulls.add(subscription);
    const request = waitMs > 0 ? { batch, no_wait: true, expires: nanos(waitMs) } : { batch, no_wait: true };
    this.connection.publish(`$JS.API.CONSUMER.MSG.NEXT.${this.jobsStream}.${consumerName(queue)}`, JSON.stringify(request), {
      reply: inbox,
    });
    const guard = setTimeout(() => subscription.unsubscribe(), waitMs + this.requestTimeoutMs);
    const messages: Msg[] = [];
    try {
      for await (const message of subscription) {
        const status = message.headers?.code ?? 0;
        if (status > 0) {
          // 404 no messages, 408 request expired: the normal ends of a pull.
          if (status !== 404 && status !== 408)
            this.settings.logger.warn({ queue, status, description: message.headers?.description }, 'unexpected pull status');
          break;
        }
        messages.push(message);
        if (messages.length >= batch) break;
      }
    } finally {
      clearTimeout(guard);
      subscription.unsubscribe();
      this.pulls.delete(subscription);
    }
    return messages;
  }

  private async *readDead(queue: string): AsyncGenerator<{ sequence: number; envelope: DeadEnvelope }> {
    const manager = await this.getManager();
    let sequence = 1;
    for (;;) {
      const stored = await manager.direct.getMessage(this.deadStream, { next_by_subj: this.deadSubject(queue), seq: sequence });
      if (!stored) return;
      yield { sequence: stored.seq, envelope: stored.json<DeadEnvelope>() };
      sequence = stored.seq + 1;
    }
  }

  private getManager(): Promise<JetStreamManager> {
    this.manager ??= jetstreamManager(this.connection, { timeout: this.requestTimeoutMs });
    return this.manager;
  }

  private ensureStreams(): Promise<void> {
    this.streamsReady ??= (async () => {
      const manager = await this.getManager();
      const jobs: Partial<StreamConfig> & { name: string } = {
        name: this.jobsStream,
        subjects: [`${this.prefix}.jobs.>`],
        retention: RetentionPolicy.Workqueue,
        storage: this.storage,
        duplicate_window: nanos(this.dedupeWindowMs),
      };
      const dead: Partial<StreamConfig> & { name: string } = {
        name: this.deadStream,
        subjects: [`${this.prefix}.dead.>`],
        retention: RetentionPolicy.Limits,
        storage: this.storage,
        duplicate_window: nanos(this.dedupeWindowMs),
        // Direct get reads dead letters one subject at a time (`next_by_subj`).
        allow_direct: true,
      };
      for (const config of [jobs, dead]) {
        try {
          await manager.streams.info(config.name);
        } catch (error) {
          if (!isApiError(error, JetStreamApiCodes.StreamNotFound)) throw error;
          await manager.streams.add(config);
        }
      }
    })();
    this.streamsReady.catch(() => {
      this.streamsReady = undefined;
    });
    return this.streamsReady;
  }

  /** Creates the queue's consumer, or sets its ack_wait to `leaseMs` (unless `keepAckWait`). */
  private async ensureConsumer(queue: string, leaseMs: number, options: { keepAckWait?: boolean } = {}): Promise<void> {
    const known = this.consumers.get(queue);
    if (known) {
      const ackWaitMs = await known.catch(() => undefined);
      if (ackWaitMs !== undefined && (ackWaitMs === leaseMs || options.keepAckWait)) return;
    }
    const ready = this.createOrUpdateConsumer(queue, leaseMs, options.keepAckWait ?? false);
    this.consumers.set(queue, ready);
    ready.catch(() => this.consumers.delete(queue));
    await ready;
  }

  private async createOrUpdateConsumer(queue: string, leaseMs: number, keepAckWait: boolean): Promise<number> {
    await this.ensureStreams();
    const manager = await this.getManager();
    const name = consumerName(queue);
    try {
      const info = await manager.consumers.info(this.jobsStream, name);
      const ackWaitMs = (info.config.ack_wait ?? 0) / 1_000_000;
      if (keepAckWait || ackWaitMs === leaseMs) return ackWaitMs;
      await manager.consumers.update(this.jobsStream, name, { ack_wait: nanos(leaseMs) });
      return leaseMs;
    } catch (error) {
      if (!isApiError(error, JetStreamApiCodes.ConsumerNotFound)) throw error;
    }
    await manager.consumers.add(this.jobsStream, {
      durable_name: name,
      filter_subject: this.jobSubject(queue),
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: nanos(leaseMs),
      max_deliver: -1,
      max_ack_pending: -1,
    });
    return leaseMs;
  }

  private jobSubject(queue: string): string {
    return `${this.prefix}.jobs.${queue}`;
  }

  private deadSubject(queue: string): string {
    return `${this.prefix}.dead.${queue}`;
  }
}

function consumerName(queue: string): string {
  return `jobs_${queue}`;
}

function isApiError(error: unknown, code: number): boolean {
  return error instanceof JetStreamApiError && error.code === code;
}

/**
 * Reads the delivery info from a JetStream ack subject:
 * `$JS.ACK.<stream>.<consumer>.<deliveries>.<stream seq>.<consumer seq>.<time>.<pending>`, or the newer form with
 * `<domain>.<account hash>` after `$JS.ACK` and a random token at the end.
 */
function parseDelivery(reply: string): Delivery {
  const tokens = reply.split('.');
  if (tokens.length === 9) tokens.splice(2, 0, '_', '');
  if (tokens.length < 11 || tokens[0] !== '$JS' || tokens[1] !== 'ACK') throw new Error(`not a JetStream ack subject: ${reply}`);
  return { stream: tokens[4] ?? '', deliveryCount: Number(tokens[6]), streamSequence: Number(tokens[7]) };
}
