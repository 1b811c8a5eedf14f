/**
 * The village's Fastify plugin: the API (`api.ts`) and the pages (`pages.tsx`), with a form-body parser so the admin
 * page's plain HTML forms work without JavaScript. Registering it refuses an unsafe bind (see `guards.ts`).
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { VillageService } from '../village-service.js';
import { apiRoutes } from './api.js';
import { assertSafeBind } from './guards.js';
import { pageRoutes } from './pages.js';

export const villageCss = new URL('./village.css', import.meta.url);

export function villageRoutes(service: VillageService): FastifyPluginAsyncZod {
  return async (app) => {
    assertSafeBind(service.deps.config);
    await app.register(apiRoutes(service));
    await app.register(pageRoutes(service, villageCss));
  };
}
