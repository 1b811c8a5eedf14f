/**
 * Start-up that runs after the server listens. Slow initialisation (a tokenizer import, warming a product) must never
 * decide whether a process starts: Fastify's plugin timer would kill a start under CPU load and an orchestrator would
 * see a crash loop. Instead the server listens at once, `/health` answers, `/ready` says `starting` until every task
 * has finished, and product requests that arrive meanwhile wait for it (up to `waitMs`, then 503 `not_ready`).
 */
import { AppError } from '../../core/errors.js';
import type { ReadinessCheck } from './ready.js';

export interface StartupTask {
  name: string;
  run(): Promise<void>;
}

type Phase = { phase: 'idle' } | { phase: 'starting'; pending: Set<string> } | { phase: 'ready' } | { phase: 'failed'; reason: string };

export class Startup {
  private state: Phase = { phase: 'idle' };
  private settled: Promise<void> | undefined;

  constructor(private readonly waitMs = 60_000) {}

  /** Starts the tasks (in parallel); resolves when all are done, rejects with the first failure. */
  run(tasks: readonly StartupTask[]): Promise<void> {
    const pending = new Set(tasks.map((task) => task.name));
    this.state = { phase: 'starting', pending };
    this.settled = Promise.all(
      tasks.map(async (task) => {
        await task.run();
        pending.delete(task.name);
      }),
    ).then(
      () => {
        this.state = { phase: 'ready' };
      },
      (error: unknown) => {
        this.state = { phase: 'failed', reason: error instanceof Error ? error.message : String(error) };
        throw error;
      },
    );
    this.settled.catch(() => undefined);
    return this.settled;
  }

  /** Resolves once start-up has finished (at once when nothing was started); rejects with 503 `not_ready` otherwise. */
  async wait(): Promise<void> {
    if (this.state.phase === 'ready' || this.state.phase === 'idle') return;
    if (this.state.phase === 'failed') throw new AppError('not_ready', `start-up failed: ${this.state.reason}`, { expose: true });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      const stillStarting = () => new AppError('not_ready', 'the server is still starting; retry in a moment', { expose: true });
      timer = setTimeout(() => reject(stillStarting()), this.waitMs);
    });
    try {
      await Promise.race([this.settled, timeout]);
    } catch (error) {
      if (error instanceof AppError) throw error;
      throw new AppError('not_ready', `start-up failed: ${error instanceof Error ? error.message : String(error)}`, { expose: true });
    } finally {
      clearTimeout(timer);
    }
  }

  readonly check: ReadinessCheck = {
    name: 'startup',
    check: async () => {
      switch (this.state.phase) {
        case 'idle':
        case 'ready':
          return { ok: true };
        case 'starting':
          return { ok: false, reason: `starting (${[...this.state.pending].join(', ') || 'finishing'})` };
        case 'failed':
          return { ok: false, reason: `start-up failed: ${this.state.reason}` };
      }
    },
  };
}
