/**
 * Offline simulation: simulated users (a daily schedule, a task list, a mood, a reaction model) meet candidate tips in
 * contexts built with the real feature vectors (`features.ts`). Every candidate's expected reward is known exactly, so
 * a policy's true value is known and the off-policy estimators (`ope.ts`) can be checked against it. Pure: all
 * randomness comes from a seeded Rng.
 */
import { clamp } from '../../core/math.js';
import { Rng } from '../../core/rng.js';
import { type ArmGroup, armFeatures, contextFeatureNames, crossFeatures, round } from './features.js';
import type { OpeSample } from './ope.js';

export interface ReactionRewards {
  done: number;
  helpful: number;
  not_now: number;
  dismiss: number;
}

export const defaultRewards: ReactionRewards = { done: 1, helpful: 0.8, not_now: 0.1, dismiss: 0 };

export interface Persona {
  name: string;
  /** Local hours awake, [wake, sleep). */
  wake: number;
  sleep: number;
  /** Working hours, [start, end), on workdays. */
  workStart: number;
  workEnd: number;
  /** Mean open tasks; overdue share of them. */
  taskLoad: number;
  overdueShare: number;
  /** Mean mood 1..5. */
  mood: number;
  /** How much each kind of tip appeals, about [-1, 1]. */
  affinity: Partial<Record<ArmGroup, number>>;
  /** How strongly a busy calendar turns a tip into "not now" (0..1). */
  busyAversion: number;
}

/** Three personas; village NPCs can be mapped onto this shape too. */
export const personas: readonly Persona[] = [
  {
    name: 'aino-teacher',
    wake: 6,
    sleep: 22,
    workStart: 8,
    workEnd: 15,
    taskLoad: 8,
    overdueShare: 0.2,
    mood: 3.6,
    affinity: { overdue: 0.6, due_soon: 0.4, habit: 0.5, advice: -0.2, free_window: 0.2 },
    busyAversion: 0.7,
  },
  {
    name: 'mikko-fisher',
    wake: 4,
    sleep: 21,
    workStart: 5,
    workEnd: 13,
    taskLoad: 3,
    overdueShare: 0.4,
    mood: 3.0,
    affinity: { overdue: 0.2, habit: -0.3, advice: 0.5, free_window: 0.6, llm: 0.3 },
    busyAversion: 0.3,
  },
  {
    name: 'sanna-student',
    wake: 9,
    sleep: 25,
    workStart: 10,
    workEnd: 16,
    taskLoad: 14,
    overdueShare: 0.5,
    mood: 2.6,
    affinity: { overdue: -0.2, due_soon: 0.7, habit: 0.3, advice: 0.1, task: 0.4 },
    busyAversion: 0.5,
  },
];

const candidateGroups: readonly ArmGroup[] = ['overdue', 'free_window', 'due_soon', 'task', 'habit', 'advice', 'llm'];

export interface SimCandidate {
  group: ArmGroup;
  minutes: number;
  priority: number;
  salience: number;
  features: number[];
  /** Probabilities of done, helpful, not now, dismiss (sum 1). */
  reactions: [number, number, number, number];
  expected: number;
}

export interface SimDecision {
  persona: string;
  hour: number;
  weekend: boolean;
  busy: number;
  mood: number;
  context: number[];
  candidates: SimCandidate[];
}

/** The reaction model: appeal from affinity, mood and urgency; a busy moment or a late hour turns tips into "not now". */
export function reactionModel(
  persona: Persona,
  moment: { busy: number; mood: number; overdue: number; lateness: number },
  group: ArmGroup,
): [number, number, number, number] {
  if (group === 'nothing') return [0, 0, 1, 0];
  const appeal = clamp(
    0.35 + 0.35 * (persona.affinity[group] ?? 0) + 0.08 * (moment.mood - 3) + (group === 'overdue' ? 0.2 * moment.overdue : 0),
    0.02,
    0.95,
  );
  const later = clamp(persona.busyAversion * moment.busy + 0.3 * moment.lateness, 0, 0.9);
  const done = appeal * (1 - later) * 0.6;
  const helpful = appeal * (1 - later) * 0.4;
  const notNow = later * 0.8 + (1 - appeal) * (1 - later) * 0.3;
  const dismiss = 1 - done - helpful - notNow;
  return [done, helpful, notNow, Math.max(0, dismiss)];
}

export function expectedReward(reactions: readonly number[], rewards: ReactionRewards): number {
  const [done = 0, helpful = 0, notNow = 0, dismiss = 0] = reactions;
  return done * rewards.done + helpful * rewards.helpful + notNow * rewards.not_now + dismiss * rewards.dismiss;
}

/** One decision moment of a persona: an awake hour, a calendar, a task list, a mood, and 2-4 candidates + "nothing". */
export function simulateMoment(
  persona: Persona,
  rng: Rng,
  rewards: ReactionRewards = defaultRewards,
  options: { features?: boolean } = {},
): SimDecision {
  const withFeatures = options.features ?? true;
  const weekend = rng.chance(2 / 7);
  const hour = (persona.wake + rng.float() * (persona.sleep - persona.wake)) % 24;
  const working = !weekend && hour >= persona.workStart && hour < persona.workEnd;
  const busy = working ? clamp(0.3 + 0.6 * rng.float()) : clamp(0.25 * rng.float());
  const openTasks = Math.max(0, Math.round(persona.taskLoad * (0.5 + rng.float())));
  const overdue = Math.round(openTasks * persona.overdueShare * rng.float());
  const mood = clamp(Math.round(persona.mood + (rng.float() - 0.5) * 2.5), 1, 5);
  const lateness = clamp((hour - (persona.sleep - 3)) / 3);
  const angle = (2 * Math.PI * hour) / 24;
  const values: Record<(typeof contextFeatureNames)[number], number> = {
    bias: 1,
    task_load: clamp(openTasks / 20),
    overdue: clamp(overdue / 5),
    due_soon: clamp(rng.int(0, 3) / 5),
    top_priority: rng.int(1, 4) / 4,
    habits_at_risk: clamp(rng.int(0, 2) / 3),
    calendar_density: busy,
    next_free_window: clamp(1 - busy),
    minutes_to_next_meeting: working ? clamp(rng.float() * 0.5) : 1,
    mood: (mood - 1) / 4,
    mood_trend: clamp((rng.float() - 0.5) / 2, -1, 1),
    time_of_day_sin: Math.sin(angle),
    time_of_day_cos: Math.cos(angle),
    weekend: weekend ? 1 : 0,
    since_last_tip: clamp(rng.float()),
    since_last_reaction: clamp(rng.float()),
  };
  const context = contextFeatureNames.map((name) => round(values[name]));
  const pool = [...candidateGroups];
  const count = rng.int(2, 4);
  const groups: ArmGroup[] = [];
  for (let index = 0; index < count; index++) groups.push(pool.splice(rng.int(0, pool.length - 1), 1)[0] as ArmGroup);
  groups.push('nothing');
  const moment = { busy, mood, overdue: clamp(overdue / 5), lateness };
  const candidates = groups.map((group): SimCandidate => {
    const minutes = group === 'nothing' ? 0 : rng.int(5, 60);
    const priority = group === 'nothing' ? 0 : rng.int(1, 4);
    const salience = group === 'nothing' ? 0 : round(rng.float());
    const reactions = reactionModel(persona, moment, group);
    // "Show nothing" earns the "not now" reward: the user was left alone.
    return {
      group,
      minutes,
      priority,
      salience,
      features: withFeatures ? crossFeatures(context, armFeatures(group, minutes, priority, salience)) : [],
      reactions,
      expected: group === 'nothing' ? rewards.not_now : expectedReward(reactions, rewards),
    };
  });
  return { persona: persona.name, hour, weekend, busy, mood, context, candidates };
}

/** A policy as the simulation sees it: probabilities over a moment's candidates. */
export type SimPolicy = (decision: SimDecision) => number[];

/** Epsilon-greedy over a score: the best (ties share) gets 1 - epsilon, every candidate epsilon / K. */
export function epsilonGreedy(score: (candidate: SimCandidate, decision: SimDecision) => number, epsilon: number): SimPolicy {
  return (decision) => {
    const scores = decision.candidates.map((candidate) => score(candidate, decision));
    const best = Math.max(...scores);
    const winners = scores.filter((value) => value >= best - 1e-12).length;
    const k = scores.length;
    return scores.map((value) => epsilon / k + (value >= best - 1e-12 ? (1 - epsilon) / winners : 0));
  };
}

/** A logging policy that favours salient, high-priority tips (a stand-in for an early bandit). */
export const salienceLogging: SimPolicy = epsilonGreedy((candidate) => candidate.salience + 0.2 * candidate.priority, 0.3);

/** A challenger: leave the user alone when busy, otherwise prefer overdue and due-soon work. */
export const busyAwareTarget: SimPolicy = epsilonGreedy((candidate, decision) => {
  if (decision.busy > 0.6) return candidate.group === 'nothing' ? 1 : 0;
  const rank: Partial<Record<ArmGroup, number>> = { overdue: 0.9, due_soon: 0.8, habit: 0.6, free_window: 0.5, task: 0.4 };
  return (rank[candidate.group] ?? 0.1) + 0.05 * candidate.salience;
}, 0.1);

export interface SimulatedLog {
  decisions: SimDecision[];
  logging: number[][];
  chosen: number[];
  rewards: number[];
}

const reactionOrder = ['done', 'helpful', 'not_now', 'dismiss'] as const;

/** n decisions of the given personas in turn, chosen by `policy`, with rewards drawn from the reaction model. */
export function simulateLog(options: {
  policy: SimPolicy;
  decisions: number;
  seed: number;
  personas?: readonly Persona[];
  rewards?: ReactionRewards;
}): SimulatedLog {
  const rng = Rng.fromSeed(options.seed);
  const people = options.personas ?? personas;
  const rewards = options.rewards ?? defaultRewards;
  const log: SimulatedLog = { decisions: [], logging: [], chosen: [], rewards: [] };
  for (let index = 0; index < options.decisions; index++) {
    const decision = simulateMoment(people[index % people.length] as Persona, rng, rewards);
    const probabilities = options.policy(decision);
    const chosen = rng.weightedIndex(probabilities);
    const candidate = decision.candidates[chosen] as SimCandidate;
    const reward =
      candidate.group === 'nothing'
        ? rewards.not_now
        : rewards[reactionOrder[rng.weightedIndex(candidate.reactions)] as keyof ReactionRewards];
    log.decisions.push(decision);
    log.logging.push(probabilities);
    log.chosen.push(chosen);
    log.rewards.push(reward);
  }
  return log;
}

/** The true value of a policy: its expected reward over `moments` fresh moments, computed exactly per moment. */
export function trueValue(
  policy: SimPolicy,
  options: { moments: number; seed: number; personas?: readonly Persona[]; rewards?: ReactionRewards },
): number {
  const rng = Rng.fromSeed(options.seed);
  const people = options.personas ?? personas;
  let total = 0;
  for (let index = 0; index < options.moments; index++) {
    const decision = simulateMoment(people[index % people.length] as Persona, rng, options.rewards ?? defaultRewards, { features: false });
    const probabilities = policy(decision);
    decision.candidates.forEach((candidate, arm) => {
      total += (probabilities[arm] as number) * candidate.expected;
    });
  }
  return total / options.moments;
}

/** The log as estimator input for a target policy, with a reward model's predictions per candidate. */
export function toOpeSamples(log: SimulatedLog, target: SimPolicy, predict: (features: readonly number[]) => number): OpeSample[] {
  return log.decisions.map((decision, index) => ({
    logging: log.logging[index] as number[],
    target: target(decision),
    chosen: log.chosen[index] as number,
    reward: log.rewards[index] as number,
    predictions: decision.candidates.map((candidate) => predict(candidate.features)),
  }));
}
