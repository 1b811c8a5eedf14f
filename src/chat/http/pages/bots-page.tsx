/** `/bots`: the bots, card import and the villager picker. */
import type { BotRow } from '../../read-model/queries.js';
import { Shell } from './shell.js';
export interface VillagerOption {
  id: string;
  name: string;
  age: number;
  occupation: string;
}

/** Pick a village NPC to open as a character (its catalog persona; its village memories come back in the chat). */
export function VillagerPicker({ villagers }: { villagers: VillagerOption[] }) {
  if (villagers.length === 0) return null;
  return (
    <form method="post" action="/bots/villager" class="chat-form villager-picker">
      <label>
        Chat with a villager <span class="hint">a Koivulahti NPC; they remember what happened in the village</span>
        <select name="npc_id" id="villager" required>
          {villagers.map((villager) => (
            <option key={villager.id} value={villager.id}>
              {villager.name} — {villager.occupation}, {villager.age}
            </option>
          ))}
        </select>
      </label>
      <button type="submit" class="secondary">
        Open as a character
      </button>
    </form>
  );
}

export function BotsPage({ bots, villagers, offline }: { bots: BotRow[]; villagers: VillagerOption[]; offline: boolean }) {
  return (
    <Shell title="Bots" tab="bots" offline={offline}>
      <h1>Bots</h1>
      {bots.length === 0 ? <p class="lead">No characters yet.</p> : null}
      <ul class="chat-list">
        {bots.map((bot) => (
          <li key={bot.bot_id}>
            <div>
              <strong>{bot.name}</strong>
              <p>{bot.persona}</p>
            </div>
            <span class="row-actions">
              <a class="button secondary" href={`/bots/${bot.bot_id}/kickoff`}>
                Start a chat
              </a>
              <a class="button secondary" href={`/api/bots/${bot.bot_id}/card.png`} download>
                Card PNG
              </a>
              <a class="button secondary" href={`/api/bots/${bot.bot_id}/card.json`} download>
                JSON
              </a>
              <a class="button danger" href={`/bots/${bot.bot_id}/reset`}>
                Reset…
              </a>
            </span>
          </li>
        ))}
      </ul>
      <p>
        <a class="button" href="/bots/new">
          Author a new bot
        </a>
      </p>
      <p class="card-import">
        <label>
          Import a Character Card (V2/V3, PNG or JSON) <input type="file" id="card-import" accept=".png,.json,image/png,application/json" />
        </label>
        <span id="card-import-status" class="muted small" role="status" />
      </p>
      <VillagerPicker villagers={villagers} />
      <script type="module" src="/chat/static/chat-client.js" />
    </Shell>
  );
}
