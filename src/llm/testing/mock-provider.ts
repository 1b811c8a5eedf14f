/**
 * A scripted provider for unit tests: a queue of replies, errors and streams, consumed in order, and a record of
 * every request. An empty queue is a test bug and fails loudly (unless a default reply is set).
 */
import { abortError } from '../errors.js';
import { realSleep } from '../limits.js';
import type { FinishReason, LlmProvider, ProviderRequest, ProviderResult, StreamPart, TokenUsage } from '../provider.js';

export type MockReply =
  | { text: string; model?: string; usage?: TokenUsage; finishReason?: FinishReason; delayMs?: number }
  | { error: Error; delayMs?: number }
  /** Yields `chunks` as text deltas; then `error` if given (an incomplete stream), else a finish part. */
  | { stream: string[]; model?: string; usage?: TokenUsage; finishReason?: FinishReason; error?: Error; chunkDelayMs?: number };

export type MockScript = MockReply | ((request: ProviderRequest) => MockReply);

export interface MockProvider extends LlmProvider {
  readonly kind: 'mock';
  /** Every request, in order (generate and stream). */
  readonly requests: ProviderRequest[];
  readonly embedRequests: Array<{ texts: readonly string[]; model: string }>;
  enqueue(...replies: MockScript[]): void;
  /** The reply when the queue is empty. */
  setDefault(reply: MockScript | undefined): void;
  /** Replies still queued. */
  readonly pending: number;
}

export interface MockProviderOptions {
  replies?: MockScript[];
  default?: MockScript;
  /** Embeddings per text; defaults to `[length, 1]`. */
  embed?: (text: string) => number[];
}

export function createMockProvider(options: MockProviderOptions = {}): MockProvider {
  const queue: MockScript[] = [...(options.replies ?? [])];
  let fallback = options.default;
  const requests: ProviderRequest[] = [];
  const embedRequests: Array<{ texts: readonly string[]; model: string }> = [];

  const next = (request: ProviderRequest): MockReply => {
    requests.push(request);
    const script = queue.shift() ?? fallback;
    if (script === undefined) throw new Error(`mock provider: no scripted reply for request ${requests.length}`);
    return typeof script === 'function' ? script(request) : script;
  };

  return {
    kind: 'mock',
    requests,
    embedRequests,
    get pending() {
      return queue.length;
    },
    enqueue(...replies) {
      queue.push(...replies);
    },
    setDefault(reply) {
      fallback = reply;
    },

    async generate(request): Promise<ProviderResult> {
      const reply = next(request);
      if ('stream' in reply) throw new Error('mock provider: a stream reply was scripted for generate');
      await wait(reply.delayMs, request.signal);
      if ('error' in reply) throw reply.error;
      return {
        text: reply.text,
        model: reply.model ?? request.model,
        ...(reply.usage === undefined ? {} : { usage: reply.usage }),
        finishReason: reply.finishReason ?? 'stop',
      };
    },

    async *stream(request): AsyncGenerator<StreamPart> {
      const reply = next(request);
      if ('error' in reply && !('stream' in reply)) {
        await wait(reply.delayMs, request.signal);
        throw reply.error;
      }
      if (!('stream' in reply)) {
        yield { type: 'text-delta', text: reply.text };
        yield {
          type: 'finish',
          model: reply.model ?? request.model,
          ...(reply.usage === undefined ? {} : { usage: reply.usage }),
          finishReason: 'stop',
        };
        return;
      }
      for (const chunk of reply.stream) {
        await wait(reply.chunkDelayMs, request.signal);
        yield { type: 'text-delta', text: chunk };
      }
      if (reply.error !== undefined) throw reply.error;
      yield {
        type: 'finish',
        model: reply.model ?? request.model,
        ...(reply.usage === undefined ? {} : { usage: reply.usage }),
        finishReason: reply.finishReason ?? 'stop',
      };
    },

    async embed(texts, embedOptions) {
      embedRequests.push({ texts, model: embedOptions.model });
      return texts.map((text) => options.embed?.(text) ?? [text.length, 1]);
    },
  };
}

async function wait(milliseconds: number | undefined, signal: AbortSignal | undefined): Promise<void> {
  if (signal?.aborted) throw abortError(signal);
  if (milliseconds !== undefined && milliseconds > 0) await realSleep(milliseconds, signal);
}
