import { afterEach, describe, expect, it } from 'vitest';
import { answerText, promptHints, toTokens } from './content.js';
import { type SimulatedBackend, startSimulatedBackend } from './server.js';
import { type BackendProfile, serviceMs, theoreticalMaxPerMinute } from './timing.js';

const fast: Partial<BackendProfile> = {
  slots: 2,
  promptTokensPerSecond: 100_000,
  decodeTokensPerSecond: 200,
  firstTokenMs: 40,
  completionTokens: 5,
  prefixCacheDiscount: 1,
};

let backend: SimulatedBackend | undefined;
afterEach(async () => {
  await backend?.close();
  backend = undefined;
});

async function complete(url: string, body: Record<string, unknown>): Promise<Record<string, unknown>> {
  const response = await fetch(`${url}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'Hei Koivulahti' }], ...body }),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

describe('the timing model', () => {
  it('given a profile, then service time is time to first token plus one gap per further token, and the maximum follows', () => {
    const profile = { ...(fast as BackendProfile), model: 'm' };
    // 40 ms + 1,000 prompt tokens at 100k/s (10 ms) + 4 gaps of 5 ms
    expect(serviceMs(profile, { promptTokens: 1_000, completionTokens: 5 })).toBeCloseTo(70);
    // Cached prefix tokens are free at discount 1
    expect(serviceMs(profile, { promptTokens: 1_000, cachedPromptTokens: 1_000, completionTokens: 5 })).toBeCloseTo(60);
    expect(theoreticalMaxPerMinute(profile, { promptTokens: 1_000, completionTokens: 5 })).toBeCloseTo((2 * 60_000) / 70);
  });
});

describe('answers', () => {
  it('given a JSON schema, then the answer fills it, enums included, and spends the budget on free text within maxLength', () => {
    const schema = {
      type: 'object',
      properties: {
        title: { type: 'string', maxLength: 12 },
        body: { type: 'string' },
        tone: { enum: ['calm', 'angry'] },
        tags: { type: 'array', items: { type: 'string' }, minItems: 2 },
        score: { type: 'number', minimum: 1 },
      },
      required: ['title', 'body', 'tone', 'tags', 'score'],
    };
    const text = answerText({ type: 'json_schema', schema }, 60);
    const value = JSON.parse(text) as { title: string; body: string; tone: string; tags: string[]; score: number };
    expect(value.tone).toBe('calm');
    expect(value.tags).toHaveLength(2);
    expect(value.score).toBe(1);
    expect(value.title.length).toBeLessThanOrEqual(12);
    expect(value.body.length).toBeGreaterThan(100);
    expect(toTokens(text).join('')).toBe(text);
  });
});

describe('prompt hints', () => {
  it('given name="value" pairs in the prompt, then a JSON answer copies them into matching string and enum fields only', () => {
    const schema = {
      type: 'object',
      properties: {
        channel: { type: 'string', enum: ['FEED', 'CHAT'] },
        author_id: { type: 'string', maxLength: 20 },
        tone: { type: 'string', enum: ['calm'] },
        count: { type: 'number' },
        text: { type: 'string' },
      },
    };
    const hints = promptHints('Answer with: channel="CHAT", author_id="aino", tone="angry", count="3".');
    expect(hints).toEqual({ channel: 'CHAT', author_id: 'aino', tone: 'angry', count: '3' });
    const value = JSON.parse(answerText({ type: 'json_schema', schema }, 30, 0, hints)) as Record<string, unknown>;
    expect(value.channel).toBe('CHAT');
    expect(value.author_id).toBe('aino');
    expect(value.tone).toBe('calm');
    expect(value.count).toBe(0);
    expect(String(value.text).length).toBeGreaterThan(20);
  });
});

describe('the simulated backend', () => {
  it('given more requests than slots, then the extra ones queue, and utilisation and the maximum are reported', async () => {
    backend = await startSimulatedBackend({ profile: fast });
    const url = backend.url;
    const answers = await Promise.all(Array.from({ length: 4 }, () => complete(url, {})));
    const stats = backend.stats();
    expect(stats.completed).toBe(4);
    expect(stats.maxQueued).toBe(2);
    expect(stats.utilisation).toBeGreaterThan(0);
    expect(stats.utilisation).toBeLessThanOrEqual(1);
    expect(stats.theoreticalMaxPerMinute).toBeGreaterThan(1_000);
    // The same prompt again finds it in a slot's prefix cache.
    const usage = answers[3]?.usage as { prompt_tokens: number; prompt_tokens_details: { cached_tokens: number } };
    expect(usage.prompt_tokens_details.cached_tokens).toBe(usage.prompt_tokens);
    expect(JSON.stringify(answers[0]?.choices)).toContain('"finish_reason":"stop"');
  });

  it('given a streaming request with include_usage and max_tokens, then it streams deltas, stops with length, sends usage and [DONE]', async () => {
    backend = await startSimulatedBackend({ profile: { ...fast, completionTokens: 20 } });
    const response = await fetch(`${backend.url}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        messages: [{ role: 'user', content: 'Hei' }],
        stream: true,
        stream_options: { include_usage: true },
        max_tokens: 3,
      }),
    });
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    const events = (await response.text())
      .split('\n\n')
      .filter((block) => block.startsWith('data: '))
      .map((block) => block.slice(6));
    expect(events.at(-1)).toBe('[DONE]');
    const chunks = events.slice(0, -1).map(
      (event) =>
        JSON.parse(event) as {
          choices: Array<{ delta: { content?: string }; finish_reason: string | null }>;
          usage?: { completion_tokens: number };
        },
    );
    expect(chunks.filter((chunk) => chunk.choices[0]?.delta.content !== undefined)).toHaveLength(3);
    expect(chunks.some((chunk) => chunk.choices[0]?.finish_reason === 'length')).toBe(true);
    expect(chunks.at(-1)?.usage?.completion_tokens).toBe(3);
  });

  it('given a client that goes away while queued or running, then its slot and place are given back', async () => {
    backend = await startSimulatedBackend({ profile: { ...fast, slots: 1, firstTokenMs: 300 } });
    const controller = new AbortController();
    const first = fetch(`${backend.url}/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({ messages: [{ role: 'user', content: 'a' }] }),
      signal: controller.signal,
    }).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 30));
    controller.abort();
    await first;
    // On the one slot, the second request can only run if the abandoned one gave the slot back: the first never
    // finishes (its timer is cleared), so a slot kept would hang this request.
    await complete(backend.url, {});
    expect(backend.stats().cancelled).toBe(1);
    expect(backend.stats().completed).toBe(1);
    const timings = backend.requests();
    expect(timings.map((timing) => timing.cancelled)).toEqual([true, false]);
    expect(timings[0]?.ownTotalMs).toBeUndefined();
    expect(timings[1]?.ownTotalMs).toEqual(expect.any(Number));
    expect(backend.requests(timings[0]?.seq)).toHaveLength(1);
    const models = (await (await fetch(`${backend.url}/models`)).json()) as { data: Array<{ id: string }> };
    expect(models.data[0]?.id).toBe('bench-sim-8b');
  });
});
