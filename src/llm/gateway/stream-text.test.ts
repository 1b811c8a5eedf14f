import { describe, expect, it } from 'vitest';
import { LlmError } from '../errors.js';
import { calls, collect, gatewayPerTest, messages } from '../testing/gateway-suite.js';
import type { TextStreamPart } from './index.js';

const { withMock } = gatewayPerTest();

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
