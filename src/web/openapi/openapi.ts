/**
 * OpenAPI: @fastify/swagger collects every route's zod schema (via fastify-type-provider-zod's transforms) into
 * `/openapi.json`; Swagger UI is served at `/docs` from @fastify/swagger-ui's own files, never a CDN.
 * Register before any route: swagger learns routes through an onRoute hook. Routes with `schema.hide` are left out.
 */
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';

export interface OpenApiOptions {
  version: string;
}

export async function registerOpenApi(app: FastifyInstance, options: OpenApiOptions): Promise<void> {
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Koivulahti',
        description: 'The village simulation, the roleplay engine and the tips recommender on one event-sourced core.',
        version: options.version,
      },
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(fastifySwaggerUi, {
    routePrefix: '/docs',
    staticCSP: true,
    // The stock policy upgrades subresources to https, which breaks /docs on a plain-http LAN name from allowed_hosts.
    transformStaticCSP: (header) => header.replace(/\s*upgrade-insecure-requests;?/, ''),
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
