/** Signals: the entry page with its form, and the JSON API that records one signal or many. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { sendPage } from '../../../web/jsx/render.js';
import { type SignalInput, signalInputSchema } from '../../services/index.js';
import { signalFormSchema, signalFromForm } from '../forms.js';
import { SignalsPage } from '../pages/signals-page.js';
import { formAction } from '../respond.js';
import type { ServiceFor } from '../service-for.js';

export function signalRoutes(serviceFor: ServiceFor): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/tips/signals',
      { schema: { hide: true, querystring: z.object({ ok: z.string().max(200).optional(), error: z.string().max(400).optional() }) } },
      async (request, reply) => {
        const { ok, error } = request.query;
        const notice = error ? { kind: 'error' as const, text: error } : ok ? { kind: 'ok' as const, text: ok } : undefined;
        const overview = await serviceFor(request).signalsOverview();
        return sendPage(reply, <SignalsPage notice={notice} {...overview} />);
      },
    );

    app.post('/tips/signals', { schema: { hide: true, body: signalFormSchema } }, async (request, reply) => {
      const service = serviceFor(request);
      return formAction(reply, async () => {
        const input = signalFromForm(request.body, await service.localClock());
        await service.recordSignals([input]);
        return `Added a ${input.kind.replace('_', '-')} signal.`;
      });
    });

    app.post(
      '/api/tips/signals',
      {
        schema: {
          tags: ['tips'],
          summary: 'Record signals (task, habit, check_in, calendar, mood, context) on the user stream',
          body: z.union([signalInputSchema, z.object({ signals: z.array(signalInputSchema).min(1).max(500) })]),
        },
      },
      async (request, reply) => {
        const inputs: SignalInput[] = 'signals' in request.body ? request.body.signals : [request.body];
        return reply.code(201).send({ signalIds: await serviceFor(request).recordSignals(inputs) });
      },
    );
  };
}
