/** Opening the NATS connection the adapters share, with a clear error when the server or JetStream is missing. */
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { AppError } from '../../core/errors.js';
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
}

/** Connects and checks that JetStream is enabled, since the queue and the kv store need it. */
export async function connectNats(url: string, options: ConnectNatsOptions = {}): Promise<NatsConnection> {
  const shownUrl = redactUrl(url);
  let connection: NatsConnection;
  try {
    connection = await connect({ servers: url, name: options.name ?? 'koivulahti', timeout: options.timeoutMs ?? 5_000 });
  } catch (error) {
    throw new MessagingUnavailableError(shownUrl, (error as Error).message, error);
  }
  try {
    await jetstreamManager(connection);
  } catch (error) {
    await connection.close().catch(() => undefined);
    throw new MessagingUnavailableError(shownUrl, `JetStream is not available (${(error as Error).message})`, error);
  }
  return connection;
}
