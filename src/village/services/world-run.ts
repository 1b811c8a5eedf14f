/**
 * Runs of the village: a run is (world, seed, catalog hash, config hash), recorded in its first event. The runner
 * drives the pure engine tick by tick, appends the events to the stream `world-<run id>`, keeps the state projection
 * in memory and saves a snapshot (state + rng state) at the end of every sim-day. A run restored from a snapshot
 * continues exactly like the uninterrupted one.
 */
import { createHash, type Hash } from 'node:crypto';
import { ValidationError } from '../../core/errors.js';
import { Rng, type RngState } from '../../core/rng.js';
import type { EventStore, NewEvent, SnapshotStore } from '../../store/index.js';
import { buildCatalogIndex, type CatalogIndex } from '../domain/context.js';
import { evolve, tick } from '../domain/engine.js';
import { type RunStarted, type VillageEvent, worldStreamId } from '../domain/events.js';
import { hashSettings, runIdFor, serializeEvent } from '../domain/runs.js';
import { formatLocal, simDayOf, tickInstant } from '../domain/sim-time.js';
import { createInitialState, type VillageState } from '../domain/state.js';
import { defaultVillageSettings, type VillageSettings } from '../domain/village-settings.js';
import type { LoadedCatalog } from './catalog-loader.js';

export const snapshotSchemaVersion = 1;

export interface VillageSnapshot {
  state: VillageState;
  rng: RngState;
}

export interface RunPersistence {
  store: EventStore;
  snapshots: SnapshotStore;
}

export interface RunOptions {
  catalog: LoadedCatalog;
  seed: number;
  settings?: VillageSettings;
  persistence?: RunPersistence;
  /** Called for every event in order with its stream version (1 = run_started). */
  onEvent?: (event: VillageEvent, version: number) => void;
  /**
   * Called, with the state right after it, for every event a restore re-derives from the newest snapshot (or the seed)
   * up to the stream's head: events already in the store, so an engine taking over can redo their side effects.
   */
  onReplayed?: (event: VillageEvent, version: number, state: VillageState) => void;
  /** Called after each completed sim-day. */
  onDay?: (day: number) => void;
  /**
   * Awaited after a sim-day's events are written and before its snapshot is saved: side effects of the events so far
   * (render jobs) must be done by then, because a restore re-derives, and so can redo, only what follows a snapshot.
   */
  beforeSnapshot?: () => Promise<void>;
}

/** How a snapshot is stored: as one JSON string, so jsonb cannot reorder the state's keys (iteration order matters). */
interface StoredSnapshot {
  encoding: 'json';
  text: string;
}

export async function loadSnapshot(
  snapshots: SnapshotStore,
  streamId: string,
  atOrBefore?: number,
): Promise<{ snapshot: VillageSnapshot; version: number } | undefined> {
  const found = await snapshots.loadLatest<StoredSnapshot>(streamId, {
    schemaVersion: snapshotSchemaVersion,
    ...(atOrBefore !== undefined ? { atOrBefore } : {}),
  });
  if (!found) return undefined;
  return { snapshot: JSON.parse(found.state.text) as VillageSnapshot, version: found.version };
}

export class VillageRun {
  readonly identity: RunStarted;
  readonly streamId: string;
  readonly index: CatalogIndex;
  state: VillageState;
  /** Stream version of the last event produced. */
  version: number;
  private readonly rng: Rng;
  private readonly persistence: RunPersistence | undefined;
  private readonly onEvent: RunOptions['onEvent'];
  private readonly onReplayed: RunOptions['onReplayed'];
  private readonly onDay: RunOptions['onDay'];
  private readonly beforeSnapshot: RunOptions['beforeSnapshot'];
  private buffer: NewEvent[] = [];
  /** The sim-day whose end was already handled (so a resumed run does not end its snapshot day twice). */
  private endedDay = 0;
  private persistedVersion: number;
  /** Versions up to this one are already in the store (a restored run re-derives them): not buffered, not reported. */
  private replayedUpTo = 0;
  private readonly hash: Hash = createHash('sha256');

  private constructor(options: RunOptions, state: VillageState, rng: Rng, version: number) {
    const settings = options.settings ?? defaultVillageSettings;
    const { catalog, hash } = options.catalog;
    const configHash = hashSettings(settings);
    this.identity = {
      runId: runIdFor(catalog.world.id, options.seed, hash, configHash),
      world: catalog.world.id,
      seed: options.seed,
      catalogHash: hash,
      configHash,
      start: catalog.world.start,
      tickMinutes: catalog.world.tickMinutes,
      language: catalog.world.language,
    };
    this.streamId = worldStreamId(this.identity.runId);
    this.index = buildCatalogIndex(catalog, settings);
    this.state = state;
    this.rng = rng;
    this.version = version;
    this.persistedVersion = version;
    this.persistence = options.persistence;
    this.onEvent = options.onEvent;
    this.onReplayed = options.onReplayed;
    this.onDay = options.onDay;
    this.beforeSnapshot = options.beforeSnapshot;
  }

  /** A new run: the initial state and, as its first event, `run_started`. */
  static start(options: RunOptions): VillageRun {
    const settings = options.settings ?? defaultVillageSettings;
    const run = new VillageRun(options, createInitialState(options.catalog.catalog, settings), Rng.fromSeed(options.seed), 0);
    run.record({ type: 'run_started', data: run.identity });
    return run;
  }

  /** Continues from a snapshot taken at `version` of the run's stream. */
  static resume(options: RunOptions, snapshot: VillageSnapshot, version: number): VillageRun {
    const run = new VillageRun(options, structuredClone(snapshot.state), Rng.fromState(snapshot.rng), version);
    run.endedDay = run.state.day;
    return run;
  }

  /**
   * Continues a run recorded in the store: from its newest snapshot (or the seed), re-deriving the events after it
   * deterministically up to the stream's head, without writing or reporting them again. An empty stream starts the run.
   */
  static async restore(options: RunOptions & { persistence: RunPersistence }): Promise<VillageRun> {
    const settings = options.settings ?? defaultVillageSettings;
    const { catalog, hash } = options.catalog;
    const streamId = worldStreamId(runIdFor(catalog.world.id, options.seed, hash, hashSettings(settings)));
    const head = await options.persistence.store.streamVersion(streamId);
    if (head === 0) return VillageRun.start(options);
    const found = await loadSnapshot(options.persistence.snapshots, streamId, head);
    const run = found
      ? new VillageRun(options, structuredClone(found.snapshot.state), Rng.fromState(found.snapshot.rng), found.version)
      : new VillageRun(options, createInitialState(catalog, settings), Rng.fromSeed(options.seed), 0);
    if (found) run.endedDay = run.state.day;
    run.replayedUpTo = head;
    run.persistedVersion = head;
    if (!found) run.record({ type: 'run_started', data: run.identity });
    while (run.version < head) await run.step();
    if (run.version !== head)
      throw new ValidationError(`cannot restore run ${run.identity.runId}: its stream is at version ${head}, re-derived ${run.version}`);
    return run;
  }

  /** Runs `count` ticks, ending (and snapshotting) sim-days on the way like `advanceDays`; flushes at the end. */
  async advanceTicks(count: number): Promise<void> {
    for (let done = 0; done < count; done++) await this.step();
    await this.flush();
  }

  /** One tick, ending the previous sim-day first when this tick starts a new one. */
  private async step(): Promise<void> {
    const nextDay = simDayOf(this.index.clock, this.state.tick + 1);
    if (this.state.day >= 1 && nextDay !== this.state.day) await this.endDay();
    for (const event of tick(this.state, { index: this.index, rng: this.rng })) {
      this.state = evolve(this.state, event);
      this.record(event);
    }
  }

  snapshot(): VillageSnapshot {
    return { state: structuredClone(this.state), rng: this.rng.state() };
  }

  /** SHA-256 of the events this object produced (serialized, newline-separated). */
  logHash(): string {
    return this.hash.copy().digest('hex');
  }

  simTime(): string {
    return formatLocal(tickInstant(this.index.clock, Math.max(0, this.state.tick)));
  }

  /** Runs whole sim-days; flushes and snapshots at the end of each. */
  async advanceDays(days: number): Promise<void> {
    const lastDay = Math.max(this.state.day, 0) + days;
    for (;;) {
      const nextDay = simDayOf(this.index.clock, this.state.tick + 1);
      if (this.state.day >= 1 && nextDay !== this.state.day) await this.endDay();
      if (nextDay > lastDay) break;
      for (const event of tick(this.state, { index: this.index, rng: this.rng })) {
        this.state = evolve(this.state, event);
        this.record(event);
      }
    }
    await this.flush();
  }

  private record(event: VillageEvent): void {
    this.version += 1;
    const line = serializeEvent(event);
    this.hash.update(this.version === 1 ? line : `\n${line}`);
    if (this.version <= this.replayedUpTo) {
      this.onReplayed?.(event, this.version, this.state);
      return;
    }
    this.onEvent?.(event, this.version);
    if (this.persistence) this.buffer.push({ type: event.type, data: event.data });
  }

  private async endDay(): Promise<void> {
    if (this.endedDay === this.state.day) return;
    this.endedDay = this.state.day;
    await this.flush();
    if (this.persistence && this.version > this.replayedUpTo) {
      await this.beforeSnapshot?.();
      await this.persistence.snapshots.save<StoredSnapshot>(
        this.streamId,
        this.version,
        { encoding: 'json', text: JSON.stringify(this.snapshot()) },
        snapshotSchemaVersion,
      );
    }
    this.onDay?.(this.state.day);
  }

  private async flush(): Promise<void> {
    if (!this.persistence || this.buffer.length === 0) return;
    const events = this.buffer;
    this.buffer = [];
    const expected = this.persistedVersion === 0 ? 'no-stream' : this.persistedVersion;
    await this.persistence.store.append(this.streamId, expected, events);
    this.persistedVersion += events.length;
  }
}
