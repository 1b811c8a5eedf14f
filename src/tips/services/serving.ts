/**
 * Serving: the open tip, or a new decision (rules + the tip-generator's proposals -> candidates -> the serving policy's
 * draw), marked shown when the page shows it; re-deriving a logged decision.
 */
import { NotFoundError } from '../../core/errors.js';
import { buildCandidates } from '../domain/candidates.js';
import type { DecideTip } from '../domain/decider.js';
import { servedDecision } from '../domain/decider.js';
import type { DecisionData } from '../domain/events.js';
import { gate, rederive } from '../domain/policy.js';
import { consented, consentedView, type TipsState, type TrackedDecision } from '../domain/state.js';
import { type CommandContext, runCommand } from './commands.js';
import { banditSettings, candidateSettings, consentByDefault, gateSettings, servingOf, type TipsContext, timeZoneOf } from './context.js';
import { dropEmbeddingDuplicates, type ProposalContext, proposedCandidates } from './proposals.js';

/** What serving needs: commands, the clock and zone, and the LLM for proposals. */
type ServingContext = CommandContext & ProposalContext & Pick<TipsContext, 'clock' | 'config' | 'defaultTimeZone'>;

export type NextResult =
  | { status: 'tip'; decision: TrackedDecision; fresh: boolean }
  | { status: 'quiet'; reason: 'quiet_hours' | 'budget' };

export interface NextOptions {
  /** Mark the tip shown (the page does; API clients call `markShown` when they display it). */
  show?: boolean;
  /** The user asked for a tip: an open "show nothing" does not hold, and "show nothing" is no candidate. */
  ask?: boolean;
}

type Plan = { kind: 'quiet'; reason: 'quiet_hours' | 'budget' } | { kind: 'open'; decision: TrackedDecision } | { kind: 'decide' };

function plan(context: ServingContext, state: TipsState, now: number, ask: boolean): Plan {
  const gated = gate(state, now, timeZoneOf(context, state), gateSettings(context.config));
  if (!gated.open && gated.reason === 'quiet_hours') return { kind: 'quiet', reason: gated.reason };
  const open = servedDecision(state, now, { openDecisionMinutes: context.config.open_decision_minutes, ask });
  if (open) return { kind: 'open', decision: open };
  return gated.open ? { kind: 'decide' } : { kind: 'quiet', reason: gated.reason };
}

/** The decide_tip command for this state: candidates (with proposals when the llm purpose is consented) and the model. */
async function decideCommand(
  context: ServingContext,
  userId: string,
  state: TipsState,
  now: number,
  options: NextOptions,
): Promise<DecideTip> {
  const { config } = context;
  const timeZone = timeZoneOf(context, state);
  const decisionId = `${userId}-${state.decisionOrder.length + 1}`;
  // Purposes without consent are invisible to candidates and features from this decision on.
  const view = consentedView(state, consentByDefault(config));
  const llmAllowed = consented(state, 'llm', consentByDefault(config));
  const proposed = llmAllowed ? await proposedCandidates(context, view, now, timeZone, decisionId) : [];
  let { candidates } = buildCandidates(view, now, timeZone, candidateSettings(config), proposed, { excludeNothing: options.ask ?? false });
  if (llmAllowed) candidates = await dropEmbeddingDuplicates(context, state, now, candidates);
  const serving = servingOf(config, state);
  return {
    type: 'decide_tip',
    decisionId,
    now,
    timeZone,
    candidates,
    view,
    serving: { ...serving, model: context.states.model(userId, state, serving.settings) },
    shadows: { base: banditSettings(config), policies: config.shadow_policies },
    gate: gateSettings(config),
    openDecisionMinutes: config.open_decision_minutes,
    ask: options.ask ?? false,
    show: options.show ?? false,
  };
}

/** The open tip, or a new decision. Two requests at once get one decision: the later one serves the earlier's. */
/** What `plan` leaves to write: nothing (quiet, or an open tip already shown or not to be shown), a mark, or a decision. */
function needsWrite(next: Plan, options: NextOptions): boolean {
  if (next.kind === 'quiet') return false;
  return next.kind === 'decide' || (options.show === true && next.decision.shownAt === undefined);
}

function served(next: Plan, state: TipsState): NextResult {
  if (next.kind === 'quiet') return { status: 'quiet', reason: next.reason };
  const decisionId = next.kind === 'open' ? next.decision.decisionId : (state.decisionOrder.at(-1) as string);
  return { status: 'tip', decision: state.decisions.get(decisionId) as TrackedDecision, fresh: next.kind === 'decide' };
}

/** The open tip, or a new decision. Two requests at once get one decision: the later one serves the earlier's. */
export async function nextTip(context: ServingContext, userId: string, options: NextOptions = {}): Promise<NextResult> {
  // Most requests read: the open tip, already shown, or quiet hours. They need no command.
  const cached = await context.states.load(userId);
  const first = plan(context, cached, context.clock.now(), options.ask ?? false);
  if (!needsWrite(first, options)) return served(first, cached);
  const last: { plan: Plan } = { plan: first };
  const result = await runCommand(context, userId, async (state) => {
    const now = context.clock.now();
    const next = plan(context, state, now, options.ask ?? false);
    last.plan = next;
    if (!needsWrite(next, options)) return undefined;
    if (next.kind === 'open') return { type: 'show_tip', decisionId: next.decision.decisionId, at: now };
    return decideCommand(context, userId, state, now, options);
  });
  return served(last.plan, result.state);
}

export async function markShown(context: ServingContext, userId: string, decisionId: string): Promise<TrackedDecision> {
  const result = await runCommand(context, userId, () => ({ type: 'show_tip', decisionId, at: context.clock.now() }));
  return result.state.decisions.get(decisionId) as TrackedDecision;
}

/** Re-derives a logged decision: the same choice means the log is faithful. */
export async function verifyDecision(
  context: ServingContext,
  userId: string,
  decisionId: string,
): Promise<{ decision: DecisionData; rederived: { chosenIndex: number; propensities: number[] } }> {
  const state = await context.states.load(userId);
  const decision = state.decisions.get(decisionId);
  if (!decision) throw new NotFoundError(`no decision ${decisionId}`, { decisionId });
  return { decision, rederived: rederive(state, decision) };
}
