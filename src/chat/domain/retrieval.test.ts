import { describe, expect, it } from 'vitest';
import { rankMemories, searchTerms, villageCandidates } from './retrieval.js';

describe('village memories in retrieval', () => {
  const memories = [
    {
      event_id: 'ev_9',
      text: '2026-05-04 09:45: Coffee together with Esko at Kahvila Koivu, about the new buns.',
      importance: 0.4,
      sim_time: '2026-05-04T09:45:00+03:00',
    },
    {
      event_id: 'ev_2',
      text: '2026-05-04 07:30: Gossip with Marjatta at Kahvila Koivu, about closing the library.',
      importance: 0.9,
      sim_time: '2026-05-04T07:30:00+03:00',
    },
  ];

  it('scores word matches only (not the template words), says where a memory came from, and ranks with the others', () => {
    const candidates = villageCandidates('npc_sanni', memories, searchTerms('What about the library in 2026?'));
    expect(candidates.map((candidate) => candidate.text)).toEqual([0, 0.3 + 0.7 / 2]);
    expect(candidates[1]?.significance).toBe(3);
    expect(candidates[1]?.age).toBe(1);
    const ranked = rankMemories(candidates, 4);
    expect(ranked).toHaveLength(1);
    expect(ranked[0]?.memory_id).toBe('village:npc_sanni:ev_2');
    expect(ranked[0]?.source).toBe('village');
    expect(ranked[0]?.why).toBe(
      "village memory (2026-05-04 07:30, importance 0.9); matched the turn's words library (0.65); recency +0.292; significance 3 +0.15",
    );
  });
});
