/**
 * The tips application service: folds the user's stream, records signals, makes decisions (rules + the tip-generator
 * alias -> candidates -> LinUCB), marks them shown, takes reactions, imports iCalendar and Todoist. Appends use the
 * folded stream version, so two tabs asking at once get one decision (the loser re-reads and shows the winner's).
 */

import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Clock } from '../core/clock.js';
import type { Config } from '../core/config.js';
import { AppError, NotFoundError, ValidationError } from '../core/errors.js';
import { createId } from '../core/ids.js';
import type { Logger } from '../core/logger.js';
import type { LlmGateway } from '../llm/index.js';
import { type EventStore, type Recorded, type StoreDatabase, VersionConflictError } from '../store/index.js';
import { buildCandidates, type Candidate, type CandidateSettings, clip, maxTipLength } from './domain/candidates.js';
import {
  type ConsentPurpose,
  consentPurposes,
  type DecisionData,
  type PolicyPromotion,
  type Reaction,
  type SignalInput,
  signalEvent,
  type TipsEvent,
} from './domain/events.js';
import { computeFacts } from './domain/features.js';
import type { LinUcbModel, LinUcbSettings } from './domain/linucb.js';
import { type PromotionVerdict, promotionVerdict } from './domain/ope.js';
import { decide, type GateSettings, gate, modelFor, policyName, rederive } from './domain/policy.js';
import { evaluatePolicy, isPolicyName, type PolicyEvaluation, type PolicyName, settingsOf, shadowScores } from './domain/shadow.js';
import { cosine } from './domain/similarity.js';
import {
  applyEvent,
  consented,
  consentedView,
  emptyState,
  openDecision,
  servingPolicy,
  type TipsState,
  type TrackedDecision,
} from './domain/state.js';
import { parseClock } from './domain/time.js';
import { parseIcs } from './integrations/ical.js';
import { fetchTodoistTasks } from './integrations/todoist.js';
import { exchangeTodoistCode, revokeTodoistToken, type TodoistOAuthSettings, todoistAuthorizeUrl } from './integrations/todoist-oauth.js';
import { type DeletionReceipt, deleteUser, exportUser, type TokenRevoker, type UserExport } from './privacy/account.js';
import { parseVaultKeys, TokenVault } from './privacy/vault.js';
import { type DecisionLogEntry, readDecisionLog } from './projection.js';

export type TipsConfig = Config['tips'];

export interface TipsServiceOptions {
  config: TipsConfig;
  store: EventStore;
  database: StoreDatabase;
  llm?: LlmGateway | undefined;
  clock: Clock;
  logger?: Logger | undefined;
  fetch?: typeof fetch;
  /** The user this service acts for (default `[tips] user_id`). */
  userId?: string;
}

export type NextResult =
  | { status: 'tip'; decision: TrackedDecision; fresh: boolean }
  | { status: 'quiet'; reason: 'quiet_hours' | 'budget' };

/** What the tip-generator alias must answer. */
export const tipCandidatesSchema = z.object({
  tips: z
    .array(
      z.object({
        kind: z.enum(['advice', 'todo']),
        text: z.string().trim().min(1).max(maxTipLength),
        rationale: z.string().trim().max(300).default(''),
        source_signal_ids: z.array(z.string()).max(10).default([]),
        minutes: z.number().int().min(0).max(240).default(10),
      }),
    )
    .max(5),
});

const minute = 60_000;

export class TipsService {
  readonly userId: string;
  readonly streamId: string;
  private readonly settings: TipsConfig;
  private readonly store: EventStore;
  readonly database: StoreDatabase;
  private readonly llm: LlmGateway | undefined;
  private readonly clock: Clock;
  private readonly logger: Logger | undefined;
  private readonly fetcher: typeof fetch | undefined;
  /** `[tips] timezone`, or the machine's zone when it is empty. */
  readonly defaultTimeZone: string;
  private state: TipsState = emptyState();
  private loading: Promise<unknown> = Promise.resolve();
  private model: LinUcbModel | undefined;
  readonly vault: TokenVault;

  constructor(options: TipsServiceOptions) {
    this.settings = options.config;
    this.userId = options.userId ?? options.config.user_id;
    this.streamId = `user-${this.userId}`;
    this.store = options.store;
    this.database = options.database;
    this.llm = options.llm;
    this.clock = options.clock;
    this.logger = options.logger;
    this.fetcher = options.fetch;
    this.defaultTimeZone = options.config.timezone || Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
    this.vault = new TokenVault(
      options.database,
      parseVaultKeys(options.config.token_keys, options.config.token_active_key || undefined),
      options.clock,
    );
  }

  get noticeVersion(): string {
    return this.settings.notice_version;
  }

  /** Consent counts as given until revoked (`consent_default = granted`) or only once given (`required`). */
  get consentByDefault(): boolean {
    return this.settings.consent_default === 'granted';
  }

  /** The serving policy's name and settings: the last promotion, or the configured LinUCB. */
  serving(state: TipsState): { name: string; settings: LinUcbSettings } {
    const name = servingPolicy(state, policyName);
    return { name, settings: isPolicyName(name) ? settingsOf(name, this.banditSettings) : this.banditSettings };
  }

  now(): number {
    return this.clock.now();
  }

  get banditSettings(): LinUcbSettings {
    return { alpha: this.settings.alpha, lambda: this.settings.lambda, epsilon: this.settings.epsilon };
  }

  get candidateSettings(): CandidateSettings {
    return {
      dedupDays: this.settings.dedup_days,
      snoozeMinutes: this.settings.snooze_minutes,
      duplicateThreshold: this.settings.duplicate_threshold,
    };
  }

  get gateSettings(): GateSettings {
    return {
      quietStart: parseClock(this.settings.quiet_hours_start) ?? 0,
      quietEnd: parseClock(this.settings.quiet_hours_end) ?? 0,
      dailyBudget: this.settings.daily_budget,
    };
  }

  /**
   * The folded state, brought up to date with the stream (incrementally). Loads run one at a time, so two requests never
   * fold the same events into the shared state; callers capture `state.version` at once if they append with it.
   */
  load(): Promise<TipsState> {
    const run = this.loading.then(() => this.loadNow());
    this.loading = run.catch(() => undefined);
    return run;
  }

  private async loadNow(): Promise<TipsState> {
    for (;;) {
      // Read from the last folded event too: if it is gone, the stream was deleted or rebuilt underneath.
      const from = Math.max(1, this.state.version);
      const read = await this.store.readStream<Recorded<TipsEvent>>(this.streamId, { fromVersion: from });
      const overlap = this.state.version > 0 ? read[0] : undefined;
      const events = this.state.version > 0 ? read.slice(1) : read;
      const aligned = this.state.version === 0 || overlap?.version === this.state.version;
      if (aligned && events.every((event, index) => event.version === this.state.version + 1 + index)) {
        for (const event of events) applyEvent(this.state, { type: event.type, data: event.data } as TipsEvent);
        return this.state;
      }
      // The stream does not line up with what was folded (it was rebuilt underneath): fold from the start.
      this.state = emptyState();
      this.model = undefined;
    }
  }

  timeZone(state: TipsState): string {
    return state.context?.timezone ?? this.defaultTimeZone;
  }

  /** The serving model with every learned reward so far, updated incrementally (rebuilt when the policy changes). */
  currentModel(state: TipsState): LinUcbModel {
    const { settings } = this.serving(state);
    const same =
      this.model !== undefined &&
      this.model.settings.alpha === settings.alpha &&
      this.model.settings.epsilon === settings.epsilon &&
      this.model.settings.lambda === settings.lambda;
    if (this.model === undefined || !same || this.model.updates > state.updates.length) this.model = modelFor(state, settings, 0);
    for (const update of state.updates.slice(this.model.updates)) this.model.update(update.features, update.reward);
    return this.model;
  }

  async recordSignals(inputs: readonly SignalInput[]): Promise<string[]> {
    if (inputs.length === 0) return [];
    const ids = inputs.map(() => createId('sig'));
    await this.store.append(
      this.streamId,
      'any',
      inputs.map((input, index) => signalEvent(input, ids[index] as string)),
    );
    return ids;
  }

  /** The open tip, or a new decision. `show` marks it shown (the page does; API clients call `markShown`). */
  async next(options: { show?: boolean; ask?: boolean } = {}): Promise<NextResult> {
    for (let attempt = 0; ; attempt++) {
      const state = await this.load();
      const expected = state.version;
      const now = this.clock.now();
      const timeZone = this.timeZone(state);
      const gated = gate(state, now, timeZone, this.gateSettings);
      if (!gated.open && gated.reason === 'quiet_hours') return { status: 'quiet', reason: gated.reason };
      const open = openDecision(state);
      const openChosen = open?.candidates[open.chosenIndex];
      const keepOpen =
        open && now - open.at < this.settings.open_decision_minutes * minute && !(options.ask && openChosen?.kind === 'nothing');
      try {
        if (open && keepOpen) {
          if (options.show && open.shownAt === undefined) {
            await this.store.append(this.streamId, expected, [{ type: 'tips.tip_shown', data: { decisionId: open.decisionId, at: now } }]);
            return { status: 'tip', decision: (await this.load()).decisions.get(open.decisionId) as TrackedDecision, fresh: false };
          }
          return { status: 'tip', decision: open, fresh: false };
        }
        if (!gated.open) return { status: 'quiet', reason: gated.reason };
        const decisionId = `${this.userId}-${state.decisionOrder.length + 1}`;
        // Purposes without consent are invisible to candidates and features from this decision on.
        const view = consentedView(state, this.consentByDefault);
        const llmAllowed = consented(state, 'llm', this.consentByDefault);
        const proposed = llmAllowed ? await this.proposedCandidates(view, now, timeZone, decisionId) : [];
        let { candidates } = buildCandidates(view, now, timeZone, this.candidateSettings, proposed, {
          excludeNothing: options.ask ?? false,
        });
        if (llmAllowed) candidates = await this.dropEmbeddingDuplicates(state, now, candidates);
        const model = this.currentModel(state);
        const serving = this.serving(state);
        const decision = decide({ state: view, model, decisionId, now, timeZone, candidates, name: serving.name });
        const shadows = this.settings.shadow_policies.filter((name): name is PolicyName => isPolicyName(name) && name !== serving.name);
        if (shadows.length > 0) decision.shadows = shadowScores(model, this.banditSettings, decision, shadows);
        const events: TipsEvent[] = [{ type: 'tips.tip_decided', data: decision }];
        if (options.show) events.push({ type: 'tips.tip_shown', data: { decisionId, at: now } });
        await this.store.append(this.streamId, expected, events);
        return { status: 'tip', decision: (await this.load()).decisions.get(decisionId) as TrackedDecision, fresh: true };
      } catch (error) {
        if (error instanceof VersionConflictError && attempt < 4) continue;
        throw error;
      }
    }
  }

  async markShown(decisionId: string): Promise<TrackedDecision> {
    for (let attempt = 0; ; attempt++) {
      const state = await this.load();
      const expected = state.version;
      const decision = state.decisions.get(decisionId);
      if (!decision) throw new NotFoundError(`no decision ${decisionId}`, { decisionId });
      if (decision.shownAt !== undefined) return decision;
      try {
        await this.store.append(this.streamId, expected, [{ type: 'tips.tip_shown', data: { decisionId, at: this.clock.now() } }]);
        return (await this.load()).decisions.get(decisionId) as TrackedDecision;
      } catch (error) {
        if (error instanceof VersionConflictError && attempt < 4) continue;
        throw error;
      }
    }
  }

  rewardOf(reaction: Reaction): number {
    switch (reaction) {
      case 'done':
        return this.settings.reward_done;
      case 'helpful':
        return this.settings.reward_helpful;
      case 'not_now':
        return this.settings.reward_not_now;
      case 'dismiss':
        return this.settings.reward_dismiss;
    }
  }

  /** Records a reaction to a shown decision; the same reaction again is a no-op, a different one a 409. */
  async react(decisionId: string, reaction: Reaction): Promise<TrackedDecision> {
    for (let attempt = 0; ; attempt++) {
      const state = await this.load();
      const expected = state.version;
      const decision = state.decisions.get(decisionId);
      if (!decision) throw new NotFoundError(`no decision ${decisionId}`, { decisionId });
      if (decision.shownAt === undefined)
        throw new ValidationError(`decision ${decisionId} was never shown; mark it shown before reacting`, { decisionId });
      if (decision.reaction !== undefined) {
        if (decision.reaction === reaction) return decision;
        throw new AppError('duplicate', `decision ${decisionId} already has the reaction ${decision.reaction}`, {
          details: { decisionId, reaction: decision.reaction },
        });
      }
      try {
        await this.store.append(this.streamId, expected, [
          { type: 'tips.tip_reacted', data: { decisionId, reaction, reward: this.rewardOf(reaction), at: this.clock.now() } },
        ]);
        return (await this.load()).decisions.get(decisionId) as TrackedDecision;
      } catch (error) {
        if (error instanceof VersionConflictError && attempt < 4) continue;
        throw error;
      }
    }
  }

  /** Re-derives a logged decision: the same choice means the log is faithful. */
  async verify(decisionId: string): Promise<{ decision: DecisionData; rederived: { chosenIndex: number; propensities: number[] } }> {
    const state = await this.load();
    const decision = state.decisions.get(decisionId);
    if (!decision) throw new NotFoundError(`no decision ${decisionId}`, { decisionId });
    return { decision, rederived: rederive(state, decision) };
  }

  decisionLog(options: { limit: number; before?: number | undefined }): Promise<DecisionLogEntry[]> {
    return readDecisionLog(this.database.db, this.database.dialect, this.userId, options);
  }

  async importIcs(text: string): Promise<{ imported: number; signalIds: string[] }> {
    const state = await this.load();
    const now = this.clock.now();
    const signals = parseIcs(text, {
      timeZone: this.timeZone(state),
      from: now - 24 * 60 * minute,
      to: now + this.settings.ics_window_days * 24 * 60 * minute,
    });
    const signalIds = await this.recordSignals(signals.map((signal) => ({ kind: 'calendar', ...signal })));
    return { imported: signals.length, signalIds };
  }

  async importTodoist(token: string, signal?: AbortSignal): Promise<{ imported: number; signalIds: string[] }> {
    const state = await this.load();
    const tasks = await fetchTodoistTasks({
      baseUrl: this.settings.todoist_api_url,
      token,
      timeZone: this.timeZone(state),
      ...(this.fetcher ? { fetch: this.fetcher } : {}),
      ...(signal ? { signal } : {}),
    });
    const signalIds = await this.recordSignals(tasks.map((task) => ({ kind: 'task', ...task })));
    return { imported: tasks.length, signalIds };
  }

  // ---------- consent ----------

  /** Records consent for a purpose (given or revoked) with the notice version; takes effect on the next decision. */
  async setConsent(purpose: ConsentPurpose, granted: boolean): Promise<void> {
    if (!consentPurposes.includes(purpose)) throw new ValidationError(`unknown purpose ${purpose}`);
    await this.store.append(this.streamId, 'any', [
      {
        type: granted ? 'tips.consent_given' : 'tips.consent_revoked',
        data: { purpose, noticeVersion: this.settings.notice_version, at: this.clock.now() },
      },
    ]);
  }

  async consents(): Promise<Array<{ purpose: ConsentPurpose; granted: boolean; noticeVersion: string | null; at: number | null }>> {
    const state = await this.load();
    return consentPurposes.map((purpose) => {
      const record = state.consents.get(purpose);
      return {
        purpose,
        granted: consented(state, purpose, this.consentByDefault),
        noticeVersion: record?.noticeVersion ?? null,
        at: record?.at ?? null,
      };
    });
  }

  // ---------- evaluation and promotion ----------

  async evaluate(policy: string, options: { resamples?: number; seed?: number } = {}): Promise<PolicyEvaluation> {
    if (!isPolicyName(policy)) throw new ValidationError(`unknown policy ${policy}`);
    const state = await this.load();
    return evaluatePolicy(state, policy, this.banditSettings, this.serving(state).name, {
      resamples: options.resamples ?? 1_000,
      seed: options.seed ?? 1,
    });
  }

  /**
   * Promotes `policy` when its lower bound beats the incumbent's on-policy value; with `override` it is promoted
   * anyway and the event says so, with the reason. Refused promotions append nothing.
   */
  async promote(
    policy: string,
    options: { override?: boolean; reason?: string } = {},
  ): Promise<{ promoted: boolean; verdict: PromotionVerdict; evaluation: PolicyEvaluation }> {
    const evaluation = await this.evaluate(policy);
    const verdict = promotionVerdict(evaluation.report, evaluation.incumbentValue, {
      estimator: this.settings.promotion_estimator,
      minSamples: this.settings.promotion_min_decisions,
    });
    const override = !verdict.promote && options.override === true;
    if (override && !options.reason?.trim()) throw new ValidationError('an override needs a reason');
    if (!verdict.promote && !override) return { promoted: false, verdict, evaluation };
    const promotion: PolicyPromotion = {
      policy,
      from: evaluation.incumbent,
      at: this.clock.now(),
      override,
      reason: override ? (options.reason as string).trim().slice(0, 500) : verdict.reason,
      estimator: verdict.estimator,
      challengerLow: verdict.challengerLow,
      incumbentValue: verdict.incumbentValue,
      decisions: evaluation.decisions,
    };
    await this.store.append(this.streamId, 'any', [{ type: 'tips.policy_promoted', data: promotion }]);
    return { promoted: true, verdict, evaluation };
  }

  // ---------- Todoist OAuth and the token vault ----------

  get todoistOAuth(): TodoistOAuthSettings {
    return {
      clientId: this.settings.todoist_client_id,
      clientSecret: this.settings.todoist_client_secret,
      authorizeUrl: this.settings.todoist_authorize_url,
      tokenUrl: this.settings.todoist_token_url,
      revokeUrl: this.settings.todoist_revoke_url,
      scope: this.settings.todoist_scope,
      ...(this.fetcher ? { fetch: this.fetcher } : {}),
    };
  }

  /** Starts the Todoist OAuth flow: a one-time state bound to this user, and the URL to send the browser to. */
  async authorizeTodoist(): Promise<{ url: string; state: string }> {
    if (!this.settings.todoist_client_id) throw new ValidationError('Todoist OAuth needs [tips] todoist_client_id');
    const state = randomBytes(24).toString('base64url');
    await this.database.db
      .insertInto('tips_oauth_states')
      .values({ state, user_id: this.userId, provider: 'todoist', created_at: this.clock.now() })
      .execute();
    return { url: todoistAuthorizeUrl(this.todoistOAuth, state), state };
  }

  /** The OAuth callback: checks the state (once, 10 minutes), exchanges the code, stores the token encrypted. */
  async completeTodoist(code: string, state: string): Promise<void> {
    const row = await this.database.db
      .selectFrom('tips_oauth_states')
      .selectAll()
      .where('state', '=', state)
      .where('user_id', '=', this.userId)
      .where('provider', '=', 'todoist')
      .executeTakeFirst();
    await this.database.db.deleteFrom('tips_oauth_states').where('state', '=', state).execute();
    if (!row || this.clock.now() - Number(row.created_at) > 10 * minute)
      throw new ValidationError('unknown or expired OAuth state; start the connection again');
    const { accessToken, scope } = await exchangeTodoistCode(this.todoistOAuth, code);
    await this.vault.put(this.userId, 'todoist', accessToken, scope);
    await this.store.append(this.streamId, 'any', [
      { type: 'tips.integration_connected', data: { provider: 'todoist', at: this.clock.now(), scope } },
    ]);
  }

  /** Disconnects Todoist: revokes the token at Todoist, then forgets it. */
  async disconnectTodoist(): Promise<{ revoked: boolean }> {
    const token = await this.vault.get(this.userId, 'todoist');
    let revoked = false;
    if (token !== undefined) {
      await revokeTodoistToken(this.todoistOAuth, token);
      revoked = true;
    }
    await this.vault.remove(this.userId, 'todoist');
    await this.store.append(this.streamId, 'any', [
      { type: 'tips.integration_disconnected', data: { provider: 'todoist', at: this.clock.now(), revoked } },
    ]);
    return { revoked };
  }

  /** Imports Todoist tasks with the stored (vaulted) OAuth token. */
  async importTodoistConnected(signal?: AbortSignal): Promise<{ imported: number; signalIds: string[] }> {
    const token = await this.vault.get(this.userId, 'todoist');
    if (token === undefined) throw new NotFoundError('Todoist is not connected', { provider: 'todoist' });
    return this.importTodoist(token, signal);
  }

  // ---------- export and deletion ----------

  exportData(): Promise<UserExport> {
    return exportUser(this.database, this.vault, this.clock, this.userId);
  }

  /** Revokes the user's tokens and removes every row of the user; the in-memory state is forgotten too. */
  async deleteAccount(): Promise<DeletionReceipt> {
    await this.loading;
    // Without an OAuth client there is nothing to revoke against (a pasted personal token is never stored).
    const revokers: Record<string, TokenRevoker> = {};
    if (this.settings.todoist_client_id) revokers.todoist = (token) => revokeTodoistToken(this.todoistOAuth, token);
    const receipt = await deleteUser(this.database, this.vault, this.clock, this.userId, revokers);
    this.state = emptyState();
    this.model = undefined;
    return receipt;
  }

  /** Candidates from the tip-generator alias; none while it is the offline writer, or when the call fails. */
  private async proposedCandidates(state: TipsState, now: number, timeZone: string, decisionId: string): Promise<Candidate[]> {
    if (!this.llm || !this.settings.llm_candidates || this.llm.describe('tip-generator').offline) return [];
    const facts = computeFacts(state, now, timeZone);
    const known = new Map<string, string>();
    const lines: string[] = [];
    for (const task of [...state.tasks.values()].filter((task) => !task.done).slice(0, 20)) {
      known.set(task.signalId, `task:${task.taskId}`);
      lines.push(
        `- [${task.signalId}] task "${task.title}" priority ${task.priority}${task.dueAt ? ` due ${new Date(task.dueAt).toISOString()}` : ''}`,
      );
    }
    for (const habit of state.habits.values()) {
      known.set(habit.signalId, `habit:${habit.habitId}`);
      lines.push(`- [${habit.signalId}] daily habit "${habit.name}"`);
    }
    const mood = state.moods[state.moods.length - 1];
    if (mood) {
      known.set(mood.signalId, 'mood');
      lines.push(`- [${mood.signalId}] mood ${mood.score}/5${mood.note ? ` "${mood.note}"` : ''}`);
    }
    try {
      const result = await this.llm.generateObject(
        'tip-generator',
        tipCandidatesSchema,
        [
          {
            role: 'system',
            content:
              'You write short, concrete personal tips. Each tip is advice or a todo, at most 140 characters, grounded in the signals given. Cite the signal ids you used.',
          },
          {
            role: 'user',
            content: `Local time zone ${timeZone}. Open tasks ${facts.openTasks}, overdue ${facts.overdue}, minutes to next meeting ${facts.minutesToNextMeeting ?? 'none'}.\nSignals:\n${lines.join('\n') || '(none)'}\nPropose up to 3 tips.`,
          },
        ],
        { cacheKey: `tips/${decisionId}`, fallback: { tips: [] } },
      );
      return result.object.tips.map((tip) => {
        const sources = tip.source_signal_ids.filter((id) => known.has(id));
        const slug = clip(tip.text, 60)
          .toLowerCase()
          .replace(/[^\p{L}\p{N}]+/gu, '-');
        return {
          key: `llm:${slug}`,
          kind: tip.kind,
          rule: 'tip-generator',
          group: 'llm',
          text: clip(tip.text, maxTipLength),
          rationale: clip(tip.rationale || 'Suggested by the tip generator.', 300),
          sourceSignalIds: sources,
          minutes: tip.minutes,
          priority: 2,
          salience: 0.4,
          source: 'llm',
        } satisfies Candidate;
      });
    } catch (error) {
      this.logger?.warn({ error: (error as Error).message }, 'tip-generator failed; rule candidates only');
      return [];
    }
  }

  /** With a real `embedder`, drops candidates whose embedding is within 0.9 cosine of a tip reacted to in the window. */
  private async dropEmbeddingDuplicates(state: TipsState, now: number, candidates: Candidate[]): Promise<Candidate[]> {
    if (!this.llm || this.llm.describe('embedder').offline) return candidates;
    const window = this.settings.dedup_days * 24 * 60 * minute;
    const recent = [...state.decisions.values()]
      .filter((decision) => decision.reaction !== undefined && decision.reaction !== 'not_now' && (decision.shownAt ?? 0) > now - window)
      .map((decision) => decision.candidates[decision.chosenIndex])
      .filter((candidate) => candidate !== undefined && candidate.kind !== 'nothing')
      .map((candidate) => candidate?.text as string);
    const fresh = candidates.filter((candidate) => candidate.kind !== 'nothing');
    if (recent.length === 0 || fresh.length === 0) return candidates;
    try {
      const { embeddings } = await this.llm.embed('embedder', [...recent, ...fresh.map((candidate) => candidate.text)]);
      const recentVectors = embeddings.slice(0, recent.length);
      const dropped = new Set<Candidate>();
      fresh.forEach((candidate, index) => {
        const vector = embeddings[recent.length + index] ?? [];
        if (recentVectors.some((other) => cosine(other, vector) >= 0.9)) dropped.add(candidate);
      });
      return candidates.filter((candidate) => !dropped.has(candidate));
    } catch (error) {
      this.logger?.warn({ error: (error as Error).message }, 'embedder failed; lexical near-duplicate check only');
      return candidates;
    }
  }
}
