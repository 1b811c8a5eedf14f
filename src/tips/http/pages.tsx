/** The one-tip page (a black watch face) and the signal entry page. Text from signals and models is escaped by preact. */
import type { ComponentChildren } from 'preact';
import type { LoggedCandidate } from '../domain/events.js';
import type { TrackedDecision } from '../domain/state.js';

export function TipDocument({ title, children }: { title: string; children?: ComponentChildren }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover" />
        <meta name="theme-color" content="#000000" />
        <meta name="color-scheme" content="dark" />
        <meta name="apple-mobile-web-app-capable" content="yes" />
        <meta name="apple-mobile-web-app-status-bar-style" content="black" />
        <title>{title}</title>
        <link rel="manifest" href="/tips/manifest.webmanifest" />
        <link rel="icon" href="/tips/icon.svg" type="image/svg+xml" />
        <link rel="stylesheet" href="/tips/tips.css" />
        <script src="/static/htmx.min.js" defer />
      </head>
      <body>{children}</body>
    </html>
  );
}

export interface Receipt {
  signals: string[];
  runnerUp: LoggedCandidate | undefined;
  rule: string;
  rationale: string;
}

export type TipView =
  | { status: 'tip'; decision: TrackedDecision; receipt: Receipt }
  | { status: 'quiet'; reason: 'quiet_hours' | 'budget'; until: string }
  | { status: 'error'; message: string };

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

export interface SignalsPageProps {
  notice?: { kind: 'ok' | 'error'; text: string } | undefined;
  timeZone: string;
  counts: { tasks: number; habits: number; calendar: number; moods: number; decisions: number };
  habits: Array<{ habitId: string; name: string }>;
  /** Consent per purpose, with the notice version it was recorded under. */
  consents?: Array<{ purpose: string; granted: boolean; noticeVersion: string | null }>;
  noticeVersion?: string;
  /** Todoist OAuth is configured; `connected` when a token is vaulted. */
  todoist?: { oauth: boolean; connected: boolean };
  userId?: string;
}

const purposeText: Record<string, string> = {
  tasks: 'Tasks (manual and Todoist)',
  calendar: 'Calendar',
  mood: 'Mood',
  llm: 'Tip generator (sends task titles and mood to the configured model)',
};

function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

export function SignalsPage({ notice, timeZone, counts, habits, consents, noticeVersion, todoist, userId }: SignalsPageProps) {
  return (
    <TipDocument title="Signals · oO">
      <div class="entry">
        <a class="mark" href="/tips">
          ← oO
        </a>
        <h1>Signals</h1>
        <p class="lead">
          What the tips are made from. Times are in {timeZone}. So far:{' '}
          {[
            plural(counts.tasks, 'task'),
            plural(counts.habits, 'habit'),
            plural(counts.calendar, 'calendar entry', 'calendar entries'),
            plural(counts.moods, 'mood'),
            plural(counts.decisions, 'decision'),
          ].join(', ')}
          .
        </p>
        {notice ? (
          <p class={notice.kind === 'error' ? 'notice error' : 'notice'} role="status">
            {notice.text}
          </p>
        ) : null}
        <form method="post" action="/tips/signals">
          <h2>Task</h2>
          <input type="hidden" name="kind" value="task" />
          <label for="task-title">Title</label>
          <input id="task-title" name="title" required maxlength={300} />
          <div class="row">
            <div>
              <label for="task-due">Due</label>
              <input id="task-due" name="due" type="datetime-local" />
            </div>
            <div>
              <label for="task-priority">Priority</label>
              <select id="task-priority" name="priority">
                <option value="1">normal</option>
                <option value="2">medium</option>
                <option value="3">high</option>
                <option value="4">urgent</option>
              </select>
            </div>
            <div>
              <label for="task-minutes">Minutes</label>
              <input id="task-minutes" name="durationMinutes" type="number" min={1} max={1440} />
            </div>
          </div>
          <label for="task-project">Project</label>
          <input id="task-project" name="project" maxlength={120} />
          <button type="submit">Add task</button>
        </form>
        <form method="post" action="/tips/signals">
          <h2>Calendar event</h2>
          <input type="hidden" name="kind" value="calendar" />
          <label for="calendar-title">Title</label>
          <input id="calendar-title" name="title" maxlength={300} />
          <div class="row">
            <div>
              <label for="calendar-start">Start</label>
              <input id="calendar-start" name="start" type="datetime-local" required />
            </div>
            <div>
              <label for="calendar-end">End</label>
              <input id="calendar-end" name="end" type="datetime-local" required />
            </div>
          </div>
          <button type="submit">Add event</button>
        </form>
        <form method="post" action="/tips/signals">
          <h2>Mood</h2>
          <input type="hidden" name="kind" value="mood" />
          <label for="mood-score">How is it going? (1 = awful, 5 = great)</label>
          <input id="mood-score" name="score" type="number" min={1} max={5} required />
          <label for="mood-note">Note</label>
          <input id="mood-note" name="note" maxlength={500} />
          <button type="submit">Add mood</button>
        </form>
        <form method="post" action="/tips/signals">
          <h2>Habit</h2>
          <input type="hidden" name="kind" value="habit" />
          <label for="habit-name">Name</label>
          <input id="habit-name" name="name" required maxlength={120} />
          <button type="submit">Add daily habit</button>
        </form>
        {habits.length > 0 ? (
          <form method="post" action="/tips/signals">
            <h2>Check in</h2>
            <input type="hidden" name="kind" value="check_in" />
            <label for="checkin-habit">Habit</label>
            <select id="checkin-habit" name="habitId">
              {habits.map((habit) => (
                <option key={habit.habitId} value={habit.habitId}>
                  {habit.name}
                </option>
              ))}
            </select>
            <button type="submit">Done today</button>
          </form>
        ) : null}
        <form method="post" action="/tips/signals">
          <h2>Context</h2>
          <input type="hidden" name="kind" value="context" />
          <div class="row">
            <div>
              <label for="context-zone">Time zone</label>
              <input id="context-zone" name="timezone" value={timeZone} required />
            </div>
            <div>
              <label for="context-day">Day</label>
              <select id="context-day" name="dayType">
                <option value="workday">workday</option>
                <option value="weekend">weekend</option>
                <option value="holiday">holiday</option>
                <option value="vacation">vacation</option>
              </select>
            </div>
          </div>
          <button type="submit">Set context</button>
        </form>
        <form method="post" action="/tips/import/ics">
          <h2>Import a calendar (.ics)</h2>
          <label for="ics-text">Paste the iCalendar text</label>
          <textarea id="ics-text" name="ics" required placeholder="BEGIN:VCALENDAR" />
          <button type="submit">Import</button>
        </form>
        <form method="post" action="/tips/import/todoist">
          <h2>Import from Todoist</h2>
          <label for="todoist-token">Personal API token (used once, never stored)</label>
          <input id="todoist-token" name="token" type="password" autocomplete="off" required />
          <button type="submit">Import tasks</button>
        </form>
        {todoist?.oauth ? (
          todoist.connected ? (
            <form method="post" action="/tips/connect/todoist/disconnect">
              <h2>Todoist</h2>
              <p class="lead">Connected. Disconnecting revokes the token at Todoist.</p>
              <button type="submit">Disconnect Todoist</button>
            </form>
          ) : (
            <p>
              <a href="/tips/connect/todoist">Connect Todoist</a> (OAuth; the token is stored encrypted).
            </p>
          )
        ) : null}
        {consents ? (
          <form method="post" action="/tips/consents">
            <h2>Privacy</h2>
            <p class="lead">What the tips may use (notice {noticeVersion}). Unchecking takes effect on the next tip.</p>
            {consents.map((consent) => (
              <label>
                <input type="checkbox" name={`purpose_${consent.purpose}`} value="on" checked={consent.granted} />{' '}
                {purposeText[consent.purpose] ?? consent.purpose}
              </label>
            ))}
            <button type="submit">Save consent</button>
          </form>
        ) : null}
        {userId ? (
          <form method="post" action="/tips/account/delete">
            <h2>Your data</h2>
            <p>
              <a href="/api/tips/export">Export everything (JSON)</a>
            </p>
            <label for="delete-confirm">To delete everything, type your user id ({userId})</label>
            <input id="delete-confirm" name="confirm" autocomplete="off" required />
            <button type="submit">Delete my data</button>
          </form>
        ) : null}
      </div>
    </TipDocument>
  );
}

export interface LogRow {
  decisionId: string;
  when: string;
  kind: string;
  text: string;
  propensity: number;
  candidates: number;
  reaction: string | null;
  reward: number | null;
  shown: boolean;
  policyVersion: string;
}

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
