/** The harness itself: the built llama-server loads the tiny GGUF, splits its context over the slots, and says so. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { llamaServerBinary, type ServedModel, serveTinyModel } from './harness.js';

const binary = await llamaServerBinary();

describe.skipIf(binary === undefined)('llama-server with the tiny GGUF, -c 4096 --parallel 4', () => {
  let served: ServedModel;

  beforeAll(async () => {
    served = await serveTinyModel(binary as string, { contextSize: 4096, parallel: 4 });
  });

  afterAll(async () => {
    await served?.close();
  });

  it('reports 4 slots of 1,024 tokens in /props', async () => {
    const props = (await (await fetch(`${served.server.origin}/props`)).json()) as {
      total_slots: number;
      default_generation_settings: { n_ctx: number };
    };
    expect(props.total_slots).toBe(4);
    expect(props.default_generation_settings.n_ctx).toBe(1024);
  });

  it('answers a json_schema chat completion through the recording proxy, within max_tokens', async () => {
    const response = await fetch(`${served.proxy.url}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        messages: [{ role: 'user', content: 'Write about the sauna.' }],
        max_tokens: 40,
        response_format: {
          type: 'json_schema',
          json_schema: { name: 'post', schema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] } },
        },
      }),
    });
    const body = (await response.json()) as { usage: { completion_tokens: number }; choices: { message: { content: string } }[] };
    expect(response.status).toBe(200);
    expect(body.usage.completion_tokens).toBeLessThanOrEqual(40);
    expect(body.choices[0]?.message.content.trimStart().startsWith('{')).toBe(true);
    expect(served.proxy.requests.at(-1)).toMatchObject({ path: '/v1/chat/completions', status: 200, body: { max_tokens: 40 } });
  });

  it('refuses a prompt over the slot with 400 exceed_context_size_error, recorded by the proxy', async () => {
    const response = await fetch(`${served.proxy.url}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ messages: [{ role: 'user', content: 'the village '.repeat(1500) }], max_tokens: 8 }),
    });
    expect(response.status).toBe(400);
    const recorded = served.proxy.requests.at(-1);
    expect(recorded?.status).toBe(400);
    expect(JSON.parse(recorded?.errorBody ?? '{}')).toMatchObject({ error: { type: 'exceed_context_size_error', n_ctx: 1024 } });
  });
});
