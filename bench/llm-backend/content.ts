/**
 * What the simulated backend writes: plain Finnish filler text, or JSON that satisfies the request's
 * `response_format` (a JSON schema is filled in; `json_object` gets `{"text": ...}`), sized to a token budget and cut
 * into tokens of `charactersPerToken` characters.
 */
import { charactersPerToken } from './timing.js';

const words = [
  'Koivulahden',
  'kahvio',
  'aukeaa',
  'aamulla',
  'kylän',
  'väki',
  'kokoontuu',
  'torille',
  'satamassa',
  'tuulee',
  'kalastaja',
  'kertoo',
  'uutisia',
  'järven',
  'rannalla',
  'illalla',
  'opettaja',
  'leipoo',
  'pullaa',
  'naapurille',
];

/** Roughly `characters` characters of filler words (no quotes or backslashes, so it is safe inside JSON strings). */
export function fillerText(characters: number, offset = 0): string {
  let text = '';
  let index = offset;
  while (text.length < characters) {
    text += (text === '' ? '' : ' ') + words[index % words.length];
    index++;
  }
  return text.slice(0, Math.max(0, characters));
}

export type ResponseFormatRequest = { type: 'text' } | { type: 'json_object' } | { type: 'json_schema'; schema: unknown };

/**
 * The answer for a request, about `tokens` tokens long (JSON answers can be longer: their skeleton comes first).
 * `hints` are field values the prompt spells out (`author_id="aino"`): a JSON answer copies them into string or enum
 * properties of that name, as an instruction-following model would (see `promptHints`).
 */
export function answerText(format: ResponseFormatRequest, tokens: number, seed = 0, hints: Readonly<Record<string, string>> = {}): string {
  const budget = tokens * charactersPerToken;
  if (format.type === 'text') return fillerText(budget, seed);
  const slots: TextSlot[] = [];
  const skeleton =
    format.type === 'json_schema'
      ? fillFromSchema(format.schema, format.schema, slots, hints)
      : fillFromSchema(textObjectSchema, {}, slots, hints);
  // The free-text fields share what the skeleton leaves of the budget, first come first served, within their maxLength.
  let remaining = budget - JSON.stringify(skeleton).length;
  for (const slot of slots) {
    if (remaining <= 0) break;
    const length = Math.min(slot.maxLength, slot.current.length + remaining);
    remaining -= length - slot.current.length;
    slot.set(fillerText(length, seed));
  }
  return JSON.stringify(skeleton);
}

const textObjectSchema = { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] };

/** `name="value"` pairs in a prompt (the last one of a name wins): what `answerText` copies into matching fields. */
export function promptHints(prompt: string): Record<string, string> {
  const hints: Record<string, string> = {};
  for (const match of prompt.matchAll(/\b([A-Za-z_][A-Za-z0-9_]{0,40})="([^"\n\\]{1,200})"/g))
    hints[match[1] as string] = match[2] as string;
  return hints;
}

/** Splits text into tokens of `charactersPerToken` characters (the last may be shorter). */
export function toTokens(text: string): string[] {
  const tokens: string[] = [];
  for (let start = 0; start < text.length; start += charactersPerToken) tokens.push(text.slice(start, start + charactersPerToken));
  return tokens;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function resolveRef(schema: unknown, root: unknown): Record<string, unknown> {
  if (typeof schema !== 'object' || schema === null) return {};
  const node = schema as Record<string, unknown>;
  const ref = node.$ref;
  if (typeof ref !== 'string' || !ref.startsWith('#/')) return node;
  let target: unknown = root;
  for (const part of ref.slice(2).split('/')) target = (target as Record<string, unknown> | undefined)?.[part];
  return resolveRef(target, root);
}

interface TextSlot {
  current: string;
  maxLength: number;
  set(value: string): void;
}

/** The hinted value when the property is a string (within its bounds) or an enum that has it. */
function hintFor(schema: unknown, root: unknown, hint: string | undefined): string | undefined {
  if (hint === undefined) return undefined;
  const node = resolveRef(schema, root);
  if (Array.isArray(node.enum)) return node.enum.includes(hint) ? hint : undefined;
  const type = Array.isArray(node.type) ? node.type : [node.type];
  if (!type.includes('string')) return undefined;
  if (typeof node.maxLength === 'number' && hint.length > node.maxLength) return undefined;
  if (typeof node.minLength === 'number' && hint.length < node.minLength) return undefined;
  return hint;
}

/**
 * A value that validates against common JSON schemas (objects, arrays, enums, consts, anyOf/oneOf, bounds).
 * Free-text strings are collected in `slots` so the caller can lengthen them.
 */
export function fillFromSchema(schema: unknown, root: unknown, slots: TextSlot[] = [], hints: Readonly<Record<string, string>> = {}): Json {
  const node = resolveRef(schema, root);
  if ('const' in node) return node.const as Json;
  if (Array.isArray(node.enum) && node.enum.length > 0) return node.enum[0] as Json;
  const choices = (node.anyOf ?? node.oneOf) as unknown[] | undefined;
  if (Array.isArray(choices) && choices.length > 0) {
    const nonNull = choices.find((choice) => resolveRef(choice, root).type !== 'null') ?? choices[0];
    return fillFromSchema(nonNull, root, slots, hints);
  }
  if (Array.isArray(node.allOf) && node.allOf.length > 0) return fillFromSchema(node.allOf[0], root, slots, hints);
  let type = node.type;
  if (Array.isArray(type)) type = type.find((candidate) => candidate !== 'null') ?? type[0];
  if (type === undefined && typeof node.properties === 'object') type = 'object';
  switch (type) {
    case 'object': {
      const properties = (node.properties ?? {}) as Record<string, unknown>;
      const result: Record<string, Json> = {};
      for (const [key, value] of Object.entries(properties)) {
        const hinted = hintFor(value, root, hints[key]);
        if (hinted !== undefined) {
          result[key] = hinted;
          continue;
        }
        const slotCount = slots.length;
        result[key] = fillFromSchema(value, root, slots, hints);
        // A string property's slot writes back into this object.
        const slot = slots[slotCount];
        if (slots.length === slotCount + 1 && slot !== undefined && typeof result[key] === 'string' && slot.current === result[key])
          slot.set = (text) => {
            slot.current = text;
            result[key] = text;
          };
      }
      return result;
    }
    case 'array': {
      const count = typeof node.minItems === 'number' ? node.minItems : 1;
      const items: Json[] = [];
      for (let index = 0; index < count; index++) {
        const slotCount = slots.length;
        items.push(fillFromSchema(node.items ?? {}, root, slots, hints));
        const slot = slots[slotCount];
        if (slots.length === slotCount + 1 && slot !== undefined && typeof items[index] === 'string')
          slot.set = (text) => {
            slot.current = text;
            items[index] = text;
          };
      }
      return items;
    }
    case 'string': {
      const minLength = typeof node.minLength === 'number' ? node.minLength : 1;
      const text = fillerText(Math.max(minLength, 1));
      const slot: TextSlot = {
        current: text,
        maxLength: typeof node.maxLength === 'number' ? node.maxLength : Number.POSITIVE_INFINITY,
        set: (value) => {
          slot.current = value;
        },
      };
      slots.push(slot);
      return text;
    }
    case 'integer':
    case 'number': {
      if (typeof node.minimum === 'number') return type === 'integer' ? Math.ceil(node.minimum) : node.minimum;
      if (typeof node.exclusiveMinimum === 'number') return Math.floor(node.exclusiveMinimum) + 1;
      if (typeof node.maximum === 'number') return Math.min(0, node.maximum);
      return 0;
    }
    case 'boolean':
      return false;
    case 'null':
      return null;
    default:
      return fillerText(8);
  }
}
