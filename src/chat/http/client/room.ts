/**
 * The chat room on the page: its elements, who is who, whether a reply is streaming (Send locked, Stop shown) and the
 * message bubbles. The other modules (live updates, message actions, the composer) work through it.
 */
import { child, element, linkButton } from './dom.js';

/** What the browser tests read: deltas and durable events seen, and the send -> first delta timing. */
export interface ChatStats {
  deltas: number;
  events: number;
  firstDeltaAt: number;
  postedAt: number;
}

declare global {
  interface Window {
    chatStats?: ChatStats;
    htmx?: { process(element: Element): void };
  }
}

export type Role = 'user' | 'assistant';

export class Room {
  readonly chatId: string;
  readonly names: { you: string; bot: string };
  readonly list = element<HTMLOListElement>('messages');
  readonly form = element<HTMLFormElement>('composer');
  readonly input = element<HTMLTextAreaElement>('composer-text');
  readonly send = element<HTMLButtonElement>('send');
  readonly stop = element<HTMLButtonElement>('stop');
  readonly live = element<HTMLElement>('live-state');
  readonly dialog = element<HTMLDialogElement>('rewind-dialog');
  readonly stats: ChatStats = { deltas: 0, events: 0, firstDeltaAt: 0, postedAt: 0 };
  /** The reply streaming now, or ''. */
  streaming: string;

  constructor(readonly root: HTMLElement) {
    this.chatId = root.dataset.chat ?? '';
    this.names = { you: root.dataset.you ?? 'You', bot: root.dataset.bot ?? '' };
    this.streaming = root.dataset.streaming || '';
    window.chatStats = this.stats;
  }

  /** `/chats/<id><path>` */
  url(path = ''): string {
    return `/chats/${this.chatId}${path}`;
  }

  setStreaming(turnId: string): void {
    this.streaming = turnId;
    this.send.disabled = Boolean(turnId);
    this.stop.hidden = !turnId;
    this.root.dataset.streaming = turnId;
  }

  /** Says something in the live-state line (errors of actions included). */
  say(text: string): void {
    this.live.textContent = text;
  }

  message(turnId: string): HTMLElement | null {
    return document.getElementById(`turn-${turnId}`);
  }

  /** The message's bubble, made (at the end of the list) when it is not on the page yet. */
  bubble(turnId: string, role: Role): HTMLElement {
    const existing = this.message(turnId);
    if (existing) return existing;
    const item = document.createElement('li');
    item.id = `turn-${turnId}`;
    item.dataset.turn = turnId;
    item.className = `msg msg-${role}`;
    const who = document.createElement('div');
    who.className = 'who';
    who.textContent = role === 'user' ? this.names.you : this.names.bot;
    const text = document.createElement('div');
    text.className = 'text';
    item.append(who, text);
    this.list.appendChild(item);
    item.scrollIntoView({ block: 'end' });
    return item;
  }

  textOf(item: Element): HTMLElement {
    return child<HTMLElement>(item, '.text');
  }

  /** Rewind on every finished message; Regenerate only on the latest reply. */
  decorate(item: HTMLElement, role: Role): void {
    if (item.querySelector('.msg-actions')) return;
    const turnId = item.dataset.turn ?? '';
    const actions = document.createElement('div');
    actions.className = 'msg-actions';
    actions.appendChild(linkButton('rewind-btn', role === 'user' ? 'Rewind to before this' : 'Rewind to here', { to: turnId }));
    if (role === 'assistant') {
      this.dropRegenerate();
      actions.appendChild(linkButton('regenerate-btn', 'Regenerate', { reply: turnId }));
    }
    item.appendChild(actions);
  }

  dropRegenerate(): void {
    for (const old of this.list.querySelectorAll('.regenerate-btn')) old.remove();
  }
}
