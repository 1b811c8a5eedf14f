/** Timing and statistics helpers shared by the benchmarks. */
import { monitorEventLoopDelay, PerformanceObserver, performance } from 'node:perf_hooks';

export async function timed(run: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await run();
  return (performance.now() - started) / 1000;
}

/** Nearest-rank percentile (p in [0, 100]) of unsorted samples. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] as number;
}

export function summarize(samples: readonly number[]): { count: number; p50: number; p95: number; p99: number; max: number; mean: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const pick = (p: number) => sorted[Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length))) - 1] ?? Number.NaN;
  return {
    count: sorted.length,
    p50: pick(50),
    p95: pick(95),
    p99: pick(99),
    max: sorted[sorted.length - 1] ?? Number.NaN,
    mean: sorted.reduce((sum, value) => sum + value, 0) / Math.max(1, sorted.length),
  };
}

/** Rounds for display and JSON: 3 significant digits below 100, whole numbers above. */
export function round(value: number): number {
  if (!Number.isFinite(value)) return value;
  if (Math.abs(value) >= 100) return Math.round(value);
  return Number(value.toPrecision(3));
}

/**
 * JSON as the repository's formatter (biome) writes it: two-space indentation, and arrays of numbers or strings on
 * one line while they fit in 140 columns. Result files then pass `biome check` as written.
 */
export function formatJson(value: unknown): string {
  const text = JSON.stringify(value, null, 2);
  return text.replace(
    /^( *)("[^"\n]*": )?\[\n((?:\1 {2}(?:-?[\d.e+-]+|"(?:[^"\\\n]|\\.)*"|true|false|null),?\n)+)\1\]/gm,
    (whole, indent: string, key: string | undefined, body: string) => {
      const items = body
        .split('\n')
        .map((line) => line.trim())
        .filter(Boolean)
        .map((line) => line.replace(/,$/, ''));
      const collapsed = `${indent}${key ?? ''}[${items.join(', ')}]`;
      return collapsed.length <= 140 ? collapsed : whole;
    },
  );
}

export interface PauseReport {
  /** Garbage-collection pauses of this process while watched. */
  gcCount: number;
  gcTotalMs: number;
  gcMaxMs: number;
  /** Event-loop delay (timer lateness, 10 ms resolution): what every request in flight waited at most. */
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
}

/**
 * Watches this process's GC pauses and event-loop delay until `stop()`, so a latency tail can be told apart: a stall
 * of the whole process (GC, a busy machine) delays the reference requests as much as the measured ones.
 */
export function watchPauses(): { stop(): PauseReport } {
  const pauses: number[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) pauses.push(entry.duration);
  });
  observer.observe({ entryTypes: ['gc'] });
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  return {
    stop() {
      observer.disconnect();
      delay.disable();
      return {
        gcCount: pauses.length,
        gcTotalMs: round(pauses.reduce((sum, value) => sum + value, 0)),
        gcMaxMs: round(Math.max(0, ...pauses)),
        loopDelayP99Ms: round(delay.percentile(99) / 1e6),
        loopDelayMaxMs: round(delay.max / 1e6),
      };
    },
  };
}
