/**
 * A real HTTP server on loopback that speaks the OpenAI protocol (`/v1/chat/completions` plain and SSE, `/v1/models`,
 * `/v1/embeddings`), scripted per test. It counts requests and in-flight calls (current and maximum) and records
 * when a client closed its connection before the answer was complete.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';

export interface ScriptedUsage {
  prompt_tokens: number;
  completion_tokens: number;
}

export type ScriptedReply =
  /** A plain chat completion. `finishReason` defaults to `stop`; `usage: null` leaves usage out. */
  | { type: 'chat'; content: string; finishReason?: string; usage?: ScriptedUsage | null; delayMs?: number; model?: string }
  /**
   * An SSE stream of `chunks` as content deltas, then a finish chunk, a usage chunk (when asked for) and `[DONE]`.
   * `disconnectAfter`: destroy the socket after that many chunks. `hangAfter`: stop sending after that many chunks
   * and keep the connection open. `finishReason: null` ends cleanly without a finish reason.
   */
  | {
      type: 'stream';
      chunks: string[];
      finishReason?: string | null;
      usage?: ScriptedUsage | null;
      firstChunkDelayMs?: number;
      chunkDelayMs?: number;
      disconnectAfter?: number;
      hangAfter?: number;
    }
  | { type: 'error'; status: number; body?: unknown; headers?: Record<string, string>; delayMs?: number }
  /** Accepts the request and never answers (until the client gives up). */
  | { type: 'hang' }
  /** Destroys the connection without an answer. */
  | { type: 'destroy' };

export type ReplyScript = ScriptedReply | ((request: RecordedRequest) => ScriptedReply);

export interface RecordedRequest {
  index: number;
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** Parsed JSON body (undefined for GET). */
  body: Record<string, unknown> | undefined;
  /** `performance.now()` when the request arrived. */
  receivedAt: number;
  /** `performance.now()` when the first content chunk was written (streams). */
  firstChunkAt?: number;
  /** `performance.now()` when the connection closed before the answer was complete. */
  closedEarlyAt?: number;
}

export interface OpenAITestServer {
  /** Base URL including `/v1`. */
  readonly url: string;
  /** Chat-completion and embedding requests, in order. */
  readonly requests: readonly RecordedRequest[];
  /** Everything else the client asked (`/props`, `/v1/models`, `/tokenize`...), in order. */
  readonly probes: readonly RecordedRequest[];
  /** Chat-completion and embedding requests received. */
  readonly requestCount: number;
  readonly inFlight: number;
  readonly maxInFlight: number;
  /** Replies for the next requests, in order. */
  enqueue(...replies: ReplyScript[]): void;
  /** The reply when the queue is empty (default: HTTP 500 "no scripted reply"). */
  setDefault(reply: ReplyScript): void;
  /** Resolves with `closedEarlyAt` of request `index` once the client has closed it. */
  waitForClose(index: number, timeoutMs?: number): Promise<number>;
  close(): Promise<void>;
}

export interface OpenAITestServerOptions {
  models?: string[];
  embeddingDimensions?: number;
  /**
   * Plays a llama.cpp server's self-description: `/props` with the slot context and slot count, `meta.n_ctx` in
   * `/v1/models`, and (with `countTokens`) `/apply-template` + `/tokenize` counting the rendered prompt.
   */
  llamaCpp?: { contextTokens: number; slots: number; countTokens?: (prompt: string) => number };
}

export async function startOpenAITestServer(options: OpenAITestServerOptions = {}): Promise<OpenAITestServer> {
  const server = new ScriptedServer(options);
  await server.listen();
  return server;
}

class ScriptedServer implements OpenAITestServer {
  url = '';
  readonly requests: RecordedRequest[] = [];
  readonly probes: RecordedRequest[] = [];
  requestCount = 0;
  inFlight = 0;
  maxInFlight = 0;
  private readonly queue: ReplyScript[] = [];
  private fallback: ReplyScript = { type: 'error', status: 500, body: { error: { message: 'no scripted reply', type: 'server_error' } } };
  private readonly closeWaiters = new Map<number, Array<(at: number) => void>>();
  private readonly server: Server = createServer((request, response) => {
    void this.handle(request, response);
  });

  constructor(private readonly options: OpenAITestServerOptions) {}

  private get models(): string[] {
    return this.options.models ?? ['test-model'];
  }

  private get dimensions(): number {
    return this.options.embeddingDimensions ?? 8;
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}/v1`;
  }

  enqueue(...replies: ReplyScript[]): void {
    this.queue.push(...replies);
  }

  setDefault(reply: ReplyScript): void {
    this.fallback = reply;
  }

  waitForClose(index: number, timeoutMs = 5_000): Promise<number> {
    const closedAt = this.requests[index]?.closedEarlyAt;
    if (closedAt !== undefined) return Promise.resolve(closedAt);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`request ${index} was not closed within ${timeoutMs} ms`)), timeoutMs);
      const waiters = this.closeWaiters.get(index) ?? [];
      waiters.push((at) => {
        clearTimeout(timer);
        resolve(at);
      });
      this.closeWaiters.set(index, waiters);
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await readBody(request);
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    const counted = request.method === 'POST' && (path === '/v1/chat/completions' || path === '/v1/embeddings');
    const recorded: RecordedRequest = {
      index: counted ? this.requests.length : this.probes.length,
      method: request.method ?? 'GET',
      path,
      headers: request.headers,
      body,
      receivedAt: performance.now(),
    };
    if (!counted) {
      this.probes.push(recorded);
      this.answerProbe(request.method ?? 'GET', path, body, response);
      return;
    }
    this.requests.push(recorded);
    this.track(recorded, response);
    if (path === '/v1/embeddings' && this.queue.length === 0) {
      sendEmbeddings(response, body, body?.model ?? this.models[0], this.dimensions);
      return;
    }
    const script = this.queue.shift() ?? this.fallback;
    await play(typeof script === 'function' ? script(recorded) : script, recorded, response, String(body?.model ?? this.models[0]));
  }

  /** What a llama.cpp server says about itself, when the options make this one play it; 404 otherwise. */
  private answerProbe(method: string, path: string, body: Record<string, unknown> | undefined, response: ServerResponse): void {
    const { llamaCpp } = this.options;
    if (method === 'GET' && path === '/v1/models') {
      const meta = llamaCpp === undefined ? {} : { meta: { n_ctx: llamaCpp.contextTokens } };
      sendJson(response, 200, { object: 'list', data: this.models.map((id) => ({ id, object: 'model', owned_by: 'test', ...meta })) });
      return;
    }
    if (llamaCpp !== undefined && method === 'GET' && path === '/props') {
      sendJson(response, 200, { total_slots: llamaCpp.slots, default_generation_settings: { n_ctx: llamaCpp.contextTokens } });
      return;
    }
    if (llamaCpp?.countTokens !== undefined && method === 'POST' && path === '/apply-template') {
      const messages = Array.isArray(body?.messages) ? (body.messages as { role: string; content: string }[]) : [];
      sendJson(response, 200, { prompt: messages.map((message) => `<${message.role}>${message.content}`).join('\n') });
      return;
    }
    if (llamaCpp?.countTokens !== undefined && method === 'POST' && path === '/tokenize') {
      const count = llamaCpp.countTokens(String(body?.content ?? ''));
      sendJson(response, 200, { tokens: Array.from({ length: count }, (_, index) => index) });
      return;
    }
    sendJson(response, 404, { error: { message: `no route ${method} ${path}` } });
  }

  /** Counts the request in flight until its connection closes, and notes a close before the answer was complete. */
  private track(recorded: RecordedRequest, response: ServerResponse): void {
    this.requestCount++;
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    let settled = false;
    response.on('close', () => {
      if (!response.writableFinished) {
        recorded.closedEarlyAt = performance.now();
        for (const resolve of this.closeWaiters.get(recorded.index) ?? []) resolve(recorded.closedEarlyAt);
        this.closeWaiters.delete(recorded.index);
      }
      if (settled) return;
      settled = true;
      this.inFlight--;
    });
  }
}

function sendEmbeddings(response: ServerResponse, body: Record<string, unknown> | undefined, model: unknown, dimensions: number): void {
  const input = body?.input;
  const texts = Array.isArray(input) ? input.map(String) : [String(input ?? '')];
  sendJson(response, 200, {
    object: 'list',
    model,
    data: texts.map((text, index) => ({ object: 'embedding', index, embedding: embeddingOf(text, dimensions) })),
    usage: { prompt_tokens: texts.length, total_tokens: texts.length },
  });
}

async function play(reply: ScriptedReply, recorded: RecordedRequest, response: ServerResponse, model: string): Promise<void> {
  switch (reply.type) {
    case 'hang':
      return;
    case 'destroy':
      response.socket?.destroy();
      return;
    case 'error':
      await delay(reply.delayMs);
      if (response.destroyed) return;
      sendJson(response, reply.status, reply.body ?? { error: { message: `scripted ${reply.status}` } }, reply.headers);
      return;
    case 'chat': {
      await delay(reply.delayMs);
      if (response.destroyed) return;
      const usage = reply.usage === undefined ? { prompt_tokens: 10, completion_tokens: 5 } : reply.usage;
      sendJson(response, 200, {
        id: `chatcmpl-${recorded.index}`,
        object: 'chat.completion',
        created: 1_700_000_000,
        model: reply.model ?? model,
        choices: [{ index: 0, message: { role: 'assistant', content: reply.content }, finish_reason: reply.finishReason ?? 'stop' }],
        ...(usage === null ? {} : { usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens } }),
      });
      return;
    }
    case 'stream':
      await playStream(reply, recorded, response, model);
      return;
  }
}

async function playStream(
  reply: Extract<ScriptedReply, { type: 'stream' }>,
  recorded: RecordedRequest,
  response: ServerResponse,
  model: string,
): Promise<void> {
  response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  response.flushHeaders();
  const chunk = (delta: Record<string, unknown>, finishReason: string | null) =>
    `data: ${JSON.stringify({
      id: `chatcmpl-${recorded.index}`,
      object: 'chat.completion.chunk',
      created: 1_700_000_000,
      model,
      choices: [{ index: 0, delta, finish_reason: finishReason }],
    })}\n\n`;
  await delay(reply.firstChunkDelayMs);
  for (let index = 0; index < reply.chunks.length; index++) {
    if (response.destroyed) return;
    if (reply.disconnectAfter === index) {
      await disconnect(response);
      return;
    }
    if (reply.hangAfter === index) return;
    if (index > 0) await delay(reply.chunkDelayMs);
    if (response.destroyed) return;
    await write(
      response,
      chunk(index === 0 ? { role: 'assistant', content: reply.chunks[index] } : { content: reply.chunks[index] }, null),
    );
    if (index === 0) recorded.firstChunkAt = performance.now();
  }
  if (reply.disconnectAfter !== undefined && reply.disconnectAfter >= reply.chunks.length) {
    await disconnect(response);
    return;
  }
  if (reply.hangAfter !== undefined && reply.hangAfter >= reply.chunks.length) return;
  const finishReason = reply.finishReason === undefined ? 'stop' : reply.finishReason;
  if (finishReason !== null) response.write(chunk({}, finishReason));
  const usage = reply.usage === undefined ? { prompt_tokens: 10, completion_tokens: reply.chunks.length } : reply.usage;
  const wantsUsage = (recorded.body?.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true;
  if (usage !== null && wantsUsage)
    response.write(
      `data: ${JSON.stringify({ id: `chatcmpl-${recorded.index}`, object: 'chat.completion.chunk', created: 1_700_000_000, model, choices: [], usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens } })}\n\n`,
    );
  response.end('data: [DONE]\n\n');
}

async function readBody(request: IncomingMessage): Promise<Record<string, unknown> | undefined> {
  const parts: Buffer[] = [];
  for await (const part of request) parts.push(part as Buffer);
  if (parts.length === 0) return undefined;
  try {
    return JSON.parse(Buffer.concat(parts).toString('utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  response.end(text);
}

/** Resolves once the chunk is handed to the socket, so the client has it before anything else happens. */
function write(response: ServerResponse, text: string): Promise<void> {
  return new Promise((resolve) => response.write(text, () => resolve()));
}

/** Cuts the connection mid-answer, after what was written has had time to reach the client. */
async function disconnect(response: ServerResponse): Promise<void> {
  await delay(20);
  response.socket?.destroy();
}

function delay(milliseconds: number | undefined): Promise<void> {
  return milliseconds === undefined || milliseconds <= 0 ? Promise.resolve() : new Promise((resolve) => setTimeout(resolve, milliseconds));
}

/** A deterministic unit vector per text, so tests can compare embeddings. */
function embeddingOf(text: string, dimensions: number): number[] {
  const vector = new Array<number>(dimensions).fill(0);
  for (let index = 0; index < text.length; index++) vector[index % dimensions] = (vector[index % dimensions] ?? 0) + text.charCodeAt(index);
  const norm = Math.hypot(...vector) || 1;
  return vector.map((value) => value / norm);
}
