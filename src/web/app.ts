/**
 * The Fastify app factory: zod validation and serialization, problem+json errors, request ids and the access log, the
 * Host/Origin guard, the Content-Security-Policy, OpenAPI, health, metrics (when the context has them), the SSE hub,
 * static assets and the shell's pages. Products add their routes through `options.routes`. The caller listens (or
 * injects); closing the app ends open SSE streams first.
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyPluginAsync, LogController } from 'fastify';
import { type FastifyPluginAsyncZod, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { redactUrl } from '../store/database.js';
import { storageErrorOf } from '../store/storage-errors.js';
import type { WebContext } from './context.js';
import { healthRoutes } from './health/health.js';
import { readyRoutes } from './health/ready.js';
import { createHostGuard } from './host-guard/host-guard.js';
import { metricsRoutes } from './metrics/metrics-route.js';
import { registerOpenApi } from './openapi/openapi.js';
import { pageRoutes } from './pages/pages.js';
import { clientErrorHandler, frameworkErrorHandler, registerProblemHandling } from './problem/problem.js';
import { requestIdFor, requestIdHeader } from './request-id/request-id.js';
import { registerContentSecurityPolicy } from './security/csp.js';
import { SseHub } from './sse/sse-hub.js';
import { staticRoutes } from './static/static.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The SSE hub behind `GET /stream`. */
    sse: SseHub;
  }
}

export interface CreateAppOptions {
  /** Route plugins registered after the built-in ones (product APIs and pages, test routes). */
  routes?: ReadonlyArray<FastifyPluginAsync | FastifyPluginAsyncZod>;
  /** Products whose routes include their own landing page (`/village`, `/chat`, `/tips`). */
  productsWithPages?: readonly string[];
  /**
   * `operations`: only `/health` and `/metrics` (engine and worker processes, which serve no users). Default `full`:
   * also OpenAPI, the SSE hub, static assets and the shell's pages.
   */
  surface?: 'full' | 'operations';
  /** Stream categories whose live events anyone may follow (`/stream?topics=world`); every other topic is private. */
  publicStreamCategories?: readonly string[];
}

/** Answered to any Host, before start-up has finished: probes and scrapers reach a process by its pod address. */
const operationalPaths = ['/health', '/ready', '/metrics'];

export async function createApp(context: WebContext, options: CreateAppOptions = {}): Promise<FastifyInstance> {
  const { server, database } = context.config;
  const app = Fastify({
    // Typed as Fastify's base logger so the instance stays a plain FastifyInstance for plugins and callers.
    loggerInstance: context.logger as FastifyBaseLogger,
    bodyLimit: server.body_limit_bytes,
    // One line per request at debug level instead of two at info: a local user's terminal stays readable.
    logController: new LogController({ disableRequestLogging: true }),
    trustProxy: server.trusted_proxies.length > 0 ? server.trusted_proxies : false,
    requestIdHeader: false,
    genReqId: requestIdFor,
    frameworkErrors: frameworkErrorHandler,
    clientErrorHandler,
    // Start-up never waits on a plugin timer: slow initialisation runs after listen, and /ready waits for it.
    pluginTimeout: 0,
  }).withTypeProvider<ZodTypeProvider>();
  app.addHook('onRequest', async (request, reply) => {
    reply.header(requestIdHeader, request.id);
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    context.metrics?.observeHttpRequest({ method: request.method, route, status_code: reply.statusCode }, reply.elapsedTime / 1000);
    request.log.debug(
      {
        method: request.method,
        url: accessLogUrl(request.url),
        route,
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
        ip: request.ip,
      },
      'request',
    );
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  const storeLocation = database.url ? redactUrl(database.url) : database.sqlite_path;
  const sqlitePath = database.url ? undefined : database.sqlite_path;
  registerProblemHandling(app, { classifyUnknown: (error) => storageErrorOf(error, storeLocation, { sqlitePath }) });
  registerContentSecurityPolicy(app);
  // HTML forms post urlencoded bodies; every product's pages read them as a flat record (the last value of a key wins).
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(String(body))));
  });
  app.addHook(
    'onRequest',
    createHostGuard({
      host: context.config.server.host,
      allowedHosts: context.config.server.allowed_hosts,
      openPaths: operationalPaths,
    }),
  );
  const startup = context.startup;
  if (startup) {
    app.addHook('onRequest', async (request) => {
      if (!operationalPaths.includes(request.url.split('?')[0] ?? '')) await startup.wait();
    });
  }
  const full = options.surface !== 'operations';
  if (full) await registerOpenApi(app, { version: context.version });

  const hub = new SseHub(context, { publicCategories: options.publicStreamCategories ?? [] });
  app.decorate('sse', hub);
  // preClose runs before the server stops accepting and waits for in-flight responses; an open stream would never finish.
  app.addHook('preClose', async () => hub.closeAll());

  await app.register(healthRoutes(context));
  await app.register(readyRoutes([...(context.readiness ?? []), ...(startup ? [startup.check] : [])]));
  if (context.metrics) await app.register(metricsRoutes(context.metrics));
  if (full) {
    await app.register(hub.routes);
    await app.register(staticRoutes());
    await app.register(
      pageRoutes(context, { liveConnections: () => hub.connections().length, productsWithPages: options.productsWithPages ?? [] }),
    );
  }
  for (const routes of options.routes ?? []) await app.register(routes as FastifyPluginAsync);
  return app;
}

const secretQueryKeys = /^(code|state|token|access_token|id_token|key|api_key|secret|password|session)$/i;

/** The request URL for the access log, with the values of credential-like query parameters (OAuth codes, tokens) hidden. */
export function accessLogUrl(url: string): string {
  const query = url.indexOf('?');
  if (query === -1) return url;
  const parameters = new URLSearchParams(url.slice(query + 1));
  for (const key of [...parameters.keys()]) if (secretQueryKeys.test(key)) parameters.set(key, '[redacted]');
  return `${url.slice(0, query)}?${parameters.toString()}`;
}
