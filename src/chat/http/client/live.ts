/**
 * Live updates: one EventSource on `chat-<id>`, resuming after the position the page was rendered at. Token deltas
 * (`chat-delta`) go to the streaming reply; durable turns are added idempotently; a pass that changes the bot's state
 * reloads the drawer; a rewind, its undo or a regenerate elsewhere reloads the page.
 */
import type { AssistantTurn, AssistantTurnStarted, UserTurn } from '../../domain/events.js';
import { linkButton } from './dom.js';
import { errorText, prose } from './prose.js';
import type { Delta, Replies } from './replies.js';
import type { Room } from './room.js';

/** Durable events that change the drawer. */
const drawerEvents = [
  'edge_update',
  'memory_written',
  'memory_significance_scored',
  'memory_pin_changed',
  'time_passed',
  'activity_change',
  'scene_opened',
  'scene_closed',
  'manual_edit',
];
/** Durable events that change what is in effect: the page renders the chat afresh. */
const reloadEvents = ['chat_rewound', 'chat_rewind_undone', 'assistant_turn_superseded', 'user_turn_edit'];

export function followLive(room: Room, replies: Replies): void {
  const source = new EventSource(`/stream?topics=chat-${encodeURIComponent(room.chatId)}&lastEventId=${room.root.dataset.resume ?? ''}`);
  source.onopen = () => {
    room.say('live');
    room.live.classList.add('on');
  };
  source.onerror = () => {
    room.say('reconnecting…');
    room.live.classList.remove('on');
  };
  const durable = <T>(type: string, handle: (data: T) => void) =>
    source.addEventListener(type, (message) => {
      room.stats.events++;
      handle((JSON.parse(message.data) as { data: T }).data);
    });
  const refreshDrawer = drawerRefresher(room);
  source.addEventListener('chat-delta', (message) => replies.delta(JSON.parse(message.data) as Delta));
  durable<UserTurn>('user_turn', (data) => showUserTurn(room, data));
  durable<AssistantTurnStarted>('assistant_turn_started', (data) => {
    const state = replies.get(data.turn_id);
    state.shown = true;
    room.dropRegenerate();
    if (!state.done) {
      replies.render(data.turn_id);
      room.setStreaming(data.turn_id);
    }
    const started = room.message(data.turn_id);
    if (started) started.dataset.replyTo = data.reply_to;
    refreshDrawer();
  });
  durable<AssistantTurn>('assistant_turn', (data) => {
    const state = replies.get(data.turn_id);
    state.done = true;
    state.shown = true;
    state.text = data.text;
    showReply(room, data);
    refreshDrawer();
  });
  for (const type of reloadEvents) durable(type, () => location.reload());
  for (const type of drawerEvents) durable(type, refreshDrawer);
}

function showUserTurn(room: Room, data: UserTurn): void {
  if (room.message(data.turn_id)) return;
  const item = room.bubble(data.turn_id, 'user');
  item.dataset.text = data.text;
  room.decorate(item, 'user');
  const text = room.textOf(item);
  for (const segment of data.segments) {
    const span = document.createElement('span');
    span.className = `seg seg-${segment.kind}`;
    const shown = segment.kind === 'dialogue' ? `“${segment.text}”` : segment.kind === 'ooc' ? `((${segment.text}))` : segment.text;
    span.textContent = `${shown} `;
    text.appendChild(span);
  }
}

/** A finished reply: its text, and for a truncated one the flag (an error gets Retry). */
function showReply(room: Room, data: AssistantTurn): void {
  const item = room.bubble(data.turn_id, 'assistant');
  item.classList.remove('streaming');
  prose(room.textOf(item), data.text);
  if (data.truncated && !item.querySelector('.flag')) {
    item.classList.add('truncated');
    const flag = document.createElement('div');
    flag.className = 'flag';
    flag.textContent = data.ended === 'error' ? errorText(data.error) : 'Stopped: partial reply saved.';
    if (data.ended === 'error') {
      flag.classList.add('error');
      flag.setAttribute('role', 'alert');
      flag.append(' ');
      const retry = linkButton('retry-btn', 'Retry', { reply: data.turn_id });
      retry.className = 'secondary retry-btn';
      flag.appendChild(retry);
    }
    item.appendChild(flag);
  }
  if (room.streaming === data.turn_id) room.setStreaming('');
  room.decorate(item, 'assistant');
}

/** Reloads the drawer (debounced), unless an edit form is open in it: it reloads after that is saved or closed. */
function drawerRefresher(room: Room): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const response = await fetch(room.url('/drawer'));
      if (!response.ok) return;
      const drawer = document.getElementById('drawer');
      if (!drawer || drawer.querySelector('details.edit[open]')) return;
      // The drawer is server-rendered (escaped) HTML.
      drawer.innerHTML = await response.text();
      window.htmx?.process(drawer);
    }, 60);
  };
}
