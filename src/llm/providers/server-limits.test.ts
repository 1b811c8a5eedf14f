import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { countServerTokens, probeServerLimits, serverOrigin } from './server-limits.js';

type Route = (body: Record<string, unknown> | undefined) => { status: number; json?: unknown };

let server: Server | undefined;
const seen: string[] = [];

async function serve(routes: Record<string, Route>): Promise<string> {
  seen.length = 0;
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const key = `${request.method} ${request.url}`;
      seen.push(`${key} ${request.headers.authorization ?? ''}`.trim());
      const raw = Buffer.concat(chunks).toString('utf8');
      const answer = routes[key]?.(raw === '' ? undefined : JSON.parse(raw)) ?? { status: 404, json: { error: 'no route' } };
      response.writeHead(answer.status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(answer.json ?? {}));
    });
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
}

afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

describe('probeServerLimits', () => {
  it('reads a llama.cpp slot context and the slot count from /props, with the API key', async () => {
    const baseUrl = await serve({
      'GET /props': () => ({ status: 200, json: { total_slots: 4, default_generation_settings: { n_ctx: 1024 } } }),
    });
    expect(await probeServerLimits({ baseUrl, model: 'm', apiKey: 'secret-key' })).toEqual({
      contextTokens: 1024,
      slots: 4,
      source: 'props',
    });
    expect(seen).toEqual(['GET /props Bearer secret-key']);
  });

  it('falls back to /v1/models metadata: llama.cpp meta.n_ctx, vLLM max_model_len, context_length', async () => {
    const baseUrl = await serve({
      'GET /v1/models': () => ({
        status: 200,
        json: {
          data: [
            { id: 'a', meta: { n_ctx: 2048 } },
            { id: 'b', max_model_len: 8192 },
            { id: 'c', context_length: 32768 },
          ],
        },
      }),
    });
    expect(await probeServerLimits({ baseUrl, model: 'a' })).toEqual({ contextTokens: 2048, slots: undefined, source: 'models' });
    expect(await probeServerLimits({ baseUrl, model: 'b' })).toMatchObject({ contextTokens: 8192 });
    expect(await probeServerLimits({ baseUrl, model: 'c' })).toMatchObject({ contextTokens: 32768 });
    expect(seen).toContain('GET /props');
  });

  it('knows nothing when the server says nothing usable (or is not there)', async () => {
    const baseUrl = await serve({ 'GET /props': () => ({ status: 200, json: { default_generation_settings: {} } }) });
    expect(await probeServerLimits({ baseUrl, model: 'x' })).toEqual({ contextTokens: undefined, slots: undefined, source: 'none' });
    expect(await probeServerLimits({ baseUrl: 'http://127.0.0.1:9/v1', model: 'x', timeoutMs: 2_000 })).toMatchObject({ source: 'none' });
  });
});

describe('countServerTokens', () => {
  it('applies the server template, then counts its tokens', async () => {
    const baseUrl = await serve({
      'POST /apply-template': (body) => ({
        status: 200,
        json: { prompt: ((body?.messages ?? []) as { content: string }[]).map((message) => `<${message.content}>`).join('') },
      }),
      'POST /tokenize': (body) => ({ status: 200, json: { tokens: [...String(body?.content)].map((_, index) => index) } }),
    });
    expect(await countServerTokens([{ role: 'user', content: 'abc' }], { baseUrl, model: 'm' })).toBe(5);
  });

  it('is undefined for a server without a tokenizer', async () => {
    const baseUrl = await serve({});
    expect(await countServerTokens([{ role: 'user', content: 'abc' }], { baseUrl, model: 'm' })).toBeUndefined();
  });
});

describe('serverOrigin', () => {
  it('drops the /v1 suffix and trailing slashes', () => {
    expect(serverOrigin('http://h:1/v1/')).toBe('http://h:1');
    expect(serverOrigin('http://h:1/api')).toBe('http://h:1/api');
  });
});
