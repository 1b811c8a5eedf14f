/** `/bots/:id/reset`: type the bot's name to reset it. */
import type { BotRow } from '../../read-model/queries.js';
import { Shell } from './shell.js';
export function ResetBotPage({ bot, offline, error, chats }: { bot: BotRow; offline: boolean; error?: string; chats: number }) {
  return (
    <Shell title={`Reset ${bot.name}`} tab="bots" offline={offline} {...(error ? { notice: error } : {})}>
      <h1>Reset {bot.name}</h1>
      <p class="lead">
        Every chat with {bot.name} ({chats}) goes back to its kickoff: turns, memories, relationship changes, scenes and clock changes stop
        counting. {bot.name}'s identity, initial relationship and kickoff stay. The log keeps the history.
      </p>
      <form method="post" action={`/bots/${bot.bot_id}/reset`} class="chat-form">
        <label>
          Type the bot's name to confirm
          <input name="name" required maxLength={80} autocomplete="off" placeholder={bot.name} />
        </label>
        <button type="submit" class="danger">
          Reset {bot.name}
        </button>
      </form>
    </Shell>
  );
}
