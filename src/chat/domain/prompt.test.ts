import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { describe, expect, it } from 'vitest';
import type { RetrievedMemory } from './events.js';
import { assemblePrompt, fitText, type PromptInput } from './prompt.js';

const count = (text: string) => (text === '' ? 0 : countTokens(text));
const messageTokens = (messages: Array<{ content: string }>) => messages.reduce((sum, message) => sum + 4 + count(message.content), 3);

const line = (index: number) =>
  `Turn ${index}: the rain keeps falling on the old harbour while we talk about the boats, the nets and the winter that is coming, again and again.`;

function memory(id: string, pinned: boolean, text: string): RetrievedMemory {
  return { memory_id: id, pov_summary: text, pinned, score: 1, parts: { text: 1, recency: 0, significance: 0 }, why: 'test' };
}

function input(turns: number, overrides: Partial<PromptInput> = {}): PromptInput {
  const history = Array.from({ length: turns }, (_, index) => ({
    role: index % 2 === 0 ? ('user' as const) : ('assistant' as const),
    text: line(index),
  }));
  return {
    bot: {
      name: 'Aino',
      persona: 'A sharp barista.',
      traits: ['dry'],
      voice_samples: ['"Hi."', '"Bye."', '"Tea?"'],
      backstory: 'Grew up by the lake. '.repeat(40),
    },
    you: { name: 'Sam', pronouns: 'they/them', persona: 'A night nurse.' },
    scene: {
      clock: '2026-01-01T19:00:00Z',
      weather: 'rain',
      container: 'Cafe (venue)',
      activities: [{ name: 'Aino', posture: 'standing', verb: 'wiping', attention: '', holding: ['cloth'] }],
    },
    edge: { affinity: 60, trust: 50, summary: 'regular', knowledge: ['likes tea'] },
    memories: [
      memory('pin1', true, 'PINNED: Sam saved my cat.'),
      memory('m1', false, 'Sam likes the harbour.'),
      memory('m2', false, 'Sam hates mornings.'),
    ],
    history,
    unloadedHistory: 0,
    turn: '"THE CURRENT TURN: shall we go?"',
    budget: { hard: 8000, soft: 6000 },
    ...overrides,
  };
}

describe('assemblePrompt', () => {
  it('keeps everything when it fits, stable parts first and the turn last', () => {
    const { messages, ledger } = assemblePrompt(input(4), count);
    expect(messages[0]?.role).toBe('system');
    expect(messages.at(-1)?.content).toContain('THE CURRENT TURN');
    expect(messages).toHaveLength(6);
    expect(ledger.entries.every((entry) => entry.action === 'kept')).toBe(true);
    expect(ledger.total).toBe(messageTokens(messages));
  });

  it('with 5,000 turns of history stays within the hard budget, never trims must-include parts and explains every drop', () => {
    // The service loads a window of history (200 by default); the rest is counted as not loaded.
    const window = 200;
    const all = input(5_000);
    const { messages, ledger } = assemblePrompt({ ...all, history: all.history.slice(-window), unloadedHistory: 5_000 - window }, count);
    const tokens = messageTokens(messages);
    expect(tokens).toBeLessThanOrEqual(8_000);
    expect(ledger.total).toBe(tokens);
    const text = messages.map((message) => message.content).join('\n');
    for (const must of [
      'You are Aino',
      'A sharp barista.',
      'Sam (they/them)',
      'Cafe (venue)',
      'PINNED: Sam saved my cat.',
      'THE CURRENT TURN',
    ])
      expect(text).toContain(must);
    for (const entry of ledger.entries.filter((item) => item.tier === 'must')) expect(entry.action).toBe('kept');
    const drops = ledger.entries.filter((entry) => entry.action !== 'kept');
    expect(drops.length).toBeGreaterThan(0);
    for (const drop of drops) expect(drop.reason).not.toBe('');
    // every history message is accounted for: kept in the prompt or counted in a dropped entry
    const keptHistory = messages.length - 2;
    const droppedHistory = drops.filter((entry) => entry.part === 'older dialogue').reduce((sum, entry) => sum + (entry.count ?? 0), 0);
    expect(keptHistory + droppedHistory).toBe(5_000);
    // the newest dialogue is what survives
    expect(messages.at(-2)?.content).toBe(line(4_999));
  });

  it('drops nice parts before should parts and memories before must parts under a small budget', () => {
    const { messages, ledger } = assemblePrompt(input(50, { budget: { hard: 900, soft: 500 } }), count);
    expect(messageTokens(messages)).toBeLessThanOrEqual(900);
    expect(ledger.entries.find((entry) => entry.part === 'backstory')?.action).toBe('dropped');
    expect(messages.map((message) => message.content).join('\n')).toContain('PINNED: Sam saved my cat.');
  });

  it('fits classifier text into its budget from the end', () => {
    const long = 'word '.repeat(10_000);
    expect(count(fitText(long, 4_000, count))).toBeLessThanOrEqual(4_000);
    expect(fitText('short', 10, count)).toBe('short');
  });
});
