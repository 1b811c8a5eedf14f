/**
 * Ranking retrieved memories: the full-text score, a recency boost and a significance boost, each kept so the drawer
 * can say why a memory came back. Pinned memories are always in and do not count against k.
 */
import type { RetrievedMemory } from './events.js';

export interface MemoryCandidate {
  memory_id: string;
  pov_summary: string;
  pinned: boolean;
  significance: number;
  /** 0..1 from the full-text engine (already normalized; a match is at least 0.3), 0 when it did not match. */
  text: number;
  /** How many memories of this owner are newer (0 = the newest). */
  age: number;
}

export const rankWeights = { text: 1, recency: 0.35, significance: 0.15 } as const;

export function rankMemories(candidates: readonly MemoryCandidate[], k: number): RetrievedMemory[] {
  const scored = candidates.map((candidate) => {
    const parts = {
      text: round(candidate.text * rankWeights.text),
      recency: round(rankWeights.recency / (1 + candidate.age / 5)),
      significance: round((candidate.significance / 3) * rankWeights.significance),
    };
    const score = round(parts.text + parts.recency + parts.significance);
    const why = candidate.pinned
      ? 'pinned: always included'
      : [
          parts.text > 0 ? `matched the turn's words (${parts.text})` : 'no word match',
          `recency +${parts.recency}`,
          `significance ${candidate.significance} +${parts.significance}`,
        ].join('; ');
    return { memory_id: candidate.memory_id, pov_summary: candidate.pov_summary, pinned: candidate.pinned, score, parts, why };
  });
  const pinned = scored.filter((memory) => memory.pinned);
  const rest = scored
    .filter((memory) => !memory.pinned && memory.parts.text > 0)
    .sort((a, b) => b.score - a.score || a.memory_id.localeCompare(b.memory_id))
    .slice(0, k);
  return [...pinned, ...rest];
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

/** Words worth searching for: letters and digits, three or more long, lowercased, at most 24 distinct. */
export function searchTerms(text: string): string[] {
  const words = text.toLowerCase().match(/[\p{L}\p{N}]{3,}/gu) ?? [];
  return [...new Set(words.filter((word) => !stopWords.has(word)))].slice(0, 24);
}

const stopWords = new Set([
  'the',
  'and',
  'you',
  'your',
  'that',
  'this',
  'with',
  'for',
  'are',
  'was',
  'but',
  'not',
  'have',
  'has',
  'what',
  'just',
  'from',
  'they',
  'her',
  'his',
  'she',
  'him',
  'its',
]);
