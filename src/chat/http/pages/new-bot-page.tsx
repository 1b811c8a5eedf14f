/** `/bots/new`: the bot form (first run lands here after `/settings`). */

import { type VillagerOption, VillagerPicker } from './bots-page.js';
import { Shell } from './shell.js';
export function NewBotPage({
  offline,
  firstRun,
  error,
  villagers = [],
}: {
  offline: boolean;
  firstRun: boolean;
  error?: string;
  villagers?: VillagerOption[];
}) {
  const notice = error ?? (firstRun ? 'Now author your first character.' : undefined);
  return (
    <Shell title="New bot" tab="new" offline={offline} {...(notice ? { notice } : {})}>
      <h1>Author a character</h1>
      <form method="post" action="/bots/new" class="chat-form">
        <label>
          Name
          <input name="name" required maxLength={80} autocomplete="off" />
        </label>
        <label>
          Persona
          <textarea name="persona" required rows={3} maxLength={4000} placeholder="Who they are, in a few sentences." />
        </label>
        <label>
          Voice samples <span class="hint">separate samples with a line of three dashes: ---</span>
          <textarea name="voice_samples" rows={4} maxLength={8000} placeholder={'"Well, look who it is."\n---\n"I don\'t do mornings."'} />
        </label>
        <label>
          Traits <span class="hint">comma-separated</span>
          <input name="traits" maxLength={500} placeholder="dry humour, loyal, stubborn" />
        </label>
        <label>
          Backstory
          <textarea name="backstory" rows={3} maxLength={8000} />
        </label>
        <label>
          Initial relationship to you
          <input name="initial_relationship" maxLength={500} placeholder="coworkers who have never really talked" />
        </label>
        <label>
          Kickoff
          <textarea name="kickoff_prose" required rows={4} maxLength={8000} placeholder="Where and how the story starts." />
        </label>
        <button type="submit">Save and read the kickoff</button>
      </form>
      <VillagerPicker villagers={villagers} />
    </Shell>
  );
}
