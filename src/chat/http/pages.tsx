/** Chat pages: settings, bots, the bot form, kickoff confirm, the chat list, the chat and its drawer. */
import type { ComponentChildren } from 'preact';
import { Layout } from '../../web/jsx/layout.js';
import type { RewindImpact } from '../domain/events.js';
import type { KickoffParse } from '../domain/kickoff.js';
import type { ActivityRow, BotRow, ChatRow, ContainerRow, EdgeRow, MemoryRow, MessageRow, YouRow } from '../projections/queries.js';
import { formatClock, Prose, replyErrorText, Segments } from './format.js';

export interface ShellProps {
  title: string;
  tab?: 'chats' | 'bots' | 'new' | 'settings';
  offline: boolean;
  notice?: string;
  children?: ComponentChildren;
  wide?: boolean;
}

export function OfflineBanner() {
  return (
    <div class="chat-banner" role="status">
      <strong>No language model is configured.</strong> Replies come from the offline narrator, a placeholder writer. To use a model, set{' '}
      <code>[llm] base_url</code> and <code>model</code> (or <code>[llm.aliases.narrative]</code> and <code>[llm.aliases.classifier]</code>)
      in <code>data/config.toml</code>, or the environment variables <code>LLM_BASE_URL</code> and <code>LLM_MODEL</code>, then restart.
    </div>
  );
}

export function Shell({ title, tab, offline, notice, children, wide }: ShellProps) {
  const tabs = [
    { id: 'chats', label: 'Chats', href: '/chats' },
    { id: 'bots', label: 'Bots', href: '/bots' },
    { id: 'new', label: 'New bot', href: '/bots/new' },
    { id: 'settings', label: 'You', href: '/settings' },
  ] as const;
  return (
    <Layout title={title} active="chat">
      <link rel="stylesheet" href="/chat/static/chat.css" />
      <div class={wide ? 'chat-app wide' : 'chat-app'}>
        <nav class="chat-tabs" aria-label="Chat">
          {tabs.map((item) => (
            <a key={item.id} href={item.href} aria-current={item.id === tab ? 'page' : undefined}>
              {item.label}
            </a>
          ))}
        </nav>
        {offline ? <OfflineBanner /> : null}
        {notice ? (
          <p class="chat-notice" role="status">
            {notice}
          </p>
        ) : null}
        {children}
      </div>
    </Layout>
  );
}

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
      <script src="/chat/static/chat.js" defer />
    </Shell>
  );
}

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

export function RewindPreviewDialog({
  chatId,
  toTurnId,
  impact,
  undoSeconds,
}: {
  chatId: string;
  toTurnId: string;
  impact: RewindImpact;
  undoSeconds: number;
}) {
  const rows: Array<[string, number]> = [
    ['messages', impact.messages],
    ['scene transitions', impact.scene_transitions],
    ['relationship updates', impact.edge_updates],
    ['memories', impact.memories],
    ['time passages', impact.time_passes],
    ['other changes (significance, pins, edits)', impact.other],
  ];
  return (
    <form method="post" action={`/chats/${chatId}/rewind`} class="rewind-preview" id="rewind-preview">
      <h2>Rewind to here?</h2>
      <p>Everything after this point stops counting:</p>
      <ul class="impact">
        {rows.map(([label, count]) => (
          <li key={label} class={count === 0 ? 'muted' : ''} data-impact={label}>
            <strong>{count}</strong> {label}
          </li>
        ))}
      </ul>
      <p class="muted small">
        Nothing is deleted: the log keeps every event and a snapshot is taken first. You can undo for {undoSeconds} seconds.
      </p>
      <input type="hidden" name="to" value={toTurnId} />
      <div class="composer-actions">
        <button type="submit" id="rewind-confirm">
          Rewind
        </button>
        <button type="button" class="secondary" id="rewind-cancel">
          Cancel
        </button>
      </div>
    </form>
  );
}

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
      <script src="/chat/static/chat.js" defer />
    </Shell>
  );
}

export interface DrawerProps {
  chat: ChatRow;
  bot: BotRow;
  youName: string;
  containers: ContainerRow[];
  activity: ActivityRow[];
  edges: EdgeRow[];
  recent: MemoryRow[];
  pinned: MemoryRow[];
  pinCap: number;
}

/** htmx: post the form and swap the drawer with the answer (the route returns the drawer for htmx requests). */
function htmxDrawer(path: string): Record<string, string> {
  return { 'hx-post': path, 'hx-target': '#drawer', 'hx-swap': 'innerHTML' };
}

/** A drawer edit: hidden target fields, the editable fields, Save. Each changed field becomes one `manual_edit`. */
function EditForm({
  chatId,
  hidden,
  label,
  children,
}: {
  chatId: string;
  hidden: Record<string, string>;
  label: string;
  children: ComponentChildren;
}) {
  const path = `/chats/${chatId}/edit`;
  return (
    <details class="edit">
      <summary>Edit</summary>
      <form method="post" action={path} class="edit-form" aria-label={label} {...htmxDrawer(path)}>
        {Object.entries(hidden).map(([name, value]) => (
          <input key={name} type="hidden" name={name} value={value} />
        ))}
        {children}
        <button type="submit" class="secondary">
          Save
        </button>
      </form>
    </details>
  );
}

function Bar({ label, value }: { label: string; value: number }) {
  return (
    <div class="bar-row">
      <span>{label}</span>
      <span class="meter" aria-hidden="true">
        <span style={{ width: `${value}%` }} />
      </span>
      <span class="num">{value}</span>
    </div>
  );
}

export function Drawer(props: DrawerProps) {
  const { chat, bot } = props;
  const names = new Map([
    ['you', props.youName],
    [bot.bot_id, bot.name],
  ]);
  const container = props.containers.find((candidate) => candidate.container_id === chat.state.containerId) ?? props.containers[0];
  const ledger = chat.last_ledger;
  const retrieved = chat.last_retrieved ?? [];
  return (
    <div class="drawer-body" id="drawer-body">
      <section>
        <h2>Clock</h2>
        <p class="clock" id="drawer-clock">
          {formatClock(chat.state.clock)}
          {chat.state.weather ? ` · ${chat.state.weather}` : ' · weather not set'}
        </p>
      </section>
      <section>
        <h2>Scene</h2>
        <p>
          {chat.state.activeSceneId ? 'Open scene' : 'No open scene'}
          {container ? (
            <>
              {' in '}
              <strong>{container.name}</strong>{' '}
              <span class="muted">
                ({container.type}
                {container.properties.public ? ', public' : ''}
                {container.properties.moving ? ', moving' : ''})
              </span>
            </>
          ) : null}
        </p>
        {chat.state.activeSceneId ? (
          <form
            method="post"
            action={`/chats/${chat.chat_id}/scene/close`}
            class="scene-close"
            {...htmxDrawer(`/chats/${chat.chat_id}/scene/close`)}
          >
            <button type="submit" class="link" id="close-scene">
              Close this scene (writes {bot.name}'s summary)
            </button>
          </form>
        ) : null}
        <ul class="plain">
          {props.activity.map((entry) => (
            <li key={entry.entity_id}>
              <strong>{names.get(entry.entity_id) ?? entry.entity_id}</strong>: {entry.posture}, {entry.action.verb}
              {entry.holding.length > 0 ? `, holding ${entry.holding.join(', ')}` : ''}
              <EditForm
                chatId={chat.chat_id}
                hidden={{ kind: 'activity', entity_id: entry.entity_id }}
                label={`Edit activity of ${names.get(entry.entity_id) ?? entry.entity_id}`}
              >
                <label>
                  Posture
                  <input name="posture" value={entry.posture} maxLength={200} />
                </label>
                <label>
                  Doing
                  <input name="verb" value={entry.action.verb} maxLength={200} />
                </label>
                <label>
                  Attention
                  <input name="attention" value={entry.attention} maxLength={200} />
                </label>
                <label>
                  Holding <span class="hint">comma-separated</span>
                  <input name="holding" value={entry.holding.join(', ')} maxLength={500} />
                </label>
              </EditForm>
            </li>
          ))}
        </ul>
      </section>
      <section>
        <h2>Relationship</h2>
        {props.edges.map((edge) => (
          <div class="edge" key={`${edge.source_id}-${edge.target_id}`}>
            <p class="edge-title">
              {names.get(edge.source_id) ?? edge.source_id} → {names.get(edge.target_id) ?? edge.target_id}
            </p>
            <Bar label="affinity" value={edge.affinity} />
            <Bar label="trust" value={edge.trust} />
            {edge.summary ? <p class="muted small">{edge.summary}</p> : null}
            <EditForm
              chatId={chat.chat_id}
              hidden={{ kind: 'edge', source_id: edge.source_id, target_id: edge.target_id }}
              label={`Edit ${names.get(edge.source_id) ?? edge.source_id} → ${names.get(edge.target_id) ?? edge.target_id}`}
            >
              <label>
                Affinity
                <input name="affinity" type="number" min={0} max={100} value={String(edge.affinity)} />
              </label>
              <label>
                Trust
                <input name="trust" type="number" min={0} max={100} value={String(edge.trust)} />
              </label>
              <label>
                Summary
                <textarea name="summary" rows={2} maxLength={2000}>
                  {edge.summary}
                </textarea>
              </label>
            </EditForm>
          </div>
        ))}
      </section>
      <section>
        <h2>
          Pinned{' '}
          <span class="count">
            {props.pinned.length}/{props.pinCap}
          </span>
        </h2>
        {props.pinned.length === 0 ? <p class="muted small">Nothing pinned. Significance 3 pins automatically.</p> : null}
        <ul class="memories">
          {props.pinned.map((memory) => (
            <li key={memory.memory_id} class="memory pinned">
              <Prose text={memory.pov_summary} inline />
            </li>
          ))}
        </ul>
      </section>
      <section>
        <h2>Latest memories</h2>
        {props.recent.length === 0 ? <p class="muted small">No memories written in this chat yet.</p> : null}
        <ul class="memories" id="recent-memories">
          {props.recent.map((memory) => (
            <li key={memory.memory_id} class="memory" data-memory={memory.memory_id}>
              <span class={`sig sig-${memory.significance}`} title={`significance ${memory.significance} of 3`}>
                {'●'.repeat(memory.significance) || '○'}
              </span>{' '}
              <Prose text={memory.pov_summary} inline />
              <form method="post" action={`/chats/${chat.chat_id}/pin`} class="pin-form" {...htmxDrawer(`/chats/${chat.chat_id}/pin`)}>
                <input type="hidden" name="memory_id" value={memory.memory_id} />
                <input type="hidden" name="pinned" value={memory.pinned ? '0' : '1'} />
                <button type="submit" class="link pin-btn">
                  {memory.pinned ? 'Unpin' : 'Pin'}
                </button>
              </form>
              <EditForm chatId={chat.chat_id} hidden={{ kind: 'memory', memory_id: memory.memory_id }} label="Edit memory">
                <label>
                  Summary
                  <textarea name="pov_summary" rows={3} maxLength={2000}>
                    {memory.pov_summary}
                  </textarea>
                </label>
                <label>
                  Significance (0-3)
                  <input name="significance" type="number" min={0} max={3} value={String(memory.significance)} />
                </label>
              </EditForm>
            </li>
          ))}
        </ul>
      </section>
      <section>
        <h2>Retrieved for the last turn</h2>
        {retrieved.length === 0 ? <p class="muted small">No memory matched the last turn.</p> : null}
        <ul class="memories">
          {retrieved.map((memory) => (
            <li key={memory.memory_id} class="memory">
              <Prose text={memory.pov_summary} inline />
              <span class="why">
                score {memory.score}: {memory.why}
              </span>
            </li>
          ))}
        </ul>
      </section>
      <section>
        <h2>Token budget, last turn</h2>
        {ledger ? (
          <>
            <p class="small">
              {ledger.total} of {ledger.budget.hard} tokens (soft {ledger.budget.soft}) · must {ledger.tiers.must} · should{' '}
              {ledger.tiers.should} · nice {ledger.tiers.nice}
            </p>
            <table class="ledger">
              <thead>
                <tr>
                  <th>part</th>
                  <th>tier</th>
                  <th>tokens</th>
                  <th>result</th>
                </tr>
              </thead>
              <tbody>
                {ledger.entries.map((entry, index) => (
                  <tr key={index} class={entry.action}>
                    <td>
                      {entry.part}
                      {entry.count !== undefined ? ` ×${entry.count}` : ''}
                    </td>
                    <td>{entry.tier}</td>
                    <td class="num">{entry.tokens}</td>
                    <td>{entry.action === 'kept' ? 'kept' : `${entry.action}: ${entry.reason}`}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        ) : (
          <p class="muted small">No turn yet.</p>
        )}
      </section>
    </div>
  );
}
