/**
 * One conformance suite per messaging port, run against every adapter by `messaging.test.ts`. Each test opens its own
 * harness (a fresh database, or a fresh NATS prefix) and disposes of it afterwards.
 *
 * Tests wait for real outcomes (a redelivery, an expiry) with generous limits but never assert how long anything
 * took. Leases and TTLs are short so the waits stay short.
 */

export * from './conformance-harness.js';
export * from './event-bus-conformance.js';
export * from './job-queue-conformance.js';
export * from './kv-store-conformance.js';
