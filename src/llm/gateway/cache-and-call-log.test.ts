/**
 * The cache and the call log on every SQL dialect, against the loopback server (its request count proves what a
 * cache hit saved), and the promise that an API key is neither logged nor stored.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ManualClock } from '../../core/clock.js';
import type { StoreDatabase } from '../../store/database.js';
import { runMigrations } from '../../store/migrations.js';
import { resolveTestDialects } from '../../store/testing.js';
import { llmMigrations } from '../migrations.js';
import type { ChatMessage } from '../provider.js';
import { createTestGateway, dumpAllTables, MemoryKv, type TestGateway } from '../testing/gateway-fixture.js';
import { type OpenAITestServer, startOpenAITestServer } from '../testing/openai-test-server.js';

const Post = z.object({ title: z.string(), likes: z.number().int() });
const fallback = { title: '', likes: 0 };
const messages: ChatMessage[] = [{ role: 'user', content: 'Kirjoita otsikko.' }];
const valid = '{"title":"Kirjasto avautuu","likes":3}';
const apiKey = 'sk-live-DO-NOT-LEAK-7f3a9c2e';

const dialects = await resolveTestDialects();

for (const dialect of dialects) {
  describe.skipIf(dialect.skip)(`llm cache and call log on ${dialect.name}`, () => {
    let database: StoreDatabase;
    let server: OpenAITestServer;
    const gateways: TestGateway[] = [];
    const clock = new ManualClock(1_800_000_000_000);

    beforeEach(async () => {
      database = await dialect.open();
      await runMigrations(database, llmMigrations);
      server = await startOpenAITestServer();
    });

    afterEach(async () => {
      for (const test of gateways.splice(0)) await test.close();
      await server.close();
      await database.destroy();
    });

    async function gateway(extra = '') {
      const test = await createTestGateway({
        database,
        clock,
        toml: `base_url = "${server.url}"\napi_key = "${apiKey}"\nmodel = "test-model"\nretry_base_ms = 1\n${extra}`,
      });
      gateways.push(test);
      return test.gateway;
    }

    it('a cache hit makes no request and is logged as a hit', async () => {
      const llm = await gateway();
      server.setDefault({ type: 'chat', content: valid });
      const first = await llm.generateObject('writer', Post, messages, { fallback });
      const second = await llm.generateObject('writer', Post, messages, { fallback });
      expect(server.requestCount).toBe(1);
      expect(first.cached).toBe(false);
      expect(second).toEqual({ ...first, cached: true, usage: { inputTokens: 0, outputTokens: 0, reported: true } });
      const rows = await database.db.selectFrom('llm_calls').select(['cache_hit', 'attempts', 'model']).orderBy('id').execute();
      expect(rows).toEqual([
        { cache_hit: 0, attempts: 1, model: 'test-model' },
        { cache_hit: 1, attempts: 0, model: 'test-model' },
      ]);
    });

    it('keys the cache by prompt, schema, parameters and the caller key', async () => {
      const llm = await gateway();
      server.setDefault({ type: 'chat', content: valid });
      await llm.generateObject('writer', Post, messages, { fallback });
      await llm.generateObject('writer', Post, messages, { fallback, cacheKey: 'event-2' });
      await llm.generateObject('writer', Post, [{ role: 'user', content: 'Toinen.' }], { fallback });
      await llm.generateObject('writer', Post.extend({ extra: z.string().optional() }), messages, { fallback });
      await llm.generateObject('writer', Post, messages, { fallback, params: { temperature: 0.1 } });
      expect(server.requestCount).toBe(5);
      await llm.generateObject('writer', Post, messages, { fallback, cacheKey: 'event-2' });
      expect(server.requestCount).toBe(5);
    });

    it('does not cache a fallback', async () => {
      const llm = await gateway();
      server.setDefault({ type: 'chat', content: '{"title":1}' });
      await llm.generateObject('writer', Post, messages, { fallback });
      await llm.generateObject('writer', Post, messages, { fallback });
      expect(server.requestCount).toBe(4);
    });

    it('read-only mode replays hits and fails a miss clearly without a request', async () => {
      server.setDefault({ type: 'chat', content: valid });
      await (await gateway()).generateObject('writer', Post, messages, { fallback });
      expect(server.requestCount).toBe(1);
      const replay = await gateway('cache = "read-only"\n');
      await expect(replay.generateObject('writer', Post, messages, { fallback })).resolves.toMatchObject({ cached: true });
      const miss = await replay
        .generateObject('writer', Post, [{ role: 'user', content: 'Uusi kehote.' }], { fallback })
        .catch((error: unknown) => error);
      expect(miss).toMatchObject({ code: 'llm_cache_miss', status: 409 });
      expect((miss as Error).message).toMatch(/read-only/);
      expect(server.requestCount).toBe(1);
      const last = await database.db.selectFrom('llm_calls').selectAll().orderBy('id', 'desc').executeTakeFirst();
      expect(last).toMatchObject({ failed: 1, error_code: 'llm_cache_miss', attempts: 0 });
    });

    it('expires entries after the TTL', async () => {
      const llm = await gateway('cache_ttl_ms = 60000\n');
      server.setDefault({ type: 'chat', content: valid });
      await llm.generateObject('writer', Post, messages, { fallback });
      clock.advance(59_000);
      await llm.generateObject('writer', Post, messages, { fallback });
      expect(server.requestCount).toBe(1);
      clock.advance(2_000);
      await llm.generateObject('writer', Post, messages, { fallback });
      expect(server.requestCount).toBe(2);
    });

    it('mode off always calls the model', async () => {
      const llm = await gateway('cache = "off"\n');
      server.setDefault({ type: 'chat', content: valid });
      await llm.generateObject('writer', Post, messages, { fallback });
      await llm.generateObject('writer', Post, messages, { fallback });
      expect(server.requestCount).toBe(2);
      expect(await database.db.selectFrom('llm_cache').selectAll().execute()).toEqual([]);
    });

    it('treats a cached entry that no longer matches the schema as a miss', async () => {
      const llm = await gateway();
      server.setDefault({ type: 'chat', content: valid });
      await llm.generateObject('writer', Post, messages, { fallback });
      await database.db
        .updateTable('llm_cache')
        .set({ value: JSON.stringify({ object: { title: 5 }, model: 'test-model' }) })
        .execute();
      await expect(llm.generateObject('writer', Post, messages, { fallback })).resolves.toMatchObject({ cached: false });
      expect(server.requestCount).toBe(2);
    });

    it('writes a call-log row for every call, with tokens, flags and error codes', async () => {
      const llm = await gateway('max_retries = 1\n');
      const before = clock.now();
      server.enqueue(
        { type: 'chat', content: `\`\`\`json\n${valid}\n\`\`\``, usage: { prompt_tokens: 30, completion_tokens: 7 } },
        { type: 'error', status: 503 },
        { type: 'chat', content: valid, usage: null },
        { type: 'error', status: 401 },
      );
      await llm.generateObject('writer', Post, messages, { fallback, cacheKey: 'a' });
      await llm.generateObject('writer', Post, messages, { fallback, cacheKey: 'b' });
      await llm.generateObject('writer', Post, messages, { fallback, cacheKey: 'c' }).catch(() => undefined);
      const rows = await database.db.selectFrom('llm_calls').selectAll().orderBy('id').execute();
      expect(rows).toMatchObject([
        {
          alias: 'writer',
          provider: 'openai-compatible',
          input_tokens: 30,
          output_tokens: 7,
          tokens_reported: 1,
          repaired: 1,
          retried: 0,
          failed: 0,
        },
        { retried: 1, attempts: 2, tokens_reported: 0, failed: 0 },
        { failed: 0, fell_back: 1, error_code: 'llm_auth', attempts: 1 },
      ]);
      // The recording sleep moves the manual clock by each backoff, so the third call starts a little later.
      expect(rows.map((row) => Number(row.started_at) >= before && Number(row.started_at) <= clock.now() && row.latency_ms >= 0)).toEqual([
        true,
        true,
        true,
      ]);
    });

    it('never logs or stores the API key, even when the backend echoes it', async () => {
      const test = await createTestGateway({ database, clock, toml: leakConfig(server) });
      gateways.push(test);
      const errors = await exerciseWithKeyEchoes(test, server);
      const everything = [test.logs.join('\n'), errors.join('\n'), await dumpAllTables(database)].join('\n');
      expect(everything).toContain('llm_auth');
      expect(everything).toContain('llm_failures');
      expect(everything).not.toContain(apiKey);
    });
  });
}

function leakConfig(server: OpenAITestServer): string {
  return `base_url = "${server.url}"\napi_key = "${apiKey}"\nmodel = "test-model"\nretry_base_ms = 1\nmax_retries = 1\nheaders = { "X-Title" = "Koivulahti" }\n`;
}

/** Success, 401, 500s, invalid output, a stream and a rate-limited stream, with the key echoed in every error body. */
async function exerciseWithKeyEchoes(test: TestGateway, server: OpenAITestServer): Promise<string[]> {
  const echo = { error: { message: `Incorrect API key provided: ${apiKey}`, key: apiKey } };
  server.enqueue(
    { type: 'chat', content: valid },
    { type: 'error', status: 401, body: echo },
    { type: 'error', status: 500, body: echo },
    { type: 'error', status: 500, body: echo },
    { type: 'chat', content: '{"title":7}' },
    { type: 'chat', content: '{"title":8}' },
    { type: 'stream', chunks: ['Hei'] },
    { type: 'error', status: 429, body: echo, headers: { 'retry-after': '0' } },
    { type: 'error', status: 429, body: echo, headers: { 'retry-after': '0' } },
  );
  const errors: string[] = [];
  const keep = (error: unknown) => {
    errors.push(`${(error as Error).message} ${JSON.stringify(error)}`);
  };
  await test.gateway.generateObject('writer', Post, messages, { fallback, cacheKey: '1' });
  // The 401 falls back with its refusal; that refusal is checked for the key like the errors are.
  for (const key of ['2', '3', '4'])
    await test.gateway
      .generateObject('writer', Post, messages, { fallback, cacheKey: key })
      .then((result) => result.failure && errors.push(`${result.failure.message} ${JSON.stringify(result.failure)}`), keep);
  for await (const _part of test.gateway.streamText('narrative', messages)) {
    // drain
  }
  await (async () => {
    for await (const _part of test.gateway.streamText('narrative', messages)) {
      // rate limited twice: fails
    }
  })().catch(keep);
  // The key did go where it belongs: the Authorization header of every request.
  expect(server.requests.every((request) => request.headers.authorization === `Bearer ${apiKey}`)).toBe(true);
  expect(server.requestCount).toBe(9);
  expect(errors).toHaveLength(3);
  expect(test.logs.length).toBeGreaterThan(5);
  return errors;
}

describe('the key-leak check with the KV cache', () => {
  it('finds the key nowhere in logs, errors, tables or KV entries', async () => {
    const server = await startOpenAITestServer();
    const kv = new MemoryKv(new ManualClock(0));
    const test = await createTestGateway({ kv, toml: leakConfig(server) });
    try {
      const errors = await exerciseWithKeyEchoes(test, server);
      expect(kv.entries.size).toBe(1);
      expect([...kv.entries.keys()][0]).toMatch(/^llm-cache\.[0-9a-f]{64}$/);
      expect(await test.database.db.selectFrom('llm_cache').selectAll().execute()).toEqual([]);
      const everything = [
        test.logs.join('\n'),
        errors.join('\n'),
        await dumpAllTables(test.database),
        JSON.stringify([...kv.entries]),
      ].join('\n');
      expect(everything).toContain('llm_auth');
      expect(everything).not.toContain(apiKey);
    } finally {
      await test.close();
      await server.close();
    }
  });

  it('replays hits from the KV store without a request', async () => {
    const server = await startOpenAITestServer();
    const kv = new MemoryKv(new ManualClock(0));
    const test = await createTestGateway({ kv, toml: `base_url = "${server.url}"\nmodel = "test-model"\n` });
    try {
      server.setDefault({ type: 'chat', content: valid });
      await test.gateway.generateObject('writer', Post, messages, { fallback });
      await expect(test.gateway.generateObject('writer', Post, messages, { fallback })).resolves.toMatchObject({ cached: true });
      expect(server.requestCount).toBe(1);
    } finally {
      await test.close();
      await server.close();
    }
  });
});
