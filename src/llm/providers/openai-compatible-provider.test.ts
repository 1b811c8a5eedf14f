import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ProviderRequest, StreamPart } from '../provider.js';
import { type OpenAITestServer, startOpenAITestServer } from '../testing/openai-test-server.js';
import { createOpenAICompatibleProvider } from './openai-compatible-provider.js';

const apiKey = 'sk-test-0123456789abcdef';
let server: OpenAITestServer;

beforeEach(async () => {
  server = await startOpenAITestServer();
});

afterEach(async () => {
  await server.close();
});

function provider() {
  return createOpenAICompatibleProvider({ baseUrl: server.url, apiKey, headers: { 'X-Title': 'Koivulahti' } });
}

const request: ProviderRequest = {
  model: 'test-model',
  messages: [
    { role: 'system', content: 'You are Aino.' },
    { role: 'user', content: 'Hei!' },
  ],
  params: { temperature: 0.7, maxTokens: 64, seed: 3, stop: ['\n\n'] },
  responseFormat: { type: 'text' },
};

async function collect(parts: AsyncIterable<StreamPart>): Promise<StreamPart[]> {
  const result: StreamPart[] = [];
  for await (const part of parts) result.push(part);
  return result;
}

describe('openai-compatible provider', () => {
  it('sends the messages, parameters, key and headers, and returns text, model and reported usage', async () => {
    server.enqueue({ type: 'chat', content: 'Hei sinullekin.', usage: { prompt_tokens: 12, completion_tokens: 4 } });
    const result = await provider().generate(request);
    expect(result).toEqual({
      text: 'Hei sinullekin.',
      model: 'test-model',
      usage: { inputTokens: 12, outputTokens: 4, reported: true },
      finishReason: 'stop',
    });
    const sent = server.requests[0];
    expect(sent?.headers.authorization).toBe(`Bearer ${apiKey}`);
    expect(sent?.headers['x-title']).toBe('Koivulahti');
    expect(sent?.body).toMatchObject({
      model: 'test-model',
      temperature: 0.7,
      max_tokens: 64,
      seed: 3,
      stop: ['\n\n'],
      messages: request.messages,
    });
    expect(sent?.body?.response_format).toBeUndefined();
  });

  it('sends response_format json_schema with the schema when asked for structured outputs', async () => {
    server.enqueue({ type: 'chat', content: '{"a":1}' });
    const schema = { type: 'object', properties: { a: { type: 'number' } }, required: ['a'] };
    await provider().generate({ ...request, responseFormat: { type: 'json_schema', name: 'post', schema } });
    expect(server.requests[0]?.body?.response_format).toEqual({
      type: 'json_schema',
      json_schema: { name: 'post', schema, strict: false },
    });
  });

  it('sends response_format json_object in JSON mode', async () => {
    server.enqueue({ type: 'chat', content: '{"a":1}' });
    await provider().generate({ ...request, responseFormat: { type: 'json_object' } });
    expect(server.requests[0]?.body?.response_format).toEqual({ type: 'json_object' });
  });

  it('leaves usage out when the backend reports none, and passes a length finish through', async () => {
    server.enqueue({ type: 'chat', content: '{"a":', usage: null, finishReason: 'length' });
    const result = await provider().generate(request);
    expect(result.usage).toBeUndefined();
    expect(result.finishReason).toBe('length');
  });

  it('maps 401 and 403 to llm_auth without retrying, and never repeats the key in the message', async () => {
    for (const status of [401, 403]) {
      server.enqueue({ type: 'error', status, body: { error: { message: `Incorrect API key provided: ${apiKey}` } } });
      const error = await provider()
        .generate(request)
        .catch((caught: unknown) => caught);
      expect(error).toMatchObject({ code: 'llm_auth', statusCode: status, retryable: false });
      expect(String((error as Error).message)).not.toContain(apiKey);
    }
    expect(server.requestCount).toBe(2);
  });

  it('maps 429 to llm_rate_limited carrying Retry-After', async () => {
    server.enqueue({ type: 'error', status: 429, headers: { 'retry-after': '3' } });
    await expect(provider().generate(request)).rejects.toMatchObject({ code: 'llm_rate_limited', retryAfterMs: 3_000, retryable: true });
  });

  it('maps 5xx and connection failures to retryable llm_unavailable, and makes one request only (no SDK retries)', async () => {
    server.enqueue({ type: 'error', status: 503 });
    await expect(provider().generate(request)).rejects.toMatchObject({ code: 'llm_unavailable', statusCode: 503, retryable: true });
    expect(server.requestCount).toBe(1);
    server.enqueue({ type: 'destroy' });
    await expect(provider().generate(request)).rejects.toMatchObject({ code: 'llm_unavailable', retryable: true });
    const closed = createOpenAICompatibleProvider({ baseUrl: 'http://127.0.0.1:9/v1' });
    await expect(closed.generate(request)).rejects.toMatchObject({ code: 'llm_unavailable', retryable: true });
  });

  it('maps other 4xx answers to a non-retryable llm_rejected', async () => {
    server.enqueue(
      { type: 'error', status: 400, body: { error: { message: 'response_format is not supported' } } },
      { type: 'error', status: 404, body: { error: { message: 'model not found' } } },
      { type: 'error', status: 422, body: { detail: 'bad temperature' } },
    );
    for (const [status, text] of [
      [400, 'response_format is not supported'],
      [404, 'model not found'],
      [422, 'Unprocessable'],
    ] as const) {
      const error = await provider()
        .generate(request)
        .catch((caught: unknown) => caught);
      expect(error).toMatchObject({ code: 'llm_rejected', statusCode: status, retryable: false });
      expect((error as Error).message).toContain(text);
    }
  });

  it("maps llama.cpp's 400 exceed_context_size_error (and other servers' words for it) to llm_context_exceeded", async () => {
    server.enqueue(
      {
        type: 'error',
        status: 400,
        body: {
          error: {
            code: 400,
            message: 'request (16551 tokens) exceeds the available context size (1024 tokens), try increasing it',
            type: 'exceed_context_size_error',
            n_prompt_tokens: 16551,
            n_ctx: 1024,
          },
        },
      },
      { type: 'error', status: 400, body: { error: { message: "This model's maximum context length is 8192 tokens." } } },
      { type: 'error', status: 413, body: { error: { message: 'too large' } } },
    );
    const errors = [];
    for (let index = 0; index < 3; index++)
      errors.push(
        await provider()
          .generate(request)
          .catch((caught: unknown) => caught),
      );
    expect(errors[0]).toMatchObject({
      code: 'llm_context_exceeded',
      statusCode: 400,
      retryable: false,
      details: { promptTokens: 16551, contextTokens: 1024 },
    });
    expect(errors[1]).toMatchObject({ code: 'llm_context_exceeded', statusCode: 400 });
    expect(errors[2]).toMatchObject({ code: 'llm_context_exceeded', statusCode: 413 });
  });

  it('streams deltas and ends with usage and the finish reason', async () => {
    server.enqueue({ type: 'stream', chunks: ['Hei', ' vaan', '!'], usage: { prompt_tokens: 9, completion_tokens: 3 } });
    const parts = await collect(provider().stream(request));
    expect(parts).toEqual([
      { type: 'text-delta', text: 'Hei' },
      { type: 'text-delta', text: ' vaan' },
      { type: 'text-delta', text: '!' },
      { type: 'finish', model: 'test-model', usage: { inputTokens: 9, outputTokens: 3, reported: true }, finishReason: 'stop' },
    ]);
    expect(server.requests[0]?.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  it('fails a stream whose connection drops midway, after the text that did arrive, without a finish part', async () => {
    server.enqueue({ type: 'stream', chunks: ['Hei', ' vaan', ' kaikille'], disconnectAfter: 2 });
    const parts: StreamPart[] = [];
    const error = await (async () => {
      for await (const part of provider().stream(request)) parts.push(part);
    })().catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'llm_unavailable' });
    expect(parts).toEqual([
      { type: 'text-delta', text: 'Hei' },
      { type: 'text-delta', text: ' vaan' },
    ]);
  });

  it('fails a stream that ends cleanly but without a finish reason', async () => {
    server.enqueue({ type: 'stream', chunks: ['Hei'], finishReason: null });
    await expect(collect(provider().stream(request))).rejects.toMatchObject({ code: 'llm_unavailable' });
  });

  it('maps a 401 at the start of a stream to llm_auth', async () => {
    server.enqueue({ type: 'error', status: 401 });
    await expect(collect(provider().stream(request))).rejects.toMatchObject({ code: 'llm_auth' });
  });

  it('cancels the upstream request when the signal fires mid-stream', async () => {
    server.enqueue({ type: 'stream', chunks: ['a', 'b', 'c', 'd'], chunkDelayMs: 500 });
    const controller = new AbortController();
    let openWhenAborted: boolean | undefined;
    const error = await (async () => {
      for await (const part of provider().stream({ ...request, signal: controller.signal })) {
        if (part.type === 'text-delta') {
          openWhenAborted = server.requests[0]?.closedEarlyAt === undefined;
          controller.abort();
        }
      }
    })().catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'llm_aborted' });
    expect(openWhenAborted).toBe(true);
    await expect(server.waitForClose(0)).resolves.toEqual(expect.any(Number));
  });

  it('cancels the upstream request when the reader stops early', async () => {
    server.enqueue({ type: 'stream', chunks: ['a', 'b', 'c', 'd'], chunkDelayMs: 500 });
    for await (const part of provider().stream(request)) if (part.type === 'text-delta') break;
    await expect(server.waitForClose(0, 2_000)).resolves.toBeTypeOf('number');
  });

  it('embeds through /v1/embeddings', async () => {
    const embed = provider().embed;
    if (embed === undefined) throw new Error('must embed');
    const vectors = await embed(['kissa', 'koira'], { model: 'embedder' });
    expect(vectors).toHaveLength(2);
    expect(vectors[0]).toHaveLength(8);
    expect(server.requests[0]?.path).toBe('/v1/embeddings');
    expect(server.requests[0]?.body).toMatchObject({ model: 'embedder', input: ['kissa', 'koira'] });
  });
});

describe('the test server', () => {
  it('lists models on /v1/models', async () => {
    const response = await fetch(`${server.url}/models`);
    expect(await response.json()).toEqual({ object: 'list', data: [{ id: 'test-model', object: 'model', owned_by: 'test' }] });
  });
});
