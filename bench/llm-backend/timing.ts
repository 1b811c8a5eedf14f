/**
 * The timing model of the simulated LLM backend, as pure functions, so the server and the benchmarks that compare
 * against its theoretical maximum use the same arithmetic.
 *
 * A request holds one slot for its whole life. In that slot it first processes its prompt (the part not served from
 * the slot's prefix cache) at `promptTokensPerSecond`, plus a fixed `firstTokenMs` (scheduling, sampling set-up):
 * that is the time to first token. Every further token takes `1000 / decodeTokensPerSecond` ms. Requests that find
 * every slot busy wait in one FIFO queue. This is the llama.cpp server's behaviour (`--parallel S`, `cache_prompt`)
 * with per-slot rates; a real server's rates drop a little as more slots decode at once, which a profile can absorb
 * by using the rates measured under full load.
 */

export interface BackendProfile {
  /** Parallel slots (`llama-server --parallel`, vLLM's max sequences). */
  slots: number;
  /** Prompt processing per slot, tokens per second. */
  promptTokensPerSecond: number;
  /** Generation per slot, tokens per second. */
  decodeTokensPerSecond: number;
  /** Fixed time before the first token on top of prompt processing (ms). */
  firstTokenMs: number;
  /** Length of every answer in tokens, unless the request's `max_tokens` is smaller (then `finish_reason: length`). */
  completionTokens: number;
  /**
   * Share of the prompt-processing cost saved for the prefix a slot still holds from its previous request: 0 turns the
   * prefix cache off, 1 makes cached tokens free (llama.cpp `cache_prompt`).
   */
  prefixCacheDiscount: number;
  /** Model id reported in answers and by `/v1/models`. */
  model: string;
}

export const defaultProfile: BackendProfile = {
  slots: 8,
  promptTokensPerSecond: 1_000,
  decodeTokensPerSecond: 25,
  firstTokenMs: 20,
  completionTokens: 120,
  prefixCacheDiscount: 1,
  model: 'bench-sim-8b',
};

export interface RequestShape {
  promptTokens: number;
  /** Prompt tokens found in the slot's prefix cache. */
  cachedPromptTokens?: number;
  completionTokens: number;
}

/** Characters per token of the backend's estimate (no tokenizer: the figure is the same for every client). */
export const charactersPerToken = 4;

export function estimateTokens(text: string): number {
  return Math.ceil(text.length / charactersPerToken);
}

/** Prompt tokens that still have to be processed after the prefix-cache discount. */
export function effectivePromptTokens(profile: BackendProfile, shape: RequestShape): number {
  const cached = Math.min(shape.cachedPromptTokens ?? 0, shape.promptTokens);
  return shape.promptTokens - cached * profile.prefixCacheDiscount;
}

/** Time to first token once the request holds a slot (ms). */
export function timeToFirstTokenMs(profile: BackendProfile, shape: RequestShape): number {
  return profile.firstTokenMs + (effectivePromptTokens(profile, shape) / profile.promptTokensPerSecond) * 1000;
}

/** Milliseconds between two generated tokens in one slot. */
export function interTokenMs(profile: BackendProfile): number {
  return 1000 / profile.decodeTokensPerSecond;
}

/** How long the request holds its slot (ms): first token, then one token every `interTokenMs`. */
export function serviceMs(profile: BackendProfile, shape: RequestShape): number {
  return timeToFirstTokenMs(profile, shape) + Math.max(0, shape.completionTokens - 1) * interTokenMs(profile);
}

/** Completions per minute with every slot busy all the time, for requests of this shape. */
export function theoreticalMaxPerMinute(profile: BackendProfile, shape: RequestShape): number {
  return (profile.slots * 60_000) / serviceMs(profile, shape);
}

export function validateProfile(profile: BackendProfile): BackendProfile {
  const positive: Array<keyof BackendProfile> = ['slots', 'promptTokensPerSecond', 'decodeTokensPerSecond', 'completionTokens'];
  for (const key of positive) {
    const value = profile[key];
    if (typeof value !== 'number' || !(value > 0)) throw new RangeError(`profile.${key} must be a positive number, got ${String(value)}`);
  }
  if (!Number.isInteger(profile.slots)) throw new RangeError(`profile.slots must be an integer, got ${profile.slots}`);
  if (!(profile.firstTokenMs >= 0)) throw new RangeError(`profile.firstTokenMs must be >= 0, got ${profile.firstTokenMs}`);
  if (!(profile.prefixCacheDiscount >= 0 && profile.prefixCacheDiscount <= 1))
    throw new RangeError(`profile.prefixCacheDiscount must be within [0, 1], got ${profile.prefixCacheDiscount}`);
  return profile;
}
