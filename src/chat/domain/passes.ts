/**
 * The post-turn passes' shapes and their deterministic first guesses (the classifier's fallback and the offline
 * writer's answer): state update, significance, time passage. Plus the auto-pin rule: cap 8, soft-cap eviction.
 */

import { z } from 'zod';
import { clamp } from '../../core/math.js';

export const edgeDeltaSchema = z.object({
  affinity_delta: z.number().int().min(-10).max(10),
  trust_delta: z.number().int().min(-10).max(10),
  knowledge_facts: z.array(z.string().max(300)).max(5),
});

export const stateUpdateSchema = z.object({
  bot_to_you: edgeDeltaSchema,
  you_to_bot: edgeDeltaSchema,
});

export const significanceSchema = z.object({
  significance: z.number().int().min(0).max(3),
  reason: z.string().max(300),
});

export const timePassageSchema = z.object({
  minutes: z.number().int().min(0).max(1440),
});

export type StateUpdate = z.infer<typeof stateUpdateSchema>;

const warm = /\b(thank|thanks|love|glad|smile[sd]?|laugh(s|ed)?|hug(s|ged)?|kind|sorry|please|happy|together)\b/gi;
const cold = /\b(hate|angry|shout(s|ed)?|leave me|go away|liar|lied|stupid|slam(s|med)?|glare[sd]?|idiot)\b/gi;
const trusting = /\b(promise|secret|trust|honest|truth|confess(es|ed)?|tell you)\b/gi;

function count(pattern: RegExp, text: string): number {
  return text.match(pattern)?.length ?? 0;
}

const bounded = (value: number): number => clamp(value, -10, 10);

/** Word-count sentiment: small, symmetric deltas; the classifier refines them when a model is configured. */
export function heuristicStateUpdate(userText: string, replyText: string): StateUpdate {
  const both = `${userText} ${replyText}`;
  const mood = count(warm, both) - count(cold, both);
  const trust = count(trusting, both) - count(cold, both);
  const delta = {
    affinity_delta: bounded(Math.sign(mood) * Math.min(3, Math.abs(mood))),
    trust_delta: bounded(Math.sign(trust) * Math.min(2, Math.abs(trust))),
    knowledge_facts: [] as string[],
  };
  return { bot_to_you: delta, you_to_bot: { ...delta } };
}

const weighty =
  /\b(die[sd]?|death|kiss(es|ed)?|marry|married|pregnant|fired|quit|secret|confess(es|ed)?|love you|goodbye|forever|promise)\b/gi;

export function heuristicSignificance(userText: string, replyText: string): number {
  const hits = count(weighty, `${userText} ${replyText}`);
  return hits >= 3 ? 3 : hits === 2 ? 2 : 1;
}

/** About a minute per 25 words said, at least one. */
export function heuristicMinutes(userText: string, replyText: string): number {
  const words = `${userText} ${replyText}`.split(/\s+/).filter(Boolean).length;
  return Math.max(1, Math.min(30, Math.round(words / 25)));
}

export interface PinCandidate {
  memory_id: string;
  pinned: boolean;
  auto_pinned: boolean;
  significance: number;
  /** Log position or any increasing order: smaller is older. */
  order: number;
}

export const pinCap = 8;

/**
 * Auto-pin on significance 3. Under the cap: pin. At the cap: evict the oldest auto-pinned memory of the lowest
 * significance (never a manual pin); when every pin is manual, do not pin.
 */
export function decideAutoPin(
  memoryId: string,
  significance: number,
  owned: readonly PinCandidate[],
  cap = pinCap,
): { pin: boolean; evict: string | null } {
  if (significance < 3) return { pin: false, evict: null };
  const pinned = owned.filter((memory) => memory.pinned && memory.memory_id !== memoryId);
  if (pinned.length < cap) return { pin: true, evict: null };
  const evictable = pinned.filter((memory) => memory.auto_pinned).sort((a, b) => a.significance - b.significance || a.order - b.order);
  const victim = evictable[0];
  return victim ? { pin: true, evict: victim.memory_id } : { pin: false, evict: null };
}

/** Hard signals that a scene is over: the place changes, or someone says goodbye / "we're done here". */
export const sceneSignalSchema = z.object({
  close: z.boolean(),
  container_change: z.boolean(),
  new_container: z.string().max(200),
  reason: z.string().max(300),
});

export type SceneSignal = z.infer<typeof sceneSignalSchema>;

const moving =
  /\b(?:drove|drive|walked|walk|went|go|headed|head|ran|run|took a taxi|moved|move) (?:over |back |out |off |down |up )?(?:to|into|towards) (?:the |a |an |my |your |our |her |his |their )?([a-zåäö' -]{2,40}?)(?=[.,!?;"*]|\s+(?:and|then|together)\b|$)/i;
const farewell = /\b(good ?bye|good night|see you (?:tomorrow|later|soon)|we'?re done here|that'?s all for (?:today|tonight)|farewell)\b/i;

/** The deterministic first reading of the scene-close pass (the classifier's fallback and the offline answer). */
export function heuristicSceneSignal(userText: string, replyText: string): SceneSignal {
  const text = `${userText}\n${replyText}`;
  const move = moving.exec(text);
  if (move?.[1]) {
    const place = move[1].trim().replace(/\s+/g, ' ');
    return {
      close: true,
      container_change: true,
      new_container: place.charAt(0).toUpperCase() + place.slice(1),
      reason: `moved: ${move[0].trim()}`,
    };
  }
  const bye = farewell.exec(text);
  if (bye) return { close: true, container_change: false, new_container: '', reason: `farewell: ${bye[0]}` };
  return { close: false, container_change: false, new_container: '', reason: 'no hard signal' };
}

/** The per-POV summary written when a scene closes. */
export const sceneSummarySchema = z.object({
  summary: z.string().min(1).max(1500),
  edge_summary: z.string().max(1000),
});

export type SceneSummary = z.infer<typeof sceneSummarySchema>;

/** Without a model: the scene's memories, shortened, as one summary; the edge summary gains the newest of them. */
export function heuristicSceneSummary(place: string, memories: readonly string[], priorEdgeSummary: string): SceneSummary {
  const cut = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1).trimEnd()}…`);
  const body = memories.length === 0 ? 'nothing much happened' : memories.map((memory) => cut(memory, 200)).join(' / ');
  const summary = cut(`At ${place}: ${body}`, 1500);
  const latest = memories.at(-1);
  const edge = latest
    ? cut(`${priorEdgeSummary ? `${priorEdgeSummary} ` : ''}Last time at ${place}: ${cut(latest, 160)}`, 1000)
    : priorEdgeSummary;
  return { summary, edge_summary: edge };
}
