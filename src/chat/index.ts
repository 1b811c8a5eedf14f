/**
 * The Chat product (roleplay engine): authoring, kickoff, turns streamed to every tab, bot-owned memory, post-turn
 * passes, timeline edits and the drawer. Other products use it only through this file. Wiring only.
 */
import { getCharacterCard, getVillagerMemories, listVillagers } from '../village/index.js';
import type { ProductModule, ProductServices } from '../web/product-module.js';
import { chatRoutes } from './http/routes/index.js';
import { chatMigrations } from './read-model/migrations.js';
import { runNightlyBackups } from './services/backup.js';
import { type ChatApp, createChatApp } from './services/chat-app.js';
import type { VillagerSource } from './services/context.js';
import { postTurnQueue } from './services/generations.js';

export type { ChatEvent, ChatEventType } from './domain/events.js';
export { chatEventTypes, chatStreamId } from './domain/events.js';
export { backupDatabase } from './services/backup.js';
export type { ChatApp } from './services/chat-app.js';
export { postTurnQueue } from './services/generations.js';

const apps = new WeakMap<ProductServices['store'], ChatApp>();

/** One ChatApp per runtime (routes and background work share its generations). */
export function chatApp(runtime: ProductServices): ChatApp {
  let app = apps.get(runtime.store);
  if (!app) {
    app = createChatApp({
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
    apps.set(runtime.store, app);
  }
  return app;
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
  /** After listen: the tokenizer import and the stop-control subscription (requests wait for it). */
  start: (runtime) => chatApp(runtime).init(),
  routes(runtime) {
    const chat = chatApp(runtime);
    const routes = chatRoutes(chat);
    return async (app, options) => {
      app.addHook('onClose', async () => chat.close());
      await routes(app, options);
    };
  },
  background: {
    /**
     * Read-model upkeep: the cold-start rebuild, closing replies a crashed process left open (at start, and in
     * distributed mode whenever a reply's heartbeat stops), snapshots and nightly backups.
     */
    async engine(runtime, signal) {
      const chat = chatApp(runtime);
      await chat.init();
      await chat.maintenance.coldStartIfNeeded();
      await chat.turns.closeOrphans();
      await Promise.all([
        chat.maintenance.runSnapshots(signal),
        chat.turns.runOrphanChecks(signal),
        runNightlyBackups(runtime.config, runtime.clock, runtime.logger, signal),
      ]);
    },
    /** Post-turn passes (edges, memories, significance, time): any number of processes. */
    async worker(runtime, signal) {
      const chat = chatApp(runtime);
      await chat.init();
      await chat.passes.runWorker(signal);
    },
  },
};
