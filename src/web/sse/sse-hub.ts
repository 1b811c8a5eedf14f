/**
 * The SSE hub: `GET /stream?topics=chat,world-koivulahti`, one multiplexed connection per tab.
 *
 * A topic is a stream category (`chat`) or an exact stream id (`chat-42`). Each connection gets:
 * - durable events from `store.subscribe`, framed `id: <position>` / `event: <type>` / `data: {position, streamId,
 *   version, type, data}`; `Last-Event-ID` (or `?lastEventId=` on the first connect) resumes after that position,
 *   without either it starts at the current head;
 * - ephemeral messages from the bus topics `live.<topic>`, framed without an id;
 * - `retry:` once, then a comment every `sse.heartbeat_ms` so proxies keep the connection open.
 *
 * Slow clients: durable events are pulled from the store per client, and the next one is read only after the socket
 * has drained, so a slow client lags behind on its own and never blocks others or grows a buffer. Ephemeral messages
 * wait in a queue of at most `sse.max_buffered_events` per client; when it overflows the oldest are dropped, which is
 * safe because they are re-derivable from durable events. See README.md.
 */
import type { ServerResponse } from 'node:http';
import type { FastifyBaseLogger, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { EventFilter } from '../../store/event-store.js';
import type { Access } from '../auth/access.js';
import type { WebContext } from '../context.js';
import { BoundedQueue } from './bounded-queue.js';
import { commentFrame, durableFrame, retryFrame } from './frames.js';
import { LiveFanout } from './live-fanout.js';

export const maxTopics = 32;
export const topicPattern = /^[A-Za-z0-9_-]+$/;
const reconnectDelayMs = 3_000;
/** Events a lagging client holds in memory at most: one batch read from the store. */
const readBatchSize = 100;

const topicsSchema = z
  .string()
  .transform((value) => value.split(','))
  .pipe(
    z
      .array(z.string().regex(topicPattern, 'a topic is a stream category or stream id: letters, digits, - and _'))
      .min(1)
      .max(maxTopics, `at most ${maxTopics} topics`),
  )
  .describe('Comma-separated stream categories (`chat`) or stream ids (`chat-42`).');

const positionSchema = z.string().regex(/^\d{1,15}$/, 'a non-negative event position');

const streamQuerySchema = z.object({
  topics: topicsSchema,
  lastEventId: positionSchema.optional().describe('Resume after this position on the first connect.'),
});

const streamHeadersSchema = z.looseObject({
  'last-event-id': z
    .string()
    .regex(/^\d{0,15}$/, 'a non-negative event position')
    .optional()
    .describe('Sent by EventSource on reconnect; wins over `lastEventId`.'),
});

export interface SseConnectionInfo {
  id: number;
  topics: readonly string[];
  /** Position of the last durable event written to this client. */
  lastPosition: number;
  /** The socket's buffer is full; nothing more is read for this client until it drains. */
  waitingForDrain: boolean;
  queuedLive: number;
  droppedLive: number;
}

/** Splits topics into the store's filter: a topic with a dash is a stream id, one without is a category. */
export function topicFilter(topics: readonly string[]): EventFilter {
  return {
    streamIds: topics.filter((topic) => topic.includes('-')),
    categories: topics.filter((topic) => !topic.includes('-')),
  };
}

export class SseHub {
  private readonly open = new Set<SseConnection>();
  private nextId = 1;
  private closing = false;

  private readonly fanout: LiveFanout;

  private readonly publicCategories: ReadonlySet<string>;

  /** `publicCategories`: stream categories anyone may follow (the village's world); every other topic is private. */
  constructor(
    private readonly context: WebContext,
    options: { publicCategories?: readonly string[] } = {},
  ) {
    this.fanout = new LiveFanout(context.bus, context.logger as FastifyBaseLogger);
    this.publicCategories = new Set(options.publicCategories ?? []);
  }

  /** Public when every requested topic belongs to a public category; checked before the query is validated. */
  private readonly access = (request: FastifyRequest): Access => {
    const topics = (request.query as { topics?: unknown } | undefined)?.topics;
    if (typeof topics !== 'string' || topics === '') return 'user';
    const categories = topics.split(',').map((topic) => topic.split('-')[0] ?? '');
    return categories.every((category) => this.publicCategories.has(category)) ? 'public' : 'user';
  };

  /** Live topics with a shared bus subscription, and how many connections use each. */
  liveTopics(): Record<string, number> {
    return this.fanout.stats();
  }

  connections(): SseConnectionInfo[] {
    return [...this.open].map((connection) => connection.info());
  }

  /** Ends every open stream; the app calls it when closing so `app.close()` does not wait on them. */
  closeAll(): void {
    this.closing = true;
    for (const connection of [...this.open]) connection.close();
  }

  readonly routes: FastifyPluginAsyncZod = async (app) => {
    app.get(
      '/stream',
      {
        // A HEAD would hijack the socket and hold it open with nothing to send.
        exposeHeadRoute: false,
        config: { access: this.access },
        schema: {
          summary: 'Server-sent events for the given topics',
          description:
            'Durable events carry `id: <position>`; reconnect with `Last-Event-ID` to resume. Live messages carry no id. ' +
            'Responds with `text/event-stream`.',
          tags: ['live'],
          querystring: streamQuerySchema,
          headers: streamHeadersSchema,
        },
      },
      async (request, reply) => {
        const topics = [...new Set(request.query.topics)];
        const resumeHeader = request.headers['last-event-id'];
        const resumeFrom = resumeHeader !== undefined && resumeHeader !== '' ? resumeHeader : request.query.lastEventId;
        const after = resumeFrom !== undefined ? Number(resumeFrom) : await this.context.store.headPosition();
        reply.hijack();
        const connection = new SseConnection(this.nextId++, topics, after, reply.raw, {
          maxBufferedLive: this.context.config.sse.max_buffered_events,
          logger: request.log,
          fanout: this.fanout,
        });
        this.open.add(connection);
        this.context.metrics?.sseClients.inc();
        connection.onClose(() => {
          if (this.open.delete(connection)) this.context.metrics?.sseClients.dec();
        });
        if (this.closing) {
          connection.close();
          return;
        }
        await connection.start(this.context, reconnectDelayMs);
      },
    );
  };
}

interface ConnectionOptions {
  maxBufferedLive: number;
  logger: FastifyBaseLogger;
  fanout: LiveFanout;
}

class SseConnection {
  private readonly abort = new AbortController();
  private readonly live: BoundedQueue<string>;
  private readonly closeListeners: Array<() => void> = [];
  private drainWaiters: Array<() => void> = [];
  private leaveTopics: Array<() => void> = [];
  private heartbeat: NodeJS.Timeout | undefined;
  private waitingForDrain = false;
  private closed = false;
  private lastPosition: number;

  constructor(
    readonly id: number,
    readonly topics: readonly string[],
    after: number,
    private readonly response: ServerResponse,
    private readonly options: ConnectionOptions,
  ) {
    this.lastPosition = after;
    this.live = new BoundedQueue(options.maxBufferedLive);
    response.on('drain', this.handleDrain);
    response.on('close', () => this.close());
    response.on('error', () => this.close());
  }

  info(): SseConnectionInfo {
    return {
      id: this.id,
      topics: this.topics,
      lastPosition: this.lastPosition,
      waitingForDrain: this.waitingForDrain,
      queuedLive: this.live.size,
      droppedLive: this.live.dropped,
    };
  }

  onClose(listener: () => void): void {
    if (this.closed) listener();
    else this.closeListeners.push(listener);
  }

  async start(context: WebContext, retryMs: number): Promise<void> {
    for (const topic of this.topics) {
      const leave = await this.options.fanout.join(topic, this.pushLive);
      if (this.closed) leave();
      else this.leaveTopics.push(leave);
    }
    if (this.closed) return;
    // Headers and the first frame go out once the bus subscriptions are live, so "open" means "nothing is missed".
    this.response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    this.response.socket?.setNoDelay(true);
    this.write(retryFrame(retryMs));
    this.heartbeat = setInterval(() => {
      if (!this.waitingForDrain) this.write(commentFrame('heartbeat'));
    }, context.config.sse.heartbeat_ms);
    this.options.logger.debug({ sse: this.id, topics: this.topics, after: this.lastPosition }, 'sse: connected');
    void this.pumpDurable(context);
  }

  private async pumpDurable(context: WebContext): Promise<void> {
    try {
      const events = context.store.subscribe({
        after: this.lastPosition,
        filter: topicFilter(this.topics),
        signal: this.abort.signal,
        batchSize: readBatchSize,
      });
      for await (const event of events) {
        if (this.closed) break;
        this.write(durableFrame(event));
        this.lastPosition = event.position;
        if (this.waitingForDrain) await this.drained();
        if (this.closed) break;
      }
    } catch (error) {
      if (!this.closed) this.options.logger.error({ err: error, sse: this.id }, 'sse: reading the event store failed; closing the stream');
    } finally {
      // The client reconnects with Last-Event-ID and resumes where this left off.
      this.close();
    }
  }

  private readonly pushLive = (frame: string): void => {
    if (this.closed) return;
    this.live.push(frame);
    this.flushLive();
  };

  private flushLive(): void {
    while (!this.waitingForDrain && !this.closed && this.live.size > 0) {
      const frame = this.live.shift();
      if (frame !== undefined) this.write(frame);
    }
  }

  private write(frame: string): void {
    if (this.closed || this.response.writableEnded) return;
    if (!this.response.write(frame)) this.waitingForDrain = true;
  }

  private readonly handleDrain = () => {
    this.waitingForDrain = false;
    this.flushLive();
    this.releaseDrainWaiters();
  };

  private drained(): Promise<void> {
    if (!this.waitingForDrain || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  private releaseDrainWaiters(): void {
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const resolve of waiters) resolve();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.abort.abort();
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.live.clear();
    this.releaseDrainWaiters();
    for (const leave of this.leaveTopics) leave();
    this.leaveTopics = [];
    this.response.off('drain', this.handleDrain);
    if (!this.response.headersSent && !this.response.destroyed) this.response.writeHead(503, { 'retry-after': '3' });
    if (!this.response.writableEnded) this.response.end();
    this.options.logger.debug({ sse: this.id, lastPosition: this.lastPosition }, 'sse: closed');
    for (const listener of this.closeListeners.splice(0)) listener();
  }
}
