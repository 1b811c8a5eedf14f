/**
 * Model aliases: the `[llm]` defaults merged with `[llm.aliases.<name>]`, resolved once into what the gateway needs
 * (provider, model, limits, and the backend whose slots the alias shares).
 */
import { type Config, type LlmAliasName, llmAliasNames } from '../core/config.js';
import { ConfigError } from '../core/errors.js';
import type { ModelParams, ProviderKind } from './provider.js';

export type { LlmAliasName };
export { llmAliasNames };

export type StructuredOutputs = 'json_schema' | 'json_object' | 'prompt';
export type ConfiguredProviderKind = Exclude<ProviderKind, 'mock'>;

export interface ResolvedAlias {
  name: LlmAliasName;
  provider: ConfiguredProviderKind;
  model: string;
  baseUrl: string | undefined;
  apiKey: string | undefined;
  headers: Record<string, string>;
  modelPath: string | undefined;
  threads: number | undefined;
  contextSize: number | undefined;
  structuredOutputs: StructuredOutputs;
  concurrency: number;
  /** False when `concurrency` is the default: the backend's slot count, once it tells it, replaces it. */
  concurrencyConfigured: boolean;
  timeoutMs: number;
  /** A stream's longest silence after its first token. */
  interTokenTimeoutMs: number;
  /** The output cap every request carries unless its caller asks for less: `params.max_tokens` or the alias's default. */
  maxTokens: number;
  /** Requests per minute; 0 = no limit. */
  rpm: number;
  params: ModelParams;
  /**
   * Aliases with the same backend share one in-flight limit and one rate limiter: a llama.cpp server has N slots
   * whichever alias fills them. openai-compatible: the base URL; local: the GGUF path; offline: one backend.
   */
  backend: string;
}

/**
 * Output caps when the configuration sets none: a NEWS article in JSON, a chat reply of a few paragraphs, a short
 * verdict. Every request carries one, so no answer can run until the backend's context is full.
 */
export const defaultMaxTokens: Record<LlmAliasName, number> = {
  writer: 480,
  narrative: 400,
  classifier: 256,
  'tip-generator': 320,
  embedder: 256,
  judge: 256,
};

export function resolveAliases(config: Config['llm']): Record<LlmAliasName, ResolvedAlias> {
  return Object.fromEntries(llmAliasNames.map((name) => [name, resolveAlias(config, name)])) as Record<LlmAliasName, ResolvedAlias>;
}

function resolveAlias(config: Config['llm'], name: LlmAliasName): ResolvedAlias {
  const alias = config.aliases[name];
  const key = (field: string) => `llm.aliases.${name}.${field}`;
  const baseUrl = alias.base_url ?? config.base_url;
  const modelPath = alias.model_path ?? config.model_path;
  const provider: ConfiguredProviderKind =
    alias.provider ?? config.provider ?? (baseUrl !== undefined ? 'openai-compatible' : modelPath !== undefined ? 'local' : 'offline');
  const configuredModel = alias.model ?? config.model;
  let model: string;
  let backend: string;
  switch (provider) {
    case 'openai-compatible':
      if (baseUrl === undefined)
        throw new ConfigError(key('base_url'), 'required for provider openai-compatible (or set llm.base_url / LLM_BASE_URL)');
      if (configuredModel === undefined)
        throw new ConfigError(key('model'), 'required for provider openai-compatible (or set llm.model / LLM_MODEL)');
      model = configuredModel;
      backend = `openai-compatible ${baseUrl.replace(/\/+$/, '')}`;
      break;
    case 'local':
      if (modelPath === undefined)
        throw new ConfigError(key('model_path'), 'required for provider local (or set llm.model_path / LLM_MODEL_PATH)');
      model = configuredModel ?? modelPath.split(/[\\/]/).pop() ?? modelPath;
      backend = `local ${modelPath}`;
      break;
    case 'offline':
      model = 'offline';
      backend = 'offline';
      break;
  }
  const params = { ...config.params, ...alias.params };
  return {
    name,
    provider,
    model,
    baseUrl,
    apiKey: alias.api_key ?? config.api_key,
    headers: { ...config.headers, ...alias.headers },
    modelPath,
    threads: alias.threads ?? config.threads,
    contextSize: alias.context_size ?? config.context_size,
    structuredOutputs: alias.structured_outputs ?? config.structured_outputs,
    // A local model holds one context per parallel sequence in memory, so it starts with one.
    concurrency: alias.concurrency ?? config.concurrency ?? (provider === 'local' ? 1 : 4),
    concurrencyConfigured: (alias.concurrency ?? config.concurrency) !== undefined,
    timeoutMs: alias.timeout_ms ?? config.timeout_ms,
    interTokenTimeoutMs: alias.inter_token_timeout_ms ?? config.inter_token_timeout_ms,
    maxTokens: params.max_tokens ?? defaultMaxTokens[name],
    rpm: alias.rpm ?? config.rpm,
    params: {
      ...(params.temperature === undefined ? {} : { temperature: params.temperature }),
      ...(params.top_p === undefined ? {} : { topP: params.top_p }),
      ...(params.max_tokens === undefined ? {} : { maxTokens: params.max_tokens }),
      ...(params.seed === undefined ? {} : { seed: params.seed }),
      ...(params.stop === undefined ? {} : { stop: params.stop }),
    },
    backend,
  };
}

export function isAliasName(value: string): value is LlmAliasName {
  return (llmAliasNames as readonly string[]).includes(value);
}
