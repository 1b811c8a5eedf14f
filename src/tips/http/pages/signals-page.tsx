/** The signal entry page: manual signals, imports, Todoist, consent, export and deletion. */
import { TipDocument } from './document.js';

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
