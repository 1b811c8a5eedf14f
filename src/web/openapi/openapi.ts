/**
 * OpenAPI: @fastify/swagger collects every route's zod schema (via fastify-type-provider-zod's transforms) into
 * `/openapi.json`; Swagger UI is served at `/docs` from @fastify/swagger-ui's own files, never a CDN.
 * Register before any route: swagger learns routes through an onRoute hook. Routes with `schema.hide` are left out.
 *
 * Every documented operation gets: an `operationId` (the route's own, else one made from method and path, e.g.
 * `getApiTipsNext`); its security from the route's declared access (`public` = none, `user` and `admin` = a bearer token
 * or the session cookie, a per-request rule = optional); and problem+json `4XX` and `5XX` responses (plus 401 and 403
 * for protected operations) next to its own.
 */
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { sessionCookieName } from '../../core/signed-cookie.js';
import { type AccessRule, declaredAccess } from '../auth/access.js';

export interface OpenApiOptions {
  version: string;
}

const problemSchema = {
  type: 'object',
  description: 'RFC 9457 problem details; `code` is stable and names the error.',
  required: ['type', 'title', 'status', 'detail', 'instance', 'code'],
  properties: {
    type: { type: 'string', examples: ['urn:koivulahti:problem:validation_failed'] },
    title: { type: 'string' },
    status: { type: 'integer', minimum: 400, maximum: 599 },
    detail: { type: 'string' },
    instance: { type: 'string' },
    code: { type: 'string' },
    requestId: { type: 'string', description: 'Echoes X-Request-Id.' },
    errors: {
      type: 'array',
      description: 'Invalid fields (validation_failed).',
      items: { type: 'object', properties: { field: { type: 'string' }, message: { type: 'string' } } },
    },
  },
  additionalProperties: true,
} as const;

const problemResponse = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
});

const protectedSecurity: Array<Record<string, string[]>> = [{ bearerAuth: [] }, { sessionCookie: [] }];

/** `GET /api/chats/:id/turns` -> `getApiChatsByIdTurns`. */
export function operationIdFor(method: string, url: string): string {
  const words = url
    .split('/')
    .filter((part) => part !== '')
    .flatMap((part) => (part.startsWith(':') || part.startsWith('{') ? ['by', part.replace(/^[:{]|}$/g, '')] : part.split(/[^A-Za-z0-9]+/)))
    .filter((word) => word !== '');
  const capitalized = words.map((word) => word.charAt(0).toUpperCase() + word.slice(1));
  return `${method.toLowerCase()}${capitalized.join('') || 'Root'}`;
}

type Transform = typeof jsonSchemaTransform;

const transform: Transform = (input) => {
  const result = jsonSchemaTransform(input);
  const { route } = input;
  const method = Array.isArray(route.method) ? String(route.method[0]) : String(route.method);
  const rule = (route.config as { access?: AccessRule } | undefined)?.access;
  const schema = { ...(result.schema as Record<string, unknown>) };
  if (schema.hide) return result;
  schema.operationId ??= operationIdFor(method, route.url);
  if (schema.security === undefined) {
    const access = declaredAccess(rule);
    schema.security =
      rule !== undefined && typeof rule === 'function' ? [...protectedSecurity, {}] : access === 'public' ? [] : protectedSecurity;
    if (access === 'admin') schema.description = `${schema.description ? `${schema.description}\n\n` : ''}Needs the admin role.`;
  }
  return { ...result, schema } as ReturnType<Transform>;
};

type TransformObject = typeof jsonSchemaTransformObject;

interface Operation {
  security?: unknown[];
  responses?: Record<string, unknown>;
}

const transformObject: TransformObject = (input) => {
  const document = jsonSchemaTransformObject(input) as unknown as {
    components?: Record<string, Record<string, unknown>>;
    paths?: Record<string, Record<string, Operation>>;
  };
  document.components ??= {};
  document.components.schemas = { ...(document.components.schemas ?? {}), Problem: problemSchema };
  for (const path of Object.values(document.paths ?? {})) {
    for (const operation of Object.values(path)) {
      if (typeof operation !== 'object' || operation === null || !('responses' in operation)) continue;
      const responses = { ...(operation.responses ?? {}) };
      const guarded = (operation.security ?? []).length > 0;
      if (guarded && !(operation.security ?? []).some((entry) => Object.keys(entry as object).length === 0)) {
        responses['401'] ??= problemResponse('No valid credentials (off loopback: a bearer token or a session).');
        responses['403'] ??= problemResponse('The credentials do not allow this (role, CSRF token, Host or Origin).');
      }
      responses['4XX'] ??= problemResponse('The request was refused; `code` says why.');
      responses['5XX'] ??= problemResponse('The server or a service it depends on failed; `code` says which.');
      operation.responses = responses;
    }
  }
  return document as unknown as ReturnType<TransformObject>;
};

export async function registerOpenApi(app: FastifyInstance, options: OpenApiOptions): Promise<void> {
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Koivulahti',
        description:
          'The village simulation, the roleplay engine and the tips recommender on one event-sourced core. The security ' +
          'of each operation says who it is meant for. Enforced today: the village admin operations need the bearer ' +
          '`server.admin_token` when it is set, and with `tips.accounts = "oidc"` the tips operations need the session ' +
          'cookie from /tips/login (form posts also its CSRF token). Other private operations are not yet guarded off ' +
          'loopback: keep `server.host` on a loopback address. Errors are `application/problem+json`.',
        version: options.version,
        license: { name: 'MIT', identifier: 'MIT' },
      },
      servers: [{ url: '/', description: 'This server' }],
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', description: '`server.admin_token` (role admin).' },
          sessionCookie: {
            type: 'apiKey',
            in: 'cookie',
            name: sessionCookieName,
            description: 'The session after logging in at /tips/login (`tips.accounts = "oidc"`).',
          },
        },
      },
      security: protectedSecurity,
    },
    transform,
    transformObject,
  });
  await app.register(async (docs) => {
    // Swagger UI's routes are added by the plugin; they are public like the document itself.
    docs.addHook('onRoute', (route) => {
      route.config = { ...(route.config ?? {}), access: 'public' };
    });
    await docs.register(fastifySwaggerUi, {
      routePrefix: '/docs',
      staticCSP: true,
      // The stock policy upgrades subresources to https, which breaks /docs on a plain-http LAN name from allowed_hosts.
      transformStaticCSP: (header) => header.replace(/\s*upgrade-insecure-requests;?/, ''),
    });
  });
  app.get('/openapi.json', { schema: { hide: true }, config: { access: 'public' } }, async () => app.swagger());
}
