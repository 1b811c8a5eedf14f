/**
 * A run's identity and the bytes of its log. A run is (world, seed, catalog hash, settings hash); its id names all
 * four. The log hash is SHA-256 over the events serialized in the order the engine wrote their keys.
 */
import { createHash } from 'node:crypto';
import type { VillageSettings } from './village-settings.js';

export function hashSettings(settings: VillageSettings): string {
  return createHash('sha256').update(JSON.stringify(settings)).digest('hex');
}

export function runIdFor(world: string, seed: number, catalogHash: string, configHash: string): string {
  return `${world}-${seed}-${catalogHash.slice(0, 8)}${configHash.slice(0, 4)}`;
}

/** The bytes of an event in the log, keys in the order the engine wrote them (what the log hash and `--out` use). */
export function serializeEvent(event: { type: string; data: unknown }): string {
  return JSON.stringify({ type: event.type, data: event.data });
}

/**
 * JSON with object keys sorted: how replay compares a re-run event with a stored one, because PostgreSQL's jsonb
 * does not keep key order (the values, not the key order, are what must match).
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, nested: unknown) => {
    if (nested === null || typeof nested !== 'object' || Array.isArray(nested)) return nested;
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(nested).sort()) sorted[key] = (nested as Record<string, unknown>)[key];
    return sorted;
  });
}

export function canonicalEvent(event: { type: string; data: unknown }): string {
  return canonicalJson({ type: event.type, data: event.data });
}
