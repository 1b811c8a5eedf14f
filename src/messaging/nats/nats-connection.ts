/** Opening the NATS connection the adapters share, with a clear error when the server or JetStream is missing. */
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { AppError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { redactUrl } from '../../store/database.js';

/** NATS (or its JetStream) cannot be reached; maps to 503 like an unreachable database. */
export class MessagingUnavailableError extends AppError {
  readonly url: string;
  constructor(url: string, reason: string, cause?: unknown) {
    super('store_unavailable', `cannot use NATS at ${url}: ${reason}`, { details: { url }, cause });
    this.name = 'MessagingUnavailableError';
    this.url = url;
  }
}

export interface ConnectNatsOptions {
  /** Shown in the server's connection list. */
  name?: string;
  /** Connect timeout. Default 5 s. */
  timeoutMs?: number;
  /** Told about disconnects and reconnects. */
  logger?: Logger;
}

/**
 * Once connected, a connection never gives up: when the link drops it reconnects every second for as long as it takes
 * (messages published meanwhile are buffered up to the client's limit). `connectionState` says whether it is up now.
 */
const reconnectForever = { maxReconnectAttempts: -1, reconnectTimeWait: 1_000, reconnectJitter: 250, pingInterval: 10_000 } as const;

const connected = new WeakMap<NatsConnection, { up: boolean; since: number; lastError?: string }>();

/** Whether `connection` is up, and what went wrong when it is not. */
export function connectionState(connection: NatsConnection): { up: boolean; reason?: string } {
  if (connection.isClosed()) return { up: false, reason: 'the connection is closed' };
  const state = connected.get(connection);
  if (!state || state.up) return { up: true };
  const seconds = Math.round((Date.now() - state.since) / 1000);
  return { up: false, reason: `disconnected for ${seconds} s, reconnecting${state.lastError ? ` (${state.lastError})` : ''}` };
}

/** Rejects unless the connection is up and the server answers a ping within `timeoutMs`. */
export async function checkNats(connection: NatsConnection, timeoutMs = 2_000): Promise<void> {
  const state = connectionState(connection);
  if (!state.up) throw new Error(`NATS ${state.reason}`);
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      connection.flush(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`NATS did not answer a ping within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

async function watchStatus(connection: NatsConnection, shownUrl: string, logger: Logger | undefined): Promise<void> {
  const state: { up: boolean; since: number; lastError?: string } = { up: true, since: Date.now() };
  connected.set(connection, state);
  for await (const status of connection.status()) {
    if (status.type === 'disconnect') {
      Object.assign(state, { up: false, since: Date.now() });
      logger?.warn({ nats: shownUrl }, 'NATS connection lost; reconnecting');
    } else if (status.type === 'reconnect') {
      Object.assign(state, { up: true, since: Date.now(), lastError: undefined });
      logger?.info({ nats: shownUrl }, 'NATS connection restored');
    } else if (status.type === 'error') {
      state.lastError = status.error instanceof Error ? status.error.message : String(status.error);
    }
  }
}

/** Connects and checks that JetStream is enabled, since the queue and the kv store need it. */
export async function connectNats(url: string, options: ConnectNatsOptions = {}): Promise<NatsConnection> {
  const shownUrl = redactUrl(url);
  let connection: NatsConnection;
  try {
    connection = await connect({
      servers: url,
      name: options.name ?? 'koivulahti',
      timeout: options.timeoutMs ?? 5_000,
      ...reconnectForever,
    });
  } catch (error) {
    throw new MessagingUnavailableError(shownUrl, (error as Error).message, error);
  }
  try {
    await jetstreamManager(connection);
  } catch (error) {
    await connection.close().catch(() => undefined);
    throw new MessagingUnavailableError(shownUrl, `JetStream is not available (${(error as Error).message})`, error);
  }
  void watchStatus(connection, shownUrl, options.logger).catch(() => undefined);
  return connection;
}
