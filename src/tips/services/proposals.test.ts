import { afterEach, describe, expect, it } from 'vitest';
import { createMockProvider } from '../../llm/index.js';
import { createTestGateway, type TestGateway } from '../../llm/testing/gateway-fixture.js';
import { openDatabase } from '../../store/index.js';
import { createTipsHarness, type TipsHarness } from '../http/testing.js';

describe('tip-generator candidates', () => {
  let harness: TipsHarness | undefined;
  let llm: TestGateway | undefined;
  afterEach(async () => {
    await harness?.close();
    await llm?.close();
    harness = undefined;
    llm = undefined;
  });

  async function open(reply: string) {
    const provider = createMockProvider({ default: { text: reply } });
    llm = await createTestGateway({ providers: { 'tip-generator': provider } });
    harness = await createTipsHarness(await openDatabase({ sqlitePath: ':memory:' }), { llm: llm.gateway });
    const [signalId] = await harness.service.recordSignals([
      { kind: 'task', taskId: 'slides', title: 'Finish the slides', priority: 3, done: false, source: 'manual' },
    ]);
    return { provider, signalId: signalId as string, service: harness.service };
  }

  it('given a model that proposes tips, then they join the candidates with only the signal ids that exist, and the prompt lists the signals', async () => {
    const { provider, signalId, service } = await open('{}');
    provider.setDefault(() => ({
      text: JSON.stringify({
        tips: [
          {
            kind: 'advice',
            text: 'Stand up and stretch for two minutes before the slides.',
            rationale: 'Long desk day.',
            source_signal_ids: ['sig_made_up'],
            minutes: 2,
          },
          {
            kind: 'todo',
            text: 'Outline the three key slides first.',
            rationale: 'Smaller first step.',
            source_signal_ids: [signalId],
            minutes: 10,
          },
        ],
      }),
    }));
    const next = await service.next({ show: true });
    if (next.status !== 'tip') throw new Error('expected a tip');
    const proposed = next.decision.candidates.filter((candidate) => candidate.source === 'llm');
    expect(proposed.map((candidate) => [candidate.kind, candidate.text, candidate.sourceSignalIds])).toEqual([
      ['advice', 'Stand up and stretch for two minutes before the slides.', []],
      ['todo', 'Outline the three key slides first.', [signalId]],
    ]);
    expect(provider.requests.at(-1)?.messages.at(-1)?.content).toContain(`[${signalId}] task "Finish the slides"`);
    expect(next.decision.candidates.at(-1)?.kind).toBe('nothing');
  });

  it('given a model that answers with tips over 140 characters, then the fallback leaves the rule candidates only', async () => {
    const { service } = await open(
      JSON.stringify({ tips: [{ kind: 'advice', text: 'x'.repeat(200), rationale: '', source_signal_ids: [], minutes: 1 }] }),
    );
    const next = await service.next({ show: true });
    if (next.status !== 'tip') throw new Error('expected a tip');
    expect(next.decision.candidates.every((candidate) => candidate.source !== 'llm')).toBe(true);
    expect(next.decision.candidates.map((candidate) => candidate.rule)).toEqual(['task', 'nothing']);
  });

  it('given a real embedder, when a candidate embeds close to a tip reacted to recently, then it is dropped', async () => {
    const embedder = createMockProvider({ embed: (text) => (text.includes('slides') ? [1, 0] : [0, 1]) });
    llm = await createTestGateway({ providers: { embedder } });
    harness = await createTipsHarness(await openDatabase({ sqlitePath: ':memory:' }), { llm: llm.gateway });
    const { service } = harness;
    await service.recordSignals([
      { kind: 'task', taskId: 'slides', title: 'Finish the slides', priority: 3, done: false, source: 'manual' },
      { kind: 'task', taskId: 'slides-2', title: 'Polish the slides', priority: 1, done: false, source: 'manual' },
      { kind: 'task', taskId: 'milk', title: 'Buy milk', priority: 1, done: false, source: 'manual' },
    ]);
    const first = await service.next({ show: true });
    if (first.status !== 'tip') throw new Error('expected a tip');
    expect(first.decision.chosenKey).toBe('task:slides');
    await service.react(first.decision.decisionId, 'helpful');
    const second = await service.next({ show: true });
    if (second.status !== 'tip') throw new Error('expected a tip');
    expect(second.decision.candidates.map((candidate) => candidate.key)).toEqual(['task:milk', 'nothing']);
    expect(embedder.embedRequests.length).toBeGreaterThan(0);
  });
});
