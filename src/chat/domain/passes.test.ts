import { describe, expect, it } from 'vitest';
import {
  decideAutoPin,
  heuristicMinutes,
  heuristicSceneSignal,
  heuristicSceneSummary,
  heuristicSignificance,
  heuristicStateUpdate,
  type PinCandidate,
} from './passes.js';
import { rankMemories, searchTerms } from './retrieval.js';

const pin = (memory_id: string, auto: boolean, significance: number, order: number): PinCandidate => ({
  memory_id,
  pinned: true,
  auto_pinned: auto,
  significance,
  order,
});

describe('auto-pin', () => {
  it('pins significance 3 under the cap and ignores lower scores', () => {
    expect(decideAutoPin('m', 3, [])).toEqual({ pin: true, evict: null });
    expect(decideAutoPin('m', 2, [])).toEqual({ pin: false, evict: null });
  });

  it('at the cap evicts the oldest auto pin of the lowest significance, never a manual pin', () => {
    const full = [
      pin('manual', false, 1, 0),
      ...Array.from({ length: 7 }, (_, index) => pin(`auto${index}`, true, index === 4 ? 2 : 3, index + 1)),
    ];
    expect(decideAutoPin('m', 3, full)).toEqual({ pin: true, evict: 'auto4' });
    const manual = Array.from({ length: 8 }, (_, index) => pin(`manual${index}`, false, 3, index));
    expect(decideAutoPin('m', 3, manual)).toEqual({ pin: false, evict: null });
  });
});

describe('heuristic passes', () => {
  it('move warmly on warm words and stay in bounds', () => {
    expect(heuristicStateUpdate('thanks, I love it', 'she smiles').bot_to_you.affinity_delta).toBeGreaterThan(0);
    expect(heuristicStateUpdate('go away, liar', 'she glares').bot_to_you.affinity_delta).toBeLessThan(0);
    expect(heuristicSignificance('hi', 'hello')).toBe(1);
    expect(heuristicSignificance('I promise, a secret', 'I love you, forever')).toBe(3);
    expect(heuristicMinutes('a', 'b')).toBe(1);
  });
});

describe('retrieval ranking', () => {
  it('keeps pinned memories, ranks the rest by text, recency and significance and explains each', () => {
    const ranked = rankMemories(
      [
        { memory_id: 'p', pov_summary: 'pinned', pinned: true, significance: 3, text: 0, age: 40 },
        { memory_id: 'old', pov_summary: 'old match', pinned: false, significance: 1, text: 0.5, age: 30 },
        { memory_id: 'new', pov_summary: 'new match', pinned: false, significance: 1, text: 0.5, age: 0 },
        { memory_id: 'none', pov_summary: 'no match', pinned: false, significance: 3, text: 0, age: 0 },
      ],
      1,
    );
    expect(ranked.map((memory) => memory.memory_id)).toEqual(['p', 'new']);
    expect(ranked[1]?.why).toContain('recency');
    expect(searchTerms('The tea, the TEA and a cat!')).toEqual(['tea', 'cat']);
  });

  it('reads hard scene-close signals: a move names the new place, a goodbye closes in place, small talk does not', () => {
    expect(heuristicSceneSignal('*We drove to the park together.*', 'Nice.')).toMatchObject({
      close: true,
      container_change: true,
      new_container: 'Park',
    });
    expect(heuristicSceneSignal('"Good night, Aino."', '"See you tomorrow."')).toMatchObject({ close: true, container_change: false });
    expect(heuristicSceneSignal('"More tea?"', '"Please."')).toMatchObject({ close: false });
    expect(heuristicSceneSummary('the cafe', ['Sam ordered tea', 'Sam paid'], 'A regular')).toEqual({
      summary: 'At the cafe: Sam ordered tea / Sam paid',
      edge_summary: 'A regular Last time at the cafe: Sam paid',
    });
  });
});
