/** The chat pages' stylesheet and their script modules (`http/client/`, served at `/chat/static/<module>.js`). */
import { readFileSync } from 'node:fs';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { browserModuleRoutes } from '../../../web/static/browser-modules.js';
import { html } from '../route-kit.js';

const client = new URL('../client/', import.meta.url);
const css = readFileSync(new URL('chat.css', client), 'utf8');

export function assetRoutes(): FastifyPluginAsyncZod {
  return async (app) => {
    app.get('/chat/static/chat.css', { schema: html }, async (_request, reply) =>
      reply.type('text/css; charset=utf-8').header('cache-control', 'no-cache').send(css),
    );
    await app.register(browserModuleRoutes('/chat/static/', client));
  };
}
