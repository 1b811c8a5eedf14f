/**
 * What an OpenAI-compatible server says about its limits, asked once per backend: llama.cpp's `/props` (a slot's
 * context `n_ctx` and `total_slots`), else `/v1/models` metadata (llama.cpp `meta.n_ctx`, vLLM `max_model_len`,
 * OpenRouter and LM Studio `context_length` / `max_context_length`). And the prompt's size in the server's own tokens,
 * where it offers a tokenizer (llama.cpp `/apply-template` + `/tokenize`). Every probe is best effort: a server that
 * does not answer, or answers something else, leaves the value unknown and the gateway falls back to configuration.
 */
import type { ChatMessage } from '../provider.js';

export interface ServerLimits {
  /** Tokens one request may hold, prompt and output together (a llama.cpp slot: n_ctx / slots). */
  contextTokens: number | undefined;
  /** Requests the server runs at once (llama.cpp slots). */
  slots: number | undefined;
  /** Where the numbers came from, for the admin view and logs. */
  source: 'props' | 'models' | 'none';
}

export interface ServerProbeOptions {
  /** e.g. `http://127.0.0.1:8081/v1` */
  baseUrl: string;
  /** The model id the alias asks for (picks the entry of a multi-model `/v1/models`). */
  model: string;
  headers?: Record<string, string>;
  apiKey?: string | undefined;
  signal?: AbortSignal;
  fetch?: typeof fetch;
  /** Per probe request. Default 5 s: a server that is slow to say its size is asked again on the next call. */
  timeoutMs?: number;
}

/** The server's origin: the base URL without a trailing `/v1`, where llama.cpp serves `/props` and `/tokenize`. */
export function serverOrigin(baseUrl: string): string {
  return baseUrl.replace(/\/+$/, '').replace(/\/v1$/, '');
}

export async function probeServerLimits(options: ServerProbeOptions): Promise<ServerLimits> {
  const props = await getJson(`${serverOrigin(options.baseUrl)}/props`, options);
  const fromProps = limitsFromProps(props);
  if (fromProps !== undefined) return fromProps;
  const models = await getJson(`${options.baseUrl.replace(/\/+$/, '')}/models`, options);
  const contextTokens = contextFromModels(models, options.model);
  return contextTokens === undefined
    ? { contextTokens: undefined, slots: undefined, source: 'none' }
    : { contextTokens, slots: undefined, source: 'models' };
}

/**
 * The prompt's size in the server's tokens: the chat template applied by the server, then tokenized by it. Undefined
 * when the server has no such endpoints (anything but llama.cpp) or they fail.
 */
export async function countServerTokens(messages: readonly ChatMessage[], options: ServerProbeOptions): Promise<number | undefined> {
  const origin = serverOrigin(options.baseUrl);
  const applied = await postJson(`${origin}/apply-template`, { messages }, options);
  const prompt = isRecord(applied) && typeof applied.prompt === 'string' ? applied.prompt : undefined;
  if (prompt === undefined) return undefined;
  const tokenized = await postJson(`${origin}/tokenize`, { content: prompt, add_special: true, parse_special: true }, options);
  return isRecord(tokenized) && Array.isArray(tokenized.tokens) ? tokenized.tokens.length : undefined;
}

function limitsFromProps(props: unknown): ServerLimits | undefined {
  if (!isRecord(props)) return undefined;
  const settings = props.default_generation_settings;
  const contextTokens = isRecord(settings) ? positive(settings.n_ctx) : undefined;
  if (contextTokens === undefined) return undefined;
  return { contextTokens, slots: positive(props.total_slots), source: 'props' };
}

function contextFromModels(models: unknown, model: string): number | undefined {
  if (!isRecord(models) || !Array.isArray(models.data)) return undefined;
  const entries = models.data.filter(isRecord);
  const entry = entries.find((candidate) => candidate.id === model) ?? (entries.length === 1 ? entries[0] : undefined);
  if (entry === undefined) return undefined;
  const meta = isRecord(entry.meta) ? entry.meta : {};
  return positive(meta.n_ctx) ?? positive(entry.max_model_len) ?? positive(entry.context_length) ?? positive(entry.max_context_length);
}

function positive(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function requestHeaders(options: ServerProbeOptions, json: boolean): Record<string, string> {
  return {
    ...options.headers,
    ...(options.apiKey === undefined ? {} : { authorization: `Bearer ${options.apiKey}` }),
    ...(json ? { 'content-type': 'application/json' } : {}),
  };
}

function probeSignal(options: ServerProbeOptions): AbortSignal {
  const timeout = AbortSignal.timeout(options.timeoutMs ?? 5_000);
  return options.signal === undefined ? timeout : AbortSignal.any([timeout, options.signal]);
}

async function getJson(url: string, options: ServerProbeOptions): Promise<unknown> {
  return readJson(url, { method: 'GET', headers: requestHeaders(options, false), signal: probeSignal(options) }, options);
}

async function postJson(url: string, body: unknown, options: ServerProbeOptions): Promise<unknown> {
  return readJson(
    url,
    { method: 'POST', headers: requestHeaders(options, true), body: JSON.stringify(body), signal: probeSignal(options) },
    options,
  );
}

async function readJson(url: string, init: RequestInit, options: ServerProbeOptions): Promise<unknown> {
  try {
    const response = await (options.fetch ?? fetch)(url, init);
    if (!response.ok) {
      await response.body?.cancel();
      return undefined;
    }
    return await response.json();
  } catch {
    return undefined;
  }
}
