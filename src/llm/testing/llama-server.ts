/**
 * Test and bench support: a real llama.cpp `llama-server` (built by scripts/build-llama-server.mjs from the release
 * node-llama-cpp carries) on a free loopback port, serving a GGUF the caller wrote (the tiny random-weight one), and a
 * recording proxy in front of any OpenAI-compatible server that keeps every request body and status it saw.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo, createServer as createNetServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const buildScript = join(repoRoot, 'scripts', 'build-llama-server.mjs');

/** A ChatML template: the tiny GGUF has none of its own, and `--jinja` wants one. */
export const chatmlTemplate =
  "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

/** Where the build script puts (or has put) the binary for the installed node-llama-cpp; undefined if that is unknown. */
export async function llamaServerBinaryPath(): Promise<string | undefined> {
  try {
    const { stdout } = await run(process.execPath, [buildScript, '--print-path'], { cwd: repoRoot });
    return stdout.trim().split('\n').at(-1);
  } catch {
    return undefined;
  }
}

/** The built binary, or undefined when it has not been built (run `node scripts/build-llama-server.mjs`). */
export async function findLlamaServer(): Promise<string | undefined> {
  const path = process.env.LLAMA_SERVER_BIN ?? (await llamaServerBinaryPath());
  return path !== undefined && existsSync(path) ? path : undefined;
}

/** Builds the binary when it is not cached yet (minutes on two cores; instant when cached) and returns its path. */
export async function buildLlamaServer(): Promise<string> {
  const { stdout } = await run(process.execPath, [buildScript], { cwd: repoRoot, maxBuffer: 64 * 1024 * 1024 });
  const path = stdout.trim().split('\n').at(-1);
  if (path === undefined || !existsSync(path)) throw new Error(`build-llama-server printed no binary path:\n${stdout}`);
  return path;
}

export interface LlamaServerOptions {
  binary: string;
  modelPath: string;
  /** Total context (`-c`), shared by the slots. Default 4096. */
  contextSize?: number;
  /** Slots (`--parallel`). Default 4. */
  parallel?: number;
  /** CPU threads (`-t`). Default 1: more threads than free cores make ggml's spinning workers wait on each other. */
  threads?: number;
  /** Extra command-line arguments. */
  args?: readonly string[];
  /** How long to wait for /health. Default 120 s (a loaded machine is slow to start anything). */
  startTimeoutMs?: number;
}

export interface LlamaServer {
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  /** The OpenAI-compatible base URL, `<origin>/v1`. */
  readonly url: string;
  readonly port: number;
  /** The server's output so far (stdout and stderr, interleaved). */
  log(): string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export async function startLlamaServer(options: LlamaServerOptions): Promise<LlamaServer> {
  // The port is free when picked but could be taken before llama-server binds it; try a few.
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnce(options, await freePort());
    } catch (error) {
      lastError = error;
      if (!String((error as Error).message).includes('bind')) break;
    }
  }
  throw lastError;
}

async function startOnce(options: LlamaServerOptions, port: number): Promise<LlamaServer> {
  const args = [
    '--model',
    options.modelPath,
    '--host',
    '127.0.0.1',
    '--port',
    String(port),
    '--ctx-size',
    String(options.contextSize ?? 4096),
    '--parallel',
    String(options.parallel ?? 4),
    '--threads',
    String(options.threads ?? 1),
    '--threads-batch',
    String(options.threads ?? 1),
    '--jinja',
    '--no-webui',
    ...(options.args ?? []),
  ];
  const child = spawn(options.binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const append = (chunk: Buffer) => {
    output += chunk.toString('utf8');
    // Keep the tail only: a long test writes a line per request.
    if (output.length > 2_000_000) output = output.slice(-1_000_000);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const origin = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  try {
    await waitForHealth(origin, child, exited, options.startTimeoutMs ?? 120_000, () => output);
  } catch (error) {
    await stop();
    throw error;
  }
  return { origin, url: `${origin}/v1`, port, log: () => output, stop };
}

async function waitForHealth(
  origin: string,
  child: ChildProcess,
  exited: Promise<number | null>,
  timeoutMs: number,
  output: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exitCode: number | null | undefined;
  void exited.then((code) => {
    exitCode = code;
  });
  while (Date.now() < deadline) {
    if (exitCode !== undefined || child.exitCode !== null) {
      throw new Error(`llama-server exited (code ${exitCode ?? child.exitCode}) before it was healthy:\n${output().slice(-4000)}`);
    }
    try {
      const response = await fetch(`${origin}/health`, { signal: AbortSignal.timeout(5_000) });
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`llama-server was not healthy within ${timeoutMs} ms:\n${output().slice(-4000)}`);
}

export interface ProxiedRequest {
  method: string;
  path: string;
  /** Parsed JSON body, when the request had one. */
  body: Record<string, unknown> | undefined;
  status: number;
  /** The answer's body for non-2xx answers (errors), else undefined. */
  errorBody: string | undefined;
}

export interface RecordingProxy {
  /** `http://127.0.0.1:<port>`; the OpenAI base URL is `<origin>/v1`. */
  readonly origin: string;
  readonly url: string;
  readonly requests: readonly ProxiedRequest[];
  /** Requests in flight now, and the most there ever were. */
  readonly inFlight: number;
  readonly maxInFlight: number;
  close(): Promise<void>;
}

/** Forwards everything to `target` (an origin), streaming answers through unchanged, and records what passed. */
export async function startRecordingProxy(target: string): Promise<RecordingProxy> {
  const upstream = new URL(target);
  const requests: ProxiedRequest[] = [];
  const counter = { inFlight: 0, maxInFlight: 0 };
  const server: Server = createServer((incoming, outgoing) => {
    void readBody(incoming).then((raw) => {
      const record: ProxiedRequest = {
        method: incoming.method ?? 'GET',
        path: incoming.url ?? '/',
        body: parseJson(raw),
        status: 0,
        errorBody: undefined,
      };
      requests.push(record);
      counter.inFlight++;
      counter.maxInFlight = Math.max(counter.maxInFlight, counter.inFlight);
      let done = false;
      forward(upstream, incoming, outgoing, raw, record, () => {
        if (done) return;
        done = true;
        counter.inFlight--;
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  return {
    origin,
    url: `${origin}/v1`,
    requests,
    get inFlight() {
      return counter.inFlight;
    },
    get maxInFlight() {
      return counter.maxInFlight;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function forward(
  upstream: URL,
  incoming: IncomingMessage,
  outgoing: ServerResponse,
  raw: Buffer,
  record: ProxiedRequest,
  finish: () => void,
): void {
  const upstreamRequest = httpRequest(
    {
      host: upstream.hostname,
      port: upstream.port,
      method: incoming.method,
      path: incoming.url,
      headers: { ...incoming.headers, host: upstream.host },
    },
    (answer) => {
      record.status = answer.statusCode ?? 0;
      outgoing.writeHead(record.status, answer.headers);
      const errorChunks: Buffer[] = [];
      answer.on('data', (chunk: Buffer) => {
        if (record.status >= 400) errorChunks.push(chunk);
        outgoing.write(chunk);
      });
      answer.on('end', () => {
        if (record.status >= 400) record.errorBody = Buffer.concat(errorChunks).toString('utf8');
        finish();
        outgoing.end();
      });
      answer.on('error', () => {
        finish();
        outgoing.destroy();
      });
    },
  );
  upstreamRequest.on('error', () => {
    finish();
    if (!outgoing.headersSent) outgoing.writeHead(502);
    outgoing.end();
  });
  // A client that leaves (Stop in a chat) cancels the upstream request, as it would without the proxy.
  outgoing.on('close', () => {
    if (!outgoing.writableFinished) {
      upstreamRequest.destroy();
      finish();
    }
  });
  upstreamRequest.end(raw);
}

function readBody(incoming: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => resolve(Buffer.concat(chunks)));
    incoming.on('error', reject);
  });
}

function parseJson(raw: Buffer): Record<string, unknown> | undefined {
  if (raw.length === 0) return undefined;
  try {
    const value: unknown = JSON.parse(raw.toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
