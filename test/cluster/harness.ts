/**
 * A real distributed cluster for tests: every role is its own `node --import tsx src/cli.ts <role>` process on the
 * local PostgreSQL (a fresh schema per cluster) and NATS JetStream (a fresh prefix). Processes can be SIGTERMed or
 * SIGKILLed one by one; closing stops the rest and removes the schema and the prefix's streams.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { type OpenAITestServer, startOpenAITestServer } from '../../src/llm/testing/openai-test-server.js';
import { connectTestNats, natsSkipReason, removeNatsPrefix, testNatsUrl, uniqueNatsPrefix } from '../../src/messaging/testing.js';
import { isPostgresReachable, testPostgresUrl } from '../../src/store/testing.js';
import { freePort, waitForHealth } from '../e2e/harness.js';

const repository = fileURLToPath(new URL('../..', import.meta.url));

export type Role = 'api' | 'engine' | 'worker';

/** Why the cluster tests cannot run here; under CI=true a missing PostgreSQL or NATS is a failure instead. */
export async function clusterSkipReason(): Promise<string | undefined> {
  const nats = await natsSkipReason();
  if (nats) return nats;
  if (await isPostgresReachable()) return undefined;
  if (process.env.CI === 'true')
    throw new Error(`PostgreSQL is not reachable at ${testPostgresUrl} and CI=true: the cluster tests must run`);
  return `PostgreSQL is not reachable at ${testPostgresUrl}`;
}

export interface RoleProcess {
  name: string;
  role: Role;
  url: string;
  child: ChildProcess;
  /** Everything the process wrote so far. */
  output(): string;
  /** Resolves with the exit code (null when killed by a signal) once the process has exited. */
  exited: Promise<number | null>;
  /** The process's /metrics text. */
  metrics(): Promise<string>;
}

export interface ClusterOptions {
  /** TOML for every process (KOIVULAHTI_CONFIG). */
  config: string;
  environment?: Record<string, string>;
}

/** The value of a Prometheus sample `name{labels}` in `text` (labels matched as a substring), or undefined. */
export function sample(text: string, name: string, labels = ''): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest.startsWith('{') ? !rest.includes(labels) : labels !== '') continue;
    if (!rest.startsWith('{') && !rest.startsWith(' ')) continue;
    return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

/**
 * A loopback OpenAI-protocol writer answering each village render prompt, after `delayMs`, with a valid post for the
 * job the prompt names (its channel, author and source event).
 */
export async function startPostWriter(delayMs: number): Promise<OpenAITestServer> {
  const server = await startOpenAITestServer();
  server.setDefault((request) => {
    const messages = (request.body?.messages ?? []) as Array<{ content: string }>;
    const prompt = messages.map((message) => message.content).join('\n');
    const field = (name: string) => new RegExp(`${name}="([^"]+)"`).exec(prompt)?.[1] ?? 'unknown';
    const post = {
      channel: field('channel'),
      author_id: field('author_id'),
      source_event_id: field('source_event_id'),
      tone: 'friendly',
      text: `Kylällä tapahtui taas (${field('source_event_id')}).`,
      tags: ['kylä'],
      safety_notes: null,
    };
    return { type: 'chat', content: JSON.stringify(post), delayMs };
  });
  return server;
}

/** The environment that points every LLM alias at `server`. */
export function llmEnvironment(server: OpenAITestServer): Record<string, string> {
  return { LLM_PROVIDER: 'openai-compatible', LLM_BASE_URL: server.url, LLM_MODEL: 'test-writer', LLM_API_KEY: 'test-key' };
}

/** The engine whose /metrics says it holds the lease of the Koivulahti world, if any. */
export async function leaseHolder(engines: RoleProcess[]): Promise<RoleProcess | undefined> {
  for (const engine of engines) {
    const text = await engine.metrics().catch(() => '');
    if (sample(text, 'koivulahti_world_lease_held', 'world="koivulahti"') === 1) return engine;
  }
  return undefined;
}

export class Cluster {
  readonly processes: RoleProcess[] = [];
  readonly schema = `t_${Math.floor(Date.now() / 1000)}_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  readonly prefix = uniqueNatsPrefix();
  readonly directory = mkdtempSync(join(tmpdir(), 'koivulahti-cluster-'));
  readonly databaseUrl: string;
  private readonly environment: NodeJS.ProcessEnv;
  private counter = 0;

  private constructor(options: ClusterOptions) {
    const url = new URL(testPostgresUrl);
    url.searchParams.set('options', `-c search_path=${this.schema}`);
    this.databaseUrl = url.toString();
    const configPath = join(this.directory, 'config.toml');
    writeFileSync(configPath, options.config);
    const environment: NodeJS.ProcessEnv = { ...process.env };
    for (const name of Object.keys(environment)) if (name.startsWith('LLM_') || name.startsWith('KOIVULAHTI_')) delete environment[name];
    Object.assign(environment, {
      KOIVULAHTI_CONFIG: configPath,
      DATABASE_URL: this.databaseUrl,
      NATS_URL: testNatsUrl,
      NATS_PREFIX: this.prefix,
      LOG_LEVEL: 'info',
      ...options.environment,
    });
    this.environment = environment;
  }

  /** Creates the schema and applies the migrations once (as `koivulahti migrate` does before a deployment). */
  static async open(options: ClusterOptions): Promise<Cluster> {
    const cluster = new Cluster(options);
    const admin = new pg.Client({ connectionString: testPostgresUrl });
    await admin.connect();
    await admin.query(`create schema ${cluster.schema}`);
    await admin.end();
    const migrate = cluster.spawn('migrate', []);
    const code = await migrate.exited;
    if (code !== 0) throw new Error(`migrate exited with ${code}:\n${migrate.output()}`);
    return cluster;
  }

  /** Starts processes of the given roles in parallel and resolves once each answers /health. */
  async start(...roles: Role[]): Promise<RoleProcess[]> {
    return Promise.all(roles.map((role) => this.startRole(role)));
  }

  async startRole(role: Role): Promise<RoleProcess> {
    const port = await freePort();
    const process = this.spawn(role, ['--port', String(port), '--host', '127.0.0.1'], `http://127.0.0.1:${port}`);
    this.processes.push(process);
    await waitForHealth(process.url, process.child, process.output, 60_000);
    return process;
  }

  private spawn(command: string, args: string[], url = ''): RoleProcess {
    this.counter += 1;
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', command, ...args], {
      cwd: repository,
      env: this.environment,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout?.on('data', (chunk) => {
      output += String(chunk);
    });
    child.stderr?.on('data', (chunk) => {
      output += String(chunk);
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    return {
      name: `${command}-${this.counter}`,
      role: command as Role,
      url,
      child,
      output: () => output,
      exited,
      metrics: async () => (await fetch(`${url}/metrics`)).text(),
    };
  }

  alive(role?: Role): RoleProcess[] {
    return this.processes.filter(
      (process) => process.child.exitCode === null && process.child.signalCode === null && (!role || process.role === role),
    );
  }

  /** Sends `signal` and waits for the exit; resolves with the exit code (null for a kill). */
  async stop(process: RoleProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (process.child.exitCode === null && process.child.signalCode === null) process.child.kill(signal);
    return process.exited;
  }

  /** A client on the cluster's schema. */
  async query<Row extends Record<string, unknown>>(text: string, values: unknown[] = []): Promise<Row[]> {
    const client = new pg.Client({ connectionString: this.databaseUrl });
    await client.connect();
    try {
      return (await client.query<Row>(text, values)).rows;
    } finally {
      await client.end();
    }
  }

  /** Every log line (pino JSON) of every process started so far, parsed. */
  logLines(): Array<Record<string, unknown> & { process: string }> {
    const lines: Array<Record<string, unknown> & { process: string }> = [];
    for (const process of this.processes) {
      for (const line of process.output().split('\n')) {
        if (!line.startsWith('{')) continue;
        try {
          lines.push({ ...(JSON.parse(line) as Record<string, unknown>), process: process.name });
        } catch {
          // a partial line
        }
      }
    }
    return lines;
  }

  async close(): Promise<void> {
    await Promise.all(
      this.alive().map(async (process) => {
        process.child.kill('SIGTERM');
        const stopped = await Promise.race([process.exited.then(() => true), sleep(15_000).then(() => false)]);
        if (!stopped) process.child.kill('SIGKILL');
      }),
    );
    const admin = new pg.Client({ connectionString: testPostgresUrl });
    await admin.connect();
    await admin.query(`drop schema if exists ${this.schema} cascade`).catch(() => undefined);
    await admin.end();
    const connection = await connectTestNats();
    await removeNatsPrefix(connection, this.prefix).catch(() => undefined);
    await connection.close();
    rmSync(this.directory, { recursive: true, force: true });
  }
}
