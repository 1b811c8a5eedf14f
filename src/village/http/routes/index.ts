/**
 * The village's Fastify plugin: one route plugin per resource (API and pages) and the stylesheet. Registering it
 * refuses an unsafe bind (admin routes open to the network, see `../guards.ts`).
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Clock } from '../../../core/clock.js';
import type { VillageService } from '../../services/village-service.js';
import { type AdminAccess, assertSafeBind, readRateLimit } from '../guards.js';
import type { VillageRouteOptions } from '../options.js';
import { adminPageRoutes } from './admin-page.js';
import { eventRoutes } from './events.js';
import { eventsPageRoutes } from './events-page.js';
import { homePageRoutes } from './home-page.js';
import { moderationRoutes } from './moderation.js';
import { npcPageRoutes } from './npc-pages.js';
import { npcRoutes } from './npcs.js';
import { placeRoutes } from './places.js';
import { postRoutes } from './posts.js';
import { replayRoutes } from './replay.js';
import { runRoutes } from './run.js';
import { staticRoutes } from './static.js';

export interface VillageHttpOptions {
  service: VillageService;
  access: AdminAccess;
  /** Public reads per client and minute (`village.read_rate_per_minute`; 0 = off). */
  readRatePerMinute: number;
  clock: Clock;
}

const apiRoutes = [postRoutes, eventRoutes, npcRoutes, placeRoutes, runRoutes, replayRoutes, moderationRoutes];
const pageRoutes = [homePageRoutes, eventsPageRoutes, npcPageRoutes, adminPageRoutes];

export function villageRoutes(options: VillageHttpOptions): FastifyPluginAsyncZod {
  return async (app) => {
    assertSafeBind(options.access);
    const base = { service: options.service, access: options.access };
    // The API and the pages count reads separately, so browsing does not eat into an API client's budget.
    const api: VillageRouteOptions = { ...base, limited: readRateLimit(options.readRatePerMinute, options.clock) };
    const pages: VillageRouteOptions = { ...base, limited: readRateLimit(options.readRatePerMinute, options.clock) };
    for (const routes of apiRoutes) await app.register(routes(api));
    await app.register(staticRoutes());
    for (const routes of pageRoutes) await app.register(routes(pages));
  };
}
