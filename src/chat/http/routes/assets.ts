/** The chat pages' stylesheet and script. */
import { readFileSync } from 'node:fs';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { chatClientScript } from '../client.js';
import { html } from '../route-kit.js';

const css = readFileSync(new URL('../chat.css', import.meta.url), 'utf8');

export function assetRoutes(): FastifyPluginAsyncZod {
  return async (app) => {
    app.get('/chat/static/chat.css', { schema: html }, async (_request, reply) =>
      reply.type('text/css; charset=utf-8').header('cache-control', 'no-cache').send(css),
    );
    app.get('/chat/static/chat.js', { schema: html }, async (_request, reply) =>
      reply.type('text/javascript; charset=utf-8').header('cache-control', 'no-cache').send(chatClientScript),
    );
  };
}
