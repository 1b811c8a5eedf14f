/**
 * Replies as they stream: token deltas applied in `seq` order (a gap fetches the partial text from the server),
 * rendered once the reply's start (after your turn) has arrived, finished by the durable `assistant_turn`.
 */
import { prose } from './prose.js';
import type { Room } from './room.js';

interface ReplyState {
  seq: number;
  text: string;
  pending: Map<number, string>;
  done: boolean;
  /** The bubble may show: the reply's start arrived (deltas can overtake it). */
  shown: boolean;
  fetching: boolean;
}

export interface Delta {
  turn_id: string;
  seq: number;
  text: string;
}

export class Replies {
  private readonly replies = new Map<string, ReplyState>();

  constructor(private readonly room: Room) {
    const streaming = room.streaming;
    const initial = streaming ? room.message(streaming) : null;
    if (initial) {
      const state = this.get(streaming);
      state.seq = Number(room.root.dataset.seq || '0');
      state.text = room.textOf(initial).textContent ?? '';
    }
  }

  get(turnId: string): ReplyState {
    let state = this.replies.get(turnId);
    if (!state) {
      state = { seq: 0, text: '', pending: new Map(), done: false, shown: Boolean(this.room.message(turnId)), fetching: false };
      this.replies.set(turnId, state);
    }
    return state;
  }

  render(turnId: string): void {
    const state = this.get(turnId);
    if (!state.shown) return;
    const item = this.room.bubble(turnId, 'assistant');
    if (!state.done) item.classList.add('streaming');
    prose(this.room.textOf(item), state.text);
  }

  delta(delta: Delta): void {
    const state = this.get(delta.turn_id);
    if (state.done || delta.seq <= state.seq) return;
    const stats = this.room.stats;
    if (!stats.firstDeltaAt) stats.firstDeltaAt = performance.now();
    stats.deltas++;
    state.pending.set(delta.seq, delta.text);
    drain(state);
    if (state.pending.size > 0 && !state.fetching) {
      state.fetching = true;
      this.catchUp()
        .catch(() => undefined)
        .finally(() => {
          state.fetching = false;
        });
    }
    this.render(delta.turn_id);
  }

  /** A gap in the deltas: the text so far from the process that generates the reply. */
  private async catchUp(): Promise<void> {
    const response = await fetch(this.room.url('/partial'));
    if (response.status !== 200) return;
    const partial = (await response.json()) as Delta;
    const state = this.get(partial.turn_id);
    if (state.done || partial.seq <= state.seq) return;
    state.seq = partial.seq;
    state.text = partial.text;
    for (const [seq] of state.pending) if (seq <= state.seq) state.pending.delete(seq);
    drain(state);
    this.render(partial.turn_id);
  }
}

function drain(state: ReplyState): void {
  while (state.pending.has(state.seq + 1)) {
    state.seq++;
    state.text += state.pending.get(state.seq) ?? '';
    state.pending.delete(state.seq);
  }
}
