/**
 * The chat page's script, served at /chat/static/chat.js: one EventSource on `chat-<id>` (resuming after the position
 * the page was rendered at), token deltas appended in `seq` order, durable turns added idempotently, the drawer
 * reloaded when a pass changes the bot's state, Send locked while a reply streams. Text goes in through textContent.
 */
export const chatClientScript = String.raw`(() => {
  const cardInput = document.getElementById('card-import');
  if (cardInput) {
    cardInput.addEventListener('change', async () => {
      const file = cardInput.files && cardInput.files[0];
      const status = document.getElementById('card-import-status');
      if (!file) return;
      const png = file.name.toLowerCase().endsWith('.png') || file.type === 'image/png';
      const response = await fetch('/api/bots/import', {
        method: 'POST',
        headers: { 'content-type': png ? 'image/png' : 'application/json' },
        body: file,
      });
      let answer = {};
      try {
        answer = await response.json();
      } catch {}
      if (response.ok) location.href = '/bots/' + answer.bot_id + '/kickoff';
      else status.textContent = answer.detail || 'The card could not be imported.';
    });
  }
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

  // The same light markdown as the server's Prose (format.tsx): paragraphs, > quotes, **bold**, *italic*, _italic_.
  function inline(parent, text) {
    for (const part of text.split(/(\*\*[^*]+\*\*|\*[^*]+\*|_[^_\s][^_]*_)/g)) {
      if (!part) continue;
      let node;
      if (part.length > 4 && part.startsWith('**') && part.endsWith('**')) {
        node = document.createElement('strong');
        node.textContent = part.slice(2, -2);
      } else if (part.length > 2 && ((part.startsWith('*') && part.endsWith('*')) || (part.startsWith('_') && part.endsWith('_')))) {
        node = document.createElement('em');
        node.textContent = part.slice(1, -1);
      } else node = document.createTextNode(part);
      parent.appendChild(node);
    }
  }

  function prose(element, text) {
    element.textContent = '';
    for (const paragraph of text.replace(/\r\n?/g, '\n').split(/\n\s*\n/)) {
      let kind = '';
      let target;
      for (const line of paragraph.split('\n')) {
        if (!line.trim()) continue;
        const quoted = /^\s*>/.test(line);
        if ((quoted ? 'quote' : 'p') !== kind) {
          kind = quoted ? 'quote' : 'p';
          target = document.createElement('p');
          if (quoted) {
            const quote = document.createElement('blockquote');
            quote.appendChild(target);
            element.appendChild(quote);
          } else element.appendChild(target);
        } else target.appendChild(document.createElement('br'));
        inline(target, quoted ? line.replace(/^\s*>\s?/, '') : line.trim());
      }
    }
  }

  // The same texts as replyErrorText in format.tsx.
  function errorText(error) {
    const code = String(error || '').split(':')[0];
    if (code === 'llm_auth') return 'The model backend refused the API key (401/403). Check [llm] api_key or LLM_API_KEY, then retry.';
    if (code === 'llm_rate_limited') return 'The model backend is rate limiting (429). Wait a moment, then retry.';
    if (code === 'llm_unavailable') return 'The model backend failed (5xx or unreachable). Retry in a moment.';
    if (code === 'llm_timeout') return 'The model backend timed out. Retry in a moment.';
    return 'Reply failed: ' + (error || 'unknown error');
  }

  async function retry(replyId) {
    const response = await fetch('/chats/' + chatId + '/regenerate', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-chat-client': '1' },
      body: new URLSearchParams({ reply: replyId }),
    });
    if (response.ok) location.reload();
    else {
      let detail = 'Could not retry.';
      try {
        detail = (await response.json()).detail || detail;
      } catch {}
      live.textContent = detail;
    }
  }

  function button(className, label, data) {
    const element = document.createElement('button');
    element.type = 'button';
    element.className = 'link ' + className;
    element.textContent = label;
    for (const [key, value] of Object.entries(data)) element.dataset[key] = value;
    return element;
  }

  /** Rewind on every finished message; Regenerate only on the latest reply. */
  function decorate(item, role) {
    if (item.querySelector('.msg-actions')) return;
    const actions = document.createElement('div');
    actions.className = 'msg-actions';
    actions.appendChild(button('rewind-btn', role === 'user' ? 'Rewind to before this' : 'Rewind to here', { to: item.dataset.turn }));
    if (role === 'assistant') {
      for (const old of list.querySelectorAll('.regenerate-btn')) old.remove();
      actions.appendChild(button('regenerate-btn', 'Regenerate', { reply: item.dataset.turn }));
    }
    item.appendChild(actions);
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
      if (!response.ok) return;
      const drawer = document.getElementById('drawer');
      // keep an edit form the user has open: reload after it is saved or closed
      if (drawer.querySelector('details.edit[open]')) return;
      drawer.innerHTML = await response.text();
      if (window.htmx) window.htmx.process(drawer);
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
    const item = bubble(data.turn_id, 'user');
    item.dataset.text = data.text;
    decorate(item, 'user');
    const text = item.querySelector('.text');
    for (const segment of data.segments) {
      const span = document.createElement('span');
      span.className = 'seg seg-' + segment.kind;
      span.textContent = (segment.kind === 'dialogue' ? '“' + segment.text + '”' : segment.kind === 'ooc' ? '((' + segment.text + '))' : segment.text) + ' ';
      text.appendChild(span);
    }
  });
  durable('assistant_turn_started', (data) => {
    reply(data.turn_id).shown = true;
    for (const old of list.querySelectorAll('.regenerate-btn')) old.remove();
    if (!reply(data.turn_id).done) {
      render(data.turn_id);
      setStreaming(data.turn_id);
    }
    const started = document.getElementById('turn-' + data.turn_id);
    if (started) started.dataset.replyTo = data.reply_to;
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
      flag.textContent = data.ended === 'error' ? errorText(data.error) : 'Stopped: partial reply saved.';
      if (data.ended === 'error') {
        flag.classList.add('error');
        flag.setAttribute('role', 'alert');
        flag.append(' ');
        const retry = button('retry-btn', 'Retry', { reply: data.turn_id });
        retry.className = 'secondary retry-btn';
        flag.appendChild(retry);
      }
      item.appendChild(flag);
    }
    if (streaming === data.turn_id) setStreaming('');
    decorate(item, 'assistant');
    refreshDrawer();
  });
  // A rewind, its undo or a regenerate elsewhere changes what is in effect: render the chat afresh.
  for (const type of ['chat_rewound', 'chat_rewind_undone', 'assistant_turn_superseded', 'user_turn_edit'])
    durable(type, () => location.reload());

  const dialog = document.getElementById('rewind-dialog');
  async function previewRewind(turnId) {
    const response = await fetch('/chats/' + chatId + '/rewind?to=' + encodeURIComponent(turnId));
    if (!response.ok) {
      let detail = 'This message cannot be rewound to.';
      try {
        detail = (await response.json()).detail || detail;
      } catch {}
      live.textContent = detail;
      return;
    }
    // The preview is server-rendered (escaped) HTML.
    dialog.innerHTML = await response.text();
    dialog.querySelector('#rewind-cancel').addEventListener('click', () => dialog.close());
    dialog.showModal();
  }

  function editThenRegenerate(replyId) {
    const reply = document.getElementById('turn-' + replyId);
    const users = [...list.querySelectorAll('.msg-user')];
    const user = reply && reply.dataset.replyTo ? document.getElementById('turn-' + reply.dataset.replyTo) : users[users.length - 1];
    if (!user || user.querySelector('.edit-turn')) return;
    const form = document.createElement('form');
    form.className = 'edit-turn';
    const area = document.createElement('textarea');
    area.name = 'text';
    area.rows = 3;
    area.maxLength = 8000;
    area.value = user.dataset.text || user.querySelector('.text').textContent.trim();
    const go = document.createElement('button');
    go.type = 'submit';
    go.className = 'regenerate-submit';
    go.textContent = 'Regenerate';
    const cancel = document.createElement('button');
    cancel.type = 'button';
    cancel.className = 'secondary';
    cancel.textContent = 'Cancel';
    const row = document.createElement('div');
    row.className = 'composer-actions';
    row.append(go, cancel);
    form.append(area, row);
    user.appendChild(form);
    area.focus();
    cancel.addEventListener('click', () => form.remove());
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      go.disabled = true;
      const response = await fetch('/chats/' + chatId + '/regenerate', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-chat-client': '1' },
        body: new URLSearchParams({ text: area.value, reply: replyId }),
      });
      if (response.ok) location.reload();
      else {
        go.disabled = false;
        let detail = 'Could not regenerate.';
        try {
          detail = (await response.json()).detail || detail;
        } catch {}
        live.textContent = detail;
      }
    });
  }

  function showVariant(group, step) {
    const items = [...list.querySelectorAll('.msg-assistant')].filter((item) => item.dataset.replyTo === group);
    const current = items.findIndex((item) => !item.hidden);
    const next = Math.min(items.length - 1, Math.max(0, current + step));
    items.forEach((item, index) => (item.hidden = index !== next));
  }

  list.addEventListener('click', (event) => {
    const target = event.target.closest('button');
    if (!target) return;
    if (target.classList.contains('rewind-btn')) previewRewind(target.dataset.to);
    else if (target.classList.contains('regenerate-btn')) editThenRegenerate(target.dataset.reply);
    else if (target.classList.contains('retry-btn')) retry(target.dataset.reply);
    else if (target.classList.contains('variant-prev') || target.classList.contains('variant-next'))
      showVariant(target.closest('.variants').dataset.group, target.classList.contains('variant-prev') ? -1 : 1);
  });

  const toast = document.getElementById('undo-toast');
  if (toast) {
    const until = Date.now() + Number(toast.dataset.remaining || '0');
    const countdown = toast.querySelector('.countdown');
    const tick = setInterval(() => {
      const left = Math.ceil((until - Date.now()) / 1000);
      if (left <= 0) {
        toast.remove();
        clearInterval(tick);
      } else countdown.textContent = left + ' s';
    }, 500);
  }
  for (const type of ['edge_update', 'memory_written', 'memory_significance_scored', 'memory_pin_changed', 'time_passed', 'activity_change', 'scene_opened', 'scene_closed', 'manual_edit'])
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
      if (response.status >= 500) blocked(detail);
    }
  });

  // A failed write on the server (the database): block the page with a clear message instead of a silent failure.
  function blocked(detail) {
    const box = document.getElementById('rewind-dialog');
    box.textContent = '';
    const title = document.createElement('h2');
    title.textContent = 'Your turn could not be saved';
    const text = document.createElement('p');
    text.textContent = detail + ' Nothing was sent to the character. Copy your text from the box, then reload to try again.';
    const reload = document.createElement('button');
    reload.type = 'button';
    reload.textContent = 'Reload';
    reload.addEventListener('click', () => location.reload());
    box.append(title, text, reload);
    box.addEventListener('cancel', (event) => event.preventDefault());
    box.showModal();
  }
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) form.requestSubmit(send);
  });
})();
`;
