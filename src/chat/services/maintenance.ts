/**
 * Read-model upkeep: snapshots of every chat read model (after `snapshot_every_events` chat events or
 * `snapshot_every_minutes`), the cold-start rebuild from the newest snapshot plus the tail, and nightly backups.
 */

import { AppError } from '../../core/errors.js';
import { sleep } from '../../core/sleep.js';
import type { SnapshotStore } from '../../store/snapshots.js';
import { rebuildReadModels, snapshotLag, snapshotReadModels } from '../read-model/rebuild.js';
import type { ChatDeps } from './context.js';

export type MaintenanceDeps = Pick<ChatDeps, 'database' | 'store' | 'read' | 'snapshots' | 'clock' | 'logger' | 'settings'>;

export class Maintenance {
  constructor(private readonly deps: MaintenanceDeps) {}

  /** Snapshots every chat read model at the log's head (keeps `snapshots_keep`). */
  async snapshotReadModels(): Promise<number> {
    return (await snapshotReadModels(this.deps.database, this.requireSnapshots(), this.deps.settings.snapshots_keep)).position;
  }

  /** Takes a snapshot when `snapshot_every_events` chat events or `snapshot_every_minutes` (with any event) have passed. */
  async maybeSnapshot(): Promise<boolean> {
    const settings = this.deps.settings;
    const lag = await snapshotLag(this.deps.database, this.requireSnapshots(), settings.snapshot_every_events);
    if (lag.eventsSince === 0) return false;
    const old = lag.createdAt === undefined || this.deps.clock.now() - lag.createdAt >= settings.snapshot_every_minutes * 60_000;
    if (lag.eventsSince < settings.snapshot_every_events && !old) return false;
    await this.snapshotReadModels();
    return true;
  }

  /** Rebuilds the chat read models from the newest snapshot plus the tail, or from the whole log. */
  rebuildReadModels(options: { fromSnapshot: boolean }): Promise<{ from: number; replayed: number }> {
    return rebuildReadModels(this.deps.database, this.requireSnapshots(), options);
  }

  /** Cold start: the read models are empty while the log holds chat events (a restored or fresh database). */
  async coldStartIfNeeded(): Promise<{ from: number; replayed: number } | undefined> {
    if (!this.deps.snapshots || (await this.deps.read.bots()).length > 0 || (await this.deps.read.you())) return undefined;
    const logged = await this.deps.store.readAll({ filter: { types: ['bot_authored', 'you_authored'] }, limit: 1 });
    if (logged.length === 0) return undefined;
    const result = await this.rebuildReadModels({ fromSnapshot: true });
    this.deps.logger.info(result, 'chat read models rebuilt on a cold start');
    return result;
  }

  /** Checks every minute whether a read-model snapshot is due, until the signal aborts. */
  async runSnapshots(signal: AbortSignal, everyMs = 60_000): Promise<void> {
    if (!this.deps.snapshots) return;
    while (!signal.aborted) {
      await sleep(everyMs, signal).catch(() => undefined);
      if (signal.aborted) return;
      await this.maybeSnapshot().catch((error: unknown) =>
        this.deps.logger.warn({ error: (error as Error).message }, 'chat read-model snapshot failed'),
      );
    }
  }

  private requireSnapshots(): SnapshotStore {
    if (!this.deps.snapshots) throw new AppError('internal', 'no snapshot store configured');
    return this.deps.snapshots;
  }
}
