/**
 * The tips product (oO): signals -> features -> candidates -> a contextual bandit with logged propensities -> one tip
 * -> a reaction that teaches. Wiring only: the ProductModule the server registers, and the service for other callers.
 */
import type { ProductModule } from '../web/product-module.js';
import { tipsUpcasters } from './domain/events.js';
import { tipsRoutes } from './http/routes/index.js';
import { decisionLogProjection } from './read-model/decision-log.js';
import { tipsMigrations } from './read-model/migrations.js';
import { createOidcAccounts } from './services/accounts/oidc.js';
import { TipsService } from './services/index.js';

export { type TipsEvent, tipsEventTypes } from './domain/events.js';
export { TipsService } from './services/index.js';

export const tipsModule: ProductModule = {
  name: 'tips',
  migrations: tipsMigrations,
  upcasters: tipsUpcasters,
  routes(services) {
    services.store.addInlineProjection(decisionLogProjection);
    const tips = new TipsService({
      config: services.config.tips,
      store: services.store,
      database: services.database,
      llm: services.llm,
      clock: services.clock,
      logger: services.logger.child({ module: 'tips' }),
    });
    if (services.config.tips.accounts === 'local') return tipsRoutes(tips);
    // Multi-user: each request acts for the session's user; folded states live in the capped cache of the context.
    const accounts = createOidcAccounts(services.config.tips, services.clock);
    return tipsRoutes((request) => tips.forUser(accounts.userOf(request)), { accounts: accounts.plugin });
  },
};
