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

export function assemblePrompt(input: PromptInput, countTokens: CountTokens): { messages: PromptMessage[]; ledger: PromptLedger } {
  const tokens = (text: string) => countTokens(text);
  const entries: LedgerEntry[] = [];
  const tiers = { must: 0, should: 0, nice: 0 };
  let total = promptOverhead + messageOverhead * 2;
  const keep = (part: Part, cost: number) => {
    total += cost;
    tiers[part.tier] += cost;
    entries.push({ part: part.name, tier: part.tier, action: 'kept', tokens: cost, reason: '' });
  };
  const drop = (part: Part, cost: number, reason: string, count?: number) =>
    entries.push({ part: part.name, tier: part.tier, action: 'dropped', tokens: cost, reason, ...(count === undefined ? {} : { count }) });
  // Labels and separators the parts are wrapped in cost a few tokens each; keep room for them.
  const limit = (tier: 'should' | 'nice') => (tier === 'should' ? input.budget.hard : input.budget.soft) - labelReserve;
  const offer = (part: Part, cost = tokens(part.text) + 1): boolean => {
    if (part.tier === 'must') {
      keep(part, cost);
      return true;
    }
    const budget = limit(part.tier);
    if (total + cost <= budget) {
      keep(part, cost);
      return true;
    }
    drop(
      part,
      cost,
      `${part.tier} tier: ${total} + ${cost} tokens would pass the ${part.tier === 'should' ? 'hard' : 'soft'} budget of ${budget}`,
    );
    return false;
  };

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
  const turn: Part = { name: 'your turn', tier: 'must', text: input.turn };
  const pinned = input.memories.filter((memory) => memory.pinned);
  const ranked = input.memories.filter((memory) => !memory.pinned);

  for (const part of [identity, you, scene, turn]) offer(part);
  const keptPinned: RetrievedMemory[] = [];
  for (const [index, memory] of pinned.entries()) {
    offer({ name: `pinned memory ${index + 1}`, tier: 'must', text: memory.pov_summary });
    keptPinned.push(memory);
  }

  // should: relationship, recent dialogue, retrieved memories, two voice samples
  let relationship: Part | undefined;
  if (input.edge) {
    const part: Part = {
      name: 'relationship',
      tier: 'should',
      text: `How ${bot.name} sees ${input.you.name}: affinity ${input.edge.affinity}/100, trust ${input.edge.trust}/100. ${input.edge.summary}${input.edge.knowledge.length > 0 ? ` Knows: ${input.edge.knowledge.join('; ')}.` : ''}`,
    };
    if (offer(part)) relationship = part;
  }
  const recent = input.recentMessages ?? 6;
  const keptHistory: Array<{ role: 'user' | 'assistant'; text: string }> = [];
  const history = input.history;
  let cut = -1; // index of the newest history message that was dropped (it and everything older go)
  for (let index = history.length - 1; index >= 0; index--) {
    const message = history[index];
    if (message === undefined) continue;
    const tier = history.length - 1 - index < recent ? 'should' : 'nice';
    const cost = tokens(message.text) + messageOverhead;
    if (total + cost <= limit(tier)) {
      total += cost;
      tiers[tier] += cost;
      keptHistory.unshift(message);
      continue;
    }
    cut = index;
    break;
  }
  const recentKept = keptHistory.slice(-recent).length;
  if (keptHistory.length > 0) {
    const recentCost = keptHistory.slice(-recent).reduce((sum, message) => sum + tokens(message.text) + messageOverhead, 0);
    entries.push({ part: 'recent dialogue', tier: 'should', action: 'kept', tokens: recentCost, reason: '', count: recentKept });
    if (keptHistory.length > recentKept)
      entries.push({
        part: 'older dialogue',
        tier: 'nice',
        action: 'kept',
        tokens: keptHistory.slice(0, -recent).reduce((sum, message) => sum + tokens(message.text) + messageOverhead, 0),
        reason: '',
        count: keptHistory.length - recentKept,
      });
  }
  if (cut >= 0) {
    const tier = history.length - 1 - cut < recent ? 'should' : 'nice';
    const budget = limit(tier);
    entries.push({
      part: 'older dialogue',
      tier,
      action: 'dropped',
      tokens: 0,
      reason: `${tier} tier: the next older message would pass the ${tier === 'should' ? 'hard' : 'soft'} budget of ${budget}; it and everything before it are left out`,
      count: cut + 1,
    });
  }
  if (input.unloadedHistory > 0)
    entries.push({
      part: 'older dialogue',
      tier: 'nice',
      action: 'dropped',
      tokens: 0,
      reason: 'beyond the history window: not loaded, could never fit the soft budget',
      count: input.unloadedHistory,
    });

  const keptMemories: RetrievedMemory[] = [];
  for (const [index, memory] of ranked.entries()) {
    if (offer({ name: `retrieved memory ${index + 1}`, tier: 'should', text: memory.pov_summary })) keptMemories.push(memory);
  }
  const voice = bot.voice_samples.map((sample, index) => ({ sample, index }));
  const keptVoice: string[] = [];
  for (const { sample, index } of voice.slice(0, 2))
    if (offer({ name: `voice sample ${index + 1}`, tier: 'should', text: sample })) keptVoice.push(sample);

  // nice: backstory, more voice samples (older dialogue was offered above, newest first)
  let backstory: string | undefined;
  if (bot.backstory.trim() !== '' && offer({ name: 'backstory', tier: 'nice', text: bot.backstory })) backstory = bot.backstory;
  for (const { sample, index } of voice.slice(2))
    if (offer({ name: `voice sample ${index + 1}`, tier: 'nice', text: sample })) keptVoice.push(sample);

  const system = [
    identity.text,
    backstory ? `Backstory: ${backstory}` : '',
    keptVoice.length > 0 ? `How ${bot.name} talks:\n${keptVoice.map((sample) => `- ${sample}`).join('\n')}` : '',
    `About ${you.text}`,
    'Reply with one in-character turn: prose, *actions* in asterisks, speech in quotes.',
  ]
    .filter(Boolean)
    .join('\n\n');
  const memoryLines = [...keptPinned, ...keptMemories].map((memory) => `- ${memory.pov_summary}`);
  const context = [
    `[Scene]\n${scene.text}`,
    relationship ? `[Relationship]\n${relationship.text}` : '',
    memoryLines.length > 0 ? `[${bot.name} remembers]\n${memoryLines.join('\n')}` : '',
  ]
    .filter(Boolean)
    .join('\n\n');
  const messages: PromptMessage[] = [
    { role: 'system', content: system },
    ...keptHistory.map((message) => ({ role: message.role, content: message.text })),
    { role: 'user', content: `${context}\n\n[${input.you.name}]\n${turn.text}` },
  ];
  const actual = messages.reduce((sum, message) => sum + messageOverhead + tokens(message.content), promptOverhead);
  return { messages, ledger: { budget: { ...input.budget }, total: actual, tiers, entries } };
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
