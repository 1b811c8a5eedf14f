/**
 * The `[chat]` section of config.toml. `src/core/config.ts` composes it into the whole configuration; this file imports
 * nothing of ours, so the composition makes no import cycle.
 */
import { z } from 'zod';

export const chatConfigSchema = z
  .strictObject({
    retrieval_k: z.coerce.number().int().min(0).max(32).default(4),
    narrative_budget_hard: z.coerce.number().int().min(500).default(8000),
    narrative_budget_soft: z.coerce.number().int().min(500).default(6000),
    classifier_budget: z.coerce.number().int().min(500).default(4000),
    history_window: z.coerce.number().int().min(2).max(5000).default(200),
    ooc_marker: z.enum(['((', '[[', '{{', '//']).default('(('),
    pin_cap: z.coerce.number().int().min(1).max(64).default(8),
    rewind_undo_seconds: z.coerce.number().int().min(1).max(3600).default(30),
    pre_rewind_snapshots_keep: z.coerce.number().int().min(1).max(100).default(10),
    snapshot_every_events: z.coerce.number().int().min(1).default(100),
    snapshot_every_minutes: z.coerce.number().int().min(1).default(30),
    snapshots_keep: z.coerce.number().int().min(1).max(100).default(5),
    backup_at: z
      .string()
      .regex(/^(\d{1,2}:\d{2})?$/, 'HH:MM (local time) or "" to turn nightly backups off')
      .default('03:00'),
    backups_keep: z.coerce.number().int().min(1).max(365).default(14),
    generation_heartbeat_ms: z.coerce.number().int().min(100).max(60_000).default(5_000),
    backup_dir: z.string().min(1).default('./data/backups'),
  })
  .prefault({});

export type ChatSettings = z.infer<typeof chatConfigSchema>;

/** Environment variables that override `[chat]` keys. */
export const chatEnvironmentOverrides: Record<string, string> = {
  CHAT_RETRIEVAL_K: 'chat.retrieval_k',
  CHAT_NARRATIVE_BUDGET_HARD: 'chat.narrative_budget_hard',
  CHAT_NARRATIVE_BUDGET_SOFT: 'chat.narrative_budget_soft',
};
