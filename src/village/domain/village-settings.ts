/**
 * Engine tunables, set in config.toml as `[village.engine]` (snake_case keys, see `settingsFromConfig`). Channel thresholds and budgets live in the catalog's
 * channels.json; everything here is about pacing and scoring. The hash of these values is part of a run's identity.
 */
import { z } from 'zod';
import { ConfigError } from '../../core/errors.js';

const weight = z.number().min(0).max(10);

export const villageSettingsSchema = z.strictObject({
  impactWeights: z
    .strictObject({
      severity: weight.default(0.35),
      publicness: weight.default(0.2),
      novelty: weight.default(0.1),
      conflict: weight.default(0.15),
      status: weight.default(0.1),
      cascade: weight.default(0.1),
    })
    .prefault({}),
  /** Chance per awake NPC and tick of starting an interaction, before energy scaling. */
  initiateChance: z.number().min(0).max(1).default(0.035),
  /** In a crowd an NPC weighs at most this many people present as a partner (a random sample). */
  partnerSample: z.number().int().min(1).default(12),
  /** Weight of "nothing happens after all" in an NPC's choice, against the event types' weights. */
  idleWeight: z.number().min(0).default(1),
  /** No same event type with the same participants again within this many sim-hours. */
  varietyHours: z.number().min(0).default(12),
  /** Window for novelty: how many events of the same type happened in the last N sim-hours. */
  noveltyHours: z.number().min(1).default(24),
  memoryCapacity: z.number().int().min(1).default(16),
  /** Memories younger than this count as "recent" when choosing partners. */
  recentMemoryHours: z.number().min(1).default(48),
  maxCascadeDepth: z.number().int().min(0).default(3),
  /** Chance per sim-day that the director injects a town event. */
  townEventChance: z.number().min(0).max(1).default(0.5),
  /** Local hours during which NPCs at home sleep and start nothing. */
  nightFrom: z.number().int().min(0).max(24).default(23),
  nightTo: z.number().int().min(0).max(24).default(7),
  /** Multiplicative random spread of severities and effect sizes: 0.25 means x0.75..x1.25. */
  jitter: z.number().min(0).max(1).default(0.25),
});

export type VillageSettings = z.infer<typeof villageSettingsSchema>;

export function parseVillageSettings(input: unknown = {}): VillageSettings {
  return villageSettingsSchema.parse(input);
}

export const defaultVillageSettings: VillageSettings = parseVillageSettings();

const camelCase = (key: string) => key.replace(/_([a-z])/g, (_match, letter: string) => letter.toUpperCase());
const snakeCase = (key: string) => key.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);

function camelKeys(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  return Object.fromEntries(Object.entries(value).map(([key, inner]) => [camelCase(key), camelKeys(inner)]));
}

/**
 * Engine settings from the `[village.engine]` config table, e.g. `initiate_chance = 0.05` or
 * `[village.engine.impact_weights] severity = 0.4`. A bad value raises ConfigError naming the key as written.
 */
export function settingsFromConfig(engine: Record<string, unknown>): VillageSettings {
  const result = villageSettingsSchema.safeParse(camelKeys(engine));
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = [...(issue?.path ?? []).map(String), ...(issue?.code === 'unrecognized_keys' ? [issue.keys[0] ?? ''] : [])];
  const reason = issue?.code === 'unrecognized_keys' ? 'unknown key' : (issue?.message ?? 'invalid');
  throw new ConfigError(['village', 'engine', ...path.map(snakeCase)].join('.'), reason);
}
