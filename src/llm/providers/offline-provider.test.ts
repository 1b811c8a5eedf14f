import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { ChatMessage, ProviderRequest } from '../provider.js';
import { toJsonSchema } from '../structured-output.js';
import { createOfflineProvider, fillTemplate } from './offline-provider.js';

const provider = createOfflineProvider();
const messages: ChatMessage[] = [{ role: 'user', content: 'Kirjoita julkaisu.' }];

function objectRequest(schema: z.ZodType, context: Record<string, unknown> = {}, prompt = messages): ProviderRequest {
  return {
    model: 'offline',
    messages: prompt,
    params: {},
    responseFormat: { type: 'json_schema', name: 'response', schema: toJsonSchema(schema) },
    context,
  };
}

async function write<Schema extends z.ZodType>(
  schema: Schema,
  context: Record<string, unknown> = {},
  prompt = messages,
): Promise<z.output<Schema>> {
  const result = await provider.generate(objectRequest(schema, context, prompt));
  expect(result.model).toBe('offline');
  return schema.parse(JSON.parse(result.text));
}

const Post = z.strictObject({
  channel: z.enum(['FEED', 'CHAT', 'NEWS']),
  authorId: z.string().min(1),
  body: z.string().min(10).max(280),
  mood: z.number().min(-1).max(1),
  tags: z.array(z.string()).min(2).max(4),
  replyTo: z.string().nullable(),
  sensitive: z.boolean(),
  rating: z.number().int().gt(2).lte(5),
  meta: z.object({ language: z.literal('fi'), words: z.number().int().positive().optional() }),
});

describe('offline provider', () => {
  it('writes schema-valid output for enums, bounds, arrays, nullables, literals and nested objects', async () => {
    const post = await write(Post);
    expect(post.channel).toBe('FEED');
    expect(post.tags).toHaveLength(2);
    expect(post.rating).toBe(3);
    expect(post.meta).toEqual({ language: 'fi' });
    expect(post.body.length).toBeGreaterThanOrEqual(10);
  });

  it('fills the free-text field from context.template with placeholders, and uses context values by name', async () => {
    const post = await write(Post, {
      template: '{author.name} kertoo: {event}! {missing}',
      author: { name: 'Aino' },
      event: 'Kirjaston kahvila aukeaa',
      authorId: 'npc-aino',
      channel: 'NEWS',
      mood: 0.5,
      tags: ['kirjasto', 'kahvila'],
    });
    expect(post.body).toBe('Aino kertoo: Kirjaston kahvila aukeaa! {missing}');
    expect(post.authorId).toBe('npc-aino');
    expect(post.channel).toBe('NEWS');
    expect(post.mood).toBe(0.5);
    expect(post.tags).toEqual(['kirjasto', 'kahvila']);
  });

  it('takes per-field templates and keeps text within maxLength', async () => {
    const Headline = z.object({ headline: z.string().max(12), lede: z.string() });
    const result = await write(Headline, { templates: { headline: 'Koivulahden uutiset tänään', lede: 'Kylässä {what}.' }, what: 'sataa' });
    expect(result.headline).toBe('Koivulahden…');
    expect(Array.from(result.headline)).toHaveLength(12);
    expect(result.lede).toBe('Kylässä sataa.');
  });

  it('is deterministic: the same prompt picks the same template, and context.seed drives the pick', async () => {
    const Note = z.object({ text: z.string() });
    const templates = ['yksi', 'kaksi', 'kolme', 'neljä', 'viisi', 'kuusi', 'seitsemän', 'kahdeksan'];
    const first = await write(Note, { template: templates });
    const again = await write(Note, { template: templates });
    expect(again).toEqual(first);
    const picks = new Set<string>();
    for (let seed = 0; seed < 40; seed++) picks.add((await write(Note, { template: templates, seed })).text);
    expect(picks.size).toBeGreaterThan(1);
  });

  it('picks enums by context.seed when one is given, else the first value', async () => {
    const Choice = z.object({ pick: z.enum(['a', 'b', 'c', 'd', 'e', 'f']) });
    expect((await write(Choice)).pick).toBe('a');
    const picks = new Set<string>();
    for (let seed = 0; seed < 30; seed++) picks.add((await write(Choice, { seed })).pick);
    expect(picks.size).toBeGreaterThan(1);
  });

  it('handles recursive schemas through $ref', async () => {
    type Node = { name: string; children: Node[] };
    const NodeSchema: z.ZodType<Node> = z.lazy(() => z.object({ name: z.string(), children: z.array(NodeSchema) }));
    expect(await write(NodeSchema)).toEqual({ name: '(offline) name', children: [] });
  });

  it('streams the words of the filled template and then a finish part', async () => {
    const parts = [];
    for await (const part of provider.stream({
      model: 'offline',
      messages,
      params: {},
      responseFormat: { type: 'text' },
      context: { template: 'Hei {name}, mitä kuuluu?', name: 'Eero' },
    }))
      parts.push(part);
    const text = parts.flatMap((part) => (part.type === 'text-delta' ? [part.text] : [])).join('');
    expect(text).toBe('Hei Eero, mitä kuuluu?');
    expect(parts.filter((part) => part.type === 'text-delta').length).toBe(4);
    expect(parts.at(-1)).toMatchObject({ type: 'finish', model: 'offline', finishReason: 'stop' });
  });

  it('embeds deterministically, with similar texts closer than unrelated ones', async () => {
    const embed = provider.embed;
    if (embed === undefined) throw new Error('offline provider must embed');
    const [a, b, c, again] = await embed(
      ['kissa istuu ikkunalla', 'kissa istuu ikkunalla tänään', 'pörssikurssit laskivat', 'kissa istuu ikkunalla'],
      {
        model: 'offline',
      },
    );
    const dot = (x: number[] = [], y: number[] = []) => x.reduce((sum, value, index) => sum + value * (y[index] ?? 0), 0);
    expect(again).toEqual(a);
    expect(dot(a, b)).toBeGreaterThan(dot(a, c));
    expect(a).toHaveLength(64);
  });

  it('honours an aborted signal', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(provider.generate({ ...objectRequest(Post), signal: controller.signal })).rejects.toMatchObject({ code: 'llm_aborted' });
  });
});

describe('fillTemplate', () => {
  it('reads nested paths and numbers, innermost scope first', () => {
    expect(fillTemplate('{a.b} {n} {x}', [{ x: 'inner' }, { a: { b: 'B' }, n: 3, x: 'outer' }])).toBe('B 3 inner');
  });
});
