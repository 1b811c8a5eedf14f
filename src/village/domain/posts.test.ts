import { describe, expect, it } from 'vitest';
import { boundaryProblems, containsLink, defaultTone, type GeneratedPost } from './posts.js';

const limits = { FEED: 50, CHAT: 40, NEWS: 300 };
const target = { channel: 'FEED' as const, authorId: 'npc_sanni', sourceEventId: 'ev_1' };
const post = (overrides: Partial<GeneratedPost> = {}): GeneratedPost => ({
  channel: 'FEED',
  author_id: 'npc_sanni',
  source_event_id: 'ev_1',
  tone: 'friendly',
  text: 'Kahvit Leenan kanssa.',
  tags: [],
  safety_notes: null,
  ...overrides,
});

describe('engine-boundary checks', () => {
  it('given a post that matches its job, when checked, then it passes', () => {
    expect(boundaryProblems(post(), target, limits)).toEqual([]);
  });

  it('given ids that differ from the job, when checked, then each mismatch is named', () => {
    const problems = boundaryProblems(post({ channel: 'NEWS', author_id: 'npc_aino', source_event_id: 'ev_2' }), target, limits);
    expect(problems.join('\n')).toMatch(/channel NEWS/);
    expect(problems.join('\n')).toMatch(/author_id npc_aino/);
    expect(problems.join('\n')).toMatch(/source_event_id ev_2/);
  });

  it('given a text of exactly the channel limit, when checked, then it passes; one character more is refused', () => {
    expect(boundaryProblems(post({ text: 'x'.repeat(50) }), target, limits)).toEqual([]);
    expect(boundaryProblems(post({ text: 'x'.repeat(51) }), target, limits)).toEqual(['the text has 51 characters; FEED allows 50']);
    const chat = { ...target, channel: 'CHAT' as const };
    expect(boundaryProblems(post({ channel: 'CHAT', text: 'ä'.repeat(40) }), chat, limits)).toEqual([]);
    expect(boundaryProblems(post({ channel: 'CHAT', text: 'ä'.repeat(41) }), chat, limits)).toEqual([
      'the text has 41 characters; CHAT allows 40',
    ]);
  });

  it('given characters outside the basic plane, when counted against the limit, then each counts once', () => {
    expect(boundaryProblems(post({ text: '🌲'.repeat(50) }), target, limits)).toEqual([]);
    expect(boundaryProblems(post({ text: '🌲'.repeat(51) }), target, limits)).toHaveLength(1);
  });

  it('given a text over the channel limit or with a link, when checked, then it is refused', () => {
    expect(boundaryProblems(post({ text: 'x'.repeat(51) }), target, limits)).toEqual(['the text has 51 characters; FEED allows 50']);
    expect(boundaryProblems(post({ text: 'katso www.example.com' }), target, limits)).toEqual(['the text contains a link']);
    for (const text of ['https://a.b/c', 'ftp://x', 'koivulahti.fi', 'WWW.EXAMPLE.ORG']) expect(containsLink(text), text).toBe(true);
    for (const text of ['Klo 10.30 torilla.', 'Hinta 2.50 €', 'Sanni Virtanen, 34 v.']) expect(containsLink(text), text).toBe(false);
  });

  it('picks a tone by channel and category', () => {
    expect(defaultTone('NEWS', 'conflict', -1)).toBe('formal');
    expect(defaultTone('FEED', 'conflict', -0.6)).toBe('defensive');
    expect(defaultTone('CHAT', 'everyday', 0.3)).toBe('friendly');
  });
});
