/** The one-tip page `/tips` and its reaction form (a 303 back, or the next card as an htmx fragment). */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { isAppError } from '../../../core/errors.js';
import { sendPage } from '../../../web/jsx/render.js';
import { reactionFormSchema } from '../forms.js';
import { TipCard, TipPage } from '../pages/tip-page.js';
import { sendFragment } from '../respond.js';
import type { ServiceFor } from '../service-for.js';

export function tipRoutes(serviceFor: ServiceFor): FastifyPluginAsyncZod {
  return async (app) => {
    app.get('/tips', { schema: { hide: true, querystring: z.object({ ask: z.string().optional() }) } }, async (request, reply) => {
      const service = serviceFor(request);
      const next = await service.next({ show: true, ask: request.query.ask === '1' });
      const [view, clock] = await Promise.all([service.tipView(next), service.localClock()]);
      return sendPage(reply, <TipPage view={view} now={clock.text} />);
    });

    app.post(
      '/tips/decisions/:id/reaction',
      { schema: { hide: true, params: z.object({ id: z.string().min(1).max(120) }), body: reactionFormSchema } },
      async (request, reply) => {
        const service = serviceFor(request);
        const { reaction } = request.body;
        const ask = reaction === 'ask';
        try {
          await service.react(request.params.id, reaction === 'ask' ? 'dismiss' : reaction);
        } catch (error) {
          // Another tab reacted first: the page just moves on to the next tip.
          if (!(isAppError(error) && error.code === 'duplicate')) throw error;
        }
        if (request.headers['hx-request'] !== 'true') return reply.redirect(ask ? '/tips?ask=1' : '/tips', 303);
        const next = await service.next({ show: true, ask });
        return sendFragment(reply, <TipCard view={await service.tipView(next)} />);
      },
    );
  };
}
