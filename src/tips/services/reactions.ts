/** Reactions: done, helpful, not now or dismiss on a shown tip; the reward comes from `[tips]` config and teaches the model. */
import type { Reaction } from '../domain/events.js';
import type { TrackedDecision } from '../domain/state.js';
import { type CommandContext, runCommand } from './commands.js';
import { rewardOf, type TipsContext } from './context.js';

/** Records a reaction to a shown decision; the same reaction again is a no-op, a different one a 409. */
export async function react(
  context: CommandContext & Pick<TipsContext, 'config' | 'clock'>,
  userId: string,
  decisionId: string,
  reaction: Reaction,
): Promise<TrackedDecision> {
  const result = await runCommand(context, userId, () => ({
    type: 'react_to_tip',
    decisionId,
    reaction,
    reward: rewardOf(context.config, reaction),
    at: context.clock.now(),
  }));
  return result.state.decisions.get(decisionId) as TrackedDecision;
}
