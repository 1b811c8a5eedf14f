/**
 * Runs a decider against a stream: read, fold, decide, append with the version that was read. A concurrent append
 * makes the append fail with VersionConflictError; the whole read-fold-decide-append then runs again on the new
 * state, under the one bounded retry policy below (`withConflictRetry`), which every writer in the program shares.
 */
import type { Decider } from '../core/decider.js';
import { fold } from '../core/decider.js';
import { sleep } from '../core/sleep.js';
import { type EventStore, type NewEvent, type Recorded, type RecordedEvent, VersionConflictError } from './event-store.js';

/** The retry policy on version conflicts: a few quick attempts with jittered, growing pauses. */
export const conflictRetryPolicy = { attempts: 5, baseDelayMs: 5, maxDelayMs: 100 } as const;

export interface ConflictRetryOptions {
  /** Stops retrying (rejecting with the signal's reason) when it fires. */
  signal?: AbortSignal | undefined;
  /** Called before each retry, e.g. to log or count conflicts. */
  onConflict?: ((error: VersionConflictError, attempt: number) => void) | undefined;
}

/**
 * Runs `attempt` (given its 1-based number) until it does not throw VersionConflictError, at most
 * `conflictRetryPolicy.attempts` times; the last conflict is rethrown. Any other error is rethrown at once.
 */
export async function withConflictRetry<T>(attempt: (attempt: number) => Promise<T>, options: ConflictRetryOptions = {}): Promise<T> {
  const { attempts, baseDelayMs, maxDelayMs } = conflictRetryPolicy;
  for (let number = 1; ; number++) {
    options.signal?.throwIfAborted();
    try {
      return await attempt(number);
    } catch (error) {
      if (!(error instanceof VersionConflictError) || number >= attempts) throw error;
      options.onConflict?.(error, number);
      const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** (number - 1));
      await sleep(ceiling / 2 + Math.random() * (ceiling / 2), options.signal);
    }
  }
}

type DomainEvent = { type: string; data: unknown };

/**
 * A decider whose `decide` may be async: for services that must compute something with I/O (an LLM call, an
 * integration) from the current state before they can decide. Domain deciders stay synchronous and pure.
 */
export type CommandDecider<Command, Event extends DomainEvent, State> = Omit<Decider<Command, Event, State>, 'decide'> & {
  decide(command: Command, state: State): Event[] | Promise<Event[]>;
};

export interface HandleCommandOptions<State> extends ConflictRetryOptions {
  /** Metadata stored with every appended event. */
  metadata?: Record<string, unknown>;
  /** Where to start folding instead of the beginning of the stream, e.g. a snapshot; undefined = from the start. */
  loadSnapshot?: (streamId: string) => Promise<{ state: State; version: number } | undefined>;
}

export interface CommandResult<Event extends DomainEvent, State> {
  /** The appended events as recorded (empty when the command changed nothing). */
  newEvents: Recorded<Event>[];
  /** The state after the new events. */
  newState: State;
  /** The stream's version after the append. */
  nextExpectedVersion: number;
}

export async function handleCommand<Command, Event extends DomainEvent, State>(
  store: EventStore,
  streamId: string,
  decider: CommandDecider<Command, Event, State>,
  command: Command,
  options: HandleCommandOptions<State> = {},
): Promise<CommandResult<Event, State>> {
  return withConflictRetry(async () => {
    const start = (await options.loadSnapshot?.(streamId)) ?? { state: decider.initialState(), version: 0 };
    const history = await store.readStream<RecordedEvent>(streamId, { fromVersion: start.version + 1 });
    const state = fold(decider, history as unknown as Event[], start.state);
    const version = history[history.length - 1]?.version ?? start.version;
    const decided = await decider.decide(command, state);
    if (decided.length === 0) return { newEvents: [], newState: state, nextExpectedVersion: version };
    const events: NewEvent[] = decided.map((event) => ({
      type: event.type,
      data: event.data,
      ...(options.metadata ? { metadata: options.metadata } : {}),
    }));
    const appended = await store.append(streamId, version, events);
    const newEvents = appended.events as Recorded<Event>[];
    return { newEvents, newState: fold(decider, decided, state), nextExpectedVersion: appended.nextExpectedVersion };
  }, options);
}
