/** Trust: shadow agreement, off-policy evaluation of a named policy, and promotion through the gate (or an override). */
import { ValidationError } from '../../core/errors.js';
import type { PolicyPromotion } from '../domain/events.js';
import { type PromotionVerdict, promotionVerdict } from '../domain/ope.js';
import { evaluatePolicy, isPolicyName, type PolicyEvaluation, shadowAgreement } from '../domain/shadow.js';
import { type CommandContext, runCommand } from './commands.js';
import { banditSettings, servingOf, type TipsContext } from './context.js';

type TrustContext = CommandContext & Pick<TipsContext, 'config' | 'clock'>;

export async function shadowReport(context: TrustContext, userId: string) {
  const state = await context.states.load(userId);
  return { serving: servingOf(context.config, state).name, agreement: shadowAgreement(state.decisions.values()) };
}

export async function evaluate(
  context: TrustContext,
  userId: string,
  policy: string,
  options: { resamples?: number; seed?: number } = {},
): Promise<PolicyEvaluation> {
  if (!isPolicyName(policy)) throw new ValidationError(`unknown policy ${policy}`);
  const state = await context.states.load(userId);
  return evaluatePolicy(state, policy, banditSettings(context.config), servingOf(context.config, state).name, {
    resamples: options.resamples ?? 1_000,
    seed: options.seed ?? 1,
  });
}

export interface PromotionResult {
  promoted: boolean;
  verdict: PromotionVerdict;
  evaluation: PolicyEvaluation;
}

/**
 * Promotes `policy` when its lower bound beats the incumbent's on-policy value; with `override` it is promoted anyway
 * and the event says so, with the reason. Refused promotions append nothing.
 */
export async function promote(
  context: TrustContext,
  userId: string,
  policy: string,
  options: { override?: boolean; reason?: string | undefined } = {},
): Promise<PromotionResult> {
  const evaluation = await evaluate(context, userId, policy);
  const verdict = promotionVerdict(evaluation.report, evaluation.incumbentValue, {
    estimator: context.config.promotion_estimator,
    minSamples: context.config.promotion_min_decisions,
  });
  const override = !verdict.promote && options.override === true;
  const reason = options.reason?.trim() ?? '';
  if (override && reason === '') throw new ValidationError('an override needs a reason');
  if (!verdict.promote && !override) return { promoted: false, verdict, evaluation };
  const promotion: PolicyPromotion = {
    policy,
    from: evaluation.incumbent,
    at: context.clock.now(),
    override,
    reason: override ? reason.slice(0, 500) : verdict.reason,
    estimator: verdict.estimator,
    challengerLow: verdict.challengerLow,
    incumbentValue: verdict.incumbentValue,
    decisions: evaluation.decisions,
  };
  await runCommand(context, userId, () => ({ type: 'promote_policy', promotion }));
  return { promoted: true, verdict, evaluation };
}
