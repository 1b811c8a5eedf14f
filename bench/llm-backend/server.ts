/**
 * A simulated LLM backend on loopback that behaves like a real one (llama.cpp server, vLLM) for benchmarks:
 * S parallel slots, prompt processing and decode at configured rates, time to first token, a FIFO queue when every
 * slot is busy, an optional per-slot prefix cache. It speaks the OpenAI protocol: `POST /v1/chat/completions` (plain
 * and SSE with `stream_options.include_usage`) and `GET /v1/models`. Answers honour `response_format` (a JSON schema
 * is filled in) and `max_tokens`.
 *
 * It measures itself: `GET /bench/stats` returns utilisation (busy slot-seconds / (S x wall seconds) since the last
 * `POST /bench/reset`) and the theoretical maximum throughput for the mix of requests it served. Each answer carries
 * `x-bench-queue-ms` and `x-bench-service-ms` headers.
 *
 * The timing model is in timing.ts. Token counts are estimated (4 characters a token), so they do not depend on the
 * client's tokenizer.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { answerText, promptHints, type ResponseFormatRequest, toTokens } from './content.js';
import {
  type BackendProfile,
  charactersPerToken,
  defaultProfile,
  estimateTokens,
  interTokenMs,
  type RequestShape,
  serviceMs,
  theoreticalMaxPerMinute,
  timeToFirstTokenMs,
  validateProfile,
} from './timing.js';

export interface BackendStats {
  profile: BackendProfile;
  /** Wall time since start or the last reset (ms). */
  windowMs: number;
  /** Slot time spent on requests in the window (ms), including requests still running. */
  busySlotMs: number;
  /** busySlotMs / (slots x windowMs). */
  utilisation: number;
  /** Requests received in the window (chat completions). */
  requests: number;
  completed: number;
  /** Requests whose client went away before the answer was complete (queued or running). */
  cancelled: number;
  running: number;
  queued: number;
  maxQueued: number;
  /** Total and longest time requests waited for a slot (ms). */
  queueWaitMs: number;
  maxQueueWaitMs: number;
  promptTokens: number;
  cachedPromptTokens: number;
  completionTokens: number;
  /** Sum of the modelled service times of the completed requests (ms). */
  completedServiceMs: number;
  /**
   * Completions per minute the backend could deliver with every slot busy all the time, for the mix of requests it
   * completed in this window (S x 60,000 / mean service ms); undefined before the first completion.
   */
  theoreticalMaxPerMinute: number | undefined;
  /** Completions per minute actually delivered over the window. */
  completionsPerMinute: number;
}

/** One completed (or cancelled) request's own timing, as the backend saw it; kept for the last 2,000 requests. */
export interface RequestTiming {
  /** 1, 2, ... in arrival order since start (not reset by `reset`). */
  seq: number;
  stream: boolean;
  promptTokens: number;
  cachedPromptTokens: number;
  /** Waited for a slot (ms). */
  queueMs: number;
  /** Request arrived -> first token written to the socket (ms): the backend's own time to first token. */
  ownFirstTokenMs: number | undefined;
  /** Request arrived -> last byte written (ms). */
  ownTotalMs: number | undefined;
  cancelled: boolean;
}

export interface SimulatedBackend {
  /** Base URL including `/v1`. */
  readonly url: string;
  readonly profile: BackendProfile;
  stats(): BackendStats;
  /** Timings of the requests with `seq > after` (the last 2,000 at most). */
  requests(after?: number): RequestTiming[];
  /** Starts a new measuring window (counters to zero; running requests count from now). */
  reset(): void;
  /** Completions per minute at full utilisation for requests of this shape. */
  theoreticalMaxPerMinute(shape: RequestShape): number;
  close(): Promise<void>;
}

export interface StartBackendOptions {
  profile?: Partial<BackendProfile>;
  /** Port to listen on (default: a free one). Always binds 127.0.0.1. */
  port?: number;
}

interface Slot {
  index: number;
  busy: boolean;
  busySince: number;
  /** The prompt text the slot processed last: its prefix cache. */
  cachedPrompt: string;
}

interface PendingRequest {
  prompt: string;
  promptTokens: number;
  arrivedAt: number;
  cancelled: boolean;
  start(slot: Slot, cachedPromptTokens: number): void;
}

interface ChatRequestBody {
  model?: unknown;
  messages?: unknown;
  stream?: unknown;
  stream_options?: { include_usage?: unknown };
  max_tokens?: unknown;
  max_completion_tokens?: unknown;
  response_format?: { type?: unknown; json_schema?: { schema?: unknown } };
}

export async function startSimulatedBackend(options: StartBackendOptions = {}): Promise<SimulatedBackend> {
  const profile = validateProfile({ ...defaultProfile, ...options.profile });
  const slots: Slot[] = Array.from({ length: profile.slots }, (_, index) => ({ index, busy: false, busySince: 0, cachedPrompt: '' }));
  const queue: PendingRequest[] = [];
  let counters = freshCounters();
  let windowStart = performance.now();
  let sequence = 0;
  let arrivals = 0;
  const timings: RequestTiming[] = [];
  const keepTimings = 2_000;

  function freshCounters() {
    return {
      busySlotMs: 0,
      requests: 0,
      completed: 0,
      cancelled: 0,
      maxQueued: 0,
      queueWaitMs: 0,
      maxQueueWaitMs: 0,
      promptTokens: 0,
      cachedPromptTokens: 0,
      completionTokens: 0,
      completedServiceMs: 0,
    };
  }

  function release(slot: Slot): void {
    const now = performance.now();
    counters.busySlotMs += now - Math.max(slot.busySince, windowStart);
    slot.busy = false;
    dispatch();
  }

  /** Gives free slots to waiting requests in arrival order; each takes the free slot with the longest cached prefix. */
  function dispatch(): void {
    while (queue.length > 0) {
      const free = slots.filter((slot) => !slot.busy);
      if (free.length === 0) return;
      const next = queue.shift() as PendingRequest;
      if (next.cancelled) continue;
      let best = free[0] as Slot;
      let bestPrefix = -1;
      for (const slot of free) {
        const prefix = commonPrefixLength(slot.cachedPrompt, next.prompt);
        if (prefix > bestPrefix) {
          best = slot;
          bestPrefix = prefix;
        }
      }
      const now = performance.now();
      best.busy = true;
      best.busySince = now;
      best.cachedPrompt = next.prompt;
      const waited = now - next.arrivedAt;
      counters.queueWaitMs += waited;
      counters.maxQueueWaitMs = Math.max(counters.maxQueueWaitMs, waited);
      const cachedTokens = profile.prefixCacheDiscount > 0 ? Math.min(Math.floor(bestPrefix / charactersPerToken), next.promptTokens) : 0;
      next.start(best, cachedTokens);
    }
  }

  function enqueue(request: PendingRequest): void {
    queue.push(request);
    dispatch();
    counters.maxQueued = Math.max(counters.maxQueued, queue.filter((item) => !item.cancelled).length);
  }

  function stats(): BackendStats {
    const now = performance.now();
    const windowMs = now - windowStart;
    let busySlotMs = counters.busySlotMs;
    for (const slot of slots) if (slot.busy) busySlotMs += now - Math.max(slot.busySince, windowStart);
    const running = slots.filter((slot) => slot.busy).length;
    return {
      profile,
      windowMs,
      busySlotMs,
      utilisation: windowMs > 0 ? busySlotMs / (profile.slots * windowMs) : 0,
      requests: counters.requests,
      completed: counters.completed,
      cancelled: counters.cancelled,
      running,
      queued: queue.filter((item) => !item.cancelled).length,
      maxQueued: counters.maxQueued,
      queueWaitMs: counters.queueWaitMs,
      maxQueueWaitMs: counters.maxQueueWaitMs,
      promptTokens: counters.promptTokens,
      cachedPromptTokens: counters.cachedPromptTokens,
      completionTokens: counters.completionTokens,
      completedServiceMs: counters.completedServiceMs,
      theoreticalMaxPerMinute:
        counters.completed > 0 ? (profile.slots * 60_000) / (counters.completedServiceMs / counters.completed) : undefined,
      completionsPerMinute: windowMs > 0 ? (counters.completed * 60_000) / windowMs : 0,
    };
  }

  function requests(after = 0): RequestTiming[] {
    return timings.filter((timing) => timing.seq > after).map((timing) => ({ ...timing }));
  }

  function reset(): void {
    counters = freshCounters();
    windowStart = performance.now();
  }

  async function handleCompletion(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const arrivedAt = performance.now();
    let body: ChatRequestBody;
    try {
      body = JSON.parse(await readBody(request)) as ChatRequestBody;
    } catch {
      return sendError(response, 400, 'the body is not JSON');
    }
    if (!Array.isArray(body.messages) || body.messages.length === 0) return sendError(response, 400, 'messages must be a non-empty array');
    const messages = body.messages as Array<{ role?: unknown; content?: unknown }>;
    const prompt = messages.map((message) => `<|${String(message.role)}|>\n${contentText(message.content)}\n`).join('');
    const promptTokens = estimateTokens(prompt);
    const format = responseFormatOf(body.response_format);
    const stream = body.stream === true;
    const includeUsage = body.stream_options?.include_usage === true;
    const maxTokens = numberOr(body.max_completion_tokens, numberOr(body.max_tokens, Number.POSITIVE_INFINITY));
    const id = `chatcmpl-${randomUUID()}`;
    const created = Math.floor(Date.now() / 1000);
    const model = typeof body.model === 'string' && body.model !== '' ? body.model : profile.model;
    const seed = sequence++;
    let tokens = toTokens(answerText(format, profile.completionTokens, seed, format.type === 'text' ? {} : promptHints(prompt)));
    let finishReason = 'stop';
    if (tokens.length > maxTokens) {
      tokens = tokens.slice(0, Math.max(1, Math.floor(maxTokens)));
      finishReason = 'length';
    }
    counters.requests++;
    const timing: RequestTiming = {
      seq: ++arrivals,
      stream,
      promptTokens,
      cachedPromptTokens: 0,
      queueMs: 0,
      ownFirstTokenMs: undefined,
      ownTotalMs: undefined,
      cancelled: false,
    };
    timings.push(timing);
    if (timings.length > keepTimings) timings.splice(0, timings.length - keepTimings);

    let timer: NodeJS.Timeout | undefined;
    let holding: Slot | undefined;
    let done = false;
    const pending: PendingRequest = {
      prompt,
      promptTokens,
      arrivedAt,
      cancelled: false,
      start(slot, cachedPromptTokens) {
        holding = slot;
        const startedAt = performance.now();
        timing.queueMs = startedAt - arrivedAt;
        timing.cachedPromptTokens = cachedPromptTokens;
        const shape = { promptTokens, cachedPromptTokens, completionTokens: tokens.length };
        const firstAt = startedAt + timeToFirstTokenMs(profile, shape);
        const gap = interTokenMs(profile);
        const totalMs = serviceMs(profile, shape);
        const usage = {
          prompt_tokens: promptTokens,
          completion_tokens: tokens.length,
          total_tokens: promptTokens + tokens.length,
          prompt_tokens_details: { cached_tokens: cachedPromptTokens },
        };
        const finish = () => {
          done = true;
          holding = undefined;
          counters.completed++;
          counters.promptTokens += promptTokens;
          counters.cachedPromptTokens += cachedPromptTokens;
          counters.completionTokens += tokens.length;
          counters.completedServiceMs += totalMs;
          release(slot);
        };
        const headers = {
          'x-bench-queue-ms': (startedAt - arrivedAt).toFixed(3),
          'x-bench-service-ms': totalMs.toFixed(3),
        };
        if (!stream) {
          timer = setTimeout(() => {
            finish();
            timing.ownFirstTokenMs = performance.now() - arrivedAt;
            timing.ownTotalMs = timing.ownFirstTokenMs;
            sendJson(
              response,
              200,
              {
                id,
                object: 'chat.completion',
                created,
                model,
                choices: [{ index: 0, message: { role: 'assistant', content: tokens.join('') }, finish_reason: finishReason }],
                usage,
              },
              headers,
            );
          }, totalMs);
          return;
        }
        response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', ...headers });
        response.socket?.setNoDelay(true);
        let next = 0;
        const chunk = (delta: Record<string, unknown>, reason: string | null) =>
          `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, finish_reason: reason }] })}\n\n`;
        // Tokens are due at absolute times; a late timer writes every token that is due, so the rate holds on average.
        const emit = () => {
          const now = performance.now();
          let frames = '';
          while (next < tokens.length && firstAt + next * gap <= now + 0.5) {
            frames += chunk(next === 0 ? { role: 'assistant', content: tokens[next] } : { content: tokens[next] }, null);
            next++;
          }
          if (timing.ownFirstTokenMs === undefined && next > 0) timing.ownFirstTokenMs = now - arrivedAt;
          if (next === tokens.length) {
            frames += chunk({}, finishReason);
            if (includeUsage)
              frames += `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [], usage })}\n\n`;
            frames += 'data: [DONE]\n\n';
            finish();
            response.end(frames);
            timing.ownTotalMs = performance.now() - arrivedAt;
            return;
          }
          if (frames !== '') response.write(frames);
          timer = setTimeout(emit, Math.max(0, firstAt + next * gap - performance.now()));
        };
        timer = setTimeout(emit, Math.max(0, firstAt - performance.now()));
      },
    };
    // A client that goes away frees its place in the queue or its slot, as llama.cpp does.
    response.on('close', () => {
      if (done) return;
      done = true;
      pending.cancelled = true;
      timing.cancelled = true;
      counters.cancelled++;
      clearTimeout(timer);
      if (holding) {
        const slot = holding;
        holding = undefined;
        release(slot);
      }
    });
    enqueue(pending);
  }

  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method === 'POST' && path === '/v1/chat/completions') {
      handleCompletion(request, response).catch((error: unknown) => {
        if (!response.headersSent) sendError(response, 500, (error as Error).message);
        else response.destroy();
      });
      return;
    }
    if (request.method === 'GET' && path === '/v1/models')
      return sendJson(response, 200, { object: 'list', data: [{ id: profile.model, object: 'model', created: 0, owned_by: 'bench' }] });
    if (request.method === 'GET' && path === '/bench/stats') return sendJson(response, 200, stats());
    if (request.method === 'GET' && path === '/bench/requests') {
      const after = Number(new URL(request.url ?? '/', 'http://localhost').searchParams.get('after') ?? 0);
      return sendJson(response, 200, requests(Number.isFinite(after) ? after : 0));
    }
    if (request.method === 'POST' && path === '/bench/reset') {
      reset();
      return sendJson(response, 200, { ok: true });
    }
    sendError(response, 404, `no route ${request.method} ${path}`);
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/v1`,
    profile,
    stats,
    requests,
    reset,
    theoreticalMaxPerMinute: (shape) => theoreticalMaxPerMinute(profile, shape),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function commonPrefixLength(a: string, b: string): number {
  const limit = Math.min(a.length, b.length);
  let index = 0;
  while (index < limit && a.charCodeAt(index) === b.charCodeAt(index)) index++;
  return index;
}

function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content))
    return content.map((part) => (typeof part === 'object' && part !== null && 'text' in part ? String(part.text) : '')).join('');
  return '';
}

function responseFormatOf(format: ChatRequestBody['response_format']): ResponseFormatRequest {
  if (format?.type === 'json_schema') return { type: 'json_schema', schema: format.json_schema?.schema ?? {} };
  if (format?.type === 'json_object') return { type: 'json_object' };
  return { type: 'text' };
}

function numberOr(value: unknown, fallback: number): number {
  return typeof value === 'number' && value > 0 ? value : fallback;
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (response.destroyed) return;
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  response.end(text);
}

function sendError(response: ServerResponse, status: number, message: string): void {
  sendJson(response, status, { error: { message, type: status >= 500 ? 'server_error' : 'invalid_request_error' } });
}
