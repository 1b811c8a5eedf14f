/** Starts the whole program in one process: store, messaging and the web server. */
import type { FastifyInstance } from 'fastify';
import type { Config } from './core/config.js';
import type { Logger } from './core/logger.js';
import { version } from './core/version.js';
import { OutboxRelay } from './messaging/index.js';
import { products } from './products.js';
import { openRuntime, type Runtime } from './runtime.js';
import { createApp } from './web/app.js';

export interface RunningServer {
  url: string;
  app: FastifyInstance;
  runtime: Runtime;
  close(): Promise<void>;
}

export async function startServer(config: Config, logger: Logger): Promise<RunningServer> {
  const runtime = await openRuntime(config, logger);
  let app: FastifyInstance | undefined;
  const background = new AbortController();
  const running: Promise<void>[] = [];
  try {
    const services = runtime.services();
    app = await createApp(
      {
        config,
        logger,
        version,
        store: runtime.store,
        bus: runtime.messaging.bus,
        storeKind: runtime.database.dialect,
        busKind: runtime.messaging.kind,
      },
      { routes: products.map((product) => product.routes(services)), productsWithPages: products.map((product) => product.name) },
    );
    await app.listen({ host: config.server.host, port: config.server.port });
    for (const product of products) {
      if (!product.start) continue;
      running.push(
        product.start(services, background.signal).catch((error: unknown) => {
          logger.error({ product: product.name, error: (error as Error).message }, 'background work stopped with an error');
        }),
      );
    }
    if (config.nats.url) {
      // Distributed mode: mirror the log to JetStream (`<prefix>.events.<category>`) so outside consumers can tail it.
      const relay = new OutboxRelay({ store: runtime.store, nats: config.nats.url, prefix: config.nats.prefix, logger });
      running.push(
        relay
          .run(background.signal)
          .catch((error: unknown) => logger.error({ error: (error as Error).message }, 'outbox relay stopped with an error'))
          .finally(() => relay.close()),
      );
    }
  } catch (error) {
    background.abort();
    await app?.close().catch(() => undefined);
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
    async close() {
      background.abort();
      await listening.close();
      await Promise.all(running);
      await runtime.close();
    },
  };
}
