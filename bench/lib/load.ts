/**
 * Runs an open-loop HTTP load from a separate process (load-client.ts) against a server of this process. Every
 * benchmark that measures HTTP latency goes through here, and measures its reference (the empty handler) as one more
 * target of the same plan: same process, same schedule, same connections.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { PauseReport } from './measure.js';

export interface LoadTarget {
  name: string;
  /** Paths cycled by request index (one path: the same request every time). */
  paths: string[];
  method?: string;
  headers?: Record<string, string>;
  /** A JSON field of a 200 answer to keep with each sample (e.g. `fresh`), as a string. */
  tagField?: string;
}

export interface LoadPlan {
  baseUrl: string;
  perSecond: number;
  /** Scheduled instants; at each one, every target is sent once. */
  count: number;
  targets: LoadTarget[];
  /**
   * After every `every`-th answer that carries an unshown `decision`, these requests are sent for it in order
   * (`:id` replaced by its decisionId), outside the schedule: the user reacting to a tip.
   */
  followUp?: { every: number; steps: Array<{ method: string; path: string; bodies?: unknown[] }> };
}

export interface LoadSample {
  /** Due time -> last byte of the answer (ms). */
  ms: number;
  status: number;
  bytes: number;
  tag?: string;
}

export interface LoadReport {
  samples: Record<string, LoadSample[]>;
  seconds: number;
  /** How late the client's sends were (p99, ms): above a few ms the client could not keep the rate. */
  lateP99Ms: number;
  followedUp: number;
  clientPauses: PauseReport;
}

const clientPath = fileURLToPath(new URL('./load-client.ts', import.meta.url));

export async function runLoad(plan: LoadPlan): Promise<LoadReport> {
  // The parent runs under tsx; its execArgv carries the loader, so the child runs TypeScript too.
  const child = fork(clientPath, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  try {
    return await new Promise<LoadReport>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`the load client exited with code ${code}`)));
      child.on('message', (message: { type?: string; report?: LoadReport; message?: string }) => {
        if (message.type === 'ready') child.send({ type: 'run', plan });
        else if (message.type === 'report' && message.report) resolve(message.report);
        else if (message.type === 'error') reject(new Error(`the load client failed: ${message.message}`));
      });
    });
  } finally {
    if (child.exitCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      await exited;
    }
  }
}

/** Latencies (ms) of one target's samples, optionally only those with a tag. */
export function latencies(report: LoadReport, name: string, tag?: string): number[] {
  return (report.samples[name] ?? []).filter((sample) => tag === undefined || sample.tag === tag).map((sample) => sample.ms);
}
