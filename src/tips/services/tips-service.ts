/**
 * One user's view of the tips use cases. Cheap to make (it holds the shared context and a user id, nothing else), so
 * every request makes its own; folded state lives in the context's capped cache, not here.
 */
import type { ConsentPurpose, Reaction, SignalInput } from '../domain/events.js';
import type { LinUcbModel } from '../domain/linucb.js';
import type { TipsState } from '../domain/state.js';
import { type DecisionLogEntry, readDecisionLog } from '../read-model/decision-log.js';
import { createTipsContext, servingOf, streamOf, type TipsContext, type TipsContextOptions } from './context.js';
import * as integrations from './integrations.js';
import type { TokenVault } from './privacy/vault.js';
import * as privacy from './privacy.js';
import { react } from './reactions.js';
import { markShown, type NextOptions, nextTip, verifyDecision } from './serving.js';
import { recordSignals } from './signals.js';
import * as trust from './trust.js';
import * as views from './views.js';

export interface TipsServiceOptions extends TipsContextOptions {
  /** The user this service acts for (default `[tips] user_id`). */
  userId?: string;
}

export class TipsService {
  readonly userId: string;
  readonly streamId: string;
  private readonly context: TipsContext;

  constructor(options: TipsServiceOptions | { context: TipsContext; userId: string }) {
    this.context = 'context' in options ? options.context : createTipsContext(options);
    this.userId = options.userId ?? this.context.config.user_id;
    this.streamId = streamOf(this.userId);
  }

  /** The same context (store, cache, vault) acting for another user. */
  forUser(userId: string): TipsService {
    return userId === this.userId ? this : new TipsService({ context: this.context, userId });
  }

  /** The folded state, brought up to date with the stream. */
  load(): Promise<TipsState> {
    return this.context.states.load(this.userId);
  }

  /** The serving model with every learned reward of `state`. */
  currentModel(state: TipsState): LinUcbModel {
    return this.context.states.model(this.userId, state, servingOf(this.context.config, state).settings);
  }

  /** Provider tokens, encrypted (for the CLI's key rotation and tests). */
  get vault(): TokenVault {
    return this.context.vault;
  }

  /** Re-encrypts every stored token (of every user) with the active key. */
  rotateTokenKeys() {
    return this.context.vault.rotate();
  }

  recordSignals(inputs: readonly SignalInput[]) {
    return recordSignals(this.context, this.userId, inputs);
  }
  next(options: NextOptions = {}) {
    return nextTip(this.context, this.userId, options);
  }
  markShown(decisionId: string) {
    return markShown(this.context, this.userId, decisionId);
  }
  react(decisionId: string, reaction: Reaction) {
    return react(this.context, this.userId, decisionId, reaction);
  }
  verify(decisionId: string) {
    return verifyDecision(this.context, this.userId, decisionId);
  }
  decisionLog(options: { limit: number; before?: number | undefined }): Promise<DecisionLogEntry[]> {
    return readDecisionLog(this.context.database.db, this.context.database.dialect, this.userId, options);
  }

  importIcs(text: string) {
    return integrations.importIcs(this.context, this.userId, text);
  }
  importTodoist(token: string, signal?: AbortSignal) {
    return integrations.importTodoist(this.context, this.userId, token, signal);
  }
  importTodoistConnected(signal?: AbortSignal) {
    return integrations.importTodoistConnected(this.context, this.userId, signal);
  }
  authorizeTodoist() {
    return integrations.authorizeTodoist(this.context, this.userId);
  }
  completeTodoist(code: string, state: string) {
    return integrations.completeTodoist(this.context, this.userId, code, state);
  }
  disconnectTodoist() {
    return integrations.disconnectTodoist(this.context, this.userId);
  }

  setConsent(purpose: ConsentPurpose, granted: boolean) {
    return privacy.setConsent(this.context, this.userId, purpose, granted);
  }
  consents() {
    return privacy.consents(this.context, this.userId);
  }
  exportData() {
    return privacy.exportData(this.context, this.userId);
  }
  deleteAccount() {
    return privacy.deleteAccount(this.context, this.userId);
  }

  shadows() {
    return trust.shadowReport(this.context, this.userId);
  }
  evaluate(policy: string, options: { resamples?: number; seed?: number } = {}) {
    return trust.evaluate(this.context, this.userId, policy, options);
  }
  promote(policy: string, options: { override?: boolean; reason?: string | undefined } = {}) {
    return trust.promote(this.context, this.userId, policy, options);
  }

  localClock() {
    return views.localClock(this.context, this.userId);
  }
  tipView(next: Awaited<ReturnType<typeof nextTip>>) {
    return views.tipView(this.context, this.userId, next);
  }
  signalsOverview() {
    return views.signalsOverview(this.context, this.userId);
  }
  decisionLogRows(limit: number) {
    return views.decisionLogRows(this.context, this.userId, limit);
  }
}
