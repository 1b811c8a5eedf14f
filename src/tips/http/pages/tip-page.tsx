/** The one-tip page and its card (also the htmx fragment after a reaction). Text from signals and models is escaped by preact. */
import type { LoggedCandidate, TipView } from '../../services/index.js';
import { TipDocument } from './document.js';

const kindLabel = { todo: 'Do', advice: 'Advice', nothing: 'All clear' } as const;

function ReactionButton({ value, label, primary, ask }: { value: string; label: string; primary?: boolean; ask?: boolean }) {
  return (
    <button type="submit" name="reaction" value={value} class={primary ? 'primary' : undefined} data-reaction={ask ? 'ask' : value}>
      {label}
    </button>
  );
}

export function TipCard({ view }: { view: TipView }) {
  if (view.status === 'error') {
    return (
      <section id="tip" class="tip tip-calm" aria-live="polite">
        <p class="tip-kind">Something went wrong</p>
        <p class="tip-text">{view.message}</p>
      </section>
    );
  }
  if (view.status === 'quiet') {
    return (
      <section id="tip" class="tip tip-calm" aria-live="polite" data-status="quiet">
        <p class="tip-kind">{view.reason === 'quiet_hours' ? 'Quiet hours' : 'That was today'}</p>
        <p class="tip-text">
          {view.reason === 'quiet_hours' ? `Nothing until ${view.until}. Rest.` : 'That is enough tips for one day. See you tomorrow.'}
        </p>
      </section>
    );
  }
  const { decision, receipt } = view;
  const chosen = decision.candidates[decision.chosenIndex] as LoggedCandidate;
  const action = `/tips/decisions/${encodeURIComponent(decision.decisionId)}/reaction`;
  const nothing = chosen.kind === 'nothing';
  return (
    <section
      id="tip"
      class={nothing ? 'tip tip-calm' : 'tip'}
      aria-live="polite"
      data-decision={decision.decisionId}
      data-kind={chosen.kind}
    >
      <p class="tip-kind">{kindLabel[chosen.kind]}</p>
      <h1 class="tip-text">{chosen.text}</h1>
      <form method="post" action={action} hx-post={action} hx-target="#tip" hx-swap="outerHTML" hx-disabled-elt="find button">
        <fieldset class="reactions">
          <legend class="visually-hidden" hidden>
            React to this tip
          </legend>
          {nothing ? (
            <>
              <ReactionButton value="helpful" label="Good" primary />
              <ReactionButton value="ask" label="Show me a tip" ask />
            </>
          ) : (
            <>
              {chosen.kind === 'todo' ? (
                <ReactionButton value="done" label="Done" primary />
              ) : (
                <ReactionButton value="helpful" label="Helpful" primary />
              )}
              {chosen.kind === 'todo' ? <ReactionButton value="helpful" label="Helpful" /> : null}
              <ReactionButton value="not_now" label="Not now" />
              <ReactionButton value="dismiss" label="Dismiss" />
            </>
          )}
        </fieldset>
      </form>
      <details class="why">
        <summary>Why this?</summary>
        <dl>
          <dt>Because</dt>
          <dd>{receipt.rationale}</dd>
          <dt>Signals</dt>
          <dd>
            {receipt.signals.length === 0 ? (
              'none'
            ) : (
              <ul>
                {receipt.signals.map((signal) => (
                  <li key={signal}>{signal}</li>
                ))}
              </ul>
            )}
          </dd>
          <dt>Runner-up</dt>
          <dd>{receipt.runnerUp ? `${receipt.runnerUp.text} (score ${receipt.runnerUp.score.toFixed(2)})` : 'none'}</dd>
          <dt>Chosen with</dt>
          <dd>
            probability {(decision.propensity * 100).toFixed(0)} % among {decision.candidates.length}, score {chosen.score.toFixed(2)}, rule{' '}
            {receipt.rule}
          </dd>
          <dt>Policy</dt>
          <dd>
            {decision.policyVersion} · {decision.decisionId}
          </dd>
        </dl>
      </details>
    </section>
  );
}

export function TipPage({ view, now }: { view: TipView; now: string }) {
  return (
    <TipDocument title="oO">
      <div class="face">
        <header class="face-top">
          <a class="mark" href="/" title="Koivulahti">
            oO
          </a>
          <span>{now}</span>
        </header>
        <main class="face-center">
          <TipCard view={view} />
        </main>
        <footer class="face-bottom">
          <a href="/tips/signals">Add signals</a>
          <a href="/tips/decisions">Decisions</a>
        </footer>
      </div>
    </TipDocument>
  );
}
