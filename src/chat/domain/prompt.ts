/**
 * Narrative prompt assembly with trim tiers (seeds/002 T18). Every part has a tier:
 * - must: the bot's identity, who you are, the scene (clock, place, activity), pinned memories and your turn — never trimmed;
 * - should: the relationship, recent dialogue, retrieved memories, two voice samples — kept while the hard budget allows;
 * - nice: backstory, older dialogue, more voice samples — kept while the soft budget allows.
 * The ledger names every part with its tier, tokens and, for each drop, why. Stable parts come first (one system
 * message) so prefix caching works; what changes per turn goes into the last user message.
 */
import type { LedgerEntry, PromptLedger, RetrievedMemory } from './events.js';

export interface PromptMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface PromptInput {
  bot: { name: string; persona: string; traits: string[]; voice_samples: string[]; backstory: string };
  you: { name: string; pronouns: string; persona: string };
  scene: {
    clock: string;
    weather: string;
    container: string;
    activities: Array<{ name: string; posture: string; verb: string; attention: string; holding: string[] }>;
  };
  edge: { affinity: number; trust: number; summary: string; knowledge: string[] } | null;
  /** Pinned first, then ranked; pinned ones are must-include. */
  memories: readonly RetrievedMemory[];
  /** Oldest first. */
  history: ReadonlyArray<{ role: 'user' | 'assistant'; text: string }>;
  /** Messages before `history` that were not even loaded. */
  unloadedHistory: number;
  turn: string;
  budget: { hard: number; soft: number };
  /** The newest this many history messages are `should`; older ones are `nice`. */
  recentMessages?: number;
}

export type CountTokens = (text: string) => number;

const messageOverhead = 4;
const promptOverhead = 3;
const labelReserve = 96;

interface Part {
  name: string;
  tier: 'must' | 'should' | 'nice';
  text: string;
}

type HistoryMessage = { role: 'user' | 'assistant'; text: string };

/** The prompt's running total per tier and the ledger of what was kept and dropped, with why. */
class PromptBudget {
  readonly entries: LedgerEntry[] = [];
  readonly tiers = { must: 0, should: 0, nice: 0 };
  total = promptOverhead + messageOverhead * 2;

  constructor(
    private readonly budget: { hard: number; soft: number },
    readonly tokens: CountTokens,
  ) {}

  /** The most a tier may bring the total to; labels and separators cost a few tokens each, so keep room for them. */
  limit(tier: 'should' | 'nice'): number {
    return (tier === 'should' ? this.budget.hard : this.budget.soft) - labelReserve;
  }

  /** Whether `cost` more tokens fit the tier's budget; counted when they do. */
  take(tier: 'must' | 'should' | 'nice', cost: number): boolean {
    if (tier !== 'must' && this.total + cost > this.limit(tier)) return false;
    this.total += cost;
    this.tiers[tier] += cost;
    return true;
  }

  /** A must part is always kept; a should / nice part while its budget allows (else dropped, with the reason). */
  offer(part: Part, cost = this.tokens(part.text) + 1): boolean {
    if (this.take(part.tier, cost)) {
      this.entries.push({ part: part.name, tier: part.tier, action: 'kept', tokens: cost, reason: '' });
      return true;
    }
    const budget = this.limit(part.tier === 'should' ? 'should' : 'nice');
    const which = part.tier === 'should' ? 'hard' : 'soft';
    this.entries.push({
      part: part.name,
      tier: part.tier,
      action: 'dropped',
      tokens: cost,
      reason: `${part.tier} tier: ${this.total} + ${cost} tokens would pass the ${which} budget of ${budget}`,
    });
    return false;
  }
}

/** The parts every prompt keeps whole: who the bot is, who you are, the scene and your turn. */
function mustParts(input: PromptInput): { identity: Part; you: Part; scene: Part; turn: Part } {
  const bot = input.bot;
  const identity: Part = {
    name: 'identity',
    tier: 'must',
    text: [
      `You are ${bot.name}, in a roleplay with ${input.you.name}. Stay in character; write ${bot.name}'s actions and speech only, never ${input.you.name}'s.`,
      `Persona: ${bot.persona}`,
      bot.traits.length > 0 ? `Traits: ${bot.traits.join(', ')}` : '',
    ]
      .filter(Boolean)
      .join('\n'),
  };
  const you: Part = {
    name: 'you',
    tier: 'must',
    text: `${input.you.name}${input.you.pronouns ? ` (${input.you.pronouns})` : ''}: ${input.you.persona}`,
  };
  const scene: Part = {
    name: 'scene',
    tier: 'must',
    text: [
      `Time: ${input.scene.clock}${input.scene.weather ? `, ${input.scene.weather}` : ''}. Place: ${input.scene.container}.`,
      ...input.scene.activities.map(
        (activity) =>
          `${activity.name}: ${activity.posture}, ${activity.verb}${activity.attention ? `, attending to ${activity.attention}` : ''}${activity.holding.length > 0 ? `, holding ${activity.holding.join(', ')}` : ''}.`,
      ),
    ].join('\n'),
  };
  return { identity, you, scene, turn: { name: 'your turn', tier: 'must', text: input.turn } };
}

/**
 * Dialogue, newest first, while it fits: the newest `recentMessages` on the should tier, older ones on the nice tier;
 * the first message that does not fit goes with everything before it. Returns what is kept, oldest first.
 */
function offerHistory(budget: PromptBudget, input: PromptInput): HistoryMessage[] {
  const recent = input.recentMessages ?? 6;
  const history = input.history;
  const kept: HistoryMessage[] = [];
  const tierOf = (index: number) => (history.length - 1 - index < recent ? 'should' : 'nice');
  const cost = (message: HistoryMessage) => budget.tokens(message.text) + messageOverhead;
  let cut = -1; // index of the newest history message that was dropped (it and everything older go)
  for (let index = history.length - 1; index >= 0; index--) {
    const message = history[index];
    if (message === undefined) continue;
    if (budget.take(tierOf(index), cost(message))) {
      kept.unshift(message);
      continue;
    }
    cut = index;
    break;
  }
  const recentKept = kept.slice(-recent);
  const sum = (messages: HistoryMessage[]) => messages.reduce((total, message) => total + cost(message), 0);
  if (kept.length > 0) {
    budget.entries.push({
      part: 'recent dialogue',
      tier: 'should',
      action: 'kept',
      tokens: sum(recentKept),
      reason: '',
      count: recentKept.length,
    });
    if (kept.length > recentKept.length)
      budget.entries.push({
        part: 'older dialogue',
        tier: 'nice',
        action: 'kept',
        tokens: sum(kept.slice(0, -recent)),
        reason: '',
        count: kept.length - recentKept.length,
      });
  }
  if (cut >= 0) {
    const tier = tierOf(cut);
    budget.entries.push({
      part: 'older dialogue',
      tier,
      action: 'dropped',
      tokens: 0,
      reason: `${tier} tier: the next older message would pass the ${tier === 'should' ? 'hard' : 'soft'} budget of ${budget.limit(tier)}; it and everything before it are left out`,
      count: cut + 1,
    });
  }
  if (input.unloadedHistory > 0)
    budget.entries.push({
      part: 'older dialogue',
      tier: 'nice',
      action: 'dropped',
      tokens: 0,
      reason: 'beyond the history window: not loaded, could never fit the soft budget',
      count: input.unloadedHistory,
    });
  return kept;
}

export function assemblePrompt(input: PromptInput, countTokens: CountTokens): { messages: PromptMessage[]; ledger: PromptLedger } {
  const budget = new PromptBudget(input.budget, countTokens);
  const bot = input.bot;
  const { identity, you, scene, turn } = mustParts(input);
  for (const part of [identity, you, scene, turn]) budget.offer(part);
  const pinned = input.memories.filter((memory) => memory.pinned);
  for (const [index, memory] of pinned.entries())
    budget.offer({ name: `pinned memory ${index + 1}`, tier: 'must', text: memory.pov_summary });

  // should: relationship, recent dialogue, retrieved memories, two voice samples
  const relationship: Part | undefined = input.edge
    ? {
        name: 'relationship',
        tier: 'should',
        text: `How ${bot.name} sees ${input.you.name}: affinity ${input.edge.affinity}/100, trust ${input.edge.trust}/100. ${input.edge.summary}${input.edge.knowledge.length > 0 ? ` Knows: ${input.edge.knowledge.join('; ')}.` : ''}`,
      }
    : undefined;
  const keptRelationship = relationship && budget.offer(relationship) ? relationship : undefined;
  const keptHistory = offerHistory(budget, input);
  const keptMemories = input.memories
    .filter((memory) => !memory.pinned)
    .filter((memory, index) => budget.offer({ name: `retrieved memory ${index + 1}`, tier: 'should', text: memory.pov_summary }));
  const voice = bot.voice_samples.map((sample, index) => ({ sample, index }));
  const keptVoice = voice
    .slice(0, 2)
    .filter(({ sample, index }) => budget.offer({ name: `voice sample ${index + 1}`, tier: 'should', text: sample }));

  // nice: backstory, more voice samples (older dialogue was offered above, newest first)
  const backstory =
    bot.backstory.trim() !== '' && budget.offer({ name: 'backstory', tier: 'nice', text: bot.backstory }) ? bot.backstory : '';
  keptVoice.push(
    ...voice.slice(2).filter(({ sample, index }) => budget.offer({ name: `voice sample ${index + 1}`, tier: 'nice', text: sample })),
  );

  const system = [
    identity.text,
    backstory ? `Backstory: ${backstory}` : '',
    keptVoice.length > 0 ? `How ${bot.name} talks:\n${keptVoice.map(({ sample }) => `- ${sample}`).join('\n')}` : '',
    `About ${you.text}`,
    'Reply with one in-character turn: prose, *actions* in asterisks, speech in quotes.',
  ]
    .filter(Boolean)
    .join('\n\n');
  const memoryLines = [...pinned, ...keptMemories].map((memory) => `- ${memory.pov_summary}`);
  const context = [
    `[Scene]\n${scene.text}`,
    keptRelationship ? `[Relationship]\n${keptRelationship.text}` : '',
    memoryLines.length > 0 ? `[${bot.name} remembers]\n${memoryLines.join('\n')}` : '',
  ]
    .filter(Boolean)
    .join('\n\n');
  const messages: PromptMessage[] = [
    { role: 'system', content: system },
    ...keptHistory.map((message) => ({ role: message.role, content: message.text })),
    { role: 'user', content: `${context}\n\n[${input.you.name}]\n${turn.text}` },
  ];
  const actual = messages.reduce((sum, message) => sum + messageOverhead + countTokens(message.content), promptOverhead);
  return { messages, ledger: { budget: { ...input.budget }, total: actual, tiers: budget.tiers, entries: budget.entries } };
}

/** Cuts text to at most `maxTokens` tokens (binary search on characters); for the classifier's 4,000-token budget. */
export function fitText(text: string, maxTokens: number, countTokens: CountTokens): string {
  if (countTokens(text) <= maxTokens) return text;
  let low = 0;
  let high = text.length;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (countTokens(text.slice(text.length - middle)) <= maxTokens) low = middle;
    else high = middle - 1;
  }
  return text.slice(text.length - low);
}
