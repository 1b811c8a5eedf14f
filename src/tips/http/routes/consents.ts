/** Consent per purpose: read and set through the API, or saved from the signals page's checkboxes. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { consentPurposes } from '../../services/index.js';
import { consentFormSchema } from '../forms.js';
import { backToSignals } from '../respond.js';
import type { ServiceFor } from '../service-for.js';

const tags = ['tips'];

export function consentRoutes(serviceFor: ServiceFor): FastifyPluginAsyncZod {
  return async (app) => {
    app.get('/api/tips/consents', { schema: { tags, summary: 'Consent per purpose (tasks, calendar, mood, llm)' } }, async (request) => ({
      consents: await serviceFor(request).consents(),
    }));

    app.post(
      '/api/tips/consents',
      {
        schema: {
          tags,
          summary: 'Give or revoke consent for a purpose (recorded with the notice version); takes effect on the next decision',
          body: z.object({ purpose: z.enum(consentPurposes), granted: z.boolean() }),
        },
      },
      async (request) => {
        const service = serviceFor(request);
        await service.setConsent(request.body.purpose, request.body.granted);
        return { consents: await service.consents() };
      },
    );

    app.post('/tips/consents', { schema: { hide: true, body: consentFormSchema } }, async (request, reply) => {
      const service = serviceFor(request);
      for (const consent of await service.consents()) {
        const granted = request.body[`purpose_${consent.purpose}`] === 'on';
        if (granted !== consent.granted) await service.setConsent(consent.purpose, granted);
      }
      return backToSignals(reply, { ok: 'Saved your consent.' });
    });
  };
}
