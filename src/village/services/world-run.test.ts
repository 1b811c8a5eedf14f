import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EventStore, runMigrations, SnapshotStore, type StoreDatabase, storeMigrations } from '../../store/index.js';
import { resolveTestDialects } from '../../store/testing.js';
import { type VillageEvent, worldStreamId } from '../domain/events.js';
import { canonicalEvent, serializeEvent } from '../domain/runs.js';
import { loadCatalog } from './catalog-loader.js';
import { replayRun } from './replay.js';
import { loadSnapshot, VillageRun, type VillageSnapshot } from './world-run.js';

const catalog = loadCatalog();

async function logOf(seed: number, days: number): Promise<{ hash: string; lines: string[]; run: VillageRun }> {
  const lines: string[] = [];
  const run = VillageRun.start({ catalog, seed, onEvent: (event) => lines.push(serializeEvent(event)) });
  await run.advanceDays(days);
  return { hash: run.logHash(), lines, run };
}

describe('determinism', () => {
  it('given the same seed, when 7 sim-days run twice, then the event logs are byte-identical (hash compared)', async () => {
    const first = await logOf(42, 7);
    const second = await logOf(42, 7);
    expect(first.lines.length).toBeGreaterThan(700);
    expect(second.hash).toBe(first.hash);
    expect(second.lines.join('\n')).toBe(first.lines.join('\n'));
  });

  it('given another seed, when it runs, then the log differs but the run identity records world, seed and hashes', async () => {
    const first = await logOf(42, 7);
    const other = await logOf(43, 7);
    expect(other.hash).not.toBe(first.hash);
    const started = JSON.parse(first.lines[0] as string) as { type: string; data: Record<string, unknown> };
    expect(started.type).toBe('run_started');
    expect(started.data).toMatchObject({ world: 'koivulahti', seed: 42, catalogHash: catalog.hash, tickMinutes: 15, language: 'fi' });
    expect(started.data.configHash).toMatch(/^[0-9a-f]{64}$/);
    expect(started.data.runId).toBe(first.run.identity.runId);
  });
});

const dialects = await resolveTestDialects();
for (const dialect of dialects) {
  describe.skipIf(dialect.skip)(`persisted runs on ${dialect.name}`, () => {
    let database: StoreDatabase;
    let store: EventStore;
    let snapshots: SnapshotStore;
    beforeEach(async () => {
      database = await dialect.open();
      await runMigrations(database, storeMigrations);
      store = new EventStore(database);
      snapshots = new SnapshotStore(database);
    });
    afterEach(async () => {
      await store.close();
      await database.destroy();
    });

    it('given a 7-day run, when the day-3 snapshot is restored, then it continues identically to the uninterrupted run', async () => {
      const run = VillageRun.start({ catalog, seed: 42, persistence: { store, snapshots } });
      await run.advanceDays(7);
      const recorded = await store.readStream(run.streamId);
      expect(recorded.length).toBe(run.version);
      expect(recorded.map((event) => event.version)).toEqual(recorded.map((_, position) => position + 1));

      const dayThree = recorded.filter((event) => event.type === 'day_started' && (event.data as { day: number }).day === 4)[0];
      const snapshot = await loadSnapshot(snapshots, run.streamId, (dayThree?.version ?? 0) - 1);
      expect(snapshot?.snapshot.state.day).toBe(3);

      const continued: VillageEvent[] = [];
      const resumed = VillageRun.resume(
        { catalog, seed: 42, onEvent: (event) => continued.push(event) },
        snapshot?.snapshot as VillageSnapshot,
        snapshot?.version as number,
      );
      await resumed.advanceDays(4);
      const expected = recorded.slice(snapshot?.version).map(canonicalEvent);
      expect(continued.map(canonicalEvent)).toEqual(expected);
      expect(JSON.stringify(resumed.state)).toBe(JSON.stringify(run.state));
    });

    it('given a recorded run, when replayed from the seed or from a sim time, then it is identical', async () => {
      const run = VillageRun.start({ catalog, seed: 7, persistence: { store, snapshots } });
      await run.advanceDays(3);
      const fromSeed = await replayRun({ catalog, persistence: { store, snapshots }, runId: run.identity.runId });
      expect(fromSeed).toMatchObject({ identical: true, startedAfter: 0, compared: run.version });
      const fromSnapshot = await replayRun({
        catalog,
        persistence: { store, snapshots },
        runId: run.identity.runId,
        from: Date.UTC(2026, 4, 5, 21, 0),
      });
      expect(fromSnapshot.identical).toBe(true);
      expect(fromSnapshot.startedAfter).toBeGreaterThan(0);
      expect(fromSnapshot.startedAfter + fromSnapshot.compared).toBe(run.version);
    });

    it('given a log that was tampered with, when replayed, then the first divergent event is reported', async () => {
      const original = VillageRun.start({ catalog, seed: 5 });
      const events: VillageEvent[] = [];
      const source = VillageRun.start({ catalog, seed: 5, onEvent: (event) => events.push(event) });
      await source.advanceDays(1);
      const changed = events.map((event) =>
        event.type === 'village_event' && event.data.id === 'ev_3' ? { ...event, data: { ...event.data, severity: 0.99 } } : event,
      );
      await store.append(worldStreamId(original.identity.runId), 'no-stream', changed);
      const report = await replayRun({ catalog, persistence: { store, snapshots }, runId: original.identity.runId });
      const tampered = changed.findIndex((event) => event.type === 'village_event' && event.data.id === 'ev_3') + 1;
      expect(report.identical).toBe(false);
      expect(report.divergence?.version).toBe(tampered);
      expect(report.divergence?.expected).toContain('"severity":0.99');
      expect(report.compared).toBe(tampered - 1);
    });
  });
}
