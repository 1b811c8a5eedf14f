/**
 * Every route of the tips product, one plugin per resource under routes/: the one-tip page, decisions, signals,
 * imports, the Todoist connection, trust, consents, the account and the page assets. With accounts (OIDC), the login
 * plugin comes first so every route runs as the session's user.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { TipsService } from '../../services/index.js';
import type { ServiceFor } from '../service-for.js';
import { accountRoutes } from './account.js';
import { assetRoutes } from './assets.js';
import { consentRoutes } from './consents.js';
import { decisionRoutes } from './decisions.js';
import { importRoutes } from './imports.js';
import { signalRoutes } from './signals.js';
import { tipRoutes } from './tip.js';
import { todoistRoutes } from './todoist.js';
import { trustRoutes } from './trust.js';

export type { ServiceFor } from '../service-for.js';

export function tipsRoutes(source: TipsService | ServiceFor, options: { accounts?: FastifyPluginAsyncZod } = {}): FastifyPluginAsyncZod {
  const serviceFor: ServiceFor = typeof source === 'function' ? source : () => source;
  const resources = [tipRoutes, signalRoutes, decisionRoutes, importRoutes, trustRoutes, consentRoutes, todoistRoutes, accountRoutes];
  return async (app) => {
    if (options.accounts) await options.accounts(app, {});
    for (const resource of resources) await resource(serviceFor)(app, {});
    await assetRoutes()(app, {});
  };
}
