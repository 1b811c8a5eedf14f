#!/usr/bin/env node
/** The `koivulahti` command. Every subcommand here does real work; later modules add theirs. */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadConfig } from './core/config.js';
import { isAppError } from './core/errors.js';
import { createLogger } from './core/logger.js';
import { version } from './core/version.js';
import { redactUrl } from './store/database.js';

const usage = `koivulahti ${version} — a Finnish village simulation, a roleplay engine and a one-tip recommender

Usage: koivulahti <command> [options]

Commands:
  start      migrate the database, then serve the web app and run every role in this process
  migrate    apply pending database migrations and exit

Options:
  --host HOST       address to bind (default 127.0.0.1; env HOST)
  --port PORT       port to listen on (default 8080; env PORT)
  --config FILE     configuration file (default ./data/config.toml; env KOIVULAHTI_CONFIG)
  -h, --help        show this help
  -v, --version     print the version

Configuration: see config.example.toml. Environment overrides: DATABASE_URL, NATS_URL, PORT, HOST, LOG_LEVEL, LLM_BASE_URL, ...
`;

const commands: Record<string, (options: CommandOptions) => Promise<void>> = {
  async start(options) {
    const { startServer } = await import('./server.js');
    const config = loadConfig(options.environment, options.overrides);
    const logger = createLogger({ level: config.log.level });
    const server = await startServer(config, logger);
    const storeDescription = config.database.url ? `postgres ${redactUrl(config.database.url)}` : `sqlite ${config.database.sqlite_path}`;
    console.log(`Koivulahti ${version} listening on ${server.url} (store: ${storeDescription}, bus: ${server.runtime.messaging.kind})`);
    let stopping = false;
    const stop = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'shutting down');
      await server.close();
      process.exit(0);
    };
    process.once('SIGINT', () => void stop('SIGINT'));
    process.once('SIGTERM', () => void stop('SIGTERM'));
  },
  async migrate(options) {
    const { migrate } = await import('./runtime.js');
    const config = loadConfig(options.environment, options.overrides);
    const report = await migrate(config);
    console.log(report.applied.length === 0 ? 'Database is up to date.' : `Applied ${report.applied.length} migration(s):\n  ${report.applied.join('\n  ')}`);
  },
};

interface CommandOptions {
  environment: Record<string, string | undefined>;
  overrides: Record<string, string | undefined>;
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
    await command({ environment: commandEnvironment, overrides });
    return 0;
  } catch (error) {
    if (isAppError(error)) console.error(`koivulahti: ${error.code}: ${error.message}`);
    else console.error(`koivulahti: ${(error as Error).stack ?? String(error)}`);
    return 1;
  }
}

function parseCommandLine(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      config: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'v' },
    },
  });
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
