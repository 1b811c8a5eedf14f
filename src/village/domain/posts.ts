/**
 * Posts: the seed's GeneratedPost schema (what the writer model must return) and the engine-boundary checks a post
 * passes before it is published. Pure: no I/O, no clock.
 */
import { z } from 'zod';
import { type Channel, channels } from './catalog-schema.js';

export const tones = ['friendly', 'neutral', 'defensive', 'snarky', 'concerned', 'formal', 'hyped'] as const;
export type Tone = (typeof tones)[number];

/** seeds/000 `GeneratedPost`: what `generateObject('writer', ...)` is asked for. */
export const generatedPostSchema = z.object({
  channel: z.enum(channels),
  author_id: z.string().min(1).max(100),
  source_event_id: z.string().min(1).max(200),
  tone: z.enum(tones),
  text: z.string().min(1).max(20_000),
  tags: z.array(z.string().max(40)).max(12).default([]),
  safety_notes: z.string().max(500).nullish(),
});

export type GeneratedPost = z.output<typeof generatedPostSchema>;

export type ChannelLimits = Record<Channel, number>;

export interface RenderTarget {
  channel: Channel;
  authorId: string;
  sourceEventId: string;
}

/** Anything that looks like a link: a scheme, `www.` or a bare domain with a common top-level domain. */
const linkPattern =
  /\b(?:[a-z][a-z0-9+.-]*:\/\/|www\.)\S+|\b[\w-]+(?:\.[\w-]+)*\.(?:com|net|org|fi|io|info|biz|ru|xyz|ly|co|me|app|dev)\b/i;

export function containsLink(text: string): boolean {
  return linkPattern.test(text);
}

/**
 * The engine-boundary checks of issue 5: the ids match the job, the text fits the channel's limit, no links.
 * Returns the reasons a post is refused (empty = accepted). Moderation is checked separately (it may call a model).
 */
export function boundaryProblems(post: GeneratedPost, target: RenderTarget, limits: ChannelLimits): string[] {
  const problems: string[] = [];
  if (post.channel !== target.channel) problems.push(`channel ${post.channel} is not the job's ${target.channel}`);
  if (post.author_id !== target.authorId) problems.push(`author_id ${post.author_id} is not the job's ${target.authorId}`);
  if (post.source_event_id !== target.sourceEventId)
    problems.push(`source_event_id ${post.source_event_id} is not the job's ${target.sourceEventId}`);
  const length = Array.from(post.text.trim()).length;
  if (length === 0) problems.push('the text is empty');
  if (length > limits[target.channel])
    problems.push(`the text has ${length} characters; ${target.channel} allows ${limits[target.channel]}`);
  if (containsLink(post.text)) problems.push('the text contains a link');
  return problems;
}

/** Default tone of a post by the event's category and the channel (the offline writer and the fallback use it). */
export function defaultTone(channel: Channel, category: string, valence: number): Tone {
  if (channel === 'NEWS') return 'formal';
  if (category === 'conflict') return valence < -0.4 ? 'defensive' : 'concerned';
  if (category === 'community' || category === 'life') return valence > 0.3 ? 'hyped' : 'friendly';
  if (category === 'town') return 'concerned';
  return valence >= 0 ? 'friendly' : 'neutral';
}
