/**
 * The LLM gateway: the only way model output enters the program. Composes the operations (generate-object,
 * stream-text, embed, moderate) over the backends (aliases → providers, per-backend limits), the retry policy, the
 * replay cache and call recording. API keys live only inside the providers and are never logged or stored.
 */
import type { z } from 'zod';
import { type LlmAliasName, llmAliasNames, resolveAliases } from '../aliases.js';
import type { CacheMode } from '../cache.js';
import { CallLog, type CallRecord, type FailureRecord } from '../call-log.js';
import { realSleep } from '../limits.js';
import { createBlocklistMatcher, type ModerationResult } from '../moderation.js';
import type { ChatMessage } from '../provider.js';
import { toJsonSchema, withJsonInstruction } from '../structured-output.js';
import { countMessageTokens } from '../tokens.js';
import { type BackendStats, Backends } from './backends.js';
import { type AliasBudget, Budgets } from './budgets.js';
import { type AliasStats, CallRecorder } from './call-recording.js';
import { type EmbedOptions, type EmbedResult, embed } from './embed.js';
import { type GenerateObjectOptions, type GenerateObjectResult, generateObject } from './generate-object.js';
import { type ModerateOptions, type ModerationContext, moderate } from './moderate.js';
import { ObjectCache } from './object-cache.js';
import type { AliasDescription, LlmGatewayOptions } from './options.js';
import { RetryPolicy } from './retries.js';
import { type StreamTextOptions, streamText, type TextStreamPart } from './stream-text.js';

export type { BackendStats } from './backends.js';
export type { AliasBudget } from './budgets.js';
export type { AliasStats } from './call-recording.js';
export type { EmbedOptions, EmbedResult } from './embed.js';
export type { GenerateObjectOptions, GenerateObjectResult } from './generate-object.js';
export type { ModerateOptions } from './moderate.js';
export type { AliasDescription, LlmGatewayOptions, LocalProviderFactoryWithSettings } from './options.js';
export type { StreamTextOptions, TextStreamPart } from './stream-text.js';

export interface LlmStats {
  cache: CacheMode;
  aliases: Record<LlmAliasName, AliasStats & AliasDescription>;
  backends: BackendStats[];
}

export interface LlmGateway {
  generateObject<Schema extends z.ZodType>(
    alias: LlmAliasName,
    schema: Schema,
    messages: readonly ChatMessage[],
    options: GenerateObjectOptions<z.output<Schema>>,
  ): Promise<GenerateObjectResult<z.output<Schema>>>;
  /** Text deltas, then one `finish` part. Throws an LlmError when the stream fails; a stream without `finish` is incomplete. */
  streamText(alias: LlmAliasName, messages: readonly ChatMessage[], options?: StreamTextOptions): AsyncIterable<TextStreamPart>;
  embed(alias: LlmAliasName, texts: readonly string[], options?: EmbedOptions): Promise<EmbedResult>;
  moderate(text: string, options?: ModerateOptions): Promise<ModerationResult>;
  describe(alias: LlmAliasName): AliasDescription;
  /**
   * What fits one request of the alias: its context, the output cap, and the prompt budget in the backend's tokens and
   * in the local estimate's (what `countTextTokens` counts). Asks the backend once. `schema`: the call will be a
   * generateObject with it, whose JSON instruction comes out of the prompt budget.
   */
  budget(alias: LlmAliasName, options?: BudgetOptions): Promise<AliasBudget>;
  stats(): LlmStats;
  recentCalls(limit?: number): Promise<CallRecord[]>;
  recentFailures(limit?: number): Promise<FailureRecord[]>;
  close(): Promise<void>;
}

export interface BudgetOptions {
  /** The output the caller will ask for (`params.maxTokens`), when not the alias's cap. */
  maxTokens?: number;
  /** The schema of a generateObject call: its JSON instruction is taken out of the prompt budget. */
  schema?: z.ZodType;
  signal?: AbortSignal;
}

async function aliasBudget(context: ModerationContext, name: LlmAliasName, options: BudgetOptions = {}): Promise<AliasBudget> {
  const budget = await context.budgets.budget(context.backends.alias(name), {
    ...(options.maxTokens === undefined ? {} : { maxTokens: options.maxTokens }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  if (options.schema === undefined || !Number.isFinite(budget.promptEstimateTokens)) return budget;
  const instruction = await countMessageTokens(withJsonInstruction([], toJsonSchema(options.schema)));
  return { ...budget, promptEstimateTokens: Math.max(0, budget.promptEstimateTokens - instruction) };
}

export function createLlmGateway(options: LlmGatewayOptions): LlmGateway {
  const settings = options.config.llm;
  const { clock, database } = options;
  const logger = options.logger.child({ module: 'llm' });
  const sleep = options.sleep ?? realSleep;
  const backends = new Backends({
    aliases: resolveAliases(settings),
    clock,
    sleep,
    logger,
    ...(options.providers === undefined ? {} : { providers: options.providers }),
    ...(options.localProviderFactory === undefined ? {} : { localProviderFactory: options.localProviderFactory }),
  });
  const callLog = new CallLog(database);
  const context: ModerationContext = {
    backends,
    budgets: new Budgets(backends, settings.token_margin, logger),
    recorder: new CallRecorder({ callLog, clock, logger, metrics: options.metrics, kindOf: (alias) => backends.kindOf(alias) }),
    retries: new RetryPolicy(settings, options.random ?? Math.random, sleep, logger),
    cache: new ObjectCache({ settings, database, kv: options.kv, clock, logger }),
    logger,
    matchBlocklist: createBlocklistMatcher(settings.blocklist),
    classifierAlias: settings.moderation_alias,
  };
  return {
    generateObject: <Schema extends z.ZodType>(
      alias: LlmAliasName,
      schema: Schema,
      messages: readonly ChatMessage[],
      callOptions: GenerateObjectOptions<z.output<Schema>>,
    ) => generateObject(context, alias, schema as z.ZodType<z.output<Schema>>, messages, callOptions),
    streamText: (alias, messages, callOptions) => streamText(context, alias, messages, callOptions),
    embed: (alias, texts, callOptions) => embed(context, alias, texts, callOptions),
    moderate: (text, callOptions) => moderate(context, text, callOptions),
    describe: (alias) => backends.describe(alias),
    budget: (alias, budgetOptions) => aliasBudget(context, alias, budgetOptions),
    stats: () => ({
      cache: context.cache.mode,
      aliases: Object.fromEntries(
        llmAliasNames.map((name) => [name, { ...backends.describe(name), ...context.recorder.aliasStats(name) }]),
      ) as LlmStats['aliases'],
      backends: backends.stats(),
    }),
    recentCalls: (limit) => callLog.recentCalls(limit),
    recentFailures: (limit) => callLog.recentFailures(limit),
    close: () => backends.close(),
  };
}
