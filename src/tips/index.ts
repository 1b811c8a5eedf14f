/**
 * The tips product (oO): signals -> features -> candidates -> a contextual bandit with logged propensities -> one tip
 * -> a reaction that teaches. Exports the ProductModule the server registers, and the service for other callers.
 */
import type { ProductModule } from '../web/product-module.js';
import { tipRoutes } from './http/routes.js';
import { decisionLogProjection, tipsMigrations } from './projection.js';
import { TipsService } from './service.js';

export type { TipsEvent } from './domain/events.js';
export { TipsService } from './service.js';

export const tipsModule: ProductModule = {
  name: 'tips',
  migrations: tipsMigrations,
  routes(services) {
    services.store.addInlineProjection(decisionLogProjection);
    const service = new TipsService({
      config: services.config.tips,
      store: services.store,
      database: services.database,
      llm: services.llm,
      clock: services.clock,
      logger: services.logger.child({ module: 'tips' }),
    });
    return tipRoutes(service);
  },
};
