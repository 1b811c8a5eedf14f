import { readFileSync } from 'node:fs';
import { parse } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import { configSchema, llmAliasNames, parseConfig } from './config.js';

const exampleText = readFileSync(new URL('../../config.example.toml', import.meta.url), 'utf8');

interface SchemaNode {
  def: { type: string; shape?: Record<string, SchemaNode>; innerType?: SchemaNode };
}

/** The schema inside optional / default / prefault wrappers. */
function unwrap(schema: SchemaNode): SchemaNode {
  let node = schema;
  while (node.def.innerType !== undefined && ['optional', 'default', 'prefault', 'nullable'].includes(node.def.type))
    node = node.def.innerType;
  return node;
}

/** Every leaf key of the schema as a dotted path; the six alias tables share one schema, so they appear as `llm.aliases.*`. */
function schemaKeys(): string[] {
  const keys = new Set<string>();
  const walk = (schema: SchemaNode, path: string[]) => {
    const node = unwrap(schema);
    if (node.def.type === 'object' && node.def.shape !== undefined) {
      for (const [key, inner] of Object.entries(node.def.shape)) walk(inner, [...path, key]);
      return;
    }
    keys.add(normalize(path.join('.')));
  };
  for (const [section, schema] of Object.entries(configSchema.shape)) walk(schema as unknown as SchemaNode, [section]);
  return [...keys];
}

function normalize(key: string): string {
  return key.replace(/^llm\.aliases\.[\w-]+\./, 'llm.aliases.*.');
}

/** Keys written in the example, commented out or not, including the keys of inline tables (`params = { a = 1 }`). */
function documentedKeys(text: string): { keys: Set<string>; sections: Set<string> } {
  const uncommented = text.replace(/^#\s?/gm, '');
  let section = '';
  const keys = new Set<string>();
  const sections = new Set<string>();
  for (const line of uncommented.split('\n')) {
    const header = /^\[([\w.-]+)\]/.exec(line);
    if (header?.[1]) {
      section = header[1];
      sections.add(section);
    }
    const key = /^(\w+)\s*=\s*(\{[^}]*\})?/.exec(line);
    if (!key?.[1] || !section) continue;
    keys.add(normalize(`${section}.${key[1]}`));
    for (const inner of key[2]?.matchAll(/(\w+)\s*=/g) ?? []) keys.add(normalize(`${section}.${key[1]}.${inner[1]}`));
  }
  return { keys, sections };
}

describe('config.example.toml', () => {
  it('is valid configuration and equals the defaults', () => {
    expect(parseConfig({ fileText: exampleText })).toEqual(parseConfig());
    expect(parse(exampleText)).toBeTypeOf('object');
  });

  it('documents every key of the schema', () => {
    const { keys, sections } = documentedKeys(exampleText);
    expect(schemaKeys()).toContain('sse.max_buffered_events');
    expect(schemaKeys()).toContain('llm.params.temperature');
    expect(schemaKeys()).toContain('llm.aliases.*.params.max_tokens');
    // A free-form table (a record owned by a module, like `village.engine`) is documented by its own section.
    expect(schemaKeys().filter((key) => !keys.has(key) && !sections.has(key))).toEqual([]);
  });

  it('has a table for every model alias', () => {
    const { sections } = documentedKeys(exampleText);
    expect(llmAliasNames.filter((alias) => !sections.has(`llm.aliases.${alias}`))).toEqual([]);
  });
});
