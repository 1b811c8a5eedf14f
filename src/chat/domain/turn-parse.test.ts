import { describe, expect, it } from 'vitest';
import { parseTurn, turnForModel } from './turn-parse.js';

describe('parseTurn', () => {
  it('splits actions, speech and out-of-character notes', () => {
    expect(parseTurn('*walks over* "Hey." ((player note))')).toEqual([
      { kind: 'action', text: 'walks over' },
      { kind: 'dialogue', text: 'Hey.' },
      { kind: 'ooc', text: 'player note' },
    ]);
  });

  it('reads unmarked prose as speech when nothing is quoted, as narration when something is', () => {
    expect(parseTurn('hello there')).toEqual([{ kind: 'dialogue', text: 'hello there' }]);
    expect(parseTurn('I smile. "Hi!"')).toEqual([
      { kind: 'action', text: 'I smile.' },
      { kind: 'dialogue', text: 'Hi!' },
    ]);
  });

  it('honours another OOC marker and unclosed markers', () => {
    expect(parseTurn('"Hi" [[brb', '[[')).toEqual([
      { kind: 'dialogue', text: 'Hi' },
      { kind: 'ooc', text: 'brb' },
    ]);
  });

  it('never gives OOC text to the model', () => {
    expect(turnForModel(parseTurn('*waves* ((secret plan)) "Hi"'))).toBe('*waves* "Hi"');
  });
});
