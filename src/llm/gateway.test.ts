import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ManualClock } from '../core/clock.js';
import { ValidationError } from '../core/errors.js';
import { LlmError } from './errors.js';
import type { TextStreamPart } from './gateway.js';
import type { ChatMessage } from './provider.js';
import { createMockProvider, type MockProvider } from './providers/mock-provider.js';
import { createTestGateway, type TestGateway } from './testing/gateway-fixture.js';

const Post = z.object({ title: z.string().min(1), likes: z.number().int().min(0) });
const fallback = { title: 'Ei uutisia', likes: 0 };
const messages: ChatMessage[] = [
  { role: 'system', content: 'Olet Aino, kyläläinen.' },
  { role: 'user', content: 'Kirjoita otsikko.' },
];

let fixture: TestGateway | undefined;
afterEach(async () => {
  await fixture?.close();
  fixture = undefined;
});

async function withMock(toml = '', mock: MockProvider = createMockProvider()) {
  fixture = await createTestGateway({ toml, providers: { writer: mock, classifier: mock, embedder: mock, narrative: mock } });
  return { ...fixture, mock };
}

async function calls(test: TestGateway) {
  return test.database.db.selectFrom('llm_calls').selectAll().orderBy('id').execute();
}

async function failures(test: TestGateway) {
  return test.database.db.selectFrom('llm_failures').selectAll().orderBy('id').execute();
}

async function collect(parts: AsyncIterable<TextStreamPart>): Promise<TextStreamPart[]> {
  const result: TextStreamPart[] = [];
  for await (const part of parts) result.push(part);
  return result;
}

describe('generateObject', () => {
  it('returns a valid answer as is, with reported usage and one call-log row', async () => {
    const test = await withMock();
    test.mock.enqueue({ text: '{"title":"Kirjasto avautuu","likes":3}', usage: { inputTokens: 40, outputTokens: 9, reported: true } });
    const result = await test.gateway.generateObject('writer', Post, messages, { fallback });
    expect(result).toEqual({
      object: { title: 'Kirjasto avautuu', likes: 3 },
      model: 'offline',
      cached: false,
      repaired: false,
      retried: false,
      fellBack: false,
      usage: { inputTokens: 40, outputTokens: 9, reported: true },
    });
    expect(test.mock.requests[0]?.responseFormat.type).toBe('json_schema');
    expect(test.mock.requests[0]?.messages[0]?.content).toMatch(/^Reply with one JSON object[\s\S]*Olet Aino, kyläläinen\.$/);
    expect(await calls(test)).toMatchObject([
      {
        alias: 'writer',
        provider: 'mock',
        operation: 'object',
        attempts: 1,
        input_tokens: 40,
        output_tokens: 9,
        tokens_reported: 1,
        failed: 0,
      },
    ]);
  });

  it('counts tokens locally when the provider reports none', async () => {
    const test = await withMock();
    test.mock.enqueue({ text: '{"title":"Hei","likes":1}' });
    const result = await test.gateway.generateObject('writer', Post, messages, { fallback });
    expect(result.usage.reported).toBe(false);
    expect(result.usage.inputTokens).toBeGreaterThan(10);
    expect(result.usage.outputTokens).toBeGreaterThan(3);
  });

  it('repairs code fences and trailing commas without a retry', async () => {
    const test = await withMock();
    test.mock.enqueue({ text: '```json\n{"title":"Hei","likes":1,}\n```' });
    const result = await test.gateway.generateObject('writer', Post, messages, { fallback });
    expect(result).toMatchObject({ object: { title: 'Hei', likes: 1 }, repaired: true, retried: false, fellBack: false });
    expect(test.mock.requests).toHaveLength(1);
    expect(await calls(test)).toMatchObject([{ repaired: 1, retried: 0 }]);
  });

  it('retries once with the validation error, and accepts a corrected answer', async () => {
    const test = await withMock();
    test.mock.enqueue({ text: '{"title":"Hei","likes":"paljon"}' }, { text: '{"title":"Hei","likes":7}' });
    const result = await test.gateway.generateObject('writer', Post, messages, { fallback });
    expect(result).toMatchObject({ object: { title: 'Hei', likes: 7 }, retried: true, fellBack: false });
    const retry = test.mock.requests[1]?.messages ?? [];
    expect(retry.slice(-2)).toEqual([
      { role: 'assistant', content: '{"title":"Hei","likes":"paljon"}' },
      { role: 'user', content: expect.stringMatching(/likes: .*number/i) },
    ]);
    expect(await failures(test)).toEqual([]);
  });

  it('falls back after a second invalid answer and records the failure with a 2 KB excerpt', async () => {
    const test = await withMock();
    const long = `{"title":"${'x'.repeat(5_000)}","likes":-1}`;
    test.mock.enqueue({ text: '{"likes":"a"}' }, { text: long });
    const result = await test.gateway.generateObject('writer', Post, messages, { fallback: () => ({ ...fallback }) });
    expect(result).toMatchObject({ object: fallback, fellBack: true, retried: true, cached: false });
    const [failure] = await failures(test);
    expect(failure).toMatchObject({ alias: 'writer', model: 'offline', kind: 'invalid' });
    expect(Buffer.byteLength(failure?.raw_excerpt ?? '')).toBe(2048);
    expect(failure?.raw_excerpt).toBe(long.slice(0, 2048));
    expect(await calls(test)).toMatchObject([{ fell_back: 1, retried: 1, attempts: 2, failed: 0 }]);
  });

  it('retries a truncated answer (token limit) instead of accepting a repaired half', async () => {
    const test = await withMock();
    test.mock.enqueue({ text: '{"title":"Hei","likes":1', finishReason: 'length' }, { text: '{"title":"Hei","likes":1}' });
    const result = await test.gateway.generateObject('writer', Post, messages, { fallback });
    expect(result).toMatchObject({ retried: true, repaired: false });
    expect(test.mock.requests[1]?.messages.at(-1)?.content).toContain('cut off');
  });

  it('retries outages with backoff and gives up after max_retries with a typed error and a failure record', async () => {
    const test = await withMock('max_retries = 2\nretry_base_ms = 100\n');
    const outage = () => ({ error: new LlmError('llm_unavailable', 'down', { statusCode: 503 }) });
    test.mock.enqueue(outage(), outage(), outage());
    await expect(test.gateway.generateObject('writer', Post, messages, { fallback })).rejects.toMatchObject({ code: 'llm_unavailable' });
    expect(test.mock.requests).toHaveLength(3);
    expect(test.sleeps).toHaveLength(2);
    expect(test.sleeps[0]).toBeGreaterThanOrEqual(50);
    expect(test.sleeps[0]).toBeLessThanOrEqual(100);
    expect(test.sleeps[1]).toBeGreaterThanOrEqual(100);
    expect(test.sleeps[1]).toBeLessThanOrEqual(200);
    expect(await calls(test)).toMatchObject([{ failed: 1, error_code: 'llm_unavailable', attempts: 3, retried: 1 }]);
    expect(await failures(test)).toMatchObject([{ kind: 'llm_unavailable', raw_excerpt: null }]);
  });

  it('waits as long as Retry-After says, and not at all when that is beyond the cap', async () => {
    const test = await withMock('retry_max_wait_ms = 5000\n');
    test.mock.enqueue(
      { error: new LlmError('llm_rate_limited', 'slow down', { retryAfterMs: 1_500 }) },
      { text: '{"title":"Hei","likes":1}' },
    );
    await expect(test.gateway.generateObject('writer', Post, messages, { fallback })).resolves.toMatchObject({ retried: true });
    expect(test.sleeps).toEqual([1_500]);
    test.mock.enqueue({ error: new LlmError('llm_rate_limited', 'come back tomorrow', { retryAfterMs: 86_400_000 }) });
    await expect(test.gateway.generateObject('writer', Post, messages, { fallback, cacheKey: 'other' })).rejects.toMatchObject({
      code: 'llm_rate_limited',
      retryAfterMs: 86_400_000,
    });
    expect(test.sleeps).toEqual([1_500]);
  });

  it('does not retry an auth failure', async () => {
    const test = await withMock();
    test.mock.enqueue({ error: new LlmError('llm_auth', 'no', { statusCode: 401 }) });
    await expect(test.gateway.generateObject('writer', Post, messages, { fallback })).rejects.toMatchObject({ code: 'llm_auth' });
    expect(test.mock.requests).toHaveLength(1);
    expect(test.sleeps).toEqual([]);
  });

  it('times out a slow answer with llm_timeout and does not retry it', async () => {
    const test = await withMock('[llm.aliases.writer]\ntimeout_ms = 100\n');
    test.mock.enqueue({ text: '{"title":"Hei","likes":1}', delayMs: 5_000 });
    await expect(test.gateway.generateObject('writer', Post, messages, { fallback })).rejects.toMatchObject({ code: 'llm_timeout' });
    expect(test.mock.requests).toHaveLength(1);
    expect(test.mock.requests[0]?.signal?.aborted).toBe(true);
  });

  it("aborts with the caller's signal and records no failure", async () => {
    const test = await withMock();
    test.mock.enqueue({ text: '{"title":"Hei","likes":1}', delayMs: 5_000 });
    const controller = new AbortController();
    const pending = test.gateway.generateObject('writer', Post, messages, { fallback, signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    await expect(pending).rejects.toMatchObject({ code: 'llm_aborted' });
    expect(await failures(test)).toEqual([]);
    expect(await calls(test)).toMatchObject([{ failed: 1, error_code: 'llm_aborted' }]);
  });

  it('rejects an unknown alias', async () => {
    const test = await withMock();
    await expect(test.gateway.generateObject('poet' as 'writer', Post, messages, { fallback })).rejects.toBeInstanceOf(ValidationError);
  });

  it('limits requests per minute per backend', async () => {
    const mock = createMockProvider({ default: { text: '{"title":"Hei","likes":1}' } });
    fixture = await createTestGateway({ toml: 'rpm = 2\ncache = "off"\n', providers: { writer: mock }, clock: new ManualClock(0) });
    for (let index = 0; index < 3; index++) await fixture.gateway.generateObject('writer', Post, messages, { fallback });
    expect(fixture.sleeps).toEqual([60_000]);
  });
});

describe('the offline writer', () => {
  it('is what every alias uses when nothing is configured, and its results are labelled and not cached', async () => {
    fixture = await createTestGateway();
    expect(fixture.gateway.describe('writer')).toEqual({ alias: 'writer', provider: 'offline', model: 'offline', offline: true });
    const result = await fixture.gateway.generateObject('writer', Post, messages, {
      fallback,
      context: { template: '{place}: kirjasto avautuu', place: 'Koivulahti' },
    });
    expect(result).toMatchObject({ object: { title: 'Koivulahti: kirjasto avautuu', likes: 0 }, model: 'offline', fellBack: false });
    expect(await fixture.database.db.selectFrom('llm_cache').selectAll().execute()).toEqual([]);
    const parts = await collect(fixture.gateway.streamText('narrative', messages, { context: { template: 'Hei siellä' } }));
    expect(parts.map((part) => (part.type === 'text-delta' ? part.text : part.type))).toEqual(['Hei ', 'siellä', 'finish']);
  });
});

describe('streamText', () => {
  it('yields deltas then one finish part with usage, and logs time to first token', async () => {
    const test = await withMock();
    test.mock.enqueue({ stream: ['Hei', ' maailma'], usage: { inputTokens: 5, outputTokens: 2, reported: true } });
    const parts = await collect(test.gateway.streamText('narrative', messages));
    expect(parts).toEqual([
      { type: 'text-delta', text: 'Hei' },
      { type: 'text-delta', text: ' maailma' },
      { type: 'finish', model: 'offline', usage: { inputTokens: 5, outputTokens: 2, reported: true }, finishReason: 'stop' },
    ]);
    expect(test.mock.requests[0]?.responseFormat).toEqual({ type: 'text' });
    const [row] = await calls(test);
    expect(row).toMatchObject({ operation: 'stream', failed: 0, input_tokens: 5, output_tokens: 2 });
    expect(row?.time_to_first_token_ms).not.toBeNull();
  });

  it('fails after partial text without a finish part, and counts what was streamed', async () => {
    const test = await withMock();
    test.mock.enqueue({ stream: ['Hei', ' maail'], error: new LlmError('llm_unavailable', 'connection lost') });
    const parts: TextStreamPart[] = [];
    const error = await (async () => {
      for await (const part of test.gateway.streamText('narrative', messages)) parts.push(part);
    })().catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'llm_unavailable' });
    expect(parts.map((part) => part.type)).toEqual(['text-delta', 'text-delta']);
    expect(test.mock.requests).toHaveLength(1);
    expect(await calls(test)).toMatchObject([{ failed: 1, error_code: 'llm_unavailable', tokens_reported: 0 }]);
  });

  it('retries a stream that failed before its first token', async () => {
    const test = await withMock();
    test.mock.enqueue({ error: new LlmError('llm_unavailable', 'busy') }, { stream: ['Hei'] });
    const parts = await collect(test.gateway.streamText('narrative', messages));
    expect(parts.map((part) => part.type)).toEqual(['text-delta', 'finish']);
    expect(test.mock.requests).toHaveLength(2);
    expect(await calls(test)).toMatchObject([{ retried: 1, attempts: 2, failed: 0 }]);
  });

  it('releases the backend slot and cancels the provider when the reader stops early', async () => {
    const test = await withMock('concurrency = 1\n');
    test.mock.enqueue({ stream: ['a', 'b', 'c'] }, { stream: ['d'] });
    for await (const part of test.gateway.streamText('narrative', messages)) if (part.type === 'text-delta') break;
    expect(test.mock.requests[0]?.signal?.aborted).toBe(true);
    expect(test.gateway.stats().backends[0]).toMatchObject({ inFlight: 0, waiting: 0 });
    expect((await collect(test.gateway.streamText('narrative', messages))).map((part) => part.type)).toEqual(['text-delta', 'finish']);
  });
});

describe('embed', () => {
  it('embeds through the alias provider and logs the call', async () => {
    const test = await withMock();
    const result = await test.gateway.embed('embedder', ['kissa', 'koira']);
    expect(result).toEqual({
      embeddings: [
        [5, 1],
        [5, 1],
      ],
      model: 'offline',
    });
    expect(test.mock.embedRequests).toEqual([{ texts: ['kissa', 'koira'], model: 'offline' }]);
    expect(await calls(test)).toMatchObject([{ operation: 'embed', failed: 0 }]);
  });
});

describe('moderate', () => {
  it('blocks whole blocklisted words, case-insensitively, and ignores them inside other words', async () => {
    fixture = await createTestGateway({ toml: 'blocklist = ["Huijari", "osta nyt"]\n' });
    expect(await fixture.gateway.moderate('Hän on HUIJARI!')).toEqual({
      allowed: false,
      reasons: ['blocklist: Huijari'],
      classifier: 'skipped',
    });
    expect(await fixture.gateway.moderate('Huijarimainen sää tänään')).toEqual({ allowed: true, reasons: [], classifier: 'skipped' });
    expect(await fixture.gateway.moderate('Osta nyt halvalla')).toMatchObject({ allowed: false, reasons: ['blocklist: osta nyt'] });
  });

  it('asks the classifier alias when one is configured and adds its reasons', async () => {
    const test = await withMock('moderation_alias = "classifier"\n');
    test.mock.enqueue({ text: '{"allowed":false,"reasons":["harassment"]}' }, { text: '{"allowed":true}' });
    expect(await test.gateway.moderate('Olet typerä')).toEqual({
      allowed: false,
      reasons: ['classifier: harassment'],
      classifier: 'blocked',
    });
    expect(await test.gateway.moderate('Hyvää huomenta')).toEqual({ allowed: true, reasons: [], classifier: 'allowed' });
    expect(test.mock.requests[0]?.messages.at(-1)).toEqual({ role: 'user', content: 'Olet typerä' });
  });

  it('falls back to the blocklist alone when the classifier fails', async () => {
    const test = await withMock('moderation_alias = "classifier"\nblocklist = ["roska"]\n');
    test.mock.enqueue({ error: new LlmError('llm_auth', 'no') }, { error: new LlmError('llm_auth', 'no') });
    expect(await test.gateway.moderate('roska')).toEqual({ allowed: false, reasons: ['blocklist: roska'], classifier: 'unavailable' });
    expect(await test.gateway.moderate('ok')).toEqual({ allowed: true, reasons: [], classifier: 'unavailable' });
  });
});

describe('aliases and stats', () => {
  it('shares one backend (and its limits) between aliases with the same base URL, the stricter limit winning', async () => {
    fixture = await createTestGateway({
      toml: 'base_url = "http://127.0.0.1:1/v1"\nmodel = "m"\nconcurrency = 4\n[llm.aliases.judge]\nconcurrency = 2\n[llm.aliases.embedder]\nbase_url = "http://127.0.0.1:2/v1"\n',
    });
    const backends = fixture.gateway.stats().backends;
    expect(backends).toEqual([
      {
        backend: 'openai-compatible http://127.0.0.1:1/v1',
        aliases: ['writer', 'narrative', 'classifier', 'tip-generator', 'judge'],
        concurrency: 2,
        inFlight: 0,
        waiting: 0,
        rpm: 0,
      },
      { backend: 'openai-compatible http://127.0.0.1:2/v1', aliases: ['embedder'], concurrency: 4, inFlight: 0, waiting: 0, rpm: 0 },
    ]);
  });

  it('counts calls, cache hits, repairs, retries, fallbacks and failures per alias', async () => {
    const test = await withMock();
    test.mock.enqueue(
      { text: '{"title":"a","likes":1}' },
      { text: '```{"title":"b","likes":1}```' },
      { text: 'no' },
      { text: 'no' },
      { error: new LlmError('llm_auth', 'no') },
    );
    await test.gateway.generateObject('writer', Post, messages, { fallback, cacheKey: '1' });
    await test.gateway.generateObject('writer', Post, messages, { fallback, cacheKey: '1' });
    await test.gateway.generateObject('writer', Post, messages, { fallback, cacheKey: '2' });
    await test.gateway.generateObject('writer', Post, messages, { fallback, cacheKey: '3' });
    await test.gateway.generateObject('writer', Post, messages, { fallback, cacheKey: '4' }).catch(() => undefined);
    expect(test.gateway.stats().aliases.writer).toMatchObject({
      provider: 'mock',
      calls: 5,
      cacheHits: 1,
      repaired: 1,
      retried: 1,
      fellBack: 1,
      failed: 1,
    });
    expect(await test.gateway.recentCalls(2)).toMatchObject([{ failed: true, errorCode: 'llm_auth' }, { fellBack: true }]);
    expect(await test.gateway.recentFailures()).toMatchObject([{ kind: 'llm_auth' }, { kind: 'invalid' }]);
  });

  it('names the key when an alias cannot be resolved', async () => {
    await expect(
      createTestGateway({ toml: '[llm.aliases.writer]\nprovider = "openai-compatible"\nbase_url = "http://x/v1"\n' }),
    ).rejects.toThrow(/llm\.aliases\.writer\.model/);
  });
});

describe('the local provider', () => {
  it('is built on first use from the alias settings, with one generation slot per allowed request', async () => {
    const mock = createMockProvider({ default: { text: '{"title":"Hei","likes":1}' } });
    const built: unknown[] = [];
    fixture = await createTestGateway({
      toml: 'model_path = "/models/tiny.gguf"\nthreads = 2\ncontext_size = 512\nconcurrency = 3\n',
      localProviderFactory: (settings) => {
        built.push({ ...settings, logger: typeof settings.logger });
        return mock;
      },
    });
    expect(fixture.gateway.describe('writer')).toMatchObject({ provider: 'local', model: 'tiny.gguf', offline: false });
    await fixture.gateway.generateObject('writer', Post, messages, { fallback });
    await fixture.gateway.generateObject('judge', Post, messages, { fallback, cacheKey: 'x' });
    expect(built).toEqual([{ modelPath: '/models/tiny.gguf', threads: 2, contextSize: 512, sequences: 3, logger: 'function' }]);
    expect(mock.requests[0]?.responseFormat.type).toBe('json_schema');
  });

  it('reports a load failure as a typed error and tries to load again on the next call', async () => {
    let attempts = 0;
    fixture = await createTestGateway({
      toml: 'model_path = "/models/missing.gguf"\n',
      localProviderFactory: () => {
        attempts++;
        throw new LlmError('llm_model_invalid', 'no such file');
      },
    });
    await expect(fixture.gateway.generateObject('writer', Post, messages, { fallback })).rejects.toMatchObject({
      code: 'llm_model_invalid',
    });
    await expect(fixture.gateway.generateObject('writer', Post, messages, { fallback })).rejects.toMatchObject({
      code: 'llm_model_invalid',
    });
    expect(attempts).toBe(2);
  });

  it('imports the real local provider on demand, which refuses a missing GGUF file', async () => {
    fixture = await createTestGateway({ toml: 'model_path = "/nonexistent/koivulahti-test.gguf"\n' });
    const error = await fixture.gateway.generateObject('writer', Post, messages, { fallback }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(LlmError);
    expect(['llm_model_invalid', 'llm_not_installed']).toContain((error as LlmError).code);
  });
});
