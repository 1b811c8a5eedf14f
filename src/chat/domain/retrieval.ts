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
  /** Set for a villager's village memory: where it came from, said first in `why`. */
  village?: { label: string; matched: string[] };
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
    const matched = candidate.village ? ` ${candidate.village.matched.join(', ')}` : '';
    const why = candidate.pinned
      ? 'pinned: always included'
      : [
          ...(candidate.village ? [candidate.village.label] : []),
          parts.text > 0 ? `matched the turn's words${matched} (${parts.text})` : 'no word match',
          `recency +${parts.recency}`,
          `significance ${candidate.significance} +${parts.significance}`,
        ].join('; ');
    const memory: RetrievedMemory = {
      memory_id: candidate.memory_id,
      pov_summary: candidate.pov_summary,
      pinned: candidate.pinned,
      score,
      parts,
      why,
    };
    if (candidate.village) memory.source = 'village';
    return memory;
  });
  const pinned = scored.filter((memory) => memory.pinned);
  const rest = scored
    .filter((memory) => !memory.pinned && memory.parts.text > 0)
    .sort((a, b) => b.score - a.score || a.memory_id.localeCompare(b.memory_id))
    .slice(0, k);
  return [...pinned, ...rest];
}

/** A villager's village memory as the chat ranks it (`importance` 0..1 of the village engine). */
export interface VillageMemoryInput {
  event_id: string;
  text: string;
  importance: number;
  sim_time: string;
}

const villageGlue = new Set(['about', 'felt', 'with']);

/** The full-text floor the store's search uses for a match; village memories are scored on the same shape. */
export const villageMatchFloor = 0.3;

/**
 * Village memories (newest first) as ranking candidates. The store's full-text engine does not see them, so the text
 * score here is computed from the turn's search terms found as words of the memory: 0 without a match, otherwise
 * `floor + (1 - floor) * n / (n + 1)` for n distinct matched terms (the shape of the SQLite bm25 normalisation).
 * The words every village memory's text is made of (`about`, `felt`, the date) do not count as a match.
 * Significance is the importance on the chat's 0-3 scale; age is the position among the villager's memories.
 */
export function villageCandidates(npcId: string, memories: readonly VillageMemoryInput[], terms: readonly string[]): MemoryCandidate[] {
  return memories.map((memory, age) => {
    const words = new Set(memory.text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []);
    const matched = terms.filter((term) => words.has(term) && !villageGlue.has(term) && !/^\p{N}+$/u.test(term));
    const text = matched.length === 0 ? 0 : villageMatchFloor + (1 - villageMatchFloor) * (matched.length / (matched.length + 1));
    const importance = Math.min(1, Math.max(0, memory.importance));
    return {
      memory_id: `village:${npcId}:${memory.event_id}`,
      pov_summary: memory.text,
      pinned: false,
      significance: Math.round(importance * 3),
      text,
      age,
      village: { label: `village memory (${memory.sim_time.slice(0, 16).replace('T', ' ')}, importance ${round(importance)})`, matched },
    };
  });
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
