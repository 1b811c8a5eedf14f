/** The tip pages' stylesheet, web app manifest and icon: real files beside this room, served with an ETag. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { staticRoutes } from '../../../web/static/static.js';

// Beside the source in src/ (tsx, vitest) and in dist/ (the build copies .css, .json and .svg).
const asset = (name: string) => new URL(`../assets/${name}`, import.meta.url);

export function assetRoutes(): FastifyPluginAsyncZod {
  return staticRoutes([
    { path: '/tips/tips.css', source: asset('tips.css'), contentType: 'text/css; charset=utf-8', cacheControl: 'no-cache' },
    {
      path: '/tips/manifest.webmanifest',
      source: asset('manifest.json'),
      contentType: 'application/manifest+json',
      cacheControl: 'no-cache',
    },
    { path: '/tips/icon.svg', source: asset('icon.svg'), contentType: 'image/svg+xml', cacheControl: 'public, max-age=86400' },
  ]);
}
