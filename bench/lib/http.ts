/**
 * Loopback HTTP helpers for the benchmarks that measure the app from outside: timed requests on a keep-alive agent
 * (node:http, lighter than fetch, so less of the client is in the figure), an open-loop driver at a fixed rate, and
 * an SSE reader that stamps every frame when its bytes arrive (no polling, so a first-token time is not rounded up
 * to a poll interval).
 */
import { Agent, request as httpRequest, type IncomingMessage } from 'node:http';
import { performance } from 'node:perf_hooks';

export interface TimedResponse {
  status: number;
  body: string;
  /** Request written -> last byte of the body read (ms). */
  ms: number;
}

export function keepAliveAgent(): Agent {
  return new Agent({ keepAlive: true, maxSockets: 64 });
}

/** One request; the body (if any) is sent as JSON. */
export function timedRequest(
  agent: Agent,
  url: string,
  options: { method?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<TimedResponse> {
  return new Promise((resolve, reject) => {
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    const started = performance.now();
    const outgoing = httpRequest(
      url,
      {
        agent,
        method: options.method ?? 'GET',
        headers: {
          ...(payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) }),
          ...options.headers,
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), ms: performance.now() - started }),
        );
        response.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(payload);
  });
}

/**
 * Sends `count` requests at `perSecond`, on schedule whether or not earlier ones have answered (open loop). `send`
 * gets each request's intended send time (`due`, a `performance.now()` value) and should measure its latency from it,
 * not from when it actually went out: a request the client could only send late (a stalled process, a slow earlier
 * answer on the same connection) then counts the time it waited, so stalls are not hidden (coordinated omission).
 * `lateP99Ms` is how far behind schedule the sends were (p99), which says whether the client kept the rate.
 */
export async function openLoop<T>(
  perSecond: number,
  count: number,
  send: (index: number, due: number) => Promise<T>,
): Promise<{ results: T[]; seconds: number; lateP99Ms: number }> {
  const gap = 1000 / perSecond;
  const started = performance.now();
  const pending: Promise<T>[] = [];
  const late: number[] = [];
  for (let index = 0; index < count; index++) {
    const due = started + index * gap;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait - 1));
    // Timers have millisecond granularity: never send before the due instant.
    while (performance.now() < due) await new Promise((resolve) => setImmediate(resolve));
    late.push(Math.max(0, performance.now() - due));
    pending.push(send(index, due));
  }
  const results = await Promise.all(pending);
  late.sort((a, b) => a - b);
  return {
    results,
    seconds: (performance.now() - started) / 1000,
    lateP99Ms: late[Math.min(late.length - 1, Math.ceil(0.99 * late.length) - 1)] ?? 0,
  };
}

export interface StampedFrame {
  event: string | undefined;
  data: string | undefined;
  /** performance.now() when the chunk holding the end of the frame arrived. */
  at: number;
}

/** A minimal EventSource: every frame is kept with its arrival time; listeners hear each one as it arrives. */
export class SseReader {
  readonly frames: StampedFrame[] = [];
  private buffer = '';
  private listeners = new Set<(frame: StampedFrame) => void>();

  private constructor(
    response: IncomingMessage,
    private readonly destroy: () => void,
  ) {
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => this.receive(chunk, performance.now()));
  }

  static open(url: string): Promise<SseReader> {
    return new Promise((resolve, reject) => {
      const outgoing = httpRequest(url, { headers: { accept: 'text/event-stream' } }, (response) => {
        if (response.statusCode !== 200) {
          reject(new Error(`GET ${url}: ${response.statusCode}`));
          response.resume();
          return;
        }
        resolve(new SseReader(response, () => outgoing.destroy()));
      });
      outgoing.on('error', reject);
      outgoing.end();
    });
  }

  /** Resolves with the first frame (arriving from now on) that matches, or rejects after `timeoutMs`. */
  next(match: (frame: StampedFrame) => boolean, timeoutMs = 30_000): Promise<StampedFrame> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.listeners.delete(listener);
        reject(new Error(`no matching SSE frame within ${timeoutMs} ms`));
      }, timeoutMs);
      const listener = (frame: StampedFrame) => {
        if (!match(frame)) return;
        clearTimeout(timer);
        this.listeners.delete(listener);
        resolve(frame);
      };
      this.listeners.add(listener);
    });
  }

  close(): void {
    this.listeners.clear();
    this.destroy();
  }

  private receive(chunk: string, at: number): void {
    this.buffer += chunk.replace(/\r\n?/g, '\n');
    let end = this.buffer.indexOf('\n\n');
    while (end !== -1) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      let event: string | undefined;
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      }
      const frame: StampedFrame = { event, data: data.length > 0 ? data.join('\n') : undefined, at };
      // Only the last 200 frames are kept: long runs should not grow memory.
      this.frames.push(frame);
      if (this.frames.length > 200) this.frames.splice(0, this.frames.length - 200);
      for (const listener of [...this.listeners]) listener(frame);
      end = this.buffer.indexOf('\n\n');
    }
  }
}
