/**
 * One conformance suite per messaging port, run against every adapter by `messaging.test.ts`. Each test opens its own
 * harness (a fresh database, or a fresh NATS prefix) and disposes of it afterwards.
 *
 * Tests wait for real outcomes (a redelivery, an expiry) with generous limits but never assert how long anything
 * took. Leases and TTLs are short so the waits stay short.
 */

import { afterEach } from 'vitest';
import { sleep } from '../core/sleep.js';
import type { JobQueueSettings } from './queue-settings.js';

export interface Harness<Port> {
  port: Port;
  dispose(): Promise<void>;
}

export interface SuiteOptions {
  /** When set the suite is skipped with this message. */
  skip?: string | undefined;
}

/** Settings for a test queue: long leases unless a test asks for short ones, so nothing is redelivered by accident. */
export const conformanceQueueSettings: JobQueueSettings = { maxAttempts: 3, leaseMs: 30_000, backoffBaseMs: 50, backoffMaxMs: 200 };

export const shortLeaseMs = 400;
export const waitLimitMs = 5_000;

/** Polls `probe` until it returns true; fails the test after `limitMs`. */
export async function eventually(probe: () => boolean | Promise<boolean>, description: string, limitMs = waitLimitMs): Promise<void> {
  const deadline = performance.now() + limitMs;
  while (!(await probe())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for: ${description}`);
    await sleep(10);
  }
}

/** Opens harnesses inside tests and disposes of them after each test. */
export function useHarnesses<Options, Opened extends Harness<unknown>>(
  open: (options: Options) => Promise<Opened>,
): (options: Options) => Promise<Opened> {
  const opened: Opened[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((harness) => harness.dispose()));
  });
  return async (options) => {
    const harness = await open(options);
    opened.push(harness);
    return harness;
  };
}
