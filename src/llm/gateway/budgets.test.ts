/**
 * Budgets against a loopback server that plays llama.cpp (`/props`, `/apply-template`, `/tokenize`): every request
 * carries max_tokens, the slot count becomes the in-flight limit, a prompt that cannot fit is refused before it is
 * sent, and a backend's own 400 "context exceeded" ends the call at once with the caller's fallback.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { ChatMessage } from '../provider.js';
import { createTestGateway, type TestGateway } from '../testing/gateway-fixture.js';
import { type OpenAITestServer, type OpenAITestServerOptions, startOpenAITestServer } from '../testing/openai-test-server.js';

const Post = z.object({ title: z.string().min(1), likes: z.number().int() });
const fallback = { title: 'Ei uutisia', likes: 0 };
const valid = '{"title":"Kirjasto avautuu","likes":3}';
const short: ChatMessage[] = [{ role: 'user', content: 'Kirjoita julkaisu.' }];
const long: ChatMessage[] = [{ role: 'user', content: 'kylä '.repeat(600) }];
/** One token per character, like the tiny test model's tokenizer. */
const perCharacter = (prompt: string) => prompt.length;

let server: OpenAITestServer;
let fixture: TestGateway;

async function setup(serverOptions: OpenAITestServerOptions, toml = '') {
  server = await startOpenAITestServer(serverOptions);
  fixture = await createTestGateway({
    toml: `base_url = "${server.url}"\nmodel = "test-model"\nretry_base_ms = 1\n${toml}`,
  });
  return fixture.gateway;
}

beforeEach(() => {
  fixture = undefined as unknown as TestGateway;
});

afterEach(async () => {
  await fixture?.close();
  await server?.close();
});

describe('every request carries max_tokens', () => {
  it("sends the alias's cap when the server says nothing about its context", async () => {
    const llm = await setup({}, '[llm.aliases.writer]\nparams = { max_tokens = 123 }\n');
    server.enqueue({ type: 'chat', content: valid }, { type: 'chat', content: valid });
    await llm.generateObject('writer', Post, short, { fallback });
    await llm.generateObject('classifier', Post, short, { fallback });
    expect(server.requests.map((request) => request.body?.max_tokens)).toEqual([123, 256]);
    expect((await llm.budget('writer')).source).toBe('unknown');
  });

  it('sends what the caller asks for, cut to the room the prompt leaves in the slot', async () => {
    const llm = await setup({ llamaCpp: { contextTokens: 1024, slots: 4, countTokens: perCharacter } });
    server.enqueue({ type: 'chat', content: valid }, { type: 'stream', chunks: ['Hei'] });
    await llm.generateObject('writer', Post, short, { fallback, params: { maxTokens: 100 } });
    for await (const _part of llm.streamText('narrative', [{ role: 'user', content: 'x'.repeat(700) }])) {
      // drain
    }
    const [object, stream] = server.requests;
    expect(object?.body?.max_tokens).toBe(100);
    // The rendered prompt is `<user>` + 700 characters = 706 tokens; 1024 - 706 - 8 reserved = 310 left of the 400 wanted.
    expect(stream?.body?.max_tokens).toBe(310);
    expect(server.probes.map((probe) => probe.path)).toEqual(expect.arrayContaining(['/props', '/apply-template', '/tokenize']));
  });
});

describe('the backend sizes the budget', () => {
  it("reads the slot context and slot count; the slot count becomes the backend's in-flight limit", async () => {
    const llm = await setup({ llamaCpp: { contextTokens: 1024, slots: 2, countTokens: perCharacter } });
    expect(llm.stats().backends[0]?.concurrency).toBe(4);
    const budget = await llm.budget('narrative');
    expect(budget).toMatchObject({ contextTokens: 1024, maxOutputTokens: 400, promptTokens: 1024 - 400 - 8, slots: 2, source: 'server' });
    expect(budget.promptEstimateTokens).toBeLessThan(budget.promptTokens);
    expect(llm.stats().backends[0]?.concurrency).toBe(2);
  });

  it('keeps a configured concurrency, and a configured context_size when it is the smaller one', async () => {
    const llm = await setup({ llamaCpp: { contextTokens: 4096, slots: 8 } }, 'concurrency = 3\ncontext_size = 2048\n');
    expect(await llm.budget('judge')).toMatchObject({ contextTokens: 2048, maxOutputTokens: 256, source: 'server' });
    expect(llm.stats().backends[0]?.concurrency).toBe(3);
  });

  it("takes a schema call's JSON instruction out of the prompt budget", async () => {
    const llm = await setup({ llamaCpp: { contextTokens: 1024, slots: 1 } });
    const plain = await llm.budget('writer');
    const withSchema = await llm.budget('writer', { schema: Post });
    expect(withSchema.promptEstimateTokens).toBeLessThan(plain.promptEstimateTokens);
    expect(withSchema.promptEstimateTokens).toBeGreaterThan(0);
  });
});

describe('a prompt that cannot fit', () => {
  it('is refused before it is sent: the fallback, with llm_context_exceeded, no request', async () => {
    const llm = await setup({ llamaCpp: { contextTokens: 1024, slots: 1, countTokens: perCharacter } });
    const result = await llm.generateObject('writer', Post, long, { fallback });
    expect(result).toMatchObject({ object: fallback, fellBack: true, failure: { code: 'llm_context_exceeded' } });
    expect(server.requestCount).toBe(0);
    expect(await fixture.gateway.recentFailures(1)).toMatchObject([{ kind: 'llm_context_exceeded' }]);
  });

  it("is asked once more with the caller's shorter prompt, within the budget it is given", async () => {
    const llm = await setup({ llamaCpp: { contextTokens: 1024, slots: 1, countTokens: perCharacter } });
    server.enqueue({ type: 'chat', content: valid });
    const budgets: number[] = [];
    const result = await llm.generateObject('writer', Post, long, {
      fallback,
      shorten: (budget) => {
        budgets.push(budget.promptTokens);
        return short;
      },
    });
    expect(result).toMatchObject({ object: { title: 'Kirjasto avautuu' }, fellBack: false, retried: true });
    expect(budgets).toEqual([1024 - 480 - 8]);
    expect(server.requestCount).toBe(1);
  });

  it('fails a stream at once with llm_context_exceeded, sending nothing', async () => {
    const llm = await setup({ llamaCpp: { contextTokens: 1024, slots: 1, countTokens: perCharacter } });
    const failure = await (async () => {
      for await (const _part of llm.streamText('narrative', long)) {
        // nothing arrives
      }
    })().catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: 'llm_context_exceeded', details: { contextTokens: 1024 } });
    expect(server.requestCount).toBe(0);
  });

  it('counts with a margin when the server has no tokenizer, learning nothing it cannot see', async () => {
    const llm = await setup({ llamaCpp: { contextTokens: 1024, slots: 1 } });
    server.enqueue({ type: 'chat', content: valid });
    await llm.generateObject('writer', Post, short, { fallback });
    expect(server.requests[0]?.body?.max_tokens).toBe(480);
    const result = await llm.generateObject('writer', Post, [{ role: 'user', content: 'kylä '.repeat(1500) }], { fallback });
    expect(result.failure?.code).toBe('llm_context_exceeded');
    expect(server.requestCount).toBe(1);
  });
});

describe("the backend's own refusal", () => {
  it('a 400 context-exceeded answer: one attempt, the fallback, no retry', async () => {
    const llm = await setup({}, 'max_retries = 3\n');
    server.setDefault({
      type: 'error',
      status: 400,
      body: { error: { code: 400, message: 'request exceeds the available context size', type: 'exceed_context_size_error', n_ctx: 1024 } },
    });
    const result = await llm.generateObject('writer', Post, short, { fallback });
    expect(result).toMatchObject({ object: fallback, fellBack: true, failure: { code: 'llm_context_exceeded' } });
    expect(server.requestCount).toBe(1);
    expect(fixture.sleeps).toEqual([]);
  });

  it('a 404 (unknown model) is refused for good too; a 503 is still retried and then thrown', async () => {
    const llm = await setup({}, 'max_retries = 1\n');
    server.enqueue({ type: 'error', status: 404 }, { type: 'error', status: 503 }, { type: 'error', status: 503 });
    expect((await llm.generateObject('writer', Post, short, { fallback })).failure?.code).toBe('llm_rejected');
    await expect(llm.generateObject('writer', Post, short, { fallback, cacheKey: 'b' })).rejects.toMatchObject({ code: 'llm_unavailable' });
    expect(server.requestCount).toBe(3);
  });
});

describe('the call log', () => {
  it('keeps queue wait, server time and time to first token apart', async () => {
    const llm = await setup({}, 'concurrency = 1\n');
    server.enqueue(
      { type: 'chat', content: valid, delayMs: 300 },
      { type: 'chat', content: valid },
      { type: 'stream', chunks: ['a', 'b'], firstChunkDelayMs: 50 },
    );
    await Promise.all([
      llm.generateObject('writer', Post, short, { fallback, cacheKey: 'first' }),
      llm.generateObject('writer', Post, short, { fallback, cacheKey: 'second' }),
    ]);
    for await (const _part of llm.streamText('narrative', short)) {
      // drain
    }
    const rows = await fixture.database.db.selectFrom('llm_calls').selectAll().orderBy('id').execute();
    const [first, second, stream] = rows;
    // Lower bounds only, each caused by a delay the server was told to make.
    expect(first?.server_ms).toBeGreaterThanOrEqual(300);
    // The second call waited for the first one's slot: that wait is queue time, not server time.
    expect(second?.queue_wait_ms).toBeGreaterThanOrEqual(200);
    expect(second?.server_ms).toBeLessThan(second?.queue_wait_ms ?? 0);
    expect(second?.latency_ms).toBeGreaterThanOrEqual((second?.queue_wait_ms ?? 0) + (second?.server_ms ?? 0) - 2);
    expect(stream?.time_to_first_token_ms).toBeGreaterThanOrEqual(45);
    expect(stream?.server_ms).toBeGreaterThanOrEqual(stream?.time_to_first_token_ms ?? 0);
  });
});

describe('stop sequences', () => {
  it("add up: the alias's and the call's are both sent", async () => {
    const llm = await setup({}, '[llm.aliases.narrative]\nparams = { stop = ["</s>"] }\n');
    server.enqueue({ type: 'stream', chunks: ['Hei'] });
    for await (const _part of llm.streamText('narrative', short, { params: { stop: ['\nAino:'] } })) {
      // drain
    }
    expect(server.requests[0]?.body?.stop).toEqual(['</s>', '\nAino:']);
  });
});
