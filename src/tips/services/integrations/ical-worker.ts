/** Worker-thread entry of the iCalendar sandbox: parses the text it was given and posts the signals or the failure. */
import { parentPort, workerData } from 'node:worker_threads';
import { type IcsImportOptions, IcsSyntaxError, parseIcs } from './ical.js';

export interface IcsWorkerInput {
  text: string;
  options: Omit<IcsImportOptions, 'progress'>;
  progress: SharedArrayBuffer;
}

const input = workerData as IcsWorkerInput;
const progress = new Int32Array(input.progress);
// The time limit counts from here: loading the worker (slow under a TypeScript loader) is not the file's fault.
parentPort?.postMessage({ started: true });
try {
  parentPort?.postMessage({ ok: true, signals: parseIcs(input.text, { ...input.options, progress }) });
} catch (error) {
  if (error instanceof IcsSyntaxError)
    parentPort?.postMessage({ ok: false, line: error.line, property: error.property, reason: error.message });
  else
    parentPort?.postMessage({
      ok: false,
      line: Atomics.load(progress, 0) || 1,
      property: 'VEVENT',
      reason: `could not be read: ${(error as Error).message}`,
    });
}
