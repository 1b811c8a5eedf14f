/**
 * Starts a process in one or more roles (`api`, `engine`, `worker`; `koivulahti start` runs all three): store,
 * messaging, the web server, and the products' background work for the roles asked for. Every role serves `/health`
 * and `/metrics`; only `api` serves the products' pages, API and live streams.
 */
import { hostname } from 'node:os';
import type { FastifyInstance } from 'fastify';
import type { Config } from './core/config.js';
import type { Logger } from './core/logger.js';
import { version } from './core/version.js';
import { KvLease, OutboxRelay, runUnderLease } from './messaging/index.js';
import { products } from './products.js';
import { readinessChecks } from './readiness.js';
import { allMigrations, openRuntime, type Runtime } from './runtime.js';
import { createApp } from './web/app.js';
import { Startup } from './web/health/startup.js';
import { type ProcessRole, processRoles } from './web/product-module.js';

export interface RunningServer {
  url: string;
  app: FastifyInstance;
  runtime: Runtime;
  roles: readonly ProcessRole[];
  /** Stops taking work, lets work in progress finish or hands it back (jobs, leases), then closes everything. */
  close(): Promise<void>;
}

export interface ServerOptions {
  /** Default: all three. */
  roles?: readonly ProcessRole[];
}

export async function startServer(config: Config, logger: Logger, options: ServerOptions = {}): Promise<RunningServer> {
  const roles = processRoles.filter((role) => (options.roles ?? processRoles).includes(role));
  const runtime = await openRuntime(config, logger);
  let app: FastifyInstance | undefined;
  const background = new AbortController();
  const running: Promise<void>[] = [];
  try {
    const services = runtime.services();
    const serveProducts = roles.includes('api');
    const startup = new Startup();
    app = await createApp(
      {
        config,
        logger,
        version,
        store: runtime.store,
        bus: runtime.messaging.bus,
        storeKind: runtime.database.dialect,
        busKind: runtime.messaging.kind,
        metrics: runtime.metrics,
        readiness: readinessChecks(runtime, allMigrations, { leases: roles.includes('engine') }),
        startup,
      },
      {
        routes: serveProducts ? products.map((product) => product.routes(services)) : [],
        productsWithPages: serveProducts ? products.map((product) => product.name) : [],
        publicStreamCategories: products.flatMap((product) => product.publicStreamCategories ?? []),
        surface: serveProducts ? 'full' : 'operations',
      },
    );
    await app.listen({ host: config.server.host, port: config.server.port });
    const startTasks = serveProducts
      ? products.flatMap((product) =>
          product.start ? [{ name: product.name, run: () => product.start?.(services) ?? Promise.resolve() }] : [],
        )
      : [];
    startup.run(startTasks).catch((error: unknown) => logger.error({ err: error }, 'start-up failed; /ready stays 503'));
    for (const role of roles) {
      if (role === 'api') continue;
      for (const product of products) {
        const work = product.background?.[role];
        if (!work) continue;
        running.push(
          work(services, background.signal).catch((error: unknown) => {
            logger.error({ product: product.name, role, err: error }, 'background work stopped with an error');
          }),
        );
      }
    }
    if (config.nats.url && roles.includes('engine')) running.push(runOutboxRelay(config, runtime, logger, background.signal));
  } catch (error) {
    background.abort();
    await app?.close().catch(() => undefined);
    await Promise.all(running);
    await runtime.close().catch(() => undefined);
    throw error;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.server.port;
  const host = config.server.host.includes(':') ? `[${config.server.host}]` : config.server.host;
  const listening = app;
  return {
    url: `http://${host}:${port}`,
    app: listening,
    runtime,
    roles,
    async close() {
      background.abort();
      await listening.close();
      await Promise.all(running);
      await runtime.close();
    },
  };
}

/**
 * The OpenAPI document of the api role, built on a throwaway in-memory database without listening or starting any
 * background work (`koivulahti openapi`, CI's redocly lint).
 */
export async function buildOpenApiDocument(config: Config, logger: Logger): Promise<unknown> {
  const inMemory: Config = {
    ...config,
    database: { ...config.database, url: undefined, sqlite_path: ':memory:' },
    nats: { ...config.nats, url: undefined },
  };
  const runtime = await openRuntime(inMemory, logger);
  try {
    const services = runtime.services();
    const app = await createApp(
      {
        config: inMemory,
        logger,
        version,
        store: runtime.store,
        bus: runtime.messaging.bus,
        storeKind: runtime.database.dialect,
        busKind: runtime.messaging.kind,
        metrics: runtime.metrics,
      },
      { routes: products.map((product) => product.routes(services)), productsWithPages: products.map((product) => product.name) },
    );
    try {
      await app.ready();
      return app.swagger();
    } finally {
      await app.close();
    }
  } finally {
    await runtime.close();
  }
}

/**
 * Distributed mode: mirror the log to JetStream (`<prefix>.events.<category>`) so outside consumers can tail it. One
 * relay at a time across engine processes (a lease); a standby continues from the shared checkpoint.
 */
async function runOutboxRelay(config: Config, runtime: Runtime, logger: Logger, signal: AbortSignal): Promise<void> {
  const url = config.nats.url;
  if (!url) return;
  const lease = new KvLease({
    kv: runtime.messaging.kv,
    key: `outbox.${config.nats.prefix}`,
    owner: `${hostname()}:${process.pid}`,
    // Not tied to any world's pace: a standby relay taking over 15 s late only delays outside consumers.
    ttlMs: 15_000,
  });
  await runUnderLease(
    lease,
    signal,
    async (owned) => {
      const relay = new OutboxRelay({ store: runtime.store, nats: url, prefix: config.nats.prefix, logger });
      try {
        await relay.run(owned);
      } finally {
        await relay.close();
      }
    },
    { logger: logger.child({ module: 'outbox-relay' }) },
  ).catch((error: unknown) => logger.error({ err: error }, 'outbox relay stopped with an error'));
}
