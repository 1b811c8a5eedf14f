/**
 * Starts the simulated backend in a child process (bench/llm-backend/main.ts) and reads its figures over HTTP.
 * Benchmarks use this so the backend's timers run on their own event loop, as a real server would.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { BackendStats, RequestTiming } from './server.js';
import type { BackendProfile } from './timing.js';

export interface BackendProcess {
  /** Base URL including `/v1`. */
  url: string;
  profile: BackendProfile;
  stats(): Promise<BackendStats>;
  /** The backend's own timing of each request with `seq > after` (its last 2,000). */
  requests(after?: number): Promise<RequestTiming[]>;
  reset(): Promise<void>;
  close(): Promise<void>;
}

const mainPath = fileURLToPath(new URL('./main.ts', import.meta.url));

export async function startBackendProcess(profile: Partial<BackendProfile>): Promise<BackendProcess> {
  // The parent runs under tsx; its execArgv carries the loader, so the child can run TypeScript too.
  const child = fork(mainPath, ['--profile', JSON.stringify(profile)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the simulated backend did not start within 20 s')), 20_000);
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the simulated backend exited with code ${code}`)));
    child.on('message', (message: { type?: string; url?: string }) => {
      if (message.type === 'ready' && typeof message.url === 'string') {
        clearTimeout(timer);
        resolve(message.url);
      }
    });
  });
  const root = url.replace(/\/v1$/, '');
  const stats = async () => (await (await fetch(`${root}/bench/stats`)).json()) as BackendStats;
  return {
    url,
    profile: (await stats()).profile,
    stats,
    async requests(after = 0) {
      return (await (await fetch(`${root}/bench/requests?after=${after}`)).json()) as RequestTiming[];
    },
    async reset() {
      await fetch(`${root}/bench/reset`, { method: 'POST' });
    },
    async close() {
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
