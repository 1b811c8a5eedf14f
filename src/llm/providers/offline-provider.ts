/**
 * The `offline` provider: a deterministic template writer used when no model is configured, so everything runs
 * without one. It walks the requested JSON schema and fills it from `request.context`:
 *
 * - a context value named like the property (looked up in the nested context object first, then the root) is used
 *   when it fits the schema;
 * - `context.templates[<property or dotted.path>]` (a string or a list of strings) fills that string property;
 * - `context.template` fills the first free-text string property (not an enum, format or const) nothing else filled;
 * - templates take `{placeholders}` from the context (`{author.name}` reads nested values); an unknown placeholder
 *   stays as written so a missing value is visible;
 * - enums take the context value when it is one of them, else the first value (a seeded pick when `context.seed` is
 *   set); numbers respect their bounds; arrays get their minimum number of items.
 *
 * A list of templates is picked by `context.seed`, or else by a hash of the messages: the same prompt always gets the
 * same text. Results are labelled `model: "offline"`. `stream` yields the words of the filled `context.template` (or a
 * fixed notice). Embeddings are hashed bags of words: deterministic, and similar texts get similar vectors.
 */
import { createHash } from 'node:crypto';
import { abortError } from '../errors.js';
import type { ChatMessage, LlmProvider, ProviderRequest, StreamPart } from '../provider.js';

export const offlineModel = 'offline';

const defaultText = 'Offline writer: no language model is configured, so this text is a placeholder.';

export interface OfflineProviderOptions {
  /** Dimensions of the offline embeddings. */
  embeddingDimensions?: number;
}

export function createOfflineProvider(options: OfflineProviderOptions = {}): LlmProvider {
  const dimensions = options.embeddingDimensions ?? 64;
  return {
    kind: 'offline',

    async generate(request) {
      if (request.signal?.aborted) throw abortError(request.signal);
      const text =
        request.responseFormat.type === 'json_schema'
          ? JSON.stringify(writeFromSchema(request.responseFormat.schema, request.context ?? {}, seedOf(request)))
          : request.responseFormat.type === 'json_object'
            ? JSON.stringify({ text: writeText(request) })
            : writeText(request);
      return { text, model: offlineModel, usage: { inputTokens: 0, outputTokens: 0, reported: true }, finishReason: 'stop' };
    },

    async *stream(request): AsyncGenerator<StreamPart> {
      const words = writeText(request).split(/(?<=\s)/);
      for (const word of words) {
        if (request.signal?.aborted) throw abortError(request.signal);
        yield { type: 'text-delta', text: word };
      }
      yield { type: 'finish', model: offlineModel, usage: { inputTokens: 0, outputTokens: 0, reported: true }, finishReason: 'stop' };
    },

    async embed(texts) {
      return texts.map((text) => hashedEmbedding(text, dimensions));
    },
  };
}

function writeText(request: ProviderRequest): string {
  const context = request.context ?? {};
  const template = chooseTemplate(context.template, seedOf(request), 'text');
  return template === undefined ? defaultText : fillTemplate(template, [context]);
}

/** `context.seed` when given, else a hash of the messages. */
function seedOf(request: Pick<ProviderRequest, 'messages' | 'context'>): string {
  const seed = request.context?.seed;
  if (typeof seed === 'number' || typeof seed === 'string') return String(seed);
  return hashMessages(request.messages);
}

function hashMessages(messages: readonly ChatMessage[]): string {
  return createHash('sha256')
    .update(JSON.stringify(messages.map(({ role, content }) => [role, content])))
    .digest('hex');
}

function seededIndex(seed: string, salt: string, length: number): number {
  const digest = createHash('sha256').update(`${seed}\u0000${salt}`).digest();
  return digest.readUInt32BE(0) % length;
}

function chooseTemplate(value: unknown, seed: string, salt: string): string | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    const templates = value.filter((item): item is string => typeof item === 'string');
    if (templates.length === 0) return undefined;
    return templates[seededIndex(seed, salt, templates.length)];
  }
  return undefined;
}

/** Replaces `{name}` / `{a.b}` with values from the scopes (innermost first); unknown placeholders stay. */
export function fillTemplate(template: string, scopes: readonly Record<string, unknown>[]): string {
  return template.replace(/\{([\p{L}\p{N}_.-]+)\}/gu, (placeholder, path: string) => {
    for (const scope of scopes) {
      const value = readPath(scope, path);
      if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
    }
    return placeholder;
  });
}

function readPath(scope: Record<string, unknown>, path: string): unknown {
  let node: unknown = scope;
  for (const part of path.split('.')) {
    if (node === null || typeof node !== 'object' || Array.isArray(node)) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

// ---------- the JSON schema walk ----------

type Schema = Record<string, unknown>;

interface WalkState {
  root: Schema;
  rootContext: Record<string, unknown>;
  templates: Record<string, unknown>;
  seed: string;
  /** Explicit `context.seed`: enums are picked by it instead of taking the first value. */
  seededEnums: boolean;
  templateUsed: boolean;
}

export function writeFromSchema(schema: Schema, context: Record<string, unknown>, seed: string): unknown {
  const templates =
    context.templates !== null && typeof context.templates === 'object' ? (context.templates as Record<string, unknown>) : {};
  const state: WalkState = {
    root: schema,
    rootContext: context,
    templates,
    seed,
    seededEnums: typeof context.seed === 'number' || typeof context.seed === 'string',
    templateUsed: false,
  };
  return write(schema, [], [context], undefined, state, 0);
}

function write(
  node: Schema,
  path: string[],
  scopes: Record<string, unknown>[],
  contextValue: unknown,
  state: WalkState,
  depth: number,
): unknown {
  const schema = resolveRef(node, state.root);
  if (depth > 12) return minimalValue(schema);
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) {
    if (schema.enum.some((option) => option === contextValue)) return contextValue;
    return state.seededEnums ? schema.enum[seededIndex(state.seed, path.join('.'), schema.enum.length)] : schema.enum[0];
  }
  const branches = (schema.anyOf ?? schema.oneOf) as Schema[] | undefined;
  if (Array.isArray(branches) && branches.length > 0) {
    const resolved = branches.map((branch) => resolveRef(branch, state.root));
    const fitting = resolved.find((branch) => contextValue !== undefined && fits(branch, contextValue));
    const firstNotNull = resolved.find((branch) => branch.type !== 'null');
    return write(fitting ?? firstNotNull ?? (resolved[0] as Schema), path, scopes, contextValue, state, depth + 1);
  }
  if (Array.isArray(schema.allOf) && schema.allOf.length > 0) {
    const merged = Object.assign({}, ...schema.allOf.map((part) => resolveRef(part as Schema, state.root))) as Schema;
    return write(merged, path, scopes, contextValue, state, depth + 1);
  }
  const type = typeOf(schema);
  switch (type) {
    case 'object':
      return writeObject(schema, path, scopes, contextValue, state, depth);
    case 'array':
      return writeArray(schema, path, scopes, contextValue, state, depth);
    case 'string':
      return writeString(schema, path, scopes, contextValue, state);
    case 'integer':
    case 'number':
      return writeNumber(schema, type, contextValue);
    case 'boolean':
      return typeof contextValue === 'boolean' ? contextValue : false;
    case 'null':
      return null;
    default:
      return contextValue ?? null;
  }
}

function writeObject(
  schema: Schema,
  path: string[],
  scopes: Record<string, unknown>[],
  contextValue: unknown,
  state: WalkState,
  depth: number,
): Schema {
  const properties = (schema.properties ?? {}) as Record<string, Schema>;
  const required = new Set(Array.isArray(schema.required) ? (schema.required as string[]) : []);
  const nested = isRecord(contextValue) ? [contextValue, ...scopes] : scopes;
  const result: Schema = {};
  for (const [name, property] of Object.entries(properties)) {
    const propertyPath = [...path, name];
    const value = lookup(nested, name);
    const hasTemplate = state.templates[propertyPath.join('.')] !== undefined || state.templates[name] !== undefined;
    if (!required.has(name) && value === undefined && !hasTemplate) continue;
    result[name] = write(property, propertyPath, nested, value, state, depth + 1);
  }
  return result;
}

function writeArray(
  schema: Schema,
  path: string[],
  scopes: Record<string, unknown>[],
  contextValue: unknown,
  state: WalkState,
  depth: number,
): unknown[] {
  const minItems = typeof schema.minItems === 'number' ? schema.minItems : 0;
  const maxItems = typeof schema.maxItems === 'number' ? schema.maxItems : Number.POSITIVE_INFINITY;
  const prefix = Array.isArray(schema.prefixItems) ? (schema.prefixItems as Schema[]) : [];
  const items = isRecord(schema.items) ? (schema.items as Schema) : {};
  const source = Array.isArray(contextValue) ? contextValue : [];
  const count = Math.min(maxItems, Math.max(minItems, prefix.length, source.length));
  const result: unknown[] = [];
  for (let index = 0; index < count; index++)
    result.push(write(prefix[index] ?? items, [...path, String(index)], scopes, source[index], state, depth + 1));
  return result;
}

function writeString(schema: Schema, path: string[], scopes: Record<string, unknown>[], contextValue: unknown, state: WalkState): string {
  const name = path.filter((part) => !/^\d+$/.test(part)).pop() ?? 'text';
  let text: string;
  const perField = state.templates[path.join('.')] ?? state.templates[name];
  const fieldTemplate = chooseTemplate(perField, state.seed, path.join('.'));
  if (typeof contextValue === 'string') text = contextValue;
  else if (fieldTemplate !== undefined) text = fillTemplate(fieldTemplate, [...scopes, state.rootContext]);
  else if (typeof schema.format === 'string') text = formatExample(schema.format);
  else {
    const template = state.templateUsed ? undefined : chooseTemplate(state.rootContext.template, state.seed, 'template');
    if (template !== undefined) {
      state.templateUsed = true;
      text = fillTemplate(template, [...scopes, state.rootContext]);
    } else text = `(offline) ${name}`;
  }
  return fitLength(text, schema);
}

function fitLength(text: string, schema: Schema): string {
  const characters = Array.from(text);
  const maxLength = typeof schema.maxLength === 'number' ? schema.maxLength : undefined;
  const minLength = typeof schema.minLength === 'number' ? schema.minLength : 0;
  if (maxLength !== undefined && characters.length > maxLength) {
    if (maxLength <= 1) return characters.slice(0, maxLength).join('');
    return `${characters
      .slice(0, maxLength - 1)
      .join('')
      .trimEnd()}…`;
  }
  if (characters.length < minLength) return text + '.'.repeat(minLength - characters.length);
  return text;
}

function formatExample(format: string): string {
  switch (format) {
    case 'date-time':
      return '1970-01-01T00:00:00.000Z';
    case 'date':
      return '1970-01-01';
    case 'time':
      return '00:00:00';
    case 'email':
      return 'offline@example.invalid';
    case 'uri':
    case 'url':
      return 'https://example.invalid/';
    case 'uuid':
      return '00000000-0000-4000-8000-000000000000';
    default:
      return 'offline';
  }
}

function writeNumber(schema: Schema, type: 'integer' | 'number', contextValue: unknown): number {
  const minimum = typeof schema.minimum === 'number' ? schema.minimum : undefined;
  const maximum = typeof schema.maximum === 'number' ? schema.maximum : undefined;
  const exclusiveMinimum = typeof schema.exclusiveMinimum === 'number' ? schema.exclusiveMinimum : undefined;
  const exclusiveMaximum = typeof schema.exclusiveMaximum === 'number' ? schema.exclusiveMaximum : undefined;
  const within = (value: number) =>
    (minimum === undefined || value >= minimum) &&
    (maximum === undefined || value <= maximum) &&
    (exclusiveMinimum === undefined || value > exclusiveMinimum) &&
    (exclusiveMaximum === undefined || value < exclusiveMaximum) &&
    (type === 'number' || Number.isInteger(value));
  if (typeof contextValue === 'number' && within(contextValue)) return contextValue;
  const step = type === 'integer' ? 1 : typeof schema.multipleOf === 'number' ? schema.multipleOf : 0.001;
  let value = minimum ?? (exclusiveMinimum === undefined ? 0 : exclusiveMinimum + step);
  if (maximum !== undefined && value > maximum) value = maximum;
  if (exclusiveMaximum !== undefined && value >= exclusiveMaximum) value = exclusiveMaximum - step;
  if (type === 'integer') value = Math.ceil(value);
  if (typeof schema.multipleOf === 'number' && schema.multipleOf > 0) value = Math.ceil(value / schema.multipleOf) * schema.multipleOf;
  return value;
}

function minimalValue(schema: Schema): unknown {
  switch (typeOf(schema)) {
    case 'object':
      return {};
    case 'array':
      return [];
    case 'string':
      return '';
    case 'integer':
    case 'number':
      return 0;
    case 'boolean':
      return false;
    default:
      return null;
  }
}

function typeOf(schema: Schema): string | undefined {
  if (typeof schema.type === 'string') return schema.type;
  if (Array.isArray(schema.type)) return (schema.type as string[]).find((type) => type !== 'null') ?? 'null';
  if (isRecord(schema.properties)) return 'object';
  if (schema.items !== undefined || schema.prefixItems !== undefined) return 'array';
  return undefined;
}

function fits(schema: Schema, value: unknown): boolean {
  if ('const' in schema) return schema.const === value;
  if (Array.isArray(schema.enum)) return schema.enum.includes(value);
  switch (typeOf(schema)) {
    case 'object':
      return isRecord(value);
    case 'array':
      return Array.isArray(value);
    case 'string':
      return typeof value === 'string';
    case 'integer':
      return Number.isInteger(value);
    case 'number':
      return typeof value === 'number';
    case 'boolean':
      return typeof value === 'boolean';
    case 'null':
      return value === null;
    default:
      return true;
  }
}

function resolveRef(schema: Schema, root: Schema): Schema {
  let current = schema;
  for (let hops = 0; hops < 16 && typeof current.$ref === 'string'; hops++) {
    const reference = current.$ref as string;
    if (!reference.startsWith('#')) return {};
    let target: unknown = root;
    for (const token of reference
      .slice(1)
      .split('/')
      .filter((part) => part !== ''))
      target = isRecord(target) ? target[token.replaceAll('~1', '/').replaceAll('~0', '~')] : undefined;
    if (!isRecord(target)) return {};
    current = { ...target, ...Object.fromEntries(Object.entries(current).filter(([key]) => key !== '$ref')) };
  }
  return current;
}

function lookup(scopes: readonly Record<string, unknown>[], name: string): unknown {
  for (const scope of scopes) if (scope[name] !== undefined) return scope[name];
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function hashedEmbedding(text: string, dimensions: number): number[] {
  const vector = new Array<number>(dimensions).fill(0);
  for (const word of text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) {
    const digest = createHash('sha256').update(word).digest();
    const index = digest.readUInt32BE(0) % dimensions;
    vector[index] = (vector[index] ?? 0) + ((digest[4] ?? 0) & 1 ? 1 : -1);
  }
  const norm = Math.hypot(...vector);
  return norm === 0 ? vector : vector.map((value) => value / norm);
}
