import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ManualClock } from '../../core/clock.js';
import { parseConfig } from '../../core/config.js';
import { silentLogger } from '../../core/logger.js';
import { Metrics } from '../../core/metrics.js';
import { openDatabase, type StoreDatabase } from '../../store/database.js';
import { runMigrations } from '../../store/migrations.js';
import { LlmError } from '../errors.js';
import { llmMigrations } from '../migrations.js';
import type { ChatMessage } from '../provider.js';
import { createMockProvider, type MockProvider } from '../testing/mock-provider.js';
import { createLlmGateway, type LlmGateway } from './index.js';

const Post = z.object({ title: z.string().min(1), likes: z.number().int().min(0) });
const fallback = { title: 'Ei uutisia', likes: 0 };
const messages: ChatMessage[] = [{ role: 'user', content: 'Kirjoita otsikko.' }];

interface Harness {
  gateway: LlmGateway;
  mock: MockProvider;
  metrics: Metrics;
  database: StoreDatabase;
}

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.gateway.close();
  await harness?.database.destroy();
  harness = undefined;
});

async function createHarness(): Promise<Harness> {
  const database = await openDatabase({ sqlitePath: ':memory:' });
  await runMigrations(database, llmMigrations);
  const mock = createMockProvider();
  const metrics = new Metrics({ defaultMetrics: false });
  const gateway = createLlmGateway({
    config: parseConfig({ fileText: '[llm]\n', environment: {} }),
    database,
    logger: silentLogger,
    clock: new ManualClock(1_800_000_000_000),
    providers: { writer: mock, embedder: mock },
    metrics,
    sleep: async () => undefined,
  });
  harness = { gateway, mock, metrics, database };
  return harness;
}

/** A counter's values keyed by their label values joined with `/`, e.g. `writer/object/ok`. */
async function counted(metrics: Metrics, counter: 'llmCalls' | 'llmTokens'): Promise<Record<string, number>> {
  const { values } = await metrics[counter].get();
  return Object.fromEntries(values.map((sample) => [Object.values(sample.labels).join('/'), sample.value]));
}

describe('gateway metrics', () => {
  it('given ok, cached, fallen-back and failed calls, then each is counted once under its outcome', async () => {
    const { gateway, mock, metrics } = await createHarness();
    mock.enqueue(
      { text: '{"title":"a","likes":1}', usage: { inputTokens: 40, outputTokens: 9, reported: true } },
      { text: 'no', usage: { inputTokens: 30, outputTokens: 1, reported: true } },
      { text: 'still no', usage: { inputTokens: 35, outputTokens: 2, reported: true } },
      { error: new LlmError('llm_timeout', 'slow') },
    );
    await gateway.generateObject('writer', Post, messages, { fallback, cacheKey: 'one' });
    const replay = await gateway.generateObject('writer', Post, messages, { fallback, cacheKey: 'one' });
    const fellBack = await gateway.generateObject('writer', Post, messages, { fallback, cacheKey: 'two' });
    await expect(gateway.generateObject('writer', Post, messages, { fallback, cacheKey: 'three' })).rejects.toMatchObject({
      code: 'llm_timeout',
    });
    expect(replay.cached).toBe(true);
    expect(fellBack.fellBack).toBe(true);

    expect(await counted(metrics, 'llmCalls')).toEqual({
      'writer/object/ok': 1,
      'writer/object/cache_hit': 1,
      'writer/object/fallback': 1,
      'writer/object/failed': 1,
    });
    // The cache hit adds nothing; the fallback's two requests both count.
    expect(await counted(metrics, 'llmTokens')).toEqual({
      'writer/input': 40 + 30 + 35,
      'writer/output': 9 + 1 + 2,
    });
    const { body } = await metrics.render();
    expect(body).toContain('koivulahti_llm_latency_seconds_count{alias="writer",operation="object"} 4');
  });

  it('given a streamed answer and an embedding, then they are counted under their own operations', async () => {
    const { gateway, mock, metrics } = await createHarness();
    mock.enqueue({ stream: ['Hei', ' maailma'], usage: { inputTokens: 12, outputTokens: 3, reported: true } });
    for await (const _part of gateway.streamText('writer', messages)) {
      // drained
    }
    await gateway.embed('embedder', ['koivu', 'lahti']);

    const calls = await counted(metrics, 'llmCalls');
    expect(calls).toEqual({ 'writer/stream/ok': 1, 'embedder/embed/ok': 1 });
    const tokens = await counted(metrics, 'llmTokens');
    expect(tokens['writer/input']).toBe(12);
    expect(tokens['writer/output']).toBe(3);
    expect(tokens['embedder/input']).toBeGreaterThan(0);
    expect(tokens['embedder/output']).toBe(0);
    const { body } = await metrics.render();
    expect(body).toContain('koivulahti_llm_latency_seconds_count{alias="writer",operation="stream"} 1');
    expect(body).toContain('koivulahti_llm_latency_seconds_count{alias="embedder",operation="embed"} 1');
  });
});
