/**
 * The Village ProductModule: migrations 0300+, the API and pages, and the background work (the engine loop and the
 * render workers). Live views get rendered post fragments and the sim clock over the bus (`live.villagelive`).
 */
import type { ProductModule, ProductServices } from '../../web/product-module.js';
import { settingsFromConfig } from '../domain/village-settings.js';
import { villageMigrations } from '../read-model/migrations.js';
import { renderQueue } from '../render/render-job.js';
import { VillageService } from '../village-service.js';
import { renderClockFragment, renderPostFragment } from './components.js';
import { liveTopic } from './pages.js';
import { villageRoutes } from './routes.js';

const services = new WeakMap<ProductServices['store'], VillageService>();

/** One VillageService per store (routes and background work of one process share it), wired to publish live updates. */
export function villageServiceFor(productServices: ProductServices): VillageService {
  let service = services.get(productServices.store);
  if (service) return service;
  const { config, logger, clock, store, snapshots, messaging, llm, metrics } = productServices;
  service = new VillageService({
    config,
    logger: logger.child({ module: 'village' }),
    clock,
    store,
    snapshots,
    queue: messaging.queue,
    kv: messaging.kv,
    llm,
    metrics,
    settings: settingsFromConfig(config.village.engine),
  });
  metrics?.watchQueue(renderQueue, messaging.queue);
  const bus = messaging.bus;
  service.hooks.onPost = async (post, owner) => {
    await bus.publish(`live.${liveTopic}`, { event: `post-${post.channel}`, data: renderPostFragment(post, owner) });
  };
  service.hooks.onTick = async (run, owner) => {
    const control = await owner.control();
    await bus.publish(`live.${liveTopic}`, { event: 'clock', data: renderClockFragment(run, control?.running ?? false, owner) });
  };
  services.set(store, service);
  return service;
}

export const villageModule: ProductModule = {
  name: 'village',
  migrations: villageMigrations,
  routes(productServices) {
    return villageRoutes(villageServiceFor(productServices));
  },
  background: {
    /** The world's engine loop, under its lease: one engine process ticks, the others stand by. */
    engine: (productServices, signal) => villageServiceFor(productServices).runEngine(signal),
    /** Render workers: any number of processes. */
    worker: (productServices, signal) => villageServiceFor(productServices).runWorkers(signal),
  },
};
