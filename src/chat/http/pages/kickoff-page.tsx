/** `/bots/:id/kickoff`: the kickoff as read (by the model, its fallback or the offline reader), to confirm or correct. */
import type { KickoffParse } from '../../domain/kickoff.js';
import type { BotRow } from '../../read-model/queries.js';
import { Shell } from './shell.js';

function ActivityFields({ prefix, label, value }: { prefix: string; label: string; value: KickoffParse['you_activity'] }) {
  return (
    <fieldset>
      <legend>{label}</legend>
      <label>
        Posture
        <input name={`${prefix}_posture`} value={value.posture} maxLength={200} />
      </label>
      <label>
        Doing
        <input name={`${prefix}_action_verb`} value={value.action_verb} maxLength={200} />
      </label>
      <label>
        Attention
        <select name={`${prefix}_action_required_attention`}>
          {(['low', 'medium', 'high'] as const).map((level) => (
            <option key={level} value={level} selected={value.action_required_attention === level}>
              {level}
            </option>
          ))}
        </select>
      </label>
      <label>
        For how long
        <input name={`${prefix}_action_expected_duration`} value={value.action_expected_duration} maxLength={200} />
      </label>
      <label>
        Holding <span class="hint">comma-separated</span>
        <input name={`${prefix}_holding`} value={value.holding.join(', ')} maxLength={500} />
      </label>
      <label class="inline">
        <input type="checkbox" name={`${prefix}_action_interruptible`} value="on" checked={value.action_interruptible} /> can be interrupted
      </label>
    </fieldset>
  );
}

export function KickoffPage({
  bot,
  parse,
  offline,
  reader,
}: {
  bot: BotRow;
  parse: KickoffParse;
  offline: boolean;
  /** Who read the kickoff: the classifier model, its fallback after a failed answer, or the offline reader. */
  reader: 'model' | 'fallback' | 'offline';
}) {
  const how =
    reader === 'model'
      ? 'How the classifier read your kickoff.'
      : reader === 'fallback'
        ? 'A first reading of your kickoff (the classifier could not answer).'
        : 'A first reading of your kickoff by the offline reader (no model configured).';
  return (
    <Shell title={`Kickoff · ${bot.name}`} tab="bots" offline={offline}>
      <h1>Kickoff with {bot.name}</h1>
      <blockquote class="kickoff-prose">{bot.kickoff_prose}</blockquote>
      <p class="lead">{how} Fix anything, then confirm.</p>
      <form method="post" action={`/bots/${bot.bot_id}/kickoff`} class="chat-form kickoff">
        <fieldset>
          <legend>Place</legend>
          <label>
            Name
            <input name="container_name" value={parse.container_name} required maxLength={200} />
          </label>
          <label>
            Type
            <input name="container_type" value={parse.container_type} required maxLength={100} />
          </label>
          <label>
            Audible range
            <input name="audible_range" value={parse.container_properties.audible_range} maxLength={100} />
          </label>
          <label class="inline">
            <input type="checkbox" name="moving" value="on" checked={parse.container_properties.moving} /> moving
          </label>
          <label class="inline">
            <input type="checkbox" name="public" value="on" checked={parse.container_properties.public} /> public
          </label>
          <label>
            Starting time (ISO 8601)
            <input name="initial_time_iso" value={parse.initial_time_iso} required maxLength={40} />
          </label>
        </fieldset>
        <ActivityFields prefix="you" label="You" value={parse.you_activity} />
        <ActivityFields prefix="bot" label={bot.name} value={parse.bot_activity} />
        <fieldset>
          <legend>How {bot.name} sees you</legend>
          <label>
            Summary
            <textarea name="edge_seed_summary" rows={2} maxLength={2000}>
              {parse.edge_seed_summary}
            </textarea>
          </label>
          <label>
            Known facts <span class="hint">one per line</span>
            <textarea name="edge_seed_knowledge_facts" rows={2} maxLength={4000}>
              {parse.edge_seed_knowledge_facts.join('\n')}
            </textarea>
          </label>
        </fieldset>
        <button type="submit">Confirm and start the chat</button>
      </form>
    </Shell>
  );
}
