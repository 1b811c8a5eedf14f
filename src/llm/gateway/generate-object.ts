/**
 * generateObject: cache → call → strip fences → parse → jsonrepair → zod → one retry carrying the validation error →
 * the caller's fallback plus a failure record.
 */
import type { z } from 'zod';
import type { LlmAliasName, ResolvedAlias } from '../aliases.js';
import type { LlmError, LlmErrorCode } from '../errors.js';
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
import type { AliasBudget } from './budgets.js';
import { type ActiveCall, countUsage } from './call-recording.js';
import type { GatewayContext } from './context.js';
import { mergeParams } from './params.js';
import { toLlmError } from './retries.js';

export interface GenerateObjectOptions<T> {
  /** Returned (with `fellBack: true`) when the model's answer is still invalid after the one corrective retry. */
  fallback: T | (() => T);
  /** Mixed into the cache key, e.g. `run-7/event-42`, so equal prompts in different places are cached apart. */
  cacheKey?: string;
  /** Values for providers that write without a model (the offline writer's templates and placeholders). */
  context?: Record<string, unknown>;
  /** Per-call overrides of the alias's parameters (`maxTokens`: the output this caller needs, e.g. a channel's length). */
  params?: ModelParams;
  /**
   * Asked once when the prompt does not fit the alias's context: the messages again with less in them, within the
   * budget given. Without it, or when the shorter prompt does not fit either, the call falls back.
   */
  shorten?: (budget: AliasBudget) => readonly ChatMessage[] | Promise<readonly ChatMessage[]>;
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
  /** Why it fell back when the backend refused the request for good (prompt too long, 4xx): no retry would help. */
  failure?: { code: LlmErrorCode; message: string };
  usage: TokenUsage;
}

/** One generateObject call in progress. */
interface Generation<T> {
  alias: ResolvedAlias;
  provider: LlmProvider;
  schema: z.ZodType<T>;
  jsonSchema: JsonSchema;
  request: ProviderRequest;
  call: ActiveCall;
  signal: AbortSignal | undefined;
  /** The output the caller asked for (else the alias's cap), before the budget cuts it to the room left. */
  maxTokens: number | undefined;
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
      params: mergeParams(alias.params, options.params),
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
    const generation: Generation<T> = {
      alias,
      provider,
      schema,
      jsonSchema,
      request,
      call,
      signal: options.signal,
      maxTokens: options.params?.maxTokens,
    };
    const answered = await askOrRefused(context, generation, options);
    if ('refused' in answered) return fallBack(context, generation, options, answered.refused);
    const { outcome, raw } = answered;
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

/**
 * Asks (with one correction); a refusal that no retry can heal (prompt too long, 4xx, auth) comes back as `refused`
 * instead of failing the call, after one shorter prompt when the caller can make one. Transient failures still throw.
 */
async function askOrRefused<T>(
  context: GatewayContext,
  generation: Generation<T>,
  options: GenerateObjectOptions<T>,
): Promise<{ outcome: ParseOutcome<T>; raw: string } | { refused: LlmError }> {
  try {
    return await askWithOneCorrection(context, generation);
  } catch (error) {
    const failure = toLlmError(error, generation.signal);
    if (!isFinalRefusal(failure)) throw failure;
    if (failure.code !== 'llm_context_exceeded' || options.shorten === undefined) return { refused: failure };
    const budget = await context.budgets.budget(generation.alias, {
      ...(generation.maxTokens === undefined ? {} : { maxTokens: generation.maxTokens }),
    });
    context.logger.info(
      { alias: generation.alias.name, promptBudget: budget.promptEstimateTokens },
      'prompt too long; asking once with a shorter one',
    );
    generation.call.record.retried = true;
    const shorter = withJsonInstruction(await options.shorten(budget), generation.jsonSchema);
    try {
      return await askWithOneCorrection(context, { ...generation, request: { ...generation.request, messages: shorter } });
    } catch (second) {
      const secondFailure = toLlmError(second, generation.signal);
      if (!isFinalRefusal(secondFailure)) throw secondFailure;
      return { refused: secondFailure };
    }
  }
}

/** The caller's fallback for a request the backend refused for good; the refusal is recorded as a failure. */
async function fallBack<T>(
  context: GatewayContext,
  generation: Generation<T>,
  options: GenerateObjectOptions<T>,
  refusal: LlmError,
): Promise<GenerateObjectResult<T>> {
  const { call, alias } = generation;
  call.record.fellBack = true;
  call.record.errorCode = refusal.code;
  context.logger.warn(
    { alias: alias.name, code: refusal.code, statusCode: refusal.statusCode },
    'the backend refused the request; using the fallback',
  );
  await context.recorder.recordFailure({
    alias: alias.name,
    model: call.record.model,
    kind: refusal.code,
    message: refusal.message,
    rawExcerpt: undefined,
  });
  const fallback = options.fallback;
  return {
    object: typeof fallback === 'function' ? (fallback as () => T)() : fallback,
    model: call.record.model,
    cached: false,
    repaired: false,
    retried: call.record.retried,
    fellBack: true,
    failure: { code: refusal.code, message: refusal.message },
    usage: call.usage.snapshot(),
  };
}

/**
 * Refusals that cannot heal: the same request would get the same answer (a prompt too long for the context, a 4xx, bad
 * credentials, a missing model or runtime). Outages, timeouts and unknown failures are left to the caller's retries.
 */
const finalRefusals: ReadonlySet<LlmErrorCode> = new Set([
  'llm_context_exceeded',
  'llm_rejected',
  'llm_auth',
  'llm_model_invalid',
  'llm_not_installed',
]);

export function isFinalRefusal(error: LlmError): boolean {
  return finalRefusals.has(error.code);
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
  let second: ProviderResult;
  try {
    second = await ask(context, generation, withValidationFeedback(prompt, first.text, outcome.problem));
  } catch (error) {
    // The correction carries the rejected answer; when that no longer fits, the first answer's problem stands.
    if (toLlmError(error, generation.signal).code === 'llm_context_exceeded') return { outcome, raw: first.text };
    throw error;
  }
  return { outcome: parseModelOutput(generation.schema, second.text, second.finishReason), raw: second.text };
}

/** One request (with the backend's retries and limits); its usage and model go to the call record. */
async function ask<T>(context: GatewayContext, generation: Generation<T>, messages: readonly ChatMessage[]): Promise<ProviderResult> {
  const { alias, provider, request, call, signal } = generation;
  const plan = await context.budgets.plan(alias, provider, messages, generation.maxTokens, signal);
  const params = { ...request.params, maxTokens: plan.maxTokens };
  const result = await context.retries.run(alias, call.record, signal, () =>
    context.backends.limited(
      alias,
      signal,
      (attemptSignal) => provider.generate({ ...request, params, messages, signal: attemptSignal }),
      call.record,
    ),
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
