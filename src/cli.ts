#!/usr/bin/env node
/** The `koivulahti` command. Every subcommand here does real work; later modules add theirs. */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadConfig } from './core/config.js';
import { AppError, isAppError, ValidationError } from './core/errors.js';
import { createLogger } from './core/logger.js';
import { version } from './core/version.js';
import { redactUrl } from './store/database.js';
import { storageErrorOf } from './store/storage-errors.js';
import type { ProcessRole } from './web/product-module.js';

const usage = `koivulahti ${version} — a Finnish village simulation, a roleplay engine and a one-tip recommender

Usage: koivulahti <command> [options]

Commands:
  start      migrate the database, then serve the web app and run every role (api, engine, worker) in this process
  api        distributed mode: serve the pages, API and live streams only
  engine     distributed mode: world engines (one per world holds its lease, others stand by), read-model upkeep, outbox relay
  worker     distributed mode: job consumers (village renders, chat post-turn passes); run as many as you like
  migrate    apply pending database migrations and exit
  backup     copy the SQLite database now with SQLite's online backup (kept in chat.backup_dir, newest chat.backups_keep)
  sim        run the village headless: sim --seed N --days D [--npcs N] [--catalog DIR] [--out FILE.jsonl] [--memory]
  replay     re-run a recorded village run and compare: replay --run ID [--from SIM_TS] [--npcs N] [--catalog DIR]
  tips evaluate --policy NAME [--user ID]   IPS, SNIPS, DR and Switch-DR with 95 % intervals vs the serving policy
  tips promote --policy NAME [--override --reason TEXT] [--user ID]
                                 promote only when the lower bound beats the incumbent; an override is recorded
  tips rotate-keys               re-encrypt every stored provider token with [tips] token_active_key
  tips keygen [--kid ID]         print a new token key (kid:base64) for [tips] token_keys
  tips export [--user ID] [--out FILE]   everything about the user as JSON
  tips delete --user ID          revoke the user's tokens and remove every row of the user (prints a receipt)

Options:
  --host HOST       address to bind (default 127.0.0.1; env HOST)
  --port PORT       port to listen on (default 8080; env PORT)
  --config FILE     configuration file (default ./data/config.toml; env KOIVULAHTI_CONFIG)
  --seed N          sim: the run's seed (default 42)
  --days D          sim: sim-days to run (default 7)
  --npcs N          sim, replay: grow the catalog to N villagers from its own (households, ties, goals; default: as written)
  --catalog DIR     sim, replay: village catalog directory (default: the built-in Koivulahti catalog)
  --out FILE        sim: also write every event as one JSON line to FILE
  --memory          sim: keep the run in an in-memory database instead of the configured store (no replay later)
  --run ID          replay: the run id printed by sim
  --from SIM_TS     replay: start from the newest daily snapshot at or before this sim time (e.g. 2026-05-07T00:00)
  --policy NAME     tips evaluate, promote: linucb-v1, linucb-greedy, linucb-wide or uniform
  --user ID         tips: the user (default [tips] user_id)
  --override        tips promote: promote even when the gate says no (needs --reason; recorded as an event)
  --reason TEXT     tips promote --override: why
  --kid ID          tips keygen: the new key's id
  -h, --help        show this help
  -v, --version     print the version

Configuration: see config.example.toml. Environment overrides: DATABASE_URL, NATS_URL, PORT, HOST, LOG_LEVEL, LLM_BASE_URL, ...
`;

const commands: Record<string, (options: CommandOptions) => Promise<void>> = {
  start: (options) => serve(options, ['api', 'engine', 'worker']),
  api: (options) => serve(options, ['api']),
  engine: (options) => serve(options, ['engine']),
  worker: (options) => serve(options, ['worker']),
  async backup(options) {
    const [{ backupDatabase }, { systemClock }] = await Promise.all([import('./chat/index.js'), import('./core/clock.js')]);
    const path = await backupDatabase(loadConfig(options.environment, options.overrides), systemClock);
    console.log(`Backup written to ${path}`);
  },
  async openapi(options) {
    const [{ buildOpenApiDocument }, { silentLogger }] = await Promise.all([import('./server.js'), import('./core/logger.js')]);
    const document = await buildOpenApiDocument(loadConfig(options.environment, options.overrides), silentLogger);
    const out = stringOption(options.values.out);
    const text = `${JSON.stringify(document, null, 2)}\n`;
    if (out === undefined) process.stdout.write(text);
    else {
      const { writeFileSync } = await import('node:fs');
      writeFileSync(out, text);
      console.log(`OpenAPI document written to ${out}`);
    }
  },
  async migrate(options) {
    const { migrate } = await import('./runtime.js');
    const config = loadConfig(options.environment, options.overrides);
    const report = await migrate(config);
    console.log(
      report.applied.length === 0
        ? 'Database is up to date.'
        : `Applied ${report.applied.length} migration(s):\n  ${report.applied.join('\n  ')}`,
    );
  },
  async sim(options) {
    const { settingsFromConfig, simulate } = await import('./village/index.js');
    const seed = integerOption(options.values.seed, '--seed', 42);
    const days = integerOption(options.values.days, '--days', 7);
    const database = await openVillageDatabase(options, options.values.memory === true);
    try {
      const { EventStore, SnapshotStore } = await import('./store/index.js');
      const result = await simulate({
        seed,
        days,
        catalogDirectory: stringOption(options.values.catalog),
        npcs: optionalInteger(options.values.npcs, '--npcs'),
        out: stringOption(options.values.out),
        settings: settingsFromConfig(loadConfig(options.environment, options.overrides).village.engine),
        persistence: { store: new EventStore(database), snapshots: new SnapshotStore(database) },
        progress: process.stderr,
      });
      console.log(
        `Run ${result.runId}: ${days} sim-day(s), seed ${seed}, ${result.events} events in ${result.seconds.toFixed(2)} s (log sha256 ${result.logHash.slice(0, 16)})`,
      );
      console.log(result.summary);
      if (options.values.memory !== true) console.log(`\nReplay it with: koivulahti replay --run ${result.runId}`);
    } finally {
      await database.destroy();
    }
  },
  async tips(options) {
    const { runTipsCommand } = await import('./tips/services/cli.js');
    await runTipsCommand({
      subcommand: stringOption(options.values.subcommand),
      values: options.values,
      config: loadConfig(options.environment, options.overrides),
      openDatabase: () => openVillageDatabase(options, false),
      print: (line) => console.log(line),
    });
  },
  async replay(options) {
    const { formatReplayReport, replay, settingsFromConfig } = await import('./village/index.js');
    const runId = stringOption(options.values.run);
    if (runId === undefined) throw new ValidationError('replay needs --run ID (printed by koivulahti sim)');
    const database = await openVillageDatabase(options, false);
    try {
      const { EventStore, SnapshotStore } = await import('./store/index.js');
      const report = await replay({
        runId,
        from: stringOption(options.values.from),
        catalogDirectory: stringOption(options.values.catalog),
        npcs: optionalInteger(options.values.npcs, '--npcs'),
        settings: settingsFromConfig(loadConfig(options.environment, options.overrides).village.engine),
        persistence: { store: new EventStore(database), snapshots: new SnapshotStore(database) },
      });
      console.log(formatReplayReport(report));
      if (!report.identical) throw new AppError('internal', `replay of ${runId} diverged at version ${report.divergence?.version ?? '?'}`);
    } finally {
      await database.destroy();
    }
  },
};

/** The configured store (migrated), or a throwaway in-memory SQLite database for `sim --memory`. */
async function openVillageDatabase(options: CommandOptions, inMemory: boolean) {
  const { openDatabase, runMigrations, storeMigrations } = await import('./store/index.js');
  if (inMemory) {
    const database = await openDatabase({ sqlitePath: ':memory:' });
    await runMigrations(database, storeMigrations);
    return database;
  }
  const { allMigrations, openConfiguredDatabase } = await import('./runtime.js');
  const database = await openConfiguredDatabase(loadConfig(options.environment, options.overrides));
  try {
    await runMigrations(database, allMigrations);
  } catch (error) {
    await database.destroy();
    throw error;
  }
  return database;
}

function stringOption(value: string | boolean | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function integerOption(value: string | boolean | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(parsed)) throw new ValidationError(`${name} must be an integer, got ${String(value)}`);
  return parsed;
}

function optionalInteger(value: string | boolean | undefined, name: string): number | undefined {
  return value === undefined ? undefined : integerOption(value, name, 0);
}

interface CommandOptions {
  environment: Record<string, string | undefined>;
  overrides: Record<string, string | undefined>;
  /** The parsed command-line options, for commands with options of their own. */
  values: Record<string, string | boolean | undefined>;
}

export async function main(argv: string[], environment: Record<string, string | undefined> = process.env): Promise<number> {
  let parsed: ReturnType<typeof parseCommandLine>;
  try {
    parsed = parseCommandLine(argv);
  } catch (error) {
    console.error(`koivulahti: ${(error as Error).message}\nRun 'koivulahti --help' for usage.`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.version) {
    console.log(version);
    return 0;
  }
  const [name, ...extra] = positionals;
  if (values.help || name === undefined || name === 'help') {
    console.log(usage);
    return name === undefined && !values.help ? 2 : 0;
  }
  const command = commands[name];
  if (!command) {
    console.error(`koivulahti: unknown command '${name}'. Commands: ${Object.keys(commands).join(', ')}`);
    return 2;
  }
  if (extra.length > 0) {
    console.error(`koivulahti: unexpected argument '${extra[0]}'`);
    return 2;
  }
  const overrides: Record<string, string | undefined> = { 'server.host': values.host, 'server.port': values.port };
  const commandEnvironment = values.config ? { ...environment, KOIVULAHTI_CONFIG: values.config } : environment;
  try {
    await command({ environment: commandEnvironment, overrides, values });
    return 0;
  } catch (error) {
    const known = isAppError(error) ? error : storageFailure(error, commandEnvironment, overrides);
    if (known) console.error(`koivulahti: ${known.code}: ${known.message}`);
    else console.error(`koivulahti: ${(error as Error).stack ?? String(error)}`);
    return 1;
  }
}

/** A raw driver error from the configured store, named with its file or server (undefined for anything else). */
function storageFailure(error: unknown, environment: Record<string, string | undefined>, overrides: Record<string, string | undefined>) {
  try {
    const { database } = loadConfig(environment, overrides);
    const location = database.url ? redactUrl(database.url) : database.sqlite_path;
    return storageErrorOf(error, location, { sqlitePath: database.url ? undefined : database.sqlite_path });
  } catch {
    return undefined;
  }
}

/**
 * Runs the roles until SIGTERM or SIGINT, then shuts down gracefully: no new work is taken, jobs in progress finish
 * within their grace period or go back to the queue, leases are released, and the process exits 0. A second signal
 * exits at once.
 */
async function serve(options: CommandOptions, roles: readonly ProcessRole[]): Promise<void> {
  const { startServer } = await import('./server.js');
  const config = loadConfig(options.environment, options.overrides);
  const logger = createLogger({ level: config.log.level });
  const server = await startServer(config, logger, { roles });
  const storeDescription = config.database.url ? `postgres ${redactUrl(config.database.url)}` : `sqlite ${config.database.sqlite_path}`;
  console.log(
    `Koivulahti ${version} listening on ${server.url} (roles: ${server.roles.join(', ')}; store: ${storeDescription}, bus: ${server.runtime.messaging.kind})`,
  );
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal, roles }, 'shutting down: no new work; finishing or releasing work in progress');
    try {
      await server.close();
      logger.info({ signal }, 'shut down cleanly');
      process.exit(0);
    } catch (error) {
      logger.error({ err: error }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

function parseCommandLine(argv: string[]) {
  const parsed = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      config: { type: 'string' },
      seed: { type: 'string' },
      days: { type: 'string' },
      npcs: { type: 'string' },
      catalog: { type: 'string' },
      out: { type: 'string' },
      memory: { type: 'boolean' },
      run: { type: 'string' },
      from: { type: 'string' },
      policy: { type: 'string' },
      user: { type: 'string' },
      override: { type: 'boolean' },
      reason: { type: 'string' },
      kid: { type: 'string' },
      /** Set from the second positional of commands with subcommands (`tips evaluate`), never given as a flag. */
      subcommand: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'v' },
    },
  });
  if (parsed.values.subcommand !== undefined) throw new TypeError("Unknown option '--subcommand'");
  const [command, subcommand, ...rest] = parsed.positionals;
  if (command === 'tips' && subcommand !== undefined) return { values: { ...parsed.values, subcommand }, positionals: [command, ...rest] };
  return parsed;
}

function isEntryPoint(): boolean {
  const entry = process.argv[1];
  if (entry === undefined) return false;
  try {
    return realpathSync(entry) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  main(process.argv.slice(2)).then((code) => {
    if (code !== 0) process.exit(code);
  });
}
