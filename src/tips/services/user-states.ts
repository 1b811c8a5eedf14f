/**
 * Folded user states, least recently used first out, at most `capacity` users: a request loads its user's state from
 * the cache and folds only the events appended since (by any process); a user evicted or never seen is folded from the
 * stream. The serving model (LinUCB with every learned reward) is kept beside the state and advanced incrementally.
 * The log stays the truth: a stream that no longer lines up with what was folded (deleted, rebuilt) is folded again.
 */
import type { EventStore, Recorded } from '../../store/index.js';
import type { TipsEvent } from '../domain/events.js';
import type { LinUcbModel, LinUcbSettings } from '../domain/linucb.js';
import { modelFor } from '../domain/policy.js';
import { evolve, initialState, type TipsState } from '../domain/state.js';

interface Entry {
  state: TipsState;
  /** Position of the last folded event, to tell a rebuilt stream from the one folded. */
  position: number;
  model: LinUcbModel | undefined;
  /** The load in progress, so concurrent requests of one user fold the new events once. */
  loading: Promise<TipsState> | undefined;
}

export class UserStates {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly store: EventStore,
    readonly capacity: number,
  ) {
    if (!(capacity >= 1)) throw new RangeError('the state cache needs room for at least one user');
  }

  /** Users currently cached. */
  get size(): number {
    return this.entries.size;
  }

  /** The user's state, brought up to date with the stream. */
  load(userId: string): Promise<TipsState> {
    const entry = this.touch(userId);
    if (entry.loading) return entry.loading;
    const loading = this.catchUp(userId, entry).finally(() => {
      entry.loading = undefined;
    });
    entry.loading = loading;
    return loading;
  }

  /**
   * The serving model at `state` (every learned reward of it): the cached one advanced, or a fresh one when the settings
   * changed or the cache is ahead of an older state.
   */
  model(userId: string, state: TipsState, settings: LinUcbSettings): LinUcbModel {
    const entry = this.touch(userId);
    const cached = entry.model;
    const usable =
      cached !== undefined &&
      cached.updates <= state.updates.length &&
      cached.settings.alpha === settings.alpha &&
      cached.settings.epsilon === settings.epsilon &&
      cached.settings.lambda === settings.lambda;
    if (!usable && cached !== undefined && cached.updates > state.updates.length) return modelFor(state, settings);
    const model = usable ? cached : modelFor(state, settings, 0);
    for (const update of state.updates.slice(model.updates)) model.update(update.features, update.reward);
    entry.model = model;
    return model;
  }

  /** After an append of `appended` events that made `state`: kept when the cache was at the version appended after. */
  remember(userId: string, state: TipsState, appended: number, lastPosition: number): void {
    const entry = this.touch(userId);
    if (entry.state.version !== state.version - appended || entry.loading !== undefined) return;
    entry.state = state;
    entry.position = lastPosition;
  }

  /** Drops the user (after deletion). */
  forget(userId: string): void {
    this.entries.delete(userId);
  }

  private touch(userId: string): Entry {
    let entry = this.entries.get(userId);
    if (entry) this.entries.delete(userId);
    else entry = { state: initialState(), position: 0, model: undefined, loading: undefined };
    this.entries.set(userId, entry);
    while (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
    return entry;
  }

  private async catchUp(userId: string, entry: Entry): Promise<TipsState> {
    const streamId = `user-${userId}`;
    for (;;) {
      const { state, position } = entry;
      // Read from the last folded event too: if it is gone or moved, the stream was deleted or rebuilt underneath.
      const read = await this.store.readStream<Recorded<TipsEvent>>(streamId, { fromVersion: Math.max(1, state.version) });
      const overlap = state.version > 0 ? read[0] : undefined;
      const events = state.version > 0 ? read.slice(1) : read;
      const aligned = state.version === 0 || (overlap?.version === state.version && overlap.position === position);
      if (aligned && events.every((event, index) => event.version === state.version + 1 + index)) {
        let folded = state;
        for (const event of events) folded = evolve(folded, { type: event.type, data: event.data } as TipsEvent);
        entry.state = folded;
        entry.position = events.at(-1)?.position ?? position;
        return folded;
      }
      entry.state = initialState();
      entry.position = 0;
      entry.model = undefined;
    }
  }
}
