/**
 * The scripted behaviours, end to end: gateway -> openai-compatible provider -> a real HTTP server on loopback.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { ChatMessage } from '../provider.js';
import { createTestGateway, type TestGateway } from '../testing/gateway-fixture.js';
import { type OpenAITestServer, startOpenAITestServer } from '../testing/openai-test-server.js';
import type { TextStreamPart } from './index.js';

const Post = z.object({ title: z.string().min(1), body: z.string(), likes: z.number().int() });
const fallback = { title: 'Ei uutisia', body: '', likes: 0 };
const messages: ChatMessage[] = [
  { role: 'system', content: 'Olet Aino.' },
  { role: 'user', content: 'Kirjoita julkaisu kirjaston avajaisista.' },
];
const valid = '{"title":"Kirjasto avautuu","body":"Tervetuloa!","likes":3}';

let server: OpenAITestServer;
let fixture: TestGateway;

beforeEach(async () => {
  server = await startOpenAITestServer();
});

afterEach(async () => {
  await fixture?.close();
  await server.close();
});

async function gateway(extra = '') {
  fixture = await createTestGateway({
    toml: `base_url = "${server.url}"\napi_key = "sk-http-test-key-123"\nmodel = "test-model"\nretry_base_ms = 10\n${extra}`,
  });
  return fixture.gateway;
}

async function callRows() {
  return fixture.database.db.selectFrom('llm_calls').selectAll().orderBy('id').execute();
}

function messagesOf(index: number): Array<{ role: string; content: string }> {
  return (server.requests[index]?.body?.messages ?? []) as Array<{ role: string; content: string }>;
}

describe('generateObject against an OpenAI-compatible server', () => {
  it('valid JSON: accepted as is, one request, response_format json_object by default', async () => {
    const llm = await gateway();
    server.enqueue({ type: 'chat', content: valid });
    const result = await llm.generateObject('writer', Post, messages, { fallback });
    expect(result).toMatchObject({
      object: JSON.parse(valid),
      model: 'test-model',
      repaired: false,
      retried: false,
      fellBack: false,
      cached: false,
    });
    expect(result.usage).toEqual({ inputTokens: 10, outputTokens: 5, reported: true });
    expect(server.requestCount).toBe(1);
    expect(server.requests[0]?.body?.response_format).toEqual({ type: 'json_object' });
    expect(messagesOf(0)[0]?.content).toContain('"likes"');
  });

  it('structured_outputs = "json_schema" sends the schema; "prompt" sends no response_format', async () => {
    const llm = await gateway(
      '[llm.aliases.writer]\nstructured_outputs = "json_schema"\n[llm.aliases.judge]\nstructured_outputs = "prompt"\n',
    );
    server.enqueue({ type: 'chat', content: valid }, { type: 'chat', content: valid });
    await llm.generateObject('writer', Post, messages, { fallback });
    await llm.generateObject('judge', Post, messages, { fallback });
    expect(server.requests[0]?.body?.response_format).toMatchObject({
      type: 'json_schema',
      json_schema: { name: 'response', strict: false, schema: { type: 'object', required: ['title', 'body', 'likes'] } },
    });
    expect(server.requests[1]?.body?.response_format).toBeUndefined();
  });

  it('JSON in code fences: repaired, no retry', async () => {
    const llm = await gateway();
    server.enqueue({ type: 'chat', content: `Tässä:\n\`\`\`json\n${valid}\n\`\`\`` });
    await expect(llm.generateObject('writer', Post, messages, { fallback })).resolves.toMatchObject({ repaired: true, retried: false });
    expect(server.requestCount).toBe(1);
  });

  it('trailing commas: repaired, no retry', async () => {
    const llm = await gateway();
    server.enqueue({ type: 'chat', content: '{"title":"Hei","body":"x","likes":1,}' });
    await expect(llm.generateObject('writer', Post, messages, { fallback })).resolves.toMatchObject({
      object: { title: 'Hei', body: 'x', likes: 1 },
      repaired: true,
      retried: false,
    });
  });

  it('truncated JSON at the token limit: retried (not repaired), the retry says it was cut off', async () => {
    const llm = await gateway();
    server.enqueue(
      { type: 'chat', content: '{"title":"Hei","body":"Tervetuloa kaikki kirjast', finishReason: 'length' },
      { type: 'chat', content: valid },
    );
    const result = await llm.generateObject('writer', Post, messages, { fallback });
    expect(result).toMatchObject({ object: JSON.parse(valid), retried: true, repaired: false });
    expect(server.requestCount).toBe(2);
    expect(messagesOf(1).at(-1)?.content).toContain('cut off');
  });

  it('truncated JSON that the server calls finished: repaired when the rest is valid', async () => {
    const llm = await gateway();
    server.enqueue({ type: 'chat', content: '{"title":"Hei","body":"Tervetuloa","likes":2' });
    await expect(llm.generateObject('writer', Post, messages, { fallback })).resolves.toMatchObject({ repaired: true, retried: false });
  });

  it('wrong field types: retried with the validation error, then the fallback and a failure record', async () => {
    const llm = await gateway();
    const wrong = '{"title":"Hei","body":"x","likes":"kolme"}';
    server.enqueue({ type: 'chat', content: wrong }, { type: 'chat', content: wrong });
    const result = await llm.generateObject('writer', Post, messages, { fallback });
    expect(result).toMatchObject({ object: fallback, fellBack: true, retried: true });
    expect(server.requestCount).toBe(2);
    const retry = messagesOf(1);
    expect(retry.at(-2)).toEqual({ role: 'assistant', content: wrong });
    expect(retry.at(-1)?.content).toMatch(/likes: .*number/i);
    const failures = await fixture.database.db.selectFrom('llm_failures').selectAll().execute();
    expect(failures).toMatchObject([{ alias: 'writer', model: 'test-model', kind: 'invalid', raw_excerpt: wrong }]);
  });

  it('429 with Retry-After: retried after the time it asked for', async () => {
    const llm = await gateway();
    server.enqueue({ type: 'error', status: 429, headers: { 'retry-after': '1' } }, { type: 'chat', content: valid });
    await expect(llm.generateObject('writer', Post, messages, { fallback })).resolves.toMatchObject({ retried: true, fellBack: false });
    expect(fixture.sleeps).toEqual([1_000]);
    expect(server.requestCount).toBe(2);
  });

  it('500: retried, and a typed llm_unavailable once the retries are spent', async () => {
    const llm = await gateway('max_retries = 2\n');
    server.enqueue({ type: 'error', status: 500 }, { type: 'chat', content: valid });
    await expect(llm.generateObject('writer', Post, messages, { fallback })).resolves.toMatchObject({ retried: true });
    server.enqueue({ type: 'error', status: 500 }, { type: 'error', status: 502 }, { type: 'error', status: 500 });
    await expect(llm.generateObject('writer', Post, messages, { fallback, cacheKey: 'again' })).rejects.toMatchObject({
      code: 'llm_unavailable',
      statusCode: 500,
    });
    expect(server.requestCount).toBe(5);
  });

  it('401: exactly one request, then the fallback with the typed llm_auth refusal', async () => {
    const llm = await gateway();
    server.setDefault({ type: 'error', status: 401, body: { error: { message: 'invalid key' } } });
    const result = await llm.generateObject('writer', Post, messages, { fallback });
    expect(result).toMatchObject({ object: fallback, fellBack: true, failure: { code: 'llm_auth' } });
    expect(server.requestCount).toBe(1);
  });

  it('a backend that never answers: llm_timeout, and the request is cancelled', async () => {
    const llm = await gateway('timeout_ms = 200\n');
    server.enqueue({ type: 'hang' });
    await expect(llm.generateObject('writer', Post, messages, { fallback })).rejects.toMatchObject({ code: 'llm_timeout' });
    await expect(server.waitForClose(0)).resolves.toBeTypeOf('number');
    expect(server.requestCount).toBe(1);
  });

  it('max in-flight never exceeds the configured concurrency under 50 parallel calls', async () => {
    const llm = await gateway('concurrency = 3\n');
    // Long enough that the calls pile up at the limit even on a loaded machine.
    server.setDefault({ type: 'chat', content: valid, delayMs: 50 });
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, index) => llm.generateObject('writer', Post, messages, { fallback, cacheKey: `call-${index}` })),
    );
    expect(results.every((result) => !result.fellBack)).toBe(true);
    expect(server.requestCount).toBe(50);
    expect(server.maxInFlight).toBe(3);
  });

  it('aliases on the same server share its slots', async () => {
    const llm = await gateway('concurrency = 2\n');
    server.setDefault({ type: 'chat', content: valid, delayMs: 5 });
    await Promise.all(
      Array.from({ length: 12 }, (_, index) =>
        llm.generateObject(index % 2 === 0 ? 'writer' : 'judge', Post, messages, { fallback, cacheKey: `call-${index}` }),
      ),
    );
    expect(server.maxInFlight).toBe(2);
  });
});

describe('streamText against an OpenAI-compatible server', () => {
  async function read(parts: AsyncIterable<TextStreamPart>) {
    const seen: TextStreamPart[] = [];
    const error = await (async () => {
      for await (const part of parts) seen.push(part);
    })().catch((caught: unknown) => caught);
    return { seen, error, text: seen.flatMap((part) => (part.type === 'text-delta' ? [part.text] : [])).join('') };
  }

  it('slow first token: the stream completes and the call log records a time to first token', async () => {
    const llm = await gateway();
    server.enqueue({
      type: 'stream',
      chunks: ['Hyvää', ' huomenta'],
      firstChunkDelayMs: 50,
      usage: { prompt_tokens: 20, completion_tokens: 2 },
    });
    const { seen, error, text } = await read(llm.streamText('narrative', messages));
    expect(error).toBeUndefined();
    expect(text).toBe('Hyvää huomenta');
    expect(seen.at(-1)).toEqual({
      type: 'finish',
      model: 'test-model',
      usage: { inputTokens: 20, outputTokens: 2, reported: true },
      finishReason: 'stop',
    });
    const [row] = await callRows();
    expect(row).toMatchObject({ operation: 'stream', failed: 0, input_tokens: 20, output_tokens: 2 });
    expect(row?.time_to_first_token_ms).toEqual(expect.any(Number));
  });

  it('disconnect mid-stream: a typed error, and the partial text never gets a finish part', async () => {
    const llm = await gateway();
    server.enqueue({ type: 'stream', chunks: ['Hyvää', ' huomenta', ' kaikille'], disconnectAfter: 2 });
    const { seen, error, text } = await read(llm.streamText('narrative', messages));
    expect(error).toMatchObject({ code: 'llm_unavailable' });
    expect(text).toBe('Hyvää huomenta');
    expect(seen.some((part) => part.type === 'finish')).toBe(false);
    expect(server.requestCount).toBe(1);
    expect(await callRows()).toMatchObject([{ failed: 1, error_code: 'llm_unavailable' }]);
  });

  it('abort mid-stream: the server sees the connection close before its answer is complete', async () => {
    const llm = await gateway();
    server.enqueue({ type: 'stream', chunks: ['Hyvää', ' huomenta', ' kaikille'], chunkDelayMs: 2_000 });
    const controller = new AbortController();
    let openWhenAborted: boolean | undefined;
    const error = await (async () => {
      for await (const part of llm.streamText('narrative', messages, { signal: controller.signal })) {
        if (part.type === 'text-delta' && openWhenAborted === undefined) {
          openWhenAborted = server.requests[0]?.closedEarlyAt === undefined;
          controller.abort();
        }
      }
    })().catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'llm_aborted' });
    expect(openWhenAborted).toBe(true);
    // Resolves only for a connection closed before the last chunk was written (the script would take 4 s more).
    await expect(server.waitForClose(0)).resolves.toEqual(expect.any(Number));
    expect(await callRows()).toMatchObject([{ failed: 1, error_code: 'llm_aborted' }]);
  });

  it('401 at the start of a stream: llm_auth after one request', async () => {
    const llm = await gateway();
    server.setDefault({ type: 'error', status: 401 });
    const { error } = await read(llm.streamText('narrative', messages));
    expect(error).toMatchObject({ code: 'llm_auth' });
    expect(server.requestCount).toBe(1);
  });

  it('a stream that stalls after its first token: llm_timeout after the inter-token timeout, and the request is cancelled', async () => {
    const llm = await gateway('timeout_ms = 60000\ninter_token_timeout_ms = 200\n');
    server.enqueue({ type: 'stream', chunks: ['Hyvää', ' huomenta'], hangAfter: 1 });
    const { error, text } = await read(llm.streamText('narrative', messages));
    expect(error).toMatchObject({ code: 'llm_timeout', details: { stalled: true } });
    expect((error as Error).message).toContain('stalled');
    expect(text).toBe('Hyvää');
    await expect(server.waitForClose(0)).resolves.toBeTypeOf('number');
  });

  it('a stream that never starts: llm_timeout after timeout_ms, not the inter-token timeout', async () => {
    const llm = await gateway('timeout_ms = 200\ninter_token_timeout_ms = 60000\n');
    server.enqueue({ type: 'stream', chunks: ['Hyvää'], hangAfter: 0 });
    const { error, text } = await read(llm.streamText('narrative', messages));
    expect(error).toMatchObject({ code: 'llm_timeout', details: { stalled: false } });
    expect(text).toBe('');
  });
});

describe('embed against an OpenAI-compatible server', () => {
  it('returns one vector per text', async () => {
    const llm = await gateway();
    const result = await llm.embed('embedder', ['kissa', 'koira', 'kala']);
    expect(result.embeddings).toHaveLength(3);
    expect(server.requests[0]?.path).toBe('/v1/embeddings');
  });
});
