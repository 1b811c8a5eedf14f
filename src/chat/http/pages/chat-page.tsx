/** `/chats/:id`: the conversation, the composer and the drawer; the page script takes over live updates. */
import type { BotRow, ChatRow, MessageRow, YouRow } from '../../read-model/queries.js';
import { Drawer, type DrawerProps } from './drawer.js';
import { Message, type MessageContext } from './message.js';
import { Shell } from './shell.js';
export interface ChatPageProps {
  chat: ChatRow;
  bot: BotRow;
  you: YouRow | undefined;
  messages: MessageRow[];
  older: number;
  partial: { turnId: string; seq: number; text: string } | undefined;
  resumeAt: number;
  offline: boolean;
  drawer: DrawerProps;
  /** The latest rewind while it can be undone. */
  undo?: { remainingMs: number; toTurnId: string } | undefined;
}

export function ChatPage(props: ChatPageProps) {
  const { chat, bot, messages } = props;
  const names = { you: props.you?.name ?? 'You', bot: bot.name };
  const streaming = chat.state.streamingTurnId !== null;
  const variants = new Map<string, MessageRow[]>();
  for (const message of messages)
    if (message.role === 'assistant' && message.reply_to)
      variants.set(message.reply_to, [...(variants.get(message.reply_to) ?? []), message]);
  const context: MessageContext = { latestReplyId: chat.state.lastReplyId ?? null, variants, streaming };
  return (
    <Shell title={bot.name} tab="chats" offline={props.offline} wide>
      <div
        class="chat-room"
        id="chat-room"
        data-chat={chat.chat_id}
        data-resume={String(props.resumeAt)}
        data-you={names.you}
        data-bot={names.bot}
        data-streaming={streaming ? (chat.state.streamingTurnId ?? '') : ''}
        data-seq={props.partial ? String(props.partial.seq) : '0'}
      >
        <section class="timeline" aria-label="Conversation">
          <header class="room-head">
            <h1>{bot.name}</h1>
            <span class="live" id="live-state" aria-live="polite">
              connecting…
            </span>
          </header>
          {props.older > 0 ? <p class="muted older">{props.older} earlier messages are not shown.</p> : null}
          <ol class="messages" id="messages">
            {messages.map((message) => (
              <Message
                key={message.turn_id}
                message={message}
                names={names}
                context={context}
                {...(props.partial && props.partial.turnId === message.turn_id ? { partial: props.partial.text } : {})}
              />
            ))}
          </ol>
          {props.undo ? (
            <div class="toast" id="undo-toast" role="status" data-remaining={String(props.undo.remainingMs)}>
              <span>Rewound.</span>
              <form method="post" action={`/chats/${chat.chat_id}/rewind/undo`}>
                <button type="submit" id="undo">
                  Undo
                </button>
              </form>
              <span class="muted small countdown">{Math.ceil(props.undo.remainingMs / 1000)} s</span>
            </div>
          ) : null}
          <dialog id="rewind-dialog" aria-label="Rewind" />
          <form class="composer" id="composer" method="post" action={`/chats/${chat.chat_id}/turns`}>
            <textarea
              name="text"
              id="composer-text"
              rows={3}
              required
              maxLength={8000}
              placeholder={`Write to ${bot.name}: *actions* in asterisks, "speech" in quotes, ((out of character)) in double parentheses.`}
            />
            <div class="composer-actions">
              <button type="submit" id="send" disabled={streaming}>
                Send
              </button>
              <button
                type="submit"
                id="stop"
                class="secondary"
                formaction={`/chats/${chat.chat_id}/stop`}
                hidden={!streaming}
                formnovalidate
              >
                Stop
              </button>
            </div>
          </form>
        </section>
        <aside class="drawer" id="drawer" aria-label="Bot state">
          <Drawer {...props.drawer} />
        </aside>
      </div>
      <script type="module" src="/chat/static/chat-client.js" />
    </Shell>
  );
}
