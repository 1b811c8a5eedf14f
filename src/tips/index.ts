/**
 * The tips product (oO): signals -> features -> candidates -> a contextual bandit with logged propensities -> one tip
 * -> a reaction that teaches. Exports the ProductModule the server registers, and the service for other callers.
 */
import type { ProductModule } from '../web/product-module.js';
import { createOidcAccounts } from './accounts/oidc.js';
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
    const logger = services.logger.child({ module: 'tips' });
    const serviceOf = (userId?: string) =>
      new TipsService({
        config: services.config.tips,
        store: services.store,
        database: services.database,
        llm: services.llm,
        clock: services.clock,
        logger,
        ...(userId === undefined ? {} : { userId }),
      });
    if (services.config.tips.accounts === 'local') return tipRoutes(serviceOf());
    // Multi-user: one service (and folded state) per logged-in user, kept while the process runs.
    const accounts = createOidcAccounts(services.config.tips, services.clock);
    const perUser = new Map<string, TipsService>();
    return tipRoutes(
      (request) => {
        const userId = accounts.userOf(request);
        const service = perUser.get(userId) ?? serviceOf(userId);
        perUser.set(userId, service);
        return service;
      },
      { accounts: accounts.plugin },
    );
  },
};
