/**
 * Every route of the tips product, one plugin per resource under routes/: the one-tip page, decisions, signals,
 * imports, the Todoist connection, trust, consents, the account and the page assets. With accounts (OIDC), the login
 * plugin comes first so every route runs as the session's user.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { TipsService } from '../services/index.js';
import { accountRoutes } from './routes/account.js';
import { assetRoutes } from './routes/assets.js';
import { consentRoutes } from './routes/consents.js';
import { decisionRoutes } from './routes/decisions.js';
import { importRoutes } from './routes/imports.js';
import { signalRoutes } from './routes/signals.js';
import { tipRoutes } from './routes/tip.js';
import { todoistRoutes } from './routes/todoist.js';
import { trustRoutes } from './routes/trust.js';
import type { ServiceFor } from './service-for.js';

export type { ServiceFor } from './service-for.js';

export function tipsRoutes(source: TipsService | ServiceFor, options: { accounts?: FastifyPluginAsyncZod } = {}): FastifyPluginAsyncZod {
  const serviceFor: ServiceFor = typeof source === 'function' ? source : () => source;
  const resources = [tipRoutes, signalRoutes, decisionRoutes, importRoutes, trustRoutes, consentRoutes, todoistRoutes, accountRoutes];
  return async (app) => {
    if (options.accounts) await options.accounts(app, {});
    for (const resource of resources) await resource(serviceFor)(app, {});
    await assetRoutes()(app, {});
  };
}
