/** `/chats`: every chat, the latest first. */
import type { ChatRow } from '../../read-model/queries.js';
import { formatClock, Prose } from './format.js';
import { Shell } from './shell.js';
export function ChatsPage({ chats, offline }: { chats: Array<ChatRow & { bot_name: string }>; offline: boolean }) {
  return (
    <Shell title="Chats" tab="chats" offline={offline}>
      <h1>Chats</h1>
      {chats.length === 0 ? (
        <p class="lead">
          No chats yet. <a href="/bots">Pick a bot</a> to start one.
        </p>
      ) : null}
      <ul class="chat-list">
        {chats.map((chat) => (
          <li key={chat.chat_id}>
            <a href={`/chats/${chat.chat_id}`} class="chat-link">
              <strong>{chat.bot_name}</strong>
              <span class="muted">{formatClock(chat.state.clock)}</span>
              <p>{chat.last_snippet ? <Prose text={chat.last_snippet} inline /> : <span class="muted">No replies yet</span>}</p>
            </a>
          </li>
        ))}
      </ul>
    </Shell>
  );
}
