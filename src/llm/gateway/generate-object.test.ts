import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../core/clock.js';
import { ValidationError } from '../../core/errors.js';
import { LlmError } from '../errors.js';
import { calls, failures, fallback, gatewayPerTest, messages, Post } from '../testing/gateway-suite.js';
import { createMockProvider } from '../testing/mock-provider.js';

const { open, withMock } = gatewayPerTest();

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

  it('does not retry an auth failure: one request, then the fallback with the refusal', async () => {
    const test = await withMock();
    test.mock.enqueue({ error: new LlmError('llm_auth', 'no', { statusCode: 401 }) });
    const result = await test.gateway.generateObject('writer', Post, messages, { fallback });
    expect(result).toMatchObject({ object: fallback, fellBack: true, failure: { code: 'llm_auth', message: 'no' } });
    expect(test.mock.requests).toHaveLength(1);
    expect(test.sleeps).toEqual([]);
    expect(await calls(test)).toMatchObject([{ failed: 0, fell_back: 1, error_code: 'llm_auth', attempts: 1 }]);
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
    const fixture = await open({ toml: 'rpm = 2\ncache = "off"\n', providers: { writer: mock }, clock: new ManualClock(0) });
    for (let index = 0; index < 3; index++) await fixture.gateway.generateObject('writer', Post, messages, { fallback });
    expect(fixture.sleeps).toEqual([60_000]);
  });
});
