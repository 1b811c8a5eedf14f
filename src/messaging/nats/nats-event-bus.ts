/**
 * The event bus over core NATS: topic `a.b` is subject `<prefix>.bus.a.b`, payloads are JSON. At-most-once, like the
 * memory bus; nothing is stored. `subscribe` resolves after a flush, i.e. once the server has registered the interest,
 * so a publish that follows it is delivered.
 */
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { type Logger, silentLogger } from '../../core/logger.js';
import { assertTopic, assertTopicPattern } from '../names.js';
import type { BusHandler, EventBus } from '../ports.js';

export interface NatsEventBusOptions {
  prefix: string;
  logger?: Logger;
}

export class NatsEventBus implements EventBus {
  private readonly connection: NatsConnection;
  private readonly subjectPrefix: string;
  private readonly logger: Logger;
  private readonly subscriptions = new Set<Subscription>();

  /** The connection stays the caller's: `close` ends this bus's subscriptions only. */
  constructor(connection: NatsConnection, options: NatsEventBusOptions) {
    this.connection = connection;
    this.subjectPrefix = `${options.prefix}.bus.`;
    this.logger = options.logger ?? silentLogger;
  }

  async publish(topic: string, message: unknown): Promise<void> {
    assertTopic(topic);
    this.connection.publish(this.subjectPrefix + topic, JSON.stringify(message ?? null));
  }

  async subscribe(topic: string, handler: BusHandler): Promise<() => Promise<void>> {
    assertTopicPattern(topic);
    const subscription = this.connection.subscribe(this.subjectPrefix + topic, {
      callback: (error, message) => {
        if (error) {
          this.logger.error({ err: error, topic }, 'event bus subscription failed');
          return;
        }
        const messageTopic = message.subject.slice(this.subjectPrefix.length);
        let payload: unknown;
        try {
          payload = message.json();
        } catch (parseError) {
          this.logger.warn({ err: parseError, topic: messageTopic }, 'event bus message is not JSON; dropped');
          return;
        }
        try {
          const result: unknown = handler(payload, messageTopic);
          if (isPromiseLike(result))
            result.then(undefined, (handlerError: unknown) => this.logHandlerError(handlerError, topic, messageTopic));
        } catch (handlerError) {
          this.logHandlerError(handlerError, topic, messageTopic);
        }
      },
    });
    this.subscriptions.add(subscription);
    await this.connection.flush();
    return async () => {
      if (!this.subscriptions.delete(subscription)) return;
      subscription.unsubscribe();
      if (!this.connection.isClosed()) await this.connection.flush();
    };
  }

  async close(): Promise<void> {
    for (const subscription of this.subscriptions) subscription.unsubscribe();
    this.subscriptions.clear();
  }

  private logHandlerError(error: unknown, pattern: string, topic: string): void {
    this.logger.error({ err: error, topic, subscription: pattern }, 'event bus handler failed');
  }
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null | undefined)?.then === 'function';
}
