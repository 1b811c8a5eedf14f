/** What the web layer needs from the composition root: configuration, logging, the event store and the bus. */
import type { Config } from '../core/config.js';
import type { Logger } from '../core/logger.js';
import type { EventBus } from '../messaging/ports.js';
import type { EventStore } from '../store/event-store.js';

export interface WebContext {
  config: Config;
  logger: Logger;
  version: string;
  store: EventStore;
  bus: EventBus;
  storeKind: 'sqlite' | 'postgres';
  busKind: 'memory' | 'nats';
}
