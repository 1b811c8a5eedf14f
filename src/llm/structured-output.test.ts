import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  excerpt,
  parseModelOutput,
  stableStringify,
  stripCodeFences,
  toJsonSchema,
  withJsonInstruction,
  withValidationFeedback,
} from './structured-output.js';

const Post = z.object({ title: z.string(), likes: z.number().int() });

describe('parseModelOutput', () => {
  it('accepts plain JSON without calling it repaired', () => {
    expect(parseModelOutput(Post, '{"title":"Hei","likes":2}')).toEqual({ ok: true, value: { title: 'Hei', likes: 2 }, repaired: false });
  });

  it('strips ```json fences and marks the result repaired', () => {
    const outcome = parseModelOutput(Post, 'Here you go:\n```json\n{"title":"Hei","likes":2}\n```\nEnjoy!');
    expect(outcome).toEqual({ ok: true, value: { title: 'Hei', likes: 2 }, repaired: true });
  });

  it('repairs trailing commas and single quotes with jsonrepair', () => {
    expect(parseModelOutput(Post, "{'title': 'Hei', 'likes': 2,}")).toEqual({
      ok: true,
      value: { title: 'Hei', likes: 2 },
      repaired: true,
    });
  });

  it('finds the object inside prose without fences', () => {
    expect(parseModelOutput(Post, 'Sure! {"title":"Hei","likes":2} Hope it helps.')).toMatchObject({ ok: true, repaired: true });
  });

  it('reports wrong field types with their path', () => {
    const outcome = parseModelOutput(Post, '{"title":"Hei","likes":"many"}');
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.kind).toBe('invalid');
    expect(outcome.problem).toContain('likes');
  });

  it('treats a reply cut off at the token limit as truncated, even when a repair would parse it', () => {
    const outcome = parseModelOutput(Post, '{"title":"Hei","likes":2', 'length');
    expect(outcome).toMatchObject({ ok: false, kind: 'truncated' });
  });

  it('repairs an unterminated object when the backend says it finished', () => {
    expect(parseModelOutput(Post, '{"title":"Hei","likes":2', 'stop')).toMatchObject({ ok: true, repaired: true });
  });

  it('reports text that is not JSON at all as unparseable', () => {
    expect(parseModelOutput(Post, 'I cannot help with that.')).toMatchObject({ ok: false });
  });
});

describe('stripCodeFences', () => {
  it('keeps plain JSON as is, even when a string contains backticks', () => {
    expect(stripCodeFences('{"code":"```x```"}')).toBe('{"code":"```x```"}');
  });

  it('reads an unclosed fence to the end (a truncated reply)', () => {
    expect(stripCodeFences('```json\n{"a":1')).toBe('{"a":1');
  });
});

describe('prompts', () => {
  it('merges the JSON instruction into the leading system message, so the prompt prefix stays stable', () => {
    const schema = toJsonSchema(Post);
    const messages = withJsonInstruction(
      [
        { role: 'system', content: 'You are Aino.' },
        { role: 'user', content: 'Write.' },
      ],
      schema,
    );
    expect(messages).toHaveLength(2);
    expect(messages[0]?.content).toMatch(/^Reply with one JSON object/);
    expect(messages[0]?.content).toContain('"likes"');
    expect(messages[0]?.content.endsWith('You are Aino.')).toBe(true);
  });

  it('adds a system message when there is none', () => {
    const messages = withJsonInstruction([{ role: 'user', content: 'Write.' }], toJsonSchema(Post));
    expect(messages.map((message) => message.role)).toEqual(['system', 'user']);
  });

  it('tells the model what was wrong in the retry', () => {
    const messages = withValidationFeedback([{ role: 'user', content: 'Write.' }], '{"likes":"x"}', 'likes: expected number');
    expect(messages.slice(1)).toEqual([
      { role: 'assistant', content: '{"likes":"x"}' },
      { role: 'user', content: expect.stringContaining('likes: expected number') },
    ]);
  });

  it('describes the input side of a schema without $schema', () => {
    const schema = toJsonSchema(z.object({ when: z.string().default('now') }));
    expect(schema.$schema).toBeUndefined();
    expect(schema.type).toBe('object');
  });
});

describe('excerpt and stableStringify', () => {
  it('cuts at 2 KB on a character boundary', () => {
    const text = 'ä'.repeat(3000);
    const cut = excerpt(text);
    expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(2048);
    expect(cut).toBe('ä'.repeat(1024));
    expect(excerpt('short')).toBe('short');
  });

  it('sorts keys so equal values serialize equally', () => {
    expect(stableStringify({ b: 1, a: { d: [2, { z: 1, y: 2 }], c: 3 } })).toBe(
      stableStringify({ a: { c: 3, d: [2, { y: 2, z: 1 }] }, b: 1 }),
    );
  });
});
