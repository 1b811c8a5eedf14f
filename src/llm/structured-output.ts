/**
 * Structured output: the JSON schema a model is asked for, and turning its untrusted text back into a value —
 * strip code fences, parse, repair (jsonrepair), validate with zod — with a precise reason when that fails.
 */
import { jsonrepair } from 'jsonrepair';
import { z } from 'zod';
import type { ChatMessage, FinishReason } from './provider.js';

export type JsonSchema = Record<string, unknown>;

const jsonSchemas = new WeakMap<z.ZodType, JsonSchema>();

/**
 * The JSON schema of what the model must write (zod's input side: what `schema.parse` accepts). Callers pass the same
 * schema object on every call, so the conversion is done once per schema; treat the result as read-only.
 */
export function toJsonSchema(schema: z.ZodType): JsonSchema {
  let converted = jsonSchemas.get(schema);
  if (!converted) {
    const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
    converted = rest;
    jsonSchemas.set(schema, converted);
  }
  return converted;
}

/**
 * Puts the JSON instruction at the very start of the prompt (merged into the first system message, since some chat
 * templates accept a single leading system message only). It is the same for every call with this schema, so the
 * prompt prefix stays stable for llama.cpp / vLLM prefix caching.
 */
export function withJsonInstruction(messages: readonly ChatMessage[], schema: JsonSchema): ChatMessage[] {
  const instruction = `Reply with one JSON object and nothing else: no prose, no code fences. It must match this JSON schema:\n${JSON.stringify(schema)}`;
  const [first, ...rest] = messages;
  if (first?.role === 'system') return [{ role: 'system', content: `${instruction}\n\n${first.content}` }, ...rest];
  return [{ role: 'system', content: instruction }, ...messages];
}

/** The messages of the one retry: the model sees its answer and what was wrong with it. */
export function withValidationFeedback(messages: readonly ChatMessage[], rawText: string, problem: string): ChatMessage[] {
  return [
    ...messages,
    { role: 'assistant', content: rawText },
    {
      role: 'user',
      content: `Your reply was not accepted: ${problem}\nReply again with only the corrected JSON object that matches the schema.`,
    },
  ];
}

export type ParseOutcome<T> =
  | { ok: true; value: T; repaired: boolean }
  | { ok: false; kind: 'truncated' | 'unparseable' | 'invalid'; problem: string };

/**
 * Reads a model's reply as a value of `schema`. `repaired` is true when the text was not plain JSON (fences, trailing
 * commas, missing quotes...) but jsonrepair made it parse. A reply cut off at the token limit is `truncated` even
 * when a repair would parse: closing the brackets of half an answer does not make it a whole one.
 */
export function parseModelOutput<T>(schema: z.ZodType<T>, text: string, finishReason?: FinishReason): ParseOutcome<T> {
  if (finishReason === 'length')
    return { ok: false, kind: 'truncated', problem: 'the reply was cut off at the token limit; write a shorter complete JSON object.' };
  const stripped = stripCodeFences(text);
  let value: unknown;
  let repaired = stripped !== text.trim();
  try {
    value = JSON.parse(stripped);
  } catch {
    try {
      value = JSON.parse(jsonrepair(stripped));
      repaired = true;
    } catch (error) {
      return { ok: false, kind: 'unparseable', problem: `the reply is not JSON (${(error as Error).message}).` };
    }
  }
  const result = schema.safeParse(value);
  if (!result.success) return { ok: false, kind: 'invalid', problem: describeIssues(result.error) };
  return { ok: true, value: result.data, repaired };
}

/** The JSON inside ```json fences (or the outermost object/array when the model wrapped it in prose). */
export function stripCodeFences(text: string): string {
  const trimmed = text.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) return trimmed;
  const fenced = /```[\w-]*\s*\n?([\s\S]*?)(?:```|$)/.exec(trimmed);
  if (fenced?.[1] !== undefined) return fenced[1].trim();
  const start = trimmed.search(/[{[]/);
  if (start === -1) return trimmed;
  const closer = trimmed[start] === '{' ? '}' : ']';
  const end = trimmed.lastIndexOf(closer);
  return end > start ? trimmed.slice(start, end + 1) : trimmed.slice(start);
}

function describeIssues(error: z.ZodError): string {
  const issues = error.issues.slice(0, 8).map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${issue.message}`);
  const more = error.issues.length > 8 ? ` (and ${error.issues.length - 8} more)` : '';
  return `it does not match the schema: ${issues.join('; ')}${more}.`;
}

/** At most `maxBytes` of UTF-8, cut on a character boundary; for failure records. */
export function excerpt(text: string, maxBytes = 2048): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return text;
  let cut = maxBytes;
  // Step back over UTF-8 continuation bytes (10xxxxxx) so the excerpt ends on a whole character.
  while (cut > 0 && ((bytes[cut] ?? 0) & 0xc0) === 0x80) cut--;
  return bytes.subarray(0, cut).toString('utf8');
}

/** JSON with object keys sorted, so equal values hash equally whatever order they were built in. */
export function stableStringify(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) => {
    if (inner === null || typeof inner !== 'object' || Array.isArray(inner)) return inner;
    return Object.fromEntries(Object.entries(inner as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  });
}
