/** Impact scoring and render decisions: which happenings become FEED posts, CHAT messages or NEWS articles. */
import { clamp } from '../../core/math.js';
import type { Catalog, Channel, EventType } from './catalog-schema.js';
import type { ImpactComponents, RenderDecision } from './events.js';
import type { VillageSettings } from './village-settings.js';

export interface ImpactInput {
  severity: number;
  publicness: number;
  /** How many events of this type happened within the novelty window. */
  recentSameType: number;
  category: string;
  valence: number;
  /** Highest public status among the participants, 0..1. */
  status: number;
  depth: number;
  /** Sum of the follow-up probabilities this event carries. */
  followUpProbability: number;
}

export function round(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}

export function impactComponents(input: ImpactInput): ImpactComponents {
  return {
    severity: round(clamp(input.severity, 0, 1)),
    publicness: round(clamp(input.publicness, 0, 1)),
    novelty: round(1 / (1 + input.recentSameType)),
    conflict: round(input.category === 'conflict' ? 1 : input.valence < 0 ? clamp(-input.valence * 0.5, 0, 1) : 0),
    status: round(clamp(input.status, 0, 1)),
    cascade: round(clamp((input.depth > 0 ? 0.3 + 0.2 * input.depth : 0) + 0.5 * input.followUpProbability, 0, 1)),
  };
}

/** Weighted mean of the components (weights normalised), 0..1. */
export function impactScore(components: ImpactComponents, weights: VillageSettings['impactWeights']): number {
  let total = 0;
  let sum = 0;
  for (const key of Object.keys(weights) as (keyof ImpactComponents)[]) {
    total += weights[key];
    sum += weights[key] * components[key];
  }
  return total === 0 ? 0 : round(sum / total);
}

/**
 * One decision per default channel of the type: render when the score reaches the channel's threshold and the channel
 * still has budget today. NEWS is written by the paper's reporter, FEED by the first actor, CHAT by the first target
 * (the one who heard it) or else the actor.
 */
export function decideRenders(
  type: EventType,
  score: number,
  cast: { actors: readonly string[]; targets: readonly string[] },
  channelsConfig: Catalog['channels'],
  usedToday: Readonly<Record<Channel, number>>,
): RenderDecision[] {
  return type.channels.map((channel) => {
    const author =
      channel === 'NEWS'
        ? channelsConfig.newspaper.reporter
        : channel === 'CHAT'
          ? (cast.targets[0] ?? cast.actors[0] ?? '')
          : (cast.actors[0] ?? '');
    if (score < channelsConfig.thresholds[channel]) return { channel, outcome: 'below_threshold', author };
    if (usedToday[channel] >= channelsConfig.dailyBudgets[channel]) return { channel, outcome: 'over_budget', author };
    return { channel, outcome: 'render', author };
  });
}
