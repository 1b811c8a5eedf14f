/** One message of the conversation, with its variants, Retry, Rewind and Regenerate. */
import type { MessageRow } from '../../read-model/queries.js';
import { Prose, replyErrorText, Segments } from './format.js';
export interface MessageContext {
  /** The latest finished reply: it gets Regenerate. */
  latestReplyId: string | null;
  /** Replies to the same turn of yours, oldest first (variants left by regenerating). */
  variants: Map<string, MessageRow[]>;
  streaming: boolean;
}

export function Message({
  message,
  names,
  partial,
  context,
}: {
  message: MessageRow;
  names: { you: string; bot: string };
  partial?: string;
  context?: MessageContext;
}) {
  const streaming = message.status === 'streaming';
  const superseded = message.superseded_by !== null;
  const group = message.role === 'assistant' && message.reply_to ? (context?.variants.get(message.reply_to) ?? []) : [];
  const index = group.findIndex((variant) => variant.turn_id === message.turn_id);
  return (
    <li
      id={`turn-${message.turn_id}`}
      class={`msg msg-${message.role}${streaming ? ' streaming' : ''}${message.truncated ? ' truncated' : ''}${superseded ? ' variant' : ''}`}
      data-turn={message.turn_id}
      {...(message.role === 'user' ? { 'data-text': message.text } : {})}
      {...(message.reply_to ? { 'data-reply-to': message.reply_to } : {})}
      hidden={superseded}
    >
      <div class="who">
        {message.role === 'user' ? names.you : names.bot}
        {message.edited_from !== null ? <span class="muted small"> (edited)</span> : null}
      </div>
      <div class="text">
        {message.role === 'user' && message.segments ? (
          <Segments segments={message.segments} />
        ) : (
          <Prose text={streaming ? (partial ?? '') : message.text} />
        )}
      </div>
      {message.truncated ? (
        <div class={message.ended === 'error' ? 'flag error' : 'flag'} role={message.ended === 'error' ? 'alert' : undefined}>
          {message.ended === 'error' ? replyErrorText(message.error) : 'Stopped: partial reply saved.'}
          {message.ended === 'error' && !superseded && context && message.turn_id === context.latestReplyId && !context.streaming ? (
            <>
              {' '}
              <button type="button" class="secondary retry-btn" data-reply={message.turn_id}>
                Retry
              </button>
            </>
          ) : null}
        </div>
      ) : null}
      {context && !streaming ? (
        <div class="msg-actions">
          {group.length > 1 ? (
            <span class="variants" data-group={message.reply_to ?? ''}>
              <button type="button" class="link variant-prev" disabled={index <= 0} aria-label="Earlier variant">
                ‹
              </button>
              <span class="variant-pos">
                {index + 1}/{group.length}
              </span>
              <button type="button" class="link variant-next" disabled={index >= group.length - 1} aria-label="Later variant">
                ›
              </button>
            </span>
          ) : null}
          {superseded ? (
            <span class="muted small">an earlier variant</span>
          ) : (
            <button type="button" class="link rewind-btn" data-to={message.turn_id}>
              {message.role === 'user' ? 'Rewind to before this' : 'Rewind to here'}
            </button>
          )}
          {!superseded && message.role === 'assistant' && message.turn_id === context.latestReplyId && !context.streaming ? (
            <button type="button" class="link regenerate-btn" data-reply={message.turn_id}>
              Regenerate
            </button>
          ) : null}
        </div>
      ) : null}
    </li>
  );
}
