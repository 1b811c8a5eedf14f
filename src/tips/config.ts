/**
 * The `[tips]` section of config.toml. `src/core/config.ts` composes it into the whole configuration; this file imports
 * nothing of ours, so the composition makes no import cycle.
 */
import { z } from 'zod';

const httpUrl = z.string().regex(/^https?:\/\/\S+$/, 'must start with http:// or https://');
const clock = z.string().regex(/^([01]?\d|2[0-3]):[0-5]\d$/, 'HH:MM');

export const tipsConfigSchema = z
  .strictObject({
    user_id: z
      .string()
      .regex(/^[a-z0-9_-]+$/, 'lower-case letters, digits, - and _ only')
      .default('local'),
    /** Empty = the machine's zone. */
    timezone: z
      .string()
      .trim()
      .refine((zone) => {
        if (zone === '') return true;
        try {
          new Intl.DateTimeFormat('en', { timeZone: zone });
          return true;
        } catch {
          return false;
        }
      }, 'not an IANA time zone')
      .default(''),
    policy: z.enum(['linucb']).default('linucb'),
    epsilon: z.coerce.number().min(0).max(1).default(0.1),
    alpha: z.coerce.number().min(0).default(0.5),
    lambda: z.coerce.number().positive().default(1),
    reward_done: z.coerce.number().min(-1).max(1).default(1),
    reward_helpful: z.coerce.number().min(-1).max(1).default(0.8),
    reward_not_now: z.coerce.number().min(-1).max(1).default(0.1),
    reward_dismiss: z.coerce.number().min(-1).max(1).default(0),
    quiet_hours_start: clock.default('22:00'),
    quiet_hours_end: clock.default('07:00'),
    daily_budget: z.coerce.number().int().min(0).default(12),
    dedup_days: z.coerce.number().int().min(0).default(14),
    duplicate_threshold: z.coerce.number().gt(0).max(1).default(0.75),
    snooze_minutes: z.coerce.number().int().min(0).default(120),
    open_decision_minutes: z.coerce.number().int().min(1).default(240),
    /** Users whose folded state (and model) a process keeps in memory; the least recently used go first. */
    cached_users: z.coerce.number().int().min(1).default(64),
    llm_candidates: z.union([z.boolean(), z.enum(['true', 'false']).transform((value) => value === 'true')]).default(true),
    todoist_api_url: httpUrl.default('https://api.todoist.com/api/v1'),
    ics_window_days: z.coerce.number().int().min(1).max(366).default(30),
    /** Limits of one iCalendar import, parsed in a worker thread: bytes, recurrence instances expanded, wall time. */
    ics_max_bytes: z.coerce.number().int().min(1_000).default(2_000_000),
    ics_max_expansions: z.coerce.number().int().min(100).default(100_000),
    ics_timeout_ms: z.coerce.number().int().min(100).default(10_000),
    /** Policies that score every decision without serving it (see tips/domain/shadow.ts). */
    shadow_policies: z.array(z.enum(['linucb-v1', 'linucb-greedy', 'linucb-wide', 'uniform'])).default(['linucb-greedy', 'uniform']),
    /** The estimator whose lower bound must beat the incumbent's on-policy value to promote. */
    promotion_estimator: z.enum(['ips', 'snips', 'dr', 'switch-dr']).default('dr'),
    promotion_min_decisions: z.coerce.number().int().min(1).default(50),
    /** `granted`: purposes count as consented until revoked (single-user local mode); `required`: until given. */
    consent_default: z.enum(['granted', 'required']).default('granted'),
    notice_version: z.string().trim().min(1).max(40).default('2026-11-23'),
    /** `kid:base64(32 bytes)[,kid:...]`; the active one encrypts, all decrypt. Prefer the TIPS_TOKEN_KEYS variable. */
    token_keys: z.string().default(''),
    /** Empty = the first of token_keys. */
    token_active_key: z.string().default(''),
    todoist_client_id: z.string().default(''),
    todoist_client_secret: z.string().default(''),
    todoist_authorize_url: httpUrl.default('https://app.todoist.com/oauth/authorize'),
    todoist_token_url: httpUrl.default('https://api.todoist.com/oauth/access_token'),
    todoist_revoke_url: httpUrl.default('https://api.todoist.com/api/v1/revoke'),
    todoist_scope: z.string().default('data:read'),
    /** `local`: one user ([tips] user_id), no login (loopback); `oidc`: users log in through an OIDC provider. */
    accounts: z.enum(['local', 'oidc']).default('local'),
    oidc_issuer: z.string().default(''),
    oidc_client_id: z.string().default(''),
    oidc_client_secret: z.string().default(''),
    /** The callback URL registered at the provider, ending in /tips/login/callback. */
    oidc_redirect_url: z.string().default(''),
    /** Signs session and login cookies (at least 32 characters in oidc mode). Prefer TIPS_SESSION_SECRET. */
    session_secret: z.string().default(''),
    session_hours: z.coerce
      .number()
      .int()
      .min(1)
      .max(24 * 30)
      .default(12),
  })
  .prefault({});

export type TipsConfig = z.infer<typeof tipsConfigSchema>;

/** Environment variables that override `[tips]` keys. */
export const tipsEnvironmentOverrides: Record<string, string> = {
  TIPS_TIMEZONE: 'tips.timezone',
  TIPS_EPSILON: 'tips.epsilon',
  TODOIST_API_URL: 'tips.todoist_api_url',
  TIPS_TOKEN_KEYS: 'tips.token_keys',
  TIPS_TOKEN_ACTIVE_KEY: 'tips.token_active_key',
  TODOIST_CLIENT_ID: 'tips.todoist_client_id',
  TODOIST_CLIENT_SECRET: 'tips.todoist_client_secret',
  TIPS_OIDC_CLIENT_SECRET: 'tips.oidc_client_secret',
  TIPS_SESSION_SECRET: 'tips.session_secret',
};
