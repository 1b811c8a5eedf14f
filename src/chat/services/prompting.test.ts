/**
 * The reply prompt of a chat with 5,000 turns of history in the store (SQLite; the assembly itself is pure and tested
 * in domain/prompt.test.ts): within the hard budget, must-include parts intact, every drop explained in the ledger.
 */
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChatEvent, chatStreamId } from '../domain/events.js';
import { heuristicKickoff } from '../domain/kickoff.js';
import { type ChatHarness, startChatHarness } from '../http/testing/harness.js';

const line = (index: number) => `Turn ${index}: the ferry was late again, so we talked about the harbour, the nets and the gulls.`;

describe('a 5,000-turn chat', () => {
  let harness: ChatHarness;
  let chatId: string;
  let botId: string;

  beforeAll(async () => {
    harness = await startChatHarness();
    const app = harness.chat;
    await app.authoring.authorYou({ name: 'Sam', pronouns: 'they/them', persona: 'a sailor' });
    botId = await app.authoring.authorBot({
      name: 'Aino',
      persona: 'A barista who remembers everything.',
      voice_samples: ['"Well, look who it is."'],
      traits: ['dry'],
      backstory: 'Grew up on the islands. '.repeat(50),
      initial_relationship: 'old friends',
      kickoff_prose: 'At the cafe.',
    });
    chatId = await app.authoring.confirmKickoff(botId, heuristicKickoff('cafe', 'old friends', '2026-01-01'));
    const ledger = { budget: { hard: 8000, soft: 6000 }, total: 0, tiers: { must: 0, should: 0, nice: 0 }, entries: [] };
    let batch: ChatEvent[] = [];
    for (let index = 0; index < 5_000; index += 2) {
      const user = `u${index}`;
      const reply = `r${index}`;
      batch.push(
        {
          type: 'user_turn',
          data: { chat_id: chatId, turn_id: user, text: line(index), segments: [{ kind: 'dialogue', text: line(index) }], at: '' },
        },
        { type: 'assistant_turn_started', data: { chat_id: chatId, turn_id: reply, reply_to: user, ledger, retrieved: [] } },
        {
          type: 'assistant_turn',
          data: { chat_id: chatId, turn_id: reply, text: line(index + 1), truncated: false, ended: 'stop', model: 'seed', at: '' },
        },
        {
          type: 'memory_written',
          data: {
            chat_id: chatId,
            memory_id: `m${index}`,
            owner_id: botId,
            scene_id: null,
            turn_id: reply,
            pov_summary: `Sam told me about the ferry, turn ${index}`,
            witness: { you: true, host: true, guest: false },
            chat_clock_at: '',
            significance: 1,
            source: 'direct',
          },
        },
      );
      if (batch.length >= 1_000) {
        await harness.services.store.append(chatStreamId(chatId), 'any', batch);
        batch = [];
      }
    }
    if (batch.length > 0) await harness.services.store.append(chatStreamId(chatId), 'any', batch);
    await harness.services.store.append(chatStreamId(chatId), 'any', [
      {
        type: 'memory_pin_changed',
        data: { chat_id: chatId, memory_id: 'm10', owner_id: botId, pinned: true, auto: false, reason: 'test' },
      },
    ]);
  });

  afterAll(async () => {
    await harness?.close();
  });

  it('stays within the hard budget, keeps must-include parts and explains every drop', async () => {
    const chat = await harness.chat.read.requireChat(chatId);
    const { messages, ledger, retrieved } = await harness.chat.prompting.prepareTurn(
      chat,
      '*leans on the counter* "Remember the ferry?" ((long chat))',
    );
    const tokens = messages.reduce((sum, message) => sum + 4 + countTokens(message.content), 3);
    expect(tokens).toBeLessThanOrEqual(8_000);
    expect(ledger.total).toBe(tokens);
    const text = messages.map((message) => message.content).join('\n');
    for (const must of [
      'You are Aino',
      'A barista who remembers everything.',
      'Sam (they/them)',
      'The cafe',
      'Sam told me about the ferry, turn 10',
      '"Remember the ferry?"',
    ])
      expect(text).toContain(must);
    expect(text).not.toContain('long chat');
    expect(ledger.entries.filter((entry) => entry.tier === 'must').every((entry) => entry.action === 'kept')).toBe(true);
    const drops = ledger.entries.filter((entry) => entry.action !== 'kept');
    expect(drops.every((entry) => entry.reason !== '')).toBe(true);
    const dropped = drops.filter((entry) => entry.part === 'older dialogue').reduce((sum, entry) => sum + (entry.count ?? 0), 0);
    expect(messages.length - 2 + dropped).toBe(5_000);
    expect(retrieved[0]).toMatchObject({ memory_id: 'm10', pinned: true });
    expect(retrieved.filter((memory) => !memory.pinned)).toHaveLength(4);
  });
});
