/**
 * The decision log as a table (`tips_decisions`), kept by an inline projection in the append's transaction, so
 * `GET /api/tips/decisions` is one indexed query. The event log stays the truth; the table can be rebuilt from it.
 */
import type { Kysely } from 'kysely';
import type { InlineProjection, RecordedEvent, SqlDialect } from '../../store/index.js';
import { readJson } from '../../store/index.js';
import type { DecisionData, Reaction } from '../domain/events.js';

interface DecisionRow {
  decision_id: string;
  user_id: string;
  decided_at: number;
  policy_version: string;
  chosen_key: string;
  chosen_text: string;
  propensity: number;
  shown_at: number | null;
  reaction: string | null;
  reward: number | null;
  reacted_at: number | null;
  record: unknown;
}

type Tables = { tips_decisions: DecisionRow };

export const decisionLogProjection: InlineProjection = {
  name: 'tips-decision-log',
  handles: ['tip_decided', 'tip_shown', 'tip_reacted'],
  async apply(transaction, events) {
    const db = transaction as Kysely<Tables>;
    for (const event of events as RecordedEvent[]) {
      if (event.type === 'tip_decided') {
        const data = event.data as DecisionData;
        const chosen = data.candidates[data.chosenIndex];
        await db
          .insertInto('tips_decisions')
          .values({
            decision_id: data.decisionId,
            user_id: event.streamId.replace(/^user-/, ''),
            decided_at: data.at,
            policy_version: data.policyVersion,
            chosen_key: data.chosenKey,
            chosen_text: chosen?.text ?? '',
            propensity: data.propensity,
            shown_at: null,
            reaction: null,
            reward: null,
            reacted_at: null,
            record: JSON.stringify(data),
          })
          .execute();
      } else if (event.type === 'tip_shown') {
        const data = event.data as { decisionId: string; at: number };
        await db
          .updateTable('tips_decisions')
          .set({ shown_at: data.at })
          .where('decision_id', '=', data.decisionId)
          .where('shown_at', 'is', null)
          .execute();
      } else if (event.type === 'tip_reacted') {
        const data = event.data as { decisionId: string; reaction: Reaction; reward: number; at: number };
        await db
          .updateTable('tips_decisions')
          .set({ reaction: data.reaction, reward: data.reward, reacted_at: data.at })
          .where('decision_id', '=', data.decisionId)
          .where('reaction', 'is', null)
          .execute();
      }
    }
  },
};

export interface DecisionLogEntry {
  decisionId: string;
  decidedAt: number;
  policyVersion: string;
  chosenKey: string;
  chosenText: string;
  propensity: number;
  shownAt: number | null;
  reaction: string | null;
  reward: number | null;
  reactedAt: number | null;
  record: DecisionData;
}

export async function readDecisionLog(
  db: Kysely<unknown>,
  dialect: SqlDialect,
  userId: string,
  options: { limit: number; before?: number | undefined },
): Promise<DecisionLogEntry[]> {
  let query = (db as unknown as Kysely<Tables>)
    .selectFrom('tips_decisions')
    .selectAll()
    .where('user_id', '=', userId)
    .orderBy('decided_at', 'desc')
    .orderBy('decision_id', 'desc')
    .limit(options.limit);
  if (options.before !== undefined) query = query.where('decided_at', '<', options.before);
  const rows = await query.execute();
  return rows.map((row) => ({
    decisionId: row.decision_id,
    decidedAt: Number(row.decided_at),
    policyVersion: row.policy_version,
    chosenKey: row.chosen_key,
    chosenText: row.chosen_text,
    propensity: Number(row.propensity),
    shownAt: row.shown_at === null ? null : Number(row.shown_at),
    reaction: row.reaction,
    reward: row.reward === null ? null : Number(row.reward),
    reactedAt: row.reacted_at === null ? null : Number(row.reacted_at),
    record: readJson<DecisionData>(row.record, dialect),
  }));
}
