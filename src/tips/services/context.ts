/**
 * What every tips use case works with: the shared dependencies (store, database, LLM gateway, clock, vault, the capped
 * cache of folded user states) and the settings derived from `[tips]` config. Created once per process; a use case
 * acts for one user id at a time.
 */
import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../core/logger.js';
import type { LlmGateway } from '../../llm/index.js';
import type { EventStore, StoreDatabase } from '../../store/index.js';
import type { TipsConfig } from '../config.js';
import type { CandidateSettings } from '../domain/candidates.js';
import type { Reaction } from '../domain/events.js';
import type { LinUcbSettings } from '../domain/linucb.js';
import { type GateSettings, policyName } from '../domain/policy.js';
import { isPolicyName, settingsOf } from '../domain/shadow.js';
import { servingPolicy, type TipsState } from '../domain/state.js';
import { parseClock } from '../domain/time.js';
import type { TodoistOAuthSettings } from './integrations/todoist-oauth.js';
import { parseVaultKeys, TokenVault } from './privacy/vault.js';
import { UserStates } from './user-states.js';

export type { TipsConfig } from '../config.js';

export interface TipsContextOptions {
  config: TipsConfig;
  store: EventStore;
  database: StoreDatabase;
  llm?: LlmGateway | undefined;
  clock: Clock;
  logger?: Logger | undefined;
  fetch?: typeof fetch;
  /** Folded states kept in memory (default: a new cache of `[tips] cached_users`). */
  states?: UserStates;
}

export interface TipsContext {
  readonly config: TipsConfig;
  readonly store: EventStore;
  readonly database: StoreDatabase;
  readonly llm: LlmGateway | undefined;
  readonly clock: Clock;
  readonly logger: Logger | undefined;
  readonly fetch: typeof fetch | undefined;
  readonly vault: TokenVault;
  readonly states: UserStates;
  /** `[tips] timezone`, or the machine's zone when it is empty. */
  readonly defaultTimeZone: string;
}

export function createTipsContext(options: TipsContextOptions): TipsContext {
  const { config } = options;
  return {
    config,
    store: options.store,
    database: options.database,
    llm: options.llm,
    clock: options.clock,
    logger: options.logger,
    fetch: options.fetch,
    vault: new TokenVault(options.database, parseVaultKeys(config.token_keys, config.token_active_key || undefined), options.clock),
    states: options.states ?? new UserStates(options.store, config.cached_users),
    defaultTimeZone: config.timezone || Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC',
  };
}

export const streamOf = (userId: string) => `user-${userId}`;

export function timeZoneOf(context: Pick<TipsContext, 'defaultTimeZone'>, state: TipsState): string {
  return state.context?.timezone ?? context.defaultTimeZone;
}

export function banditSettings(config: TipsConfig): LinUcbSettings {
  return { alpha: config.alpha, lambda: config.lambda, epsilon: config.epsilon };
}

/** The serving policy's name and settings: the last promotion, or the configured LinUCB. */
export function servingOf(config: TipsConfig, state: TipsState): { name: string; settings: LinUcbSettings } {
  const name = servingPolicy(state, policyName);
  const base = banditSettings(config);
  return { name, settings: isPolicyName(name) ? settingsOf(name, base) : base };
}

export function candidateSettings(config: TipsConfig): CandidateSettings {
  return { dedupDays: config.dedup_days, snoozeMinutes: config.snooze_minutes, duplicateThreshold: config.duplicate_threshold };
}

export function gateSettings(config: TipsConfig): GateSettings {
  return {
    quietStart: parseClock(config.quiet_hours_start) ?? 0,
    quietEnd: parseClock(config.quiet_hours_end) ?? 0,
    dailyBudget: config.daily_budget,
  };
}

/** Consent counts as given until revoked (`consent_default = granted`) or only once given (`required`). */
export const consentByDefault = (config: TipsConfig) => config.consent_default === 'granted';

export function rewardOf(config: TipsConfig, reaction: Reaction): number {
  switch (reaction) {
    case 'done':
      return config.reward_done;
    case 'helpful':
      return config.reward_helpful;
    case 'not_now':
      return config.reward_not_now;
    case 'dismiss':
      return config.reward_dismiss;
  }
}

export function todoistOAuthOf(context: Pick<TipsContext, 'config' | 'fetch'>): TodoistOAuthSettings {
  const { config } = context;
  return {
    clientId: config.todoist_client_id,
    clientSecret: config.todoist_client_secret,
    authorizeUrl: config.todoist_authorize_url,
    tokenUrl: config.todoist_token_url,
    revokeUrl: config.todoist_revoke_url,
    scope: config.todoist_scope,
    ...(context.fetch ? { fetch: context.fetch } : {}),
  };
}
