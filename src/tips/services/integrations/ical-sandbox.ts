/**
 * Runs the iCalendar parser in a worker thread under a size limit, an expansion budget, a heap limit and a time limit,
 * so no file can stall the event loop that serves every product. Every failure is an IcsSyntaxError (a 400) naming the
 * line and the property; on a time-out, the VEVENT the worker was reading.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { CalendarSignal } from '../../domain/events.js';
import type { IcsImportOptions } from './ical.js';
import { checkIcsSize, IcsSyntaxError } from './ical-structure.js';
import type { IcsWorkerInput } from './ical-worker.js';

export interface IcsLimits {
  maxBytes: number;
  maxExpansions: number;
  timeoutMs: number;
}

type WorkerReply =
  | { started: true }
  | { ok: true; signals: CalendarSignal[] }
  | { ok: false; line: number; property: string; reason: string };

/**
 * From dist the entry is the compiled ical-worker.js; from src (tsx, vitest) a worker does not inherit the TypeScript
 * loader, so a small bootstrap registers tsx in the worker before importing ical-worker.ts.
 */
function startWorker(input: IcsWorkerInput): Worker {
  const resourceLimits = { maxOldGenerationSizeMb: 128, maxYoungGenerationSizeMb: 32 };
  if (!import.meta.url.endsWith('.ts'))
    return new Worker(new URL('./ical-worker.js', import.meta.url), { workerData: input, resourceLimits });
  const entry = new URL('./ical-worker.ts', import.meta.url).href;
  // require.resolve finds the CommonJS build; the ES module build sits beside it.
  const tsx = pathToFileURL(
    createRequire(import.meta.url)
      .resolve('tsx/esm/api')
      .replace(/\.cjs$/, '.mjs'),
  ).href;
  const boot = `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(boot, { eval: true, workerData: input, resourceLimits });
}

export async function parseIcsBounded(
  text: string,
  options: Omit<IcsImportOptions, 'progress' | 'maxExpansions'>,
  limits: IcsLimits,
): Promise<CalendarSignal[]> {
  checkIcsSize(text, limits.maxBytes);
  const progress = new SharedArrayBuffer(4);
  const worker = startWorker({ text, options: { ...options, maxExpansions: limits.maxExpansions }, progress });
  // Line 0 means the worker was still reading the file as a whole, before any VEVENT.
  const failure = (reason: string) => {
    const line = Atomics.load(new Int32Array(progress), 0);
    return new IcsSyntaxError(line || 1, line ? 'VEVENT' : 'VCALENDAR', reason);
  };
  return new Promise<CalendarSignal[]>((resolve, reject) => {
    const finish = (action: () => void) => {
      clearTimeout(timer);
      worker.removeAllListeners();
      worker.on('error', () => {});
      void worker.terminate();
      action();
    };
    const timeOut = () => finish(() => reject(failure(`reading the calendar took longer than ${limits.timeoutMs} ms`)));
    // Until the worker runs, only a generous start-up limit applies.
    let timer = setTimeout(timeOut, Math.max(60_000, limits.timeoutMs));
    worker.on('message', (reply: WorkerReply) => {
      if ('started' in reply) {
        clearTimeout(timer);
        timer = setTimeout(timeOut, limits.timeoutMs);
        return;
      }
      finish(() =>
        reply.ok
          ? resolve(reply.signals)
          : reject(new IcsSyntaxError(reply.line, reply.property, reply.reason.replace(/^ICS line \d+ \([^)]*\): /, ''))),
      );
    });
    worker.once('error', (error: Error & { code?: string }) =>
      finish(() => {
        const reason =
          error.code === 'ERR_WORKER_OUT_OF_MEMORY'
            ? 'reading the calendar needs more memory than allowed'
            : `could not be read: ${error.message}`;
        reject(failure(reason));
      }),
    );
    worker.once('exit', () => finish(() => reject(failure('the calendar reader stopped without an answer'))));
  });
}
