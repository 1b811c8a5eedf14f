/** `GET /village/admin` (the admin page, or its login form) and `POST /village/admin/login` (sets the admin cookie). */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { sendPage } from '../../../web/jsx/render.js';
import { adminCookie, isAdmin } from '../guards.js';
import type { VillageRouteOptions } from '../options.js';
import { AdminPage, LoginPage } from '../pages/admin.js';

const loginForm = z.object({ token: z.string().max(500).default('') });

export function adminPageRoutes({ service, access }: VillageRouteOptions): FastifyPluginAsyncZod {
  return async (app) => {
    const { world } = service;

    app.get('/village/admin', { schema: { hide: true } }, async (request, reply) => {
      if (!isAdmin(request, access)) return sendPage(reply, <LoginPage world={world} failed={false} />, 401);
      const status = await service.runs.status();
      const run = await service.runs.currentRun();
      const queue = await service.moderation.queue(50);
      const recent = (
        await service.queries.listPosts({ runId: status.run_id, limit: 15, statuses: ['visible', 'hidden', 'rejected'] })
      ).filter((post) => post.status === 'visible');
      const lastReplay = await service.runs.lastReplay();
      return sendPage(reply, <AdminPage world={world} run={run} status={status} queue={queue} recent={recent} lastReplay={lastReplay} />);
    });

    app.post('/village/admin/login', { schema: { hide: true, body: loginForm } }, async (request, reply) => {
      const token = access.admin_token;
      if (token === undefined || request.body.token !== token) return sendPage(reply, <LoginPage world={world} failed />, 401);
      reply.header('set-cookie', `${adminCookie}=${encodeURIComponent(token)}; Path=/; HttpOnly; SameSite=Strict`);
      return reply.redirect('/village/admin', 303);
    });
  };
}
