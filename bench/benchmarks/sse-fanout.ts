/**
 * sse-fanout: 500 SSE subscribers on one topic (a chat) through the real web app's hub (`createApp`, `GET /stream`)
 * on loopback. Token messages are published on the in-process bus as `live.<topic>`, as a streaming chat reply will
 * be, at a steady rate; each carries its publish time, and each subscriber (in a separate process) records when it
 * arrived. Reference: the same with 1 subscriber.
 */
import { fork } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '../../src/core/config.js';
import { silentLogger } from '../../src/core/logger.js';
import { MemoryEventBus } from '../../src/messaging/memory/memory-event-bus.js';
import { EventStore, openDatabase, runMigrations, storeMigrations } from '../../src/store/index.js';
import { createApp } from '../../src/web/app.js';
import { round, summarize } from '../lib/measure.js';
import { type BenchContext, type Benchmark, row } from '../lib/types.js';

const clientsPath = fileURLToPath(new URL('./sse-clients.ts', import.meta.url));
const topic = 'chat-bench';
const warmupTokens = 25;

interface FanoutFigure {
  subscribers: number;
  tokens: number;
  delivered: number;
  expected: number;
  minReceived: number;
  latency: ReturnType<typeof summarize>;
  /** Per token, the first and the last subscriber to get it. */
  firstArrival: ReturnType<typeof summarize>;
  lastArrival: ReturnType<typeof summarize>;
  /** How long `bus.publish` took: the in-process bus hands the message to every connection synchronously. */
  publish: ReturnType<typeof summarize>;
}

async function fanout(context: BenchContext, subscribers: number, tokens: number, tokensPerSecond: number): Promise<FanoutFigure> {
  const database = await openDatabase({ sqlitePath: ':memory:' });
  await runMigrations(database, storeMigrations);
  const store = new EventStore(database);
  const bus = new MemoryEventBus();
  const app = await createApp({
    config: parseConfig({ environment: {} }),
    logger: silentLogger,
    version: 'bench',
    store,
    bus,
    storeKind: 'sqlite',
    busKind: 'memory',
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (typeof address !== 'object' || address === null) throw new Error('the app has no address');
  const child = fork(clientsPath, ['--url', `http://127.0.0.1:${address.port}/stream?topics=${topic}`, '--count', String(subscribers)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const next = (type: string) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const onMessage = (message: Record<string, unknown>) => {
        if (message.type !== type) return;
        child.off('message', onMessage);
        resolve(message);
      };
      child.on('message', onMessage);
      child.once('exit', (code) => reject(new Error(`the SSE clients exited with code ${code}`)));
    });
  try {
    await next('ready');
    const connected = app.sse.connections().length;
    if (connected !== subscribers) throw new Error(`${connected} of ${subscribers} subscribers are connected`);
    context.log(`${subscribers} subscriber(s) connected; publishing ${tokens} tokens at ${tokensPerSecond}/s on live.${topic}`);
    const gap = 1000 / tokensPerSecond;
    for (let seq = -warmupTokens; seq < 0; seq++) {
      await bus.publish(`live.${topic}`, { event: 'token', data: { seq, text: 'sana ', t: process.hrtime.bigint().toString() } });
      await new Promise((resolve) => setTimeout(resolve, gap));
    }
    const started = performance.now();
    const publishMs: number[] = [];
    for (let seq = 0; seq < tokens; seq++) {
      const due = started + seq * gap;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const before = performance.now();
      await bus.publish(`live.${topic}`, { event: 'token', data: { seq, text: 'sana ', t: process.hrtime.bigint().toString() } });
      publishMs.push(performance.now() - before);
    }
    // Let the last frames arrive.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const reportPromise = next('report');
    child.send({ type: 'report' });
    const report = (await reportPromise) as unknown as {
      latencies: number[];
      firstArrival: number[];
      lastArrival: number[];
      minReceived: number;
    };
    const dropped = app.sse.connections().reduce((sum, connection) => sum + connection.droppedLive, 0);
    if (dropped > 0) context.log(`the hub dropped ${dropped} live messages (slow clients)`);
    return {
      subscribers,
      tokens,
      delivered: report.latencies.length,
      expected: subscribers * tokens,
      minReceived: report.minReceived,
      latency: summarize(report.latencies),
      firstArrival: summarize(report.firstArrival),
      lastArrival: summarize(report.lastArrival),
      publish: summarize(publishMs),
    };
  } finally {
    if (child.exitCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.send({ type: 'close' });
      await exited;
    }
    await app.close();
    await bus.close();
    await store.close();
    await database.destroy();
  }
}

export const sseFanoutBenchmark: Benchmark = {
  name: 'sse-fanout',
  title: 'SSE fan-out: token delivery latency to 500 subscribers of one topic',
  reference: 'the same tokens delivered to 1 subscriber',
  async run(context) {
    const subscribers = 500;
    const tokensPerSecond = 25;
    const tokens = context.quick ? 200 : 750;
    const single = await fanout(context, 1, tokens, tokensPerSecond);
    const many = await fanout(context, subscribers, tokens, tokensPerSecond);
    const ms = 'ms';
    const rounded = (summary: ReturnType<typeof summarize>) =>
      Object.fromEntries(Object.entries(summary).map(([key, value]) => [key, round(value)]));
    const details = (figure: FanoutFigure) => ({
      subscribers: figure.subscribers,
      delivered: figure.delivered,
      expected: figure.expected,
      minReceivedPerSubscriber: figure.minReceived,
      latency: rounded(figure.latency),
      firstSubscriberLatency: rounded(figure.firstArrival),
      lastSubscriberLatency: rounded(figure.lastArrival),
      publishCallMs: rounded(figure.publish),
    });
    return {
      parameters: { subscribers, tokens, tokensPerSecond, warmupTokens, topic: `live.${topic}` },
      rows: [
        row(
          `${subscribers} subscribers, delivery latency p50`,
          { value: round(many.latency.p50), unit: ms },
          { label: '1 subscriber p50', value: round(single.latency.p50), unit: ms },
          'x 1 subscriber',
          { details: details(many) },
        ),
        row(
          `${subscribers} subscribers, delivery latency p99`,
          { value: round(many.latency.p99), unit: ms },
          { label: '1 subscriber p99', value: round(single.latency.p99), unit: ms },
          'x 1 subscriber',
          {
            target: { text: 'p99 < 50 ms at 500 subscribers', measured: round(many.latency.p99), met: many.latency.p99 < 50 },
            details: { reference: details(single) },
          },
        ),
      ],
      notes: [
        'Server: createApp with an in-memory SQLite store and the in-process bus; subscribers: one separate process on the same machine.',
        `Delivered ${many.delivered} of ${many.expected} token frames to ${subscribers} subscribers (each got at least ${many.minReceived} of ${tokens}).`,
        'Latency is publish (bus.publish) to arrival in the subscriber process, both stamped with the monotonic clock.',
        `Per token at ${subscribers} subscribers: the first subscriber has it after ${round(many.firstArrival.p50)} ms p50, the last after ${round(many.lastArrival.p50)} ms p50 (p99 ${round(many.lastArrival.p99)} ms); bus.publish itself takes ${round(many.publish.p50)} ms p50 (${round(many.publish.p99)} ms p99), as the in-process bus hands the message to every connection synchronously.`,
        'The subscribers share one process and one core with part of the server work; on a 2-core machine their own reading is part of the tail.',
      ],
    };
  },
};
