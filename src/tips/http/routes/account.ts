/** The user's data: the export as JSON, and deletion (confirmed by typing the user id) from the API or the page. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ValidationError } from '../../../core/errors.js';
import { confirmFormSchema } from '../forms.js';
import { backToSignals } from '../respond.js';
import type { ServiceFor } from '../service-for.js';

const tags = ['tips'];

export function accountRoutes(serviceFor: ServiceFor): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/api/tips/export',
      { schema: { tags, summary: 'Everything about the user as JSON (never a token)' } },
      async (request, reply) => {
        const service = serviceFor(request);
        return reply
          .header('content-disposition', `attachment; filename="tips-export-${service.userId}.json"`)
          .send(await service.exportData());
      },
    );

    app.post(
      '/api/tips/account/delete',
      {
        schema: {
          tags,
          summary: "Revoke the user's tokens and remove every row of the user; `confirm` must be the user id. Returns a receipt",
          body: z.object({ confirm: z.string() }),
        },
      },
      async (request) => {
        const service = serviceFor(request);
        if (request.body.confirm !== service.userId) throw new ValidationError('confirm must be the user id');
        return service.deleteAccount();
      },
    );

    app.post('/tips/account/delete', { schema: { hide: true, body: confirmFormSchema } }, async (request, reply) => {
      const service = serviceFor(request);
      if (request.body.confirm.trim() !== service.userId)
        return backToSignals(reply, { error: 'Type your user id to confirm the deletion.' });
      const receipt = await service.deleteAccount();
      const rows = Object.values(receipt.tables).reduce((sum, count) => sum + count, 0);
      return backToSignals(reply, { ok: `Deleted ${rows} rows of ${receipt.userId}.` });
    });
  };
}
