/**
 * The Village ProductModule: migrations 0300+, the API and pages, and the background work (the engine loop and the
 * render workers). Live views get rendered post fragments and the sim clock over the bus (`live.villagelive`).
 */
import type { ProductModule, ProductServices } from '../../web/product-module.js';
import { settingsFromConfig } from '../domain/village-settings.js';
import { villageMigrations } from '../read-model/migrations.js';
import { VillageService } from '../village-service.js';
import { renderClockFragment, renderPostFragment } from './components.js';
import { liveTopic } from './pages.js';
import { villageRoutes } from './routes.js';

const services = new WeakMap<ProductServices['store'], VillageService>();

/** One VillageService per store (routes and background work of one process share it), wired to publish live updates. */
export function villageServiceFor(productServices: ProductServices): VillageService {
  let service = services.get(productServices.store);
  if (service) return service;
  const { config, logger, clock, store, snapshots, messaging, llm } = productServices;
  service = new VillageService({
    config,
    logger: logger.child({ module: 'village' }),
    clock,
    store,
    snapshots,
    queue: messaging.queue,
    kv: messaging.kv,
    llm,
    settings: settingsFromConfig(config.village.engine),
  });
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
  async start(productServices, signal) {
    const service = villageServiceFor(productServices);
    await Promise.all([service.runEngine(signal), service.runWorkers(signal)]);
  },
};
