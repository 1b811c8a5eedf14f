/**
 * The product under test on loopback, wired as `koivulahti start` wires it (`openRuntime`: every migration, the
 * embedded queue / kv / bus, the LLM gateway; `createApp` with the product's module routes), on a SQLite file in a
 * temp directory. One extra route, `GET /bench/empty`, answers `{}` from the same app: the "empty handler" reference
 * (same Fastify instance, hooks, host guard and client path; no product work).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { parseConfig } from '../../src/core/config.js';
import { silentLogger } from '../../src/core/logger.js';
import { openRuntime, type Runtime } from '../../src/runtime.js';
import { createApp } from '../../src/web/app.js';
import type { ProductModule, ProductServices } from '../../src/web/product-module.js';

export interface BenchApp {
  url: string;
  app: FastifyInstance;
  runtime: Runtime;
  services: ProductServices;
  directory: string;
  close(): Promise<void>;
}

export const emptyPath = '/bench/empty';

const emptyRoute: FastifyPluginAsync = async (app) => {
  app.get(emptyPath, async () => ({}));
};

/** `configText` is config.toml text added after the bench's `[database]` and `[server]` sections. */
export async function startBenchApp(name: string, modules: readonly ProductModule[], configText = ''): Promise<BenchApp> {
  const directory = mkdtempSync(join(tmpdir(), `koivulahti-bench-${name}-`));
  const config = parseConfig({
    fileText: [`[database]`, `sqlite_path = "${join(directory, `${name}.db`)}"`, '', '[server]', 'host = "127.0.0.1"', '', configText].join(
      '\n',
    ),
    environment: {},
  });
  const runtime = await openRuntime(config, silentLogger);
  const services = runtime.services();
  let app: FastifyInstance | undefined;
  try {
    app = await createApp(
      {
        config,
        logger: silentLogger,
        version: 'bench',
        store: runtime.store,
        bus: runtime.messaging.bus,
        storeKind: runtime.database.dialect,
        busKind: runtime.messaging.kind,
      },
      {
        routes: [...modules.map((module) => module.routes(services)), emptyRoute],
        productsWithPages: modules.map((module) => module.name),
      },
    );
    await app.listen({ host: '127.0.0.1', port: 0 });
  } catch (error) {
    await app?.close().catch(() => undefined);
    await runtime.close().catch(() => undefined);
    rmSync(directory, { recursive: true, force: true });
    throw error;
  }
  const address = app.server.address();
  if (typeof address !== 'object' || address === null) throw new Error('the app has no address');
  const running = app;
  return {
    url: `http://127.0.0.1:${address.port}`,
    app: running,
    runtime,
    services,
    directory,
    async close() {
      await running.close();
      await runtime.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
