/**
 * The `[village]` section of config.toml. `src/core/config.ts` composes it into the whole configuration; this file imports
 * nothing of ours, so the composition makes no import cycle.
 */
import { z } from 'zod';

/** A boolean that also accepts the strings `true` / `false` / `1` / `0` (environment variables). */
const flag = z.union([z.boolean(), z.enum(['true', 'false', '1', '0']).transform((value) => value === 'true' || value === '1')]);

export const villageConfigSchema = z
  .strictObject({
    autostart: flag.default(true),
    seed: z.coerce.number().int().min(0).max(2_147_483_647).default(1),
    tick_ms: z.coerce.number().int().min(1).max(3_600_000).default(1_000),
    speed: z.coerce.number().min(0.1).max(1_000).default(1),
    night_speedup: z.coerce.number().min(1).max(1_000).default(20),
    render_workers: z.coerce.number().int().min(1).max(64).default(2),
    lease_ms: z.coerce.number().int().min(500).max(600_000).default(10_000),
    feed_max_chars: z.coerce.number().int().min(20).max(10_000).default(500),
    chat_max_chars: z.coerce.number().int().min(20).max(10_000).default(400),
    news_max_chars: z.coerce.number().int().min(20).max(20_000).default(3_000),
    read_rate_per_minute: z.coerce.number().int().min(0).default(600),
    /** Villagers in the live village: the catalog grown to this many (0: the catalog as written). */
    npcs: z.coerce.number().int().min(0).max(100_000).default(0),
    /** Engine tunables (impact weights, pacing); validated by `settingsFromConfig`, which owns their defaults. */
    engine: z.record(z.string(), z.unknown()).default({}),
  })
  .prefault({});

export type VillageConfig = z.infer<typeof villageConfigSchema>;

/** Environment variables that override `[village]` keys. */
export const villageEnvironmentOverrides: Record<string, string> = {
  KOIVULAHTI_VILLAGE_AUTOSTART: 'village.autostart',
  KOIVULAHTI_VILLAGE_SEED: 'village.seed',
  KOIVULAHTI_VILLAGE_LEASE_MS: 'village.lease_ms',
  KOIVULAHTI_VILLAGE_TICK_MS: 'village.tick_ms',
  KOIVULAHTI_VILLAGE_SPEED: 'village.speed',
  KOIVULAHTI_VILLAGE_NPCS: 'village.npcs',
};
