/**
 * What the buttons on messages do: rewind (a server-rendered preview dialog), regenerate after editing your turn,
 * retry a failed reply, browse variants; and the undo toast's countdown.
 */
import { child, postForm, problemDetail } from './dom.js';
import type { Room } from './room.js';

export function handleMessageActions(room: Room): void {
  room.list.addEventListener('click', (event) => {
    const target = (event.target as Element | null)?.closest('button');
    if (!target) return;
    const classes = target.classList;
    if (classes.contains('rewind-btn')) void previewRewind(room, target.dataset.to ?? '');
    else if (classes.contains('regenerate-btn')) editThenRegenerate(room, target.dataset.reply ?? '');
    else if (classes.contains('retry-btn')) void retry(room, target.dataset.reply ?? '');
    else if (classes.contains('variant-prev') || classes.contains('variant-next'))
      showVariant(room, target.closest<HTMLElement>('.variants')?.dataset.group ?? '', classes.contains('variant-prev') ? -1 : 1);
  });
}

/** Counts the undo toast down and removes it when the undo window is over. */
export function countDownUndo(): void {
  const toast = document.getElementById('undo-toast');
  if (!toast) return;
  const until = Date.now() + Number(toast.dataset.remaining || '0');
  const countdown = child<HTMLElement>(toast, '.countdown');
  const tick = setInterval(() => {
    const left = Math.ceil((until - Date.now()) / 1000);
    if (left <= 0) {
      toast.remove();
      clearInterval(tick);
    } else countdown.textContent = `${left} s`;
  }, 500);
}

async function previewRewind(room: Room, turnId: string): Promise<void> {
  const response = await fetch(room.url(`/rewind?to=${encodeURIComponent(turnId)}`));
  if (!response.ok) {
    room.say(await problemDetail(response, 'This message cannot be rewound to.'));
    return;
  }
  // The preview is server-rendered (escaped) HTML.
  room.dialog.innerHTML = await response.text();
  child<HTMLButtonElement>(room.dialog, '#rewind-cancel').addEventListener('click', () => room.dialog.close());
  room.dialog.showModal();
}

async function retry(room: Room, replyId: string): Promise<void> {
  const response = await postForm(room.url('/regenerate'), { reply: replyId });
  if (response.ok) location.reload();
  else room.say(await problemDetail(response, 'Could not retry.'));
}

/** Opens your turn for editing under it; submitting regenerates the reply from the edited turn. */
function editThenRegenerate(room: Room, replyId: string): void {
  const reply = room.message(replyId);
  const users = [...room.list.querySelectorAll<HTMLElement>('.msg-user')];
  const user = reply?.dataset.replyTo ? room.message(reply.dataset.replyTo) : users[users.length - 1];
  if (!user || user.querySelector('.edit-turn')) return;
  const form = document.createElement('form');
  form.className = 'edit-turn';
  const area = document.createElement('textarea');
  area.name = 'text';
  area.rows = 3;
  area.maxLength = 8000;
  area.value = user.dataset.text || (room.textOf(user).textContent ?? '').trim();
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
    const response = await postForm(room.url('/regenerate'), { text: area.value, reply: replyId });
    if (response.ok) location.reload();
    else {
      go.disabled = false;
      room.say(await problemDetail(response, 'Could not regenerate.'));
    }
  });
}

/** Shows the previous or next variant of a reply (the replies to the same turn of yours). */
function showVariant(room: Room, group: string, step: number): void {
  const items = [...room.list.querySelectorAll<HTMLElement>('.msg-assistant')].filter((item) => item.dataset.replyTo === group);
  const current = items.findIndex((item) => !item.hidden);
  const next = Math.min(items.length - 1, Math.max(0, current + step));
  items.forEach((item, index) => {
    item.hidden = index !== next;
  });
}
