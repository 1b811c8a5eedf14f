import { describe, expect, it } from 'vitest';
import { LlmError } from '../errors.js';
import { createTestGateway } from '../testing/gateway-fixture.js';
import { collect, fallback, gatewayPerTest, messages, Post } from '../testing/gateway-suite.js';
import { createMockProvider } from '../testing/mock-provider.js';

const { open, withMock } = gatewayPerTest();

describe('the offline writer', () => {
  it('is what every alias uses when nothing is configured, and its results are labelled and not cached', async () => {
    const fixture = await open();
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

describe('aliases and stats', () => {
  it('shares one backend (and its limits) between aliases with the same base URL, the stricter limit winning', async () => {
    const fixture = await open({
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
      { error: new LlmError('llm_timeout', 'slow') },
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
    expect(await test.gateway.recentCalls(2)).toMatchObject([{ failed: true, errorCode: 'llm_timeout' }, { fellBack: true }]);
    expect(await test.gateway.recentFailures()).toMatchObject([{ kind: 'llm_timeout' }, { kind: 'invalid' }]);
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
    const fixture = await open({
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
    const fixture = await open({
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
    const fixture = await open({ toml: 'model_path = "/nonexistent/koivulahti-test.gguf"\n' });
    const error = await fixture.gateway.generateObject('writer', Post, messages, { fallback }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(LlmError);
    expect(['llm_model_invalid', 'llm_not_installed']).toContain((error as LlmError).code);
  });
});
