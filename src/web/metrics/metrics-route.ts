/**
 * `GET /metrics`: the process's metrics in the Prometheus text format, for a scraper rather than a person, so it is
 * left out of the OpenAPI document. Like `/health` it needs no login; the Host guard still applies.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { Metrics } from '../../core/metrics.js';

export function metricsRoutes(metrics: Metrics): FastifyPluginAsync {
  return async (app) => {
    app.get('/metrics', { schema: { hide: true }, config: { access: 'public' } }, async (_request, reply) => {
      const { contentType, body } = await metrics.render();
      return reply.header('cache-control', 'no-store').type(contentType).send(body);
    });
  };
}
