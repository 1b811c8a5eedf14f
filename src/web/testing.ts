/**
 * Test helpers for the web layer: a WebContext over an in-memory SQLite event store and the in-process bus, and a
 * small SSE client on node:http that can pause its socket. Not part of the build.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { parseConfig } from '../core/config.js';
import { silentLogger } from '../core/logger.js';
import { sleep } from '../core/sleep.js';
import { MemoryEventBus } from '../messaging/memory/memory-event-bus.js';
import type { BusHandler, EventBus } from '../messaging/ports.js';
import { openDatabase } from '../store/database.js';
import { EventStore } from '../store/event-store.js';
import { runMigrations } from '../store/migrations.js';
import { storeMigrations } from '../store/store-migrations.js';
import { type CreateAppOptions, createApp } from './app.js';
import type { WebContext } from './context.js';

/** The in-process bus, counting live subscriptions so tests can check that a closed stream let go of them. */
export class CountingBus implements EventBus {
  private readonly inner = new MemoryEventBus();
  private live = 0;

  publish(topic: string, message: unknown): Promise<void> {
    return this.inner.publish(topic, message);
  }

  async subscribe(topic: string, handler: BusHandler): Promise<() => Promise<void>> {
    const unsubscribe = await this.inner.subscribe(topic, handler);
    this.live++;
    let ended = false;
    return async () => {
      if (ended) return;
      ended = true;
      this.live--;
      await unsubscribe();
    };
  }

  get subscriptionCount(): number {
    return this.live;
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

export interface TestContext extends WebContext {
  bus: CountingBus;
  close(): Promise<void>;
}

export interface TestConfigOptions {
  /** Dotted config keys, e.g. `{ 'sse.heartbeat_ms': '1000' }`. */
  overrides?: Record<string, string>;
  /** config.toml text, for values an override cannot express (lists). */
  configText?: string;
}

/** A WebContext on a fresh in-memory database. */
export async function createTestContext(options: TestConfigOptions = {}): Promise<TestContext> {
  const database = await openDatabase({ sqlitePath: ':memory:' });
  await runMigrations(database, storeMigrations);
  const store = new EventStore(database);
  const bus = new CountingBus();
  return {
    config: parseConfig({ fileText: options.configText, overrides: options.overrides ?? {} }),
    logger: silentLogger,
    version: '9.9.9-test',
    store,
    bus,
    storeKind: 'sqlite',
    busKind: 'memory',
    async close() {
      await bus.close();
      await store.close();
      await database.destroy();
    },
  };
}

export interface SseFrame {
  id?: string;
  event?: string;
  data?: string;
  retry?: number;
  comment?: string;
}

/** Waits until `condition` holds, checking every few milliseconds; fails with `label` after `timeoutMs`. */
export async function waitUntil(condition: () => boolean | Promise<boolean>, label: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${label}`);
    await sleep(5);
  }
}

/** A minimal EventSource for tests: records every frame, and can stop reading its socket. */
export class SseClient {
  readonly frames: SseFrame[] = [];
  ended = false;
  private buffer = '';

  private constructor(
    readonly response: IncomingMessage,
    private readonly destroy: () => void,
  ) {
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => this.receive(chunk));
    response.on('end', () => {
      this.ended = true;
    });
    response.on('close', () => {
      this.ended = true;
    });
  }

  /** Connects and resolves once the status line arrived and, for a 200, the first frame (`retry:`) too. */
  static async open(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
    const client = await new Promise<SseClient>((resolve, reject) => {
      const outgoing = httpRequest(url, { headers: { accept: 'text/event-stream', ...headers } }, (response) =>
        resolve(new SseClient(response, () => outgoing.destroy())),
      );
      outgoing.on('error', reject);
      outgoing.end();
    });
    if (client.response.statusCode === 200) await client.waitFor((frames) => frames.length > 0, 'the first frame');
    return client;
  }

  /** Frames that carry an event (durable or live), without retry and comment frames. */
  events(): SseFrame[] {
    return this.frames.filter((frame) => frame.data !== undefined);
  }

  waitFor(condition: (frames: SseFrame[]) => boolean, label: string): Promise<void> {
    return waitUntil(() => condition(this.frames), label);
  }

  pause(): void {
    this.response.pause();
  }

  resume(): void {
    this.response.resume();
  }

  close(): void {
    this.destroy();
  }

  private receive(chunk: string): void {
    this.buffer += chunk.replace(/\r\n?/g, '\n');
    let end = this.buffer.indexOf('\n\n');
    while (end !== -1) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      this.frames.push(parseFrame(block));
      end = this.buffer.indexOf('\n\n');
    }
  }
}

function parseFrame(block: string): SseFrame {
  const frame: SseFrame = {};
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) {
      frame.comment = line.slice(1).trim();
      continue;
    }
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'id') frame.id = value;
    else if (field === 'event') frame.event = value;
    else if (field === 'data') data.push(value);
    else if (field === 'retry') frame.retry = Number(value);
  }
  if (data.length > 0) frame.data = data.join('\n');
  return frame;
}

export interface TestApp {
  app: FastifyInstance;
  context: TestContext;
  close(): Promise<void>;
}

/** createApp on a fresh test context. */
export interface TestAppOptions extends TestConfigOptions {
  routes?: CreateAppOptions['routes'];
  surface?: CreateAppOptions['surface'];
  /** Replaces parts of the context the app sees, e.g. `{ logger }` or `{ storeKind: 'postgres' }`. */
  context?: Partial<WebContext>;
}

export async function createTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const context = await createTestContext(options);
  const app = await createApp(
    { ...context, ...options.context },
    { ...(options.routes ? { routes: options.routes } : {}), ...(options.surface ? { surface: options.surface } : {}) },
  );
  return {
    app,
    context,
    async close() {
      await app.close();
      await context.close();
    },
  };
}

/** Listens on a free loopback port and returns the base URL. */
export async function listenOnLoopback(app: FastifyInstance): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (typeof address !== 'object' || address === null) throw new Error('the server has no address');
  return `http://127.0.0.1:${address.port}`;
}
