/** What the web layer needs from the composition root: configuration, logging, the event store, the bus and metrics. */
import type { Config } from '../core/config.js';
import type { Logger } from '../core/logger.js';
import type { Metrics } from '../core/metrics.js';
import type { EventBus } from '../messaging/ports.js';
import type { EventStore } from '../store/event-store.js';
import type { ReadinessCheck } from './health/ready.js';
import type { Startup } from './health/startup.js';

export interface WebContext {
  config: Config;
  logger: Logger;
  version: string;
  store: EventStore;
  bus: EventBus;
  storeKind: 'sqlite' | 'postgres';
  busKind: 'memory' | 'nats';
  /** When set, `GET /metrics` serves it and the SSE hub reports its open streams. */
  metrics?: Metrics | undefined;
  /** What `GET /ready` checks (database, messaging, migrations, leases); start-up is added when `startup` is set. */
  readiness?: readonly ReadinessCheck[];
  /** Initialisation that runs after listen; product requests wait for it. */
  startup?: Startup;
}
