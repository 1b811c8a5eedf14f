/** The decision log page: every tip the policy chose, newest first. */
import type { LogRow } from '../../services/index.js';
import { TipDocument } from './document.js';

const reactionLabel: Record<string, string> = { done: 'done', helpful: 'helpful', not_now: 'not now', dismiss: 'dismissed' };

export function DecisionLogPage({ rows, timeZone }: { rows: LogRow[]; timeZone: string }) {
  return (
    <TipDocument title="Decisions · oO">
      <div class="entry">
        <a class="mark" href="/tips">
          ← oO
        </a>
        <h1>Decisions</h1>
        <p class="lead">
          Every tip the policy chose, newest first, with the chance it had and what you said. Times in {timeZone}. The full record (context,
          every candidate with its score and propensity) is at <a href="/api/tips/decisions">/api/tips/decisions</a>.
        </p>
        {rows.length === 0 ? <p class="notice">No decisions yet.</p> : null}
        <ol class="log">
          {rows.map((row) => (
            <li key={row.decisionId} data-decision={row.decisionId}>
              <p class="log-text">{row.text}</p>
              <p class="log-meta">
                {row.when} · {row.kind} · {(row.propensity * 100).toFixed(0)} % of {row.candidates} ·{' '}
                {row.reaction
                  ? `${reactionLabel[row.reaction] ?? row.reaction} (${row.reward ?? 0})`
                  : row.shown
                    ? 'no reaction yet'
                    : 'not shown'}
                {' · '}
                <a href={`/api/tips/decisions/${encodeURIComponent(row.decisionId)}/verify`}>{row.policyVersion}</a>
              </p>
            </li>
          ))}
        </ol>
      </div>
    </TipDocument>
  );
}
