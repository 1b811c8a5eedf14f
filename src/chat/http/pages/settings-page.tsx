/** `/settings`: who you are in every chat (the you-entity). */
import type { YouRow } from '../../read-model/queries.js';
import { Shell } from './shell.js';
export function SettingsPage({ you, offline, firstRun }: { you: YouRow | undefined; offline: boolean; firstRun: boolean }) {
  return (
    <Shell
      title="You"
      tab="settings"
      offline={offline}
      {...(firstRun ? { notice: 'Welcome! First, tell the characters who you are.' } : {})}
    >
      <h1>Who you are</h1>
      <p class="lead">Every character you play with sees you this way. You can change it any time.</p>
      <form method="post" action="/settings" class="chat-form">
        <label>
          Name
          <input name="name" required maxLength={80} value={you?.name ?? ''} autocomplete="off" />
        </label>
        <label>
          Pronouns
          <input name="pronouns" maxLength={40} value={you?.pronouns ?? ''} placeholder="they/them" />
        </label>
        <label>
          About you
          <textarea name="persona" rows={4} maxLength={2000} placeholder="A night-shift nurse who loves old films.">
            {you?.persona ?? ''}
          </textarea>
        </label>
        <button type="submit">Save</button>
      </form>
    </Shell>
  );
}
