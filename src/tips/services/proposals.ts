/**
 * The LLM's part in a decision: candidates proposed by the `tip-generator` alias (none while it is the offline writer,
 * or when the call fails: rules only), and, with a real `embedder`, dropping candidates too close to a recent tip.
 */
import { z } from 'zod';
import { type Candidate, clip, maxTipLength } from '../domain/candidates.js';
import { computeFacts } from '../domain/features.js';
import { cosine } from '../domain/similarity.js';
import type { TipsState } from '../domain/state.js';
import type { TipsContext } from './context.js';

/** What the LLM's part needs: the gateway, its settings and a logger for its failures. */
export type ProposalContext = Pick<TipsContext, 'config' | 'llm' | 'logger'>;

const minute = 60_000;

/** What the tip-generator alias must answer. */
export const tipCandidatesSchema = z.object({
  tips: z
    .array(
      z.object({
        kind: z.enum(['advice', 'todo']),
        text: z.string().trim().min(1).max(maxTipLength),
        rationale: z.string().trim().max(300).default(''),
        source_signal_ids: z.array(z.string()).max(10).default([]),
        minutes: z.number().int().min(0).max(240).default(10),
      }),
    )
    .max(5),
});

/** The signals the prompt lists, each with its id, and which ids the model may cite. */
function signalLines(state: TipsState): { lines: string[]; known: Set<string> } {
  const known = new Set<string>();
  const lines: string[] = [];
  for (const task of [...state.tasks.values()].filter((task) => !task.done).slice(0, 20)) {
    known.add(task.signalId);
    lines.push(
      `- [${task.signalId}] task "${task.title}" priority ${task.priority}${task.dueAt ? ` due ${new Date(task.dueAt).toISOString()}` : ''}`,
    );
  }
  for (const habit of state.habits.values()) {
    known.add(habit.signalId);
    lines.push(`- [${habit.signalId}] daily habit "${habit.name}"`);
  }
  const mood = state.moods[state.moods.length - 1];
  if (mood) {
    known.add(mood.signalId);
    lines.push(`- [${mood.signalId}] mood ${mood.score}/5${mood.note ? ` "${mood.note}"` : ''}`);
  }
  return { lines, known };
}

function asCandidate(tip: z.output<typeof tipCandidatesSchema>['tips'][number], known: ReadonlySet<string>): Candidate {
  const slug = clip(tip.text, 60)
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, '-');
  return {
    key: `llm:${slug}`,
    kind: tip.kind,
    rule: 'tip-generator',
    group: 'llm',
    text: clip(tip.text, maxTipLength),
    rationale: clip(tip.rationale || 'Suggested by the tip generator.', 300),
    sourceSignalIds: tip.source_signal_ids.filter((id) => known.has(id)),
    minutes: tip.minutes,
    priority: 2,
    salience: 0.4,
    source: 'llm',
  };
}

/** Candidates from the tip-generator alias; none while it is the offline writer, or when the call fails. */
export async function proposedCandidates(
  context: ProposalContext,
  state: TipsState,
  now: number,
  timeZone: string,
  decisionId: string,
): Promise<Candidate[]> {
  const { llm } = context;
  if (!llm || !context.config.llm_candidates || llm.describe('tip-generator').offline) return [];
  const facts = computeFacts(state, now, timeZone);
  const { lines, known } = signalLines(state);
  try {
    const result = await llm.generateObject(
      'tip-generator',
      tipCandidatesSchema,
      [
        {
          role: 'system',
          content:
            'You write short, concrete personal tips. Each tip is advice or a todo, at most 140 characters, grounded in the signals given. Cite the signal ids you used.',
        },
        {
          role: 'user',
          content: `Local time zone ${timeZone}. Open tasks ${facts.openTasks}, overdue ${facts.overdue}, minutes to next meeting ${facts.minutesToNextMeeting ?? 'none'}.\nSignals:\n${lines.join('\n') || '(none)'}\nPropose up to 3 tips.`,
        },
      ],
      { cacheKey: `tips/${decisionId}`, fallback: { tips: [] } },
    );
    return result.object.tips.map((tip) => asCandidate(tip, known));
  } catch (error) {
    context.logger?.warn({ error: (error as Error).message }, 'tip-generator failed; rule candidates only');
    return [];
  }
}

/** With a real `embedder`, drops candidates whose embedding is within 0.9 cosine of a tip reacted to in the window. */
export async function dropEmbeddingDuplicates(
  context: ProposalContext,
  state: TipsState,
  now: number,
  candidates: Candidate[],
): Promise<Candidate[]> {
  const { llm } = context;
  if (!llm || llm.describe('embedder').offline) return candidates;
  const window = context.config.dedup_days * 24 * 60 * minute;
  const recent = [...state.decisions.values()]
    .filter((decision) => decision.reaction !== undefined && decision.reaction !== 'not_now' && (decision.shownAt ?? 0) > now - window)
    .map((decision) => decision.candidates[decision.chosenIndex])
    .filter((candidate) => candidate !== undefined && candidate.kind !== 'nothing')
    .map((candidate) => candidate?.text as string);
  const fresh = candidates.filter((candidate) => candidate.kind !== 'nothing');
  if (recent.length === 0 || fresh.length === 0) return candidates;
  try {
    const { embeddings } = await llm.embed('embedder', [...recent, ...fresh.map((candidate) => candidate.text)]);
    const recentVectors = embeddings.slice(0, recent.length);
    const dropped = new Set<Candidate>();
    fresh.forEach((candidate, index) => {
      const vector = embeddings[recent.length + index] ?? [];
      if (recentVectors.some((other) => cosine(other, vector) >= 0.9)) dropped.add(candidate);
    });
    return candidates.filter((candidate) => !dropped.has(candidate));
  } catch (error) {
    context.logger?.warn({ error: (error as Error).message }, 'embedder failed; lexical near-duplicate check only');
    return candidates;
  }
}
