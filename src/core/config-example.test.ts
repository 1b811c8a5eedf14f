import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'smol-toml';
import { configSchema, parseConfig } from './config.js';

const exampleText = readFileSync(new URL('../../config.example.toml', import.meta.url), 'utf8');

/** Every key of the schema, including the commented-out ones, as `section.key`. */
function schemaKeys(): string[] {
  const keys: string[] = [];
  for (const [section, schema] of Object.entries(configSchema.shape)) {
    const inner = (schema as unknown as { def: { innerType: { shape: Record<string, unknown> } } }).def.innerType.shape;
    for (const key of Object.keys(inner)) keys.push(`${section}.${key}`);
  }
  return keys;
}

describe('config.example.toml', () => {
  it('is valid configuration and equals the defaults', () => {
    expect(parseConfig({ fileText: exampleText })).toEqual(parseConfig());
    expect(parse(exampleText)).toBeTypeOf('object');
  });

  it('documents every key of the schema', () => {
    const uncommented = exampleText.replace(/^#\s?/gm, '');
    let section = '';
    const documented = new Set<string>();
    for (const line of uncommented.split('\n')) {
      const header = /^\[(\w+)\]/.exec(line);
      if (header?.[1]) section = header[1];
      const key = /^(\w+)\s*=/.exec(line);
      if (key?.[1] && section) documented.add(`${section}.${key[1]}`);
    }
    expect(schemaKeys()).toContain('sse.max_buffered_events');
    expect(schemaKeys().filter((key) => !documented.has(key))).toEqual([]);
  });
});
