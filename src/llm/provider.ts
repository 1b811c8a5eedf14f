/**
 * The provider port: what every model backend (openai-compatible, local GGUF, offline templates, scripted mock) does.
 * The gateway (aliases, repair, retries, cache, limits, call log) sits above it and is the only caller.
 */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface ModelParams {
  temperature?: number;
  topP?: number;
  maxTokens?: number;
  seed?: number;
  stop?: string[];
}

/** How the backend is asked for JSON: strict schema, JSON mode, or instructions in the prompt only. */
export type ResponseFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | { type: 'json_schema'; name: string; schema: Record<string, unknown> };

export interface ProviderRequest {
  model: string;
  messages: readonly ChatMessage[];
  params: ModelParams;
  responseFormat: ResponseFormat;
  /** Free-form context for providers that write without a model (the offline writer reads it). */
  context?: Record<string, unknown>;
  signal?: AbortSignal;
}

export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
  /** True when the backend reported the numbers; false when they were counted locally. */
  reported: boolean;
}

/**
 * Why the model stopped: `stop` = it finished, `length` = it hit the token limit (the text is truncated), `other` = the
 * backend gave another or no reason. Optional; a provider that cannot tell leaves it out.
 */
export type FinishReason = 'stop' | 'length' | 'other';

export interface ProviderResult {
  text: string;
  model: string;
  usage?: TokenUsage;
  finishReason?: FinishReason;
}

/**
 * A stream ends with exactly one `finish` part; a stream that ends without one (or throws) is incomplete and its
 * text must not be used as a whole answer.
 */
export type StreamPart =
  | { type: 'text-delta'; text: string }
  | { type: 'finish'; model: string; usage?: TokenUsage; finishReason?: FinishReason };

export type ProviderKind = 'openai-compatible' | 'local' | 'offline' | 'mock';

/** What a backend says about its size; unknown values are left out (the gateway then uses configuration). */
export interface BackendLimits {
  /** Tokens one request may hold, prompt and output together (a llama.cpp slot, a node-llama-cpp sequence). */
  contextTokens?: number;
  /** Requests the backend runs at once (llama.cpp slots, node-llama-cpp sequences). */
  slots?: number;
  /** Where the numbers came from (`props`, `models`, `context`...), for logs and the admin view. */
  source: string;
}

/**
 * Errors: a provider throws `LlmError` (src/llm/errors.ts) with an `llm_*` code. When `request.signal` fires it throws
 * `abortError(request.signal)`, which keeps the gateway's reason (`llm_timeout` or `llm_aborted`), and stops any work
 * it started (an HTTP request, a generation). A prompt too long for the context is `llm_context_exceeded`, any other
 * request the backend refuses for what it is (400, 404, 422) is `llm_rejected`; neither is retryable.
 */
export interface LlmProvider {
  readonly kind: ProviderKind;
  generate(request: ProviderRequest): Promise<ProviderResult>;
  stream(request: ProviderRequest): AsyncIterable<StreamPart>;
  embed?(texts: readonly string[], options: { model: string; signal?: AbortSignal }): Promise<number[][]>;
  /** The backend's context per request and its parallel slots, as far as it tells (asked once per backend). */
  limits?(options: { model: string; signal?: AbortSignal }): Promise<BackendLimits>;
  /** The prompt's size in the backend's own tokens (its chat template included); undefined when it cannot count. */
  countTokens?(messages: readonly ChatMessage[], options: { model: string; signal?: AbortSignal }): Promise<number | undefined>;
  close?(): Promise<void>;
}

/** Options the gateway passes to the `local` provider, from the alias's configuration. */
export interface LocalProviderOptions {
  /** Path of the GGUF file. */
  modelPath: string;
  /** CPU threads; unset = the runtime's default. */
  threads?: number;
  /** Context window in tokens; unset = the runtime's default. */
  contextSize?: number;
}

/**
 * What `src/llm/providers/local-provider.ts` exports as `createLocalProvider`. The gateway imports that module on demand,
 * so node-llama-cpp stays optional; the factory throws `llm_not_installed` or `llm_model_invalid` when it cannot load.
 */
export type LocalProviderFactory = (options: LocalProviderOptions) => LlmProvider | Promise<LlmProvider>;
