/** The composer: Send (locked while a reply streams), Stop, Ctrl/Cmd+Enter, and a blocking message when a turn could not be saved. */
import { postForm, problemDetail } from './dom.js';
import type { Room } from './room.js';

export function handleComposer(room: Room): void {
  room.form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const submitter = (event as SubmitEvent).submitter;
    if (submitter?.id === 'stop') {
      await fetch(room.url('/stop'), { method: 'POST', headers: { 'x-chat-client': '1' } });
      return;
    }
    const text = room.input.value.trim();
    if (!text || room.streaming) return;
    room.send.disabled = true;
    room.stats.postedAt = performance.now();
    room.stats.firstDeltaAt = 0;
    const response = await postForm(room.url('/turns'), { text });
    if (response.ok) {
      room.input.value = '';
      return;
    }
    room.send.disabled = Boolean(room.streaming);
    const detail = await problemDetail(response, 'The turn was not sent.');
    room.say(detail);
    if (response.status >= 500) blocked(room, detail);
  });
  room.input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) room.form.requestSubmit(room.send);
  });
}

/** A failed write on the server (the database): block the page with a clear message instead of a silent failure. */
function blocked(room: Room, detail: string): void {
  const box = room.dialog;
  box.textContent = '';
  const title = document.createElement('h2');
  title.textContent = 'Your turn could not be saved';
  const text = document.createElement('p');
  text.textContent = `${detail} Nothing was sent to the character. Copy your text from the box, then reload to try again.`;
  const reload = document.createElement('button');
  reload.type = 'button';
  reload.textContent = 'Reload';
  reload.addEventListener('click', () => location.reload());
  box.append(title, text, reload);
  box.addEventListener('cancel', (event) => event.preventDefault());
  box.showModal();
}
