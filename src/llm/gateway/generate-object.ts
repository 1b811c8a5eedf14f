/**
 * generateObject: cache → call → strip fences → parse → jsonrepair → zod → one retry carrying the validation error →
 * the caller's fallback plus a failure record.
 */
import type { z } from 'zod';
import type { LlmAliasName, ResolvedAlias } from '../aliases.js';
import type {
  ChatMessage,
  LlmProvider,
  ModelParams,
  ProviderKind,
  ProviderRequest,
  ProviderResult,
  ResponseFormat,
  TokenUsage,
} from '../provider.js';
import {
  type JsonSchema,
  type ParseOutcome,
  parseModelOutput,
  toJsonSchema,
  withJsonInstruction,
  withValidationFeedback,
} from '../structured-output.js';
import { type ActiveCall, countUsage } from './call-recording.js';
import type { GatewayContext } from './context.js';

export interface GenerateObjectOptions<T> {
  /** Returned (with `fellBack: true`) when the model's answer is still invalid after the one corrective retry. */
  fallback: T | (() => T);
  /** Mixed into the cache key, e.g. `run-7/event-42`, so equal prompts in different places are cached apart. */
  cacheKey?: string;
  /** Values for providers that write without a model (the offline writer's templates and placeholders). */
  context?: Record<string, unknown>;
  /** Per-call overrides of the alias's parameters. */
  params?: ModelParams;
  signal?: AbortSignal;
}

export interface GenerateObjectResult<T> {
  object: T;
  /** The model that wrote it (`offline` for the offline writer). */
  model: string;
  /** Replayed from the cache; no request was made. */
  cached: boolean;
  /** The text needed repair (code fences, trailing commas, ...) before it parsed. */
  repaired: boolean;
  /** More than one request was made (a corrective retry or a retry after a backend error). */
  retried: boolean;
  /** `object` is the caller's fallback. */
  fellBack: boolean;
  usage: TokenUsage;
}

/** One generateObject call in progress. */
interface Generation<T> {
  alias: ResolvedAlias;
  provider: LlmProvider;
  schema: z.ZodType<T>;
  request: ProviderRequest;
  call: ActiveCall;
  signal: AbortSignal | undefined;
}

export async function generateObject<T>(
  context: GatewayContext,
  name: LlmAliasName,
  schema: z.ZodType<T>,
  messages: readonly ChatMessage[],
  options: GenerateObjectOptions<T>,
): Promise<GenerateObjectResult<T>> {
  const alias = context.backends.alias(name);
  return context.recorder.track(alias, 'object', options.signal, async (call) => {
    const provider = await context.backends.provider(alias);
    const jsonSchema = toJsonSchema(schema);
    const responseFormat = responseFormatFor(provider.kind, alias, jsonSchema);
    const request: ProviderRequest = {
      model: alias.model,
      messages: withJsonInstruction(messages, jsonSchema),
      params: { ...alias.params, ...options.params },
      responseFormat,
      ...(options.context === undefined ? {} : { context: options.context }),
    };
    const useCache = context.cache.usedFor(provider.kind);
    const cacheKey = context.cache.key({
      model: alias.model,
      messages: request.messages,
      schema: jsonSchema,
      params: request.params,
      responseFormat: responseFormat.type,
      cacheKey: options.cacheKey,
    });
    if (useCache) {
      const hit = await context.cache.replay(alias.name, cacheKey, schema);
      if (hit !== undefined) {
        call.record.cacheHit = true;
        call.record.model = hit.model;
        return { ...hit, cached: true, repaired: false, retried: false, fellBack: false, usage: call.usage.snapshot() };
      }
    }
    const generation: Generation<T> = { alias, provider, schema, request, call, signal: options.signal };
    const { outcome, raw } = await askWithOneCorrection(context, generation);
    const model = call.record.model;
    if (outcome.ok) {
      call.record.repaired = outcome.repaired;
      if (useCache) await context.cache.store(alias.name, cacheKey, { object: outcome.value, model, usage: call.usage.snapshot() });
      const { repaired } = outcome;
      return {
        object: outcome.value,
        model,
        cached: false,
        repaired,
        retried: call.record.retried,
        fellBack: false,
        usage: call.usage.snapshot(),
      };
    }
    call.record.fellBack = true;
    context.logger.warn({ alias: name, model, kind: outcome.kind }, 'model output still invalid after a retry; using the fallback');
    await context.recorder.recordFailure({ alias: name, model, kind: outcome.kind, message: outcome.problem, rawExcerpt: raw });
    const fallback = options.fallback;
    return {
      object: typeof fallback === 'function' ? (fallback as () => T)() : fallback,
      model,
      cached: false,
      repaired: false,
      retried: call.record.retried,
      fellBack: true,
      usage: call.usage.snapshot(),
    };
  });
}

/** Asks the model; when the answer does not parse or validate, asks once more with the reason. */
async function askWithOneCorrection<T>(
  context: GatewayContext,
  generation: Generation<T>,
): Promise<{ outcome: ParseOutcome<T>; raw: string }> {
  const prompt = generation.request.messages;
  const first = await ask(context, generation, prompt);
  const outcome = parseModelOutput(generation.schema, first.text, first.finishReason);
  if (outcome.ok) return { outcome, raw: first.text };
  generation.call.record.retried = true;
  context.logger.info({ alias: generation.alias.name, kind: outcome.kind }, 'model output rejected; asking once more with the reason');
  const second = await ask(context, generation, withValidationFeedback(prompt, first.text, outcome.problem));
  return { outcome: parseModelOutput(generation.schema, second.text, second.finishReason), raw: second.text };
}

/** One request (with the backend's retries and limits); its usage and model go to the call record. */
async function ask<T>(context: GatewayContext, generation: Generation<T>, messages: readonly ChatMessage[]): Promise<ProviderResult> {
  const { alias, provider, request, call, signal } = generation;
  const result = await context.retries.run(alias, call.record, signal, () =>
    context.backends.limited(alias, signal, (attemptSignal) => provider.generate({ ...request, messages, signal: attemptSignal })),
  );
  call.usage.add(result.usage ?? (await countUsage(messages, result.text)));
  call.record.model = result.model;
  return result;
}

/** `json_schema` for providers that enforce schemas natively (local grammar, offline writer, mocks); the alias's setting otherwise. */
function responseFormatFor(kind: ProviderKind, alias: ResolvedAlias, schema: JsonSchema): ResponseFormat {
  const mode = kind === 'openai-compatible' ? alias.structuredOutputs : 'json_schema';
  if (mode === 'json_schema') return { type: 'json_schema', name: 'response', schema };
  if (mode === 'json_object') return { type: 'json_object' };
  return { type: 'text' };
}
