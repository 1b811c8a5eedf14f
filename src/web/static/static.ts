/**
 * `/static/*`: htmx and its SSE extension straight from node_modules (no CDN) and our stylesheet. The three files are
 * read once at startup and served with an ETag; vendor files are cached for a day (they change only with a dependency
 * bump), app.css is revalidated on every load so a deploy shows up at once.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';

interface StaticFile {
  path: string;
  source: string | URL;
  contentType: string;
  cacheControl: string;
}

const require = createRequire(import.meta.url);
const vendorCache = 'public, max-age=86400';

export const staticFiles: readonly StaticFile[] = [
  {
    path: '/static/htmx.min.js',
    source: require.resolve('htmx.org/dist/htmx.min.js'),
    contentType: 'text/javascript; charset=utf-8',
    cacheControl: vendorCache,
  },
  {
    path: '/static/htmx-ext-sse.js',
    source: require.resolve('htmx-ext-sse/dist/sse.js'),
    contentType: 'text/javascript; charset=utf-8',
    cacheControl: vendorCache,
  },
  // Beside this module in src/ (tsx, vitest) and in dist/ (the build copies *.css).
  {
    path: '/static/app.css',
    source: new URL('./app.css', import.meta.url),
    contentType: 'text/css; charset=utf-8',
    cacheControl: 'no-cache',
  },
];

export function staticRoutes(files: readonly StaticFile[] = staticFiles): FastifyPluginAsyncZod {
  return async (app) => {
    for (const file of files) {
      const body = await readFile(file.source);
      const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
      app.get(file.path, { schema: { hide: true }, config: { access: 'public' } }, async (request, reply) => {
        reply.header('content-type', file.contentType).header('cache-control', file.cacheControl).header('etag', etag);
        reply.header('x-content-type-options', 'nosniff');
        const match = request.headers['if-none-match'];
        if (match?.split(',').some((candidate) => candidate.trim().replace(/^W\//, '') === etag)) {
          return reply.code(304).send();
        }
        return reply.send(body);
      });
    }
  };
}
