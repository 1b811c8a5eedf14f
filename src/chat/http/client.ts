/**
 * The chat page's script, served at /chat/static/chat.js: one EventSource on `chat-<id>` (resuming after the position
 * the page was rendered at), token deltas appended in `seq` order, durable turns added idempotently, the drawer
 * reloaded when a pass changes the bot's state, Send locked while a reply streams. Text goes in through textContent.
 */
export const chatClientScript = String.raw`(() => {
  const room = document.getElementById('chat-room');
  if (!room) return;
  const chatId = room.dataset.chat;
  const names = { you: room.dataset.you, bot: room.dataset.bot };
  const list = document.getElementById('messages');
  const form = document.getElementById('composer');
  const input = document.getElementById('composer-text');
  const send = document.getElementById('send');
  const stop = document.getElementById('stop');
  const live = document.getElementById('live-state');
  const stats = (window.chatStats = { deltas: 0, events: 0, firstDeltaAt: 0, postedAt: 0 });
  const replies = new Map();
  let streaming = room.dataset.streaming || '';

  function prose(element, text) {
    element.textContent = '';
    for (const part of text.split(/(\*[^*]+\*)/g)) {
      if (!part) continue;
      if (part.length > 2 && part.startsWith('*') && part.endsWith('*')) {
        const em = document.createElement('em');
        em.textContent = part.slice(1, -1);
        element.appendChild(em);
      } else element.appendChild(document.createTextNode(part));
    }
  }

  function bubble(turnId, role) {
    let item = document.getElementById('turn-' + turnId);
    if (item) return item;
    item = document.createElement('li');
    item.id = 'turn-' + turnId;
    item.dataset.turn = turnId;
    item.className = 'msg msg-' + role;
    const who = document.createElement('div');
    who.className = 'who';
    who.textContent = role === 'user' ? names.you : names.bot;
    const text = document.createElement('div');
    text.className = 'text';
    item.append(who, text);
    list.appendChild(item);
    item.scrollIntoView({ block: 'end' });
    return item;
  }

  function reply(turnId) {
    let state = replies.get(turnId);
    if (!state) {
      state = { seq: 0, text: '', pending: new Map(), done: false, shown: Boolean(document.getElementById('turn-' + turnId)) };
      replies.set(turnId, state);
    }
    return state;
  }

  function setStreaming(turnId) {
    streaming = turnId || '';
    send.disabled = Boolean(streaming);
    stop.hidden = !streaming;
    room.dataset.streaming = streaming;
  }

  function render(turnId) {
    const state = reply(turnId);
    // Deltas can overtake the durable events; the bubble appears once the reply's start (after your turn) arrived.
    if (!state.shown) return;
    const item = bubble(turnId, 'assistant');
    if (!state.done) item.classList.add('streaming');
    prose(item.querySelector('.text'), state.text);
  }

  async function catchUp(turnId) {
    const response = await fetch('/chats/' + chatId + '/partial');
    if (response.status !== 200) return;
    const partial = await response.json();
    const state = reply(partial.turn_id);
    if (state.done || partial.seq <= state.seq) return;
    state.seq = partial.seq;
    state.text = partial.text;
    for (const [seq] of state.pending) if (seq <= state.seq) state.pending.delete(seq);
    drain(state);
    render(partial.turn_id);
  }

  function drain(state) {
    while (state.pending.has(state.seq + 1)) {
      state.seq++;
      state.text += state.pending.get(state.seq);
      state.pending.delete(state.seq);
    }
  }

  const initial = streaming ? document.getElementById('turn-' + streaming) : null;
  if (initial) {
    const state = reply(streaming);
    state.seq = Number(room.dataset.seq || '0');
    state.text = initial.querySelector('.text').textContent;
  }

  let drawerTimer;
  function refreshDrawer() {
    clearTimeout(drawerTimer);
    drawerTimer = setTimeout(async () => {
      const response = await fetch('/chats/' + chatId + '/drawer');
      if (response.ok) document.getElementById('drawer').innerHTML = await response.text();
    }, 60);
  }

  const source = new EventSource('/stream?topics=chat-' + encodeURIComponent(chatId) + '&lastEventId=' + room.dataset.resume);
  source.onopen = () => {
    live.textContent = 'live';
    live.classList.add('on');
  };
  source.onerror = () => {
    live.textContent = 'reconnecting…';
    live.classList.remove('on');
  };
  const durable = (type, handle) =>
    source.addEventListener(type, (message) => {
      stats.events++;
      handle(JSON.parse(message.data).data);
    });

  source.addEventListener('chat-delta', (message) => {
    const delta = JSON.parse(message.data);
    const state = reply(delta.turn_id);
    if (state.done || delta.seq <= state.seq) return;
    if (!stats.firstDeltaAt) stats.firstDeltaAt = performance.now();
    stats.deltas++;
    state.pending.set(delta.seq, delta.text);
    drain(state);
    if (state.pending.size > 0 && !state.fetching) {
      state.fetching = true;
      catchUp(delta.turn_id).finally(() => (state.fetching = false));
    }
    render(delta.turn_id);
  });
  durable('user_turn', (data) => {
    if (document.getElementById('turn-' + data.turn_id)) return;
    const text = bubble(data.turn_id, 'user').querySelector('.text');
    for (const segment of data.segments) {
      const span = document.createElement('span');
      span.className = 'seg seg-' + segment.kind;
      span.textContent = (segment.kind === 'dialogue' ? '“' + segment.text + '”' : segment.kind === 'ooc' ? '((' + segment.text + '))' : segment.text) + ' ';
      text.appendChild(span);
    }
  });
  durable('assistant_turn_started', (data) => {
    reply(data.turn_id).shown = true;
    if (!reply(data.turn_id).done) {
      render(data.turn_id);
      setStreaming(data.turn_id);
    }
    refreshDrawer();
  });
  durable('assistant_turn', (data) => {
    const state = reply(data.turn_id);
    state.done = true;
    state.shown = true;
    state.text = data.text;
    const item = bubble(data.turn_id, 'assistant');
    item.classList.remove('streaming');
    prose(item.querySelector('.text'), data.text);
    if (data.truncated && !item.querySelector('.flag')) {
      item.classList.add('truncated');
      const flag = document.createElement('div');
      flag.className = 'flag';
      flag.textContent = data.ended === 'error' ? 'Reply failed: ' + (data.error || 'unknown error') : 'Stopped: partial reply saved.';
      item.appendChild(flag);
    }
    if (streaming === data.turn_id) setStreaming('');
    refreshDrawer();
  });
  for (const type of ['edge_update', 'memory_written', 'memory_significance_scored', 'memory_pin_changed', 'time_passed', 'activity_change', 'scene_opened', 'scene_closed'])
    durable(type, refreshDrawer);

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const stopping = event.submitter && event.submitter.id === 'stop';
    if (stopping) {
      await fetch('/chats/' + chatId + '/stop', { method: 'POST', headers: { 'x-chat-client': '1' } });
      return;
    }
    const text = input.value.trim();
    if (!text || streaming) return;
    send.disabled = true;
    stats.postedAt = performance.now();
    stats.firstDeltaAt = 0;
    const response = await fetch('/chats/' + chatId + '/turns', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-chat-client': '1' },
      body: new URLSearchParams({ text }),
    });
    if (response.ok) input.value = '';
    else {
      send.disabled = Boolean(streaming);
      let detail = 'The turn was not sent.';
      try {
        detail = (await response.json()).detail || detail;
      } catch {}
      live.textContent = detail;
    }
  });
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) form.requestSubmit(send);
  });
})();
`;
