/**
 * The readiness checks of a process (`GET /ready`), made from its runtime: the database answers, every migration this
 * build knows is applied, the messaging transport is connected (NATS), and, for engine processes, which leases this
 * process holds (reported, never a reason to be unready: a standby engine is ready to take over).
 */
import { sql } from 'kysely';
import type { Config } from './core/config.js';
import type { Runtime } from './runtime.js';
import { redactUrl } from './store/database.js';
import type { StoreMigration } from './store/migrations.js';
import { storageErrorOf } from './store/storage-errors.js';
import type { ReadinessCheck } from './web/health/ready.js';

function reasonOf(error: unknown, config: Config): string {
  const location = config.database.url ? redactUrl(config.database.url) : config.database.sqlite_path;
  const storage = storageErrorOf(error, location, { sqlitePath: config.database.url ? undefined : config.database.sqlite_path });
  if (storage) return `${storage.code}: ${storage.message}`;
  return error instanceof Error ? error.message : String(error);
}

export function readinessChecks(runtime: Runtime, migrations: readonly StoreMigration[], options: { leases: boolean }): ReadinessCheck[] {
  const { config, database } = runtime;
  const checks: ReadinessCheck[] = [
    {
      name: 'database',
      async check() {
        try {
          await sql`select 1`.execute(database.db);
          return { ok: true, detail: { kind: database.dialect } };
        } catch (error) {
          return { ok: false, reason: reasonOf(error, config) };
        }
      },
    },
    {
      name: 'migrations',
      async check() {
        try {
          const result = await sql<{ name: string }>`select name from kysely_migration`.execute(database.db);
          const applied = new Set(result.rows.map((row) => row.name));
          const pending = migrations.map((migration) => migration.name).filter((name) => !applied.has(name));
          if (pending.length > 0)
            return { ok: false, reason: `${pending.length} pending (${pending.slice(0, 3).join(', ')})`, detail: { pending } };
          return { ok: true, detail: { applied: applied.size } };
        } catch (error) {
          return { ok: false, reason: reasonOf(error, config) };
        }
      },
    },
    {
      name: 'messaging',
      async check() {
        await runtime.messaging.check();
        return { ok: true, detail: { kind: runtime.messaging.kind } };
      },
    },
  ];
  if (options.leases) {
    checks.push({
      name: 'leases',
      async check() {
        const worlds = (await runtime.metrics.worldLeases.get()).values
          .filter((sample) => sample.value === 1)
          .map((sample) => String(sample.labels.world));
        return { ok: true, reason: worlds.length > 0 ? 'holding' : 'standby', detail: { worlds } };
      },
    });
  }
  return checks;
}
