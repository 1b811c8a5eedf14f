/**
 * Moderation: a configured blocklist (whole words, case- and accent-form-insensitive; a term with a space or a
 * non-letter matches as a substring), plus an optional classifier alias whose verdict is LLM output and so is
 * validated like any other.
 */
import { z } from 'zod';
import type { ChatMessage } from './provider.js';

export interface ModerationResult {
  allowed: boolean;
  /** Why the text is not allowed: `blocklist: <term>` and `classifier: <reason>`. Empty when allowed. */
  reasons: string[];
  /** What the classifier said; `skipped` when none is configured, `unavailable` when it failed (the text is then judged by the blocklist alone). */
  classifier: 'allowed' | 'blocked' | 'unavailable' | 'skipped';
}

export const moderationVerdictSchema = z.object({
  allowed: z.boolean(),
  reasons: z.array(z.string().max(200)).max(10).default([]),
});

export type ModerationVerdict = z.infer<typeof moderationVerdictSchema>;

export function moderationMessages(text: string): ChatMessage[] {
  return [
    {
      role: 'system',
      content:
        'You are a content moderator for a community website. Decide whether the text below may be published. ' +
        'Block harassment, hate, sexual content involving minors, threats, doxxing and spam. ' +
        'Set "allowed" to false when it must be blocked and list short reasons.',
    },
    { role: 'user', content: text },
  ];
}

function normalize(text: string): string {
  return text.normalize('NFKC').toLocaleLowerCase('und');
}

export type BlocklistMatcher = (text: string) => string[];

export function createBlocklistMatcher(terms: readonly string[]): BlocklistMatcher {
  const patterns = terms
    .map((term) => term.trim())
    .filter((term) => term !== '')
    .map((term) => {
      const normalized = normalize(term);
      const escaped = normalized.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      const wholeWord = /^[\p{L}\p{N}]+$/u.test(normalized);
      return { term, pattern: new RegExp(wholeWord ? `(?<![\\p{L}\\p{N}])${escaped}(?![\\p{L}\\p{N}])` : escaped, 'u') };
    });
  return (text) => {
    const normalized = normalize(text);
    return patterns.filter(({ pattern }) => pattern.test(normalized)).map(({ term }) => `blocklist: ${term}`);
  };
}
