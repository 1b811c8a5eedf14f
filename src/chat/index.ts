/**
 * The Chat product (issue 6, seeds/002 T1-T24 and the first run of T35): authoring, kickoff, turns streamed to every
 * tab, bot-owned memory, post-turn passes and the drawer. Other products use it only through this file.
 */
import { getCharacterCard, getVillagerMemories, listVillagers } from '../village/index.js';
import type { ProductModule, ProductServices } from '../web/product-module.js';
import { chatRoutes } from './http/routes.js';
import { chatMigrations } from './projections/migrations.js';
import { runNightlyBackups } from './services/backup.js';
import { ChatService, postTurnQueue, type VillagerSource } from './services/chat-service.js';

export type { ChatEvent, ChatEventType } from './domain/events.js';
export { chatEventTypes, chatStreamId } from './domain/events.js';
export { backupDatabase } from './services/backup.js';
export { ChatService, postTurnQueue } from './services/chat-service.js';

const services = new WeakMap<ProductServices['store'], ChatService>();

/** One ChatService per runtime (routes and background work share its generations). */
export function chatService(runtime: ProductServices): ChatService {
  let service = services.get(runtime.store);
  if (!service) {
    service = new ChatService({
      store: runtime.store,
      database: runtime.database,
      llm: runtime.llm,
      bus: runtime.messaging.bus,
      queue: runtime.messaging.queue,
      clock: runtime.clock,
      logger: runtime.logger,
      settings: runtime.config.chat,
      messagingKind: runtime.messaging.kind,
      snapshots: runtime.snapshots,
      villagers: villagerSource(runtime),
      metrics: runtime.metrics,
      kv: runtime.messaging.kv,
    });
    runtime.metrics?.watchQueue(postTurnQueue, runtime.messaging.queue);
    services.set(runtime.store, service);
  }
  return service;
}

/** The village's NPCs through the village's public interface (its index.ts); the village service is made on first use. */
function villagerSource(runtime: ProductServices): VillagerSource {
  return {
    list: () => listVillagers(runtime),
    card: (npcId) => getCharacterCard(runtime, npcId),
    async memories(npcId, limit) {
      const { memories } = await getVillagerMemories(runtime, npcId, { limit });
      return memories.map((memory) => ({
        event_id: memory.eventId,
        text: memory.text,
        importance: memory.importance,
        sim_time: memory.simTime,
      }));
    },
  };
}

export const chatModule: ProductModule = {
  name: 'chat',
  migrations: chatMigrations,
  routes(runtime) {
    const service = chatService(runtime);
    const routes = chatRoutes(service);
    return async (app, options) => {
      await service.init();
      app.addHook('onClose', async () => service.close());
      await routes(app, options);
    };
  },
  background: {
    /**
     * Read-model upkeep: the cold-start rebuild, closing replies a crashed process left open (at start, and in
     * distributed mode whenever a reply's heartbeat stops), snapshots and nightly backups.
     */
    async engine(runtime, signal) {
      const service = chatService(runtime);
      await service.init();
      await service.coldStartIfNeeded();
      await service.closeOrphans();
      await Promise.all([
        service.runSnapshots(signal),
        service.runOrphanChecks(signal),
        runNightlyBackups(runtime.config, runtime.clock, runtime.logger, signal),
      ]);
    },
    /** Post-turn passes (edges, memories, significance, time): any number of processes. */
    async worker(runtime, signal) {
      const service = chatService(runtime);
      await service.init();
      await service.runWorker(signal);
    },
  },
};
