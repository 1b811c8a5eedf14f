/**
 * The subscribers of the sse-fanout benchmark, in their own process (forked by sse-fanout.ts), so reading 500 streams
 * does not share the server's event loop. Opens `--count` connections to `--url`, reports `ready` once every one has
 * its first frame, stamps each `token` frame on arrival (process.hrtime, the same monotonic clock in both processes)
 * and sends the latencies when asked for a `report`.
 */
import { Agent, request } from 'node:http';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { url: { type: 'string' }, count: { type: 'string', default: '1' } } });
const url = values.url as string;
const count = Number(values.count);
const agent = new Agent({ keepAlive: false, maxSockets: Number.POSITIVE_INFINITY });

interface Subscriber {
  latencies: number[];
  opened: boolean;
  close(): void;
}

const subscribers: Subscriber[] = [];
/** Per token: latency of the first and of the last subscriber to get it (how long the fan-out takes end to end). */
const firstArrival: number[] = [];
const lastArrival: number[] = [];

function open(): Promise<Subscriber> {
  return new Promise((resolve, reject) => {
    const subscriber: Subscriber = { latencies: [], opened: false, close: () => outgoing.destroy() };
    const outgoing = request(url, { agent, headers: { accept: 'text/event-stream' } }, (response) => {
      if (response.statusCode !== 200) {
        reject(new Error(`GET /stream answered ${response.statusCode}`));
        return;
      }
      response.setEncoding('utf8');
      let buffer = '';
      response.on('data', (chunk: string) => {
        const arrived = process.hrtime.bigint();
        buffer += chunk;
        let end = buffer.indexOf('\n\n');
        while (end !== -1) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          end = buffer.indexOf('\n\n');
          if (!subscriber.opened) {
            subscriber.opened = true;
            resolve(subscriber);
          }
          if (!frame.startsWith('event: token\n')) continue;
          const data = frame.slice(frame.indexOf('data: ') + 6);
          const token = JSON.parse(data) as { seq: number; t: string };
          // Warm-up tokens (negative seq) only get the paths hot.
          if (token.seq < 0) continue;
          const latency = Number(arrived - BigInt(token.t)) / 1e6;
          subscriber.latencies.push(latency);
          firstArrival[token.seq] = Math.min(firstArrival[token.seq] ?? Number.POSITIVE_INFINITY, latency);
          lastArrival[token.seq] = Math.max(lastArrival[token.seq] ?? 0, latency);
        }
      });
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}

// Connect in waves so the server's accept queue is not the thing measured.
for (let opened = 0; opened < count; opened += 50) {
  const wave = await Promise.all(Array.from({ length: Math.min(50, count - opened) }, () => open()));
  subscribers.push(...wave);
}
process.send?.({ type: 'ready', subscribers: subscribers.length });

process.on('message', (message: { type?: string }) => {
  if (message.type === 'report') {
    const latencies = subscribers.flatMap((subscriber) => subscriber.latencies);
    const received = subscribers.map((subscriber) => subscriber.latencies.length);
    process.send?.({
      type: 'report',
      latencies,
      firstArrival: firstArrival.filter((value) => value !== undefined),
      lastArrival: lastArrival.filter((value) => value !== undefined),
      minReceived: Math.min(...received),
      maxReceived: Math.max(...received),
    });
  }
  if (message.type === 'close') {
    for (const subscriber of subscribers) subscriber.close();
    agent.destroy();
    process.exit(0);
  }
});
process.on('disconnect', () => process.exit(0));
