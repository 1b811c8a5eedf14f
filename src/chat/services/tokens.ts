/**
 * A synchronous token counter for prompt assembly (the gateway's o200k_base estimate), loaded once. Counts are
 * memoized per text (bounded), since the same history messages are counted again on every turn.
 */
import type { CountTokens } from '../domain/prompt.js';

let loading: Promise<CountTokens> | undefined;
const maxCached = 10_000;

export function loadTokenCounter(): Promise<CountTokens> {
  const asText = { disallowedSpecial: new Set<string>() };
  loading ??= import('gpt-tokenizer/encoding/o200k_base').then((module) => {
    const cache = new Map<string, number>();
    return (text: string) => {
      if (text === '') return 0;
      const cached = cache.get(text);
      if (cached !== undefined) return cached;
      const count = module.countTokens(text, asText);
      if (cache.size >= maxCached) cache.delete(cache.keys().next().value as string);
      cache.set(text, count);
      return count;
    };
  });
  return loading;
}

/** The counter as the use cases get it: loaded on first use. */
export interface TokenCounter {
  counter(): Promise<CountTokens>;
}

export const tokenCounter: TokenCounter = { counter: loadTokenCounter };
