/** `GET /village/static/village.css`: the village stylesheet, a real .css file next to the pages. */
import { readFile } from 'node:fs/promises';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';

export const villageCss = new URL('../village.css', import.meta.url);

export function staticRoutes(): FastifyPluginAsyncZod {
  return async (app) => {
    const css = await readFile(villageCss);
    app.get('/village/static/village.css', { schema: { hide: true } }, async (_request, reply) =>
      reply.header('content-type', 'text/css; charset=utf-8').header('cache-control', 'no-cache').send(css),
    );
  };
}
