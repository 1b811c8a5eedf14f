/** Trust: shadow agreement and the off-policy evaluation of a named policy. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { type PolicyName, policyNames } from '../../services/index.js';
import type { ServiceFor } from '../service-for.js';

const tags = ['tips'];

export function trustRoutes(serviceFor: ServiceFor): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/api/tips/shadows',
      { schema: { tags, summary: 'How often each shadow policy agreed with the served decision' } },
      async (request) => serviceFor(request).shadows(),
    );

    app.get(
      '/api/tips/evaluate',
      {
        schema: {
          tags,
          summary: 'IPS, SNIPS, DR and Switch-DR (bootstrap 95 % intervals) of a named policy over the decision log',
          querystring: z.object({ policy: z.enum(policyNames as [PolicyName, ...PolicyName[]]) }),
        },
      },
      async (request) => serviceFor(request).evaluate(request.query.policy),
    );
  };
}
