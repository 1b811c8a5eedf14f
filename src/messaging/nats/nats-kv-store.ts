/**
 * The distributed key-value store on a JetStream KV bucket `<prefix>-kv` (history 1).
 *
 * - Revisions are the bucket's revisions (stream sequences): they increase on every write of a key, but not by one.
 * - Compare-and-set uses the server's last-sequence check: `create` when the key must be absent, `update(key, value,
 *   revision)` otherwise, so exactly one of several racing writers wins.
 * - TTL: nats-server 2.9 has no per-key TTL, so values are stored as `{ value, expiresAt }` and an expired entry reads
 *   as absent. A compare-and-set expecting `null` on an expired entry updates it at its existing revision. Expired
 *   entries keep their space until overwritten or deleted.
 * - Keys: NATS KV keys allow `A-Z a-z 0-9 - / _ = .` (no empty dot-separated part). Other keys, and keys starting with
 *   `=`, are stored as `=` + base64url(UTF-8 key); the caller always sees its own key. Very long keys may exceed the
 *   server's subject limit.
 */
import { JetStreamApiCodes, JetStreamApiError, jetstream, StorageType } from '@nats-io/jetstream';
import { type KV, Kvm, type KvEntry as NatsKvEntry } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { type Clock, systemClock } from '../../core/clock.js';
import { ValidationError } from '../../core/errors.js';
import { assertKvKey } from '../names.js';
import type { KvEntry, KvStore } from '../ports.js';

export interface NatsKvStoreOptions {
  /** The bucket is `<prefix>-kv`. */
  prefix: string;
  clock?: Clock;
  /** Default file; memory suits tests. */
  storage?: 'file' | 'memory';
  /** Timeout of each KV request. Default 5 s. */
  requestTimeoutMs?: number;
}

interface Envelope {
  value: unknown;
  /** Epoch milliseconds. */
  expiresAt?: number;
}

const plainKeyPattern = /^[-/=\w]+(\.[-/=\w]+)*$/;
const encodedKeyMarker = '=';

export function natsKvBucketName(prefix: string): string {
  return `${prefix}-kv`;
}

export class NatsKvStore implements KvStore {
  private readonly connection: NatsConnection;
  private readonly bucketName: string;
  private readonly clock: Clock;
  private readonly storage: StorageType;
  private readonly requestTimeoutMs: number;
  private bucket: Promise<KV> | undefined;

  /** The connection stays the caller's. */
  constructor(connection: NatsConnection, options: NatsKvStoreOptions) {
    this.connection = connection;
    this.bucketName = natsKvBucketName(options.prefix);
    this.clock = options.clock ?? systemClock;
    this.storage = options.storage === 'memory' ? StorageType.Memory : StorageType.File;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 5_000;
  }

  async get<Value = unknown>(key: string): Promise<KvEntry<Value> | undefined> {
    const live = await this.readLive(key);
    if (!live) return undefined;
    return { key, value: live.envelope.value as Value, revision: live.entry.revision };
  }

  async put(key: string, value: unknown, options: { ttlMs?: number } = {}): Promise<number> {
    assertKvKey(key);
    const bucket = await this.getBucket();
    return bucket.put(encodeKey(key), this.encode(value, options.ttlMs));
  }

  async compareAndSet(
    key: string,
    expectedRevision: number | null,
    value: unknown,
    options: { ttlMs?: number } = {},
  ): Promise<number | undefined> {
    assertKvKey(key);
    if (expectedRevision !== null && (!Number.isInteger(expectedRevision) || expectedRevision < 1))
      throw new ValidationError('expectedRevision must be null or a positive integer', { expectedRevision });
    const bucket = await this.getBucket();
    const storedKey = encodeKey(key);
    const data = this.encode(value, options.ttlMs);
    const current = await bucket.get(storedKey);
    const live = current ? this.liveEnvelope(current) : undefined;
    try {
      if (expectedRevision === null) {
        if (live) return undefined;
        // Absent: the server checks that the key still has no entry. Deleted or expired: that it is still the same one.
        return current ? await bucket.update(storedKey, data, current.revision) : await bucket.create(storedKey, data);
      }
      if (!live || current?.revision !== expectedRevision) return undefined;
      return await bucket.update(storedKey, data, expectedRevision);
    } catch (error) {
      if (isWrongLastSequence(error)) return undefined;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    assertKvKey(key);
    const bucket = await this.getBucket();
    await bucket.delete(encodeKey(key));
  }

  async close(): Promise<void> {}

  private async readLive(key: string): Promise<{ entry: NatsKvEntry; envelope: Envelope } | undefined> {
    assertKvKey(key);
    const bucket = await this.getBucket();
    const entry = await bucket.get(encodeKey(key));
    const envelope = entry ? this.liveEnvelope(entry) : undefined;
    return entry && envelope ? { entry, envelope } : undefined;
  }

  /** The stored envelope when the entry holds a value that has not expired. */
  private liveEnvelope(entry: NatsKvEntry): Envelope | undefined {
    if (entry.operation !== 'PUT') return undefined;
    const envelope = entry.json<Envelope>();
    if (envelope.expiresAt !== undefined && envelope.expiresAt <= this.clock.now()) return undefined;
    return envelope;
  }

  private encode(value: unknown, ttlMs: number | undefined): string {
    const envelope: Envelope = { value: value ?? null };
    if (ttlMs !== undefined) {
      if (!(ttlMs > 0)) throw new ValidationError('ttlMs must be positive', { ttlMs });
      envelope.expiresAt = this.clock.now() + ttlMs;
    }
    return JSON.stringify(envelope);
  }

  private getBucket(): Promise<KV> {
    this.bucket ??= new Kvm(jetstream(this.connection, { timeout: this.requestTimeoutMs })).create(this.bucketName, {
      history: 1,
      storage: this.storage,
      timeout: this.requestTimeoutMs,
    });
    this.bucket.catch(() => {
      this.bucket = undefined;
    });
    return this.bucket;
  }
}

/** The NATS KV key for `key` (see the module header). */
export function encodeKey(key: string): string {
  if (plainKeyPattern.test(key) && !key.startsWith(encodedKeyMarker)) return key;
  return encodedKeyMarker + Buffer.from(key, 'utf8').toString('base64url');
}

function isWrongLastSequence(error: unknown): boolean {
  return (
    error instanceof JetStreamApiError &&
    (error.code === JetStreamApiCodes.StreamWrongLastSequence || error.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)
  );
}
