import { describe, expect, it } from 'vitest';
import { boundedReply, trimToSentence } from './truncation.js';

describe('trimToSentence', () => {
  it('cuts a reply back to its last whole sentence', () => {
    expect(trimToSentence('The sauna is warm. Aino brought birch whisks and then she')).toBe('The sauna is warm.');
    expect(trimToSentence('Mitä kuuluu? Hyvää kiitos! Entä sin')).toBe('Mitä kuuluu? Hyvää kiitos!');
  });

  it('keeps closing quotes and brackets with the sentence', () => {
    expect(trimToSentence('He said "come in." Then the door')).toBe('He said "come in."');
    expect(trimToSentence('(It was late.) And')).toBe('(It was late.)');
  });

  it('leaves a text that already ends a sentence alone', () => {
    expect(trimToSentence('All done.  ')).toBe('All done.');
  });

  it('does not take a decimal point or an abbreviation inside a word for a sentence end', () => {
    expect(trimToSentence('It costs 3.50 euros and')).toBe('It costs 3.50 euros…');
  });

  it('cuts to the last whole word with an ellipsis when no sentence ended', () => {
    expect(trimToSentence('a long ramble without any end, and then')).toBe('a long ramble without any end, and…');
    expect(trimToSentence('one-word-without-spaces')).toBe('one-word-without-spaces…');
    expect(trimToSentence('')).toBe('');
  });
});

describe('boundedReply', () => {
  it('marks a length finish as truncated and trims it', () => {
    expect(boundedReply('Yes. And the', 'length')).toEqual({ text: 'Yes.', truncated: true });
  });

  it('passes other finishes through untouched', () => {
    expect(boundedReply('Yes. And the', 'stop')).toEqual({ text: 'Yes. And the', truncated: false });
    expect(boundedReply('Yes. And the', undefined)).toEqual({ text: 'Yes. And the', truncated: false });
  });
});
