/**
 * The in-process event bus: NATS-style topic matching (`*` one word, a final `>` the rest) without a server.
 *
 * Messages go through JSON once per publish, exactly as they would over NATS, so a view that works embedded works
 * distributed (a Date arrives as a string). Handlers run synchronously, in subscription order; a handler that throws
 * or rejects is logged and never reaches the publisher.
 */
import { type Logger, silentLogger } from '../../core/logger.js';
import { assertTopic, assertTopicPattern, topicMatches } from '../names.js';
import type { BusHandler, EventBus } from '../ports.js';

export interface MemoryEventBusOptions {
  logger?: Logger;
}

interface Subscription {
  pattern: string;
  handler: BusHandler;
}

export class MemoryEventBus implements EventBus {
  private subscriptions: Subscription[] = [];
  private readonly logger: Logger;

  constructor(options: MemoryEventBusOptions = {}) {
    this.logger = options.logger ?? silentLogger;
  }

  async publish(topic: string, message: unknown): Promise<void> {
    assertTopic(topic);
    const matching = this.subscriptions.filter((subscription) => topicMatches(subscription.pattern, topic));
    if (matching.length === 0) return;
    const json = JSON.stringify(message ?? null);
    for (const subscription of matching) this.deliver(subscription, JSON.parse(json), topic);
  }

  async subscribe(topic: string, handler: BusHandler): Promise<() => Promise<void>> {
    assertTopicPattern(topic);
    const subscription: Subscription = { pattern: topic, handler };
    // Copy on write: a handler that unsubscribes during a publish does not disturb the loop in progress.
    this.subscriptions = [...this.subscriptions, subscription];
    return async () => {
      this.subscriptions = this.subscriptions.filter((candidate) => candidate !== subscription);
    };
  }

  async close(): Promise<void> {
    this.subscriptions = [];
  }

  private deliver(subscription: Subscription, message: unknown, topic: string): void {
    try {
      const result: unknown = subscription.handler(message, topic);
      if (isPromiseLike(result)) result.then(undefined, (error: unknown) => this.logHandlerError(error, subscription, topic));
    } catch (error) {
      this.logHandlerError(error, subscription, topic);
    }
  }

  private logHandlerError(error: unknown, subscription: Subscription, topic: string): void {
    this.logger.error({ err: error, topic, subscription: subscription.pattern }, 'event bus handler failed');
  }
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null | undefined)?.then === 'function';
}
