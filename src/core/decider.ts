/**
 * The one event-sourcing shape every product's domain follows: `decide` turns a command and the current state into new
 * events (or throws a domain error), `evolve` folds one event into the state, `initialState` starts the fold. All three
 * are pure; `handleCommand` in src/store runs them against a stream.
 */
export interface Decider<Command, Event, State> {
  decide(command: Command, state: State): Event[];
  evolve(state: State, event: Event): State;
  initialState(): State;
}

/** The part of a decider that rebuilds state. */
export type Evolver<Event, State> = Pick<Decider<unknown, Event, State>, 'evolve' | 'initialState'>;

/** Folds `events` into `state` (the decider's initial state when absent). */
export function fold<Event, State>(decider: Evolver<Event, State>, events: Iterable<Event>, state: State = decider.initialState()): State {
  let current = state;
  for (const event of events) current = decider.evolve(current, event);
  return current;
}
