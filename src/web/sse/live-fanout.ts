/**
 * One bus subscription per live topic, shared by every SSE connection that wants it: a message is serialized into an
 * SSE frame once and handed to each connection's bounded queue, instead of once per connection (ADR 0006).
 */
import type { FastifyBaseLogger } from 'fastify';
import type { EventBus } from '../../messaging/ports.js';
import { liveFrame, liveTopic } from './frames.js';

export type FrameListener = (frame: string) => void;

interface TopicSubscription {
  listeners: Set<FrameListener>;
  /** Resolves once the bus subscription is live; undefined when it failed. */
  ready: Promise<(() => Promise<void>) | undefined>;
}

export class LiveFanout {
  private readonly topics = new Map<string, TopicSubscription>();

  constructor(
    private readonly bus: EventBus,
    private readonly logger: FastifyBaseLogger,
  ) {}

  /** Adds a listener for `live.<topic>`; resolves once messages will reach it, with the function that removes it. */
  async join(topic: string, listener: FrameListener): Promise<() => void> {
    let subscription = this.topics.get(topic);
    if (!subscription) {
      const listeners = new Set<FrameListener>();
      const ready = this.bus
        .subscribe(liveTopic(topic), (message) => this.deliver(topic, listeners, message))
        .catch((error: unknown) => {
          this.logger.warn({ err: error, topic }, 'sse: bus subscription failed; live messages unavailable');
          this.topics.delete(topic);
          return undefined;
        });
      subscription = { listeners, ready };
      this.topics.set(topic, subscription);
    }
    subscription.listeners.add(listener);
    await subscription.ready;
    const joined = subscription;
    return () => this.leave(topic, joined, listener);
  }

  /** Topics with a live bus subscription, and how many connections share each. */
  stats(): Record<string, number> {
    return Object.fromEntries([...this.topics].map(([topic, subscription]) => [topic, subscription.listeners.size]));
  }

  private deliver(topic: string, listeners: ReadonlySet<FrameListener>, message: unknown): void {
    if (listeners.size === 0) return;
    let frame: string;
    try {
      frame = liveFrame(message);
    } catch (error) {
      this.logger.warn({ err: error, topic }, 'sse: live message cannot be serialized; skipped');
      return;
    }
    for (const listener of listeners) listener(frame);
  }

  private leave(topic: string, subscription: TopicSubscription, listener: FrameListener): void {
    subscription.listeners.delete(listener);
    if (subscription.listeners.size > 0 || this.topics.get(topic) !== subscription) return;
    this.topics.delete(topic);
    void subscription.ready.then((unsubscribe) =>
      unsubscribe?.().catch((error: unknown) => this.logger.warn({ err: error, topic }, 'sse: bus unsubscribe failed')),
    );
  }
}
