/**
 * The `openai-compatible` provider (llama.cpp server, vLLM, Ollama, LiteLLM, OpenRouter, OpenAI...) on the Vercel AI
 * SDK. The SDK's own retries are off: the gateway owns retries, limits and timeouts. Every failure becomes an LlmError;
 * error messages never carry the API key, even when a backend echoes it back.
 */
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { APICallError, embedMany, generateText, type ModelMessage, type OutputInterface, streamText } from 'ai';
import { abortError, LlmError, parseRetryAfter } from '../errors.js';
import type {
  ChatMessage,
  FinishReason,
  LlmProvider,
  ModelParams,
  ProviderRequest,
  ResponseFormat,
  StreamPart,
  TokenUsage,
} from '../provider.js';
import { countServerTokens, probeServerLimits } from './server-limits.js';

export interface OpenAICompatibleProviderOptions {
  /** e.g. `http://127.0.0.1:8081/v1`; the SDK appends `/chat/completions`, `/embeddings`. */
  baseUrl: string;
  apiKey?: string | undefined;
  headers?: Record<string, string>;
  /** Epoch milliseconds, for Retry-After dates. */
  now?: () => number;
}

export function createOpenAICompatibleProvider(options: OpenAICompatibleProviderOptions): LlmProvider {
  const sdk = createOpenAICompatible({
    name: 'koivulahti',
    baseURL: options.baseUrl,
    ...(options.apiKey === undefined ? {} : { apiKey: options.apiKey }),
    ...(options.headers === undefined ? {} : { headers: options.headers }),
    // Ask for usage in the last stream chunk (stream_options.include_usage); servers that ignore it get counted locally.
    includeUsage: true,
    // The request decides per call: a schema is sent only for `json_schema`; `json_object` sends none.
    supportsStructuredOutputs: true,
  });
  const secrets = [options.apiKey, ...Object.values(options.headers ?? {})].filter(
    (value): value is string => value !== undefined && value.length >= 8,
  );
  const now = options.now ?? Date.now;
  const fail = (error: unknown, signal: AbortSignal | undefined) => toLlmError(error, signal, secrets, now());

  return {
    kind: 'openai-compatible',

    async generate(request) {
      if (request.signal?.aborted) throw abortError(request.signal);
      try {
        const result = await generateText({
          model: sdk.chatModel(request.model),
          messages: toModelMessages(request.messages),
          allowSystemInMessages: true,
          maxRetries: 0,
          ...(request.signal === undefined ? {} : { abortSignal: request.signal }),
          ...callSettings(request.params),
          ...structuredOutput(request.responseFormat),
        });
        return {
          text: result.text,
          model: result.response.modelId || request.model,
          ...usageOf(result.usage),
          finishReason: finishReasonOf(result.finishReason),
        };
      } catch (error) {
        throw fail(error, request.signal);
      }
    },

    stream(request) {
      return streamFrom(sdk, request, fail);
    },

    async embed(texts, embedOptions) {
      if (embedOptions.signal?.aborted) throw abortError(embedOptions.signal);
      try {
        const result = await embedMany({
          model: sdk.embeddingModel(embedOptions.model),
          values: [...texts],
          maxRetries: 0,
          ...(embedOptions.signal === undefined ? {} : { abortSignal: embedOptions.signal }),
        });
        return result.embeddings;
      } catch (error) {
        throw fail(error, embedOptions.signal);
      }
    },

    ...serverProbes(options),
  };
}

/** What the server says about its context and slots, and its tokenizer (llama.cpp), per server-limits.ts. */
function serverProbes(options: OpenAICompatibleProviderOptions): Pick<LlmProvider, 'limits' | 'countTokens'> {
  const probe = {
    baseUrl: options.baseUrl,
    apiKey: options.apiKey,
    ...(options.headers === undefined ? {} : { headers: options.headers }),
  };
  return {
    async limits({ model, signal }) {
      const found = await probeServerLimits({ ...probe, model, ...(signal === undefined ? {} : { signal }) });
      return {
        ...(found.contextTokens === undefined ? {} : { contextTokens: found.contextTokens }),
        ...(found.slots === undefined ? {} : { slots: found.slots }),
        source: found.source,
      };
    },
    countTokens(messages, { model, signal }) {
      return countServerTokens(messages, { ...probe, model, ...(signal === undefined ? {} : { signal }) });
    },
  };
}

type Sdk = ReturnType<typeof createOpenAICompatible>;

/** The stream of one request; the upstream request is cancelled however the stream ends. */
async function* streamFrom(
  sdk: Sdk,
  request: ProviderRequest,
  fail: (error: unknown, signal: AbortSignal | undefined) => LlmError,
): AsyncGenerator<StreamPart> {
  if (request.signal?.aborted) throw abortError(request.signal);
  // Our own controller also fires when the consumer stops early, so the upstream request is always cancelled.
  const controller = new AbortController();
  const forwardAbort = () => controller.abort(request.signal?.reason);
  request.signal?.addEventListener('abort', forwardAbort, { once: true });
  try {
    const result = streamText({
      model: sdk.chatModel(request.model),
      messages: toModelMessages(request.messages),
      allowSystemInMessages: true,
      maxRetries: 0,
      abortSignal: controller.signal,
      // Errors arrive as `error` parts below; the default handler would print them to the console.
      onError: () => undefined,
      ...callSettings(request.params),
      ...structuredOutput(request.responseFormat),
    });
    let finish: Extract<StreamPart, { type: 'finish' }> | undefined;
    let modelId = request.model;
    for await (const part of result.fullStream) {
      switch (part.type) {
        case 'text-delta':
          if (part.text !== '') yield { type: 'text-delta', text: part.text };
          break;
        case 'finish-step':
          if (part.response.modelId) modelId = part.response.modelId;
          break;
        case 'finish':
          finish = { type: 'finish', model: modelId, ...usageOf(part.totalUsage), finishReason: finishReasonOf(part.finishReason) };
          break;
        case 'error':
          throw part.error;
        case 'abort':
          throw abortError(request.signal);
        default:
          break;
      }
    }
    // A stream cut off without a finish reason is incomplete; its text is not an answer.
    if (finish === undefined || finish.finishReason === undefined)
      throw new LlmError('llm_unavailable', 'the model stream ended before the model finished');
    yield finish;
  } catch (error) {
    throw fail(error, request.signal);
  } finally {
    request.signal?.removeEventListener('abort', forwardAbort);
    controller.abort();
  }
}

function toModelMessages(messages: readonly ChatMessage[]): ModelMessage[] {
  return messages.map((message) => ({ role: message.role, content: message.content }));
}

function callSettings(params: ModelParams) {
  return {
    ...(params.temperature === undefined ? {} : { temperature: params.temperature }),
    ...(params.topP === undefined ? {} : { topP: params.topP }),
    ...(params.maxTokens === undefined ? {} : { maxOutputTokens: params.maxTokens }),
    ...(params.seed === undefined ? {} : { seed: params.seed }),
    ...(params.stop === undefined || params.stop.length === 0 ? {} : { stopSequences: params.stop }),
  };
}

/**
 * `json_schema` -> `response_format: {type: "json_schema", json_schema: {schema, strict: false}}`; `json_object` ->
 * `{type: "json_object"}`; `text` -> no response_format (prompted JSON). The output hands the raw text back unparsed:
 * parsing, repair and validation are the gateway's job. `strict: false` because OpenAI's strict mode rejects schemas
 * with optional properties; the gateway validates anyway.
 */
function structuredOutput(format: ResponseFormat): {
  output?: OutputInterface<string, undefined, never>;
  providerOptions?: { koivulahti: { strictJsonSchema: boolean } };
} {
  if (format.type === 'text') return {};
  const responseFormat =
    format.type === 'json_schema'
      ? { type: 'json' as const, schema: format.schema as never, name: format.name }
      : { type: 'json' as const };
  return {
    output: {
      name: 'raw-json',
      responseFormat: Promise.resolve(responseFormat),
      parseCompleteOutput: async ({ text }) => text,
      parsePartialOutput: async () => undefined,
      createElementStreamTransform: () => undefined,
    },
    providerOptions: { koivulahti: { strictJsonSchema: false } },
  };
}

function usageOf(usage: { inputTokens: number | undefined; outputTokens: number | undefined } | undefined): { usage?: TokenUsage } {
  if (usage?.inputTokens === undefined || usage.outputTokens === undefined) return {};
  return { usage: { inputTokens: usage.inputTokens, outputTokens: usage.outputTokens, reported: true } };
}

function finishReasonOf(reason: string): FinishReason | undefined {
  if (reason === 'stop') return 'stop';
  if (reason === 'length') return 'length';
  // `error`: the SDK saw no finish reason (a cut-off stream); `other`/`content-filter`/`tool-calls` did finish.
  return reason === 'error' ? undefined : 'other';
}

function toLlmError(error: unknown, signal: AbortSignal | undefined, secrets: readonly string[], now: number): LlmError {
  if (error instanceof LlmError) return error;
  if (signal?.aborted) return abortError(signal);
  const message = redact(error instanceof Error ? error.message : String(error), secrets);
  if (APICallError.isInstance(error)) {
    const status = error.statusCode;
    if (status === 401 || status === 403)
      return new LlmError('llm_auth', `the model backend refused the credentials (HTTP ${status})`, { statusCode: status });
    if (status === 429) {
      const retryAfterMs = parseRetryAfter(error.responseHeaders, now);
      return new LlmError('llm_rate_limited', `the model backend is rate limiting (HTTP 429): ${message}`, {
        statusCode: status,
        ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
      });
    }
    // No status: the connection failed. A 2xx: the answer broke off while it was being read.
    if (status === undefined || status < 400 || status === 408 || status >= 500) {
      const retryAfterMs = parseRetryAfter(error.responseHeaders, now);
      const what = status === undefined ? '' : status < 400 ? ` (the answer broke off)` : ` (HTTP ${status})`;
      return new LlmError('llm_unavailable', `the model backend is unavailable${what}: ${message}`, {
        ...(status === undefined ? {} : { statusCode: status }),
        ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
      });
    }
    if (isContextExceeded(status, error.responseBody)) {
      return new LlmError('llm_context_exceeded', `the prompt does not fit the model's context (HTTP ${status}): ${message}`, {
        statusCode: status,
        details: contextDetails(error.responseBody),
      });
    }
    // Any other 4xx: the backend understood and refused (unknown model, unsupported response_format). Not retried.
    return new LlmError('llm_rejected', `the model backend rejected the request (HTTP ${status}): ${message}`, { statusCode: status });
  }
  if (error instanceof Error && error.name === 'AbortError') return new LlmError('llm_aborted', 'the model call was aborted');
  return new LlmError('llm_unavailable', `the model backend failed: ${message}`);
}

// llama.cpp: `exceed_context_size_error`; vLLM, OpenAI and others say it in words.
const contextWords = /exceed_context_size|context[ _-]?(length|size|window)|maximum context|too many tokens|prompt is too long/i;

function isContextExceeded(status: number, body: string | undefined): boolean {
  if (status === 413) return true;
  return (status === 400 || status === 422) && body !== undefined && contextWords.test(body);
}

/** The sizes llama.cpp names in its answer (`n_prompt_tokens`, `n_ctx`), for the caller's shorter retry. */
function contextDetails(body: string | undefined): Record<string, unknown> {
  try {
    const parsed = JSON.parse(body ?? '') as { error?: { n_prompt_tokens?: unknown; n_ctx?: unknown } };
    const { n_prompt_tokens: promptTokens, n_ctx: contextTokens } = parsed.error ?? {};
    return {
      ...(typeof promptTokens === 'number' ? { promptTokens } : {}),
      ...(typeof contextTokens === 'number' ? { contextTokens } : {}),
    };
  } catch {
    return {};
  }
}

function redact(text: string, secrets: readonly string[]): string {
  let result = text;
  for (const secret of secrets) result = result.split(secret).join('***');
  return result;
}
