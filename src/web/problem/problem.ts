/**
 * Problem details (RFC 9457): every error leaves the server as `application/problem+json` with `type`, `title`,
 * `status`, `detail`, `instance`, our stable `code`, and extra members such as the invalid fields.
 *
 * - AppError: its catalog status and code; for 5xx the message stays in the log (it may name hosts or files) unless the
 *   error is marked `expose` (storage failures name the file and what to do).
 * - zod (or any schema) validation failure: 400 `validation_failed` naming each field as `body.name`, `query.topics`.
 * - Malformed or empty JSON body: 400 `invalid_json`; body over the limit: 413; unknown content type: 415.
 * - Errors Fastify raises before routing (`frameworkErrors`: a URL that is not valid percent-encoding, a path parameter
 *   over the length limit) and malformed HTTP the parser rejects (`clientErrorHandler`) get problem documents too.
 * - Storage failures (full, read-only, corrupt, unreachable) get their stable codes (`classifyUnknown`).
 * - Other 4xx raised by Fastify keep their status; anything else is a 500 `internal`, logged with its stack, never sent.
 */
import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { AppError, type ErrorCode, errorCatalog } from '../../core/errors.js';

export const problemContentType = 'application/problem+json';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  code: string;
  [extension: string]: unknown;
}

export interface InvalidField {
  /** `body.name`, `query.topics`, `params.id`, `headers.last-event-id`. */
  field: string;
  message: string;
}

export function problemType(code: string): string {
  return `urn:koivulahti:problem:${code}`;
}

/** Builds a problem document for a catalog code; `extensions` cannot overwrite the standard members. */
export function createProblem(
  code: ErrorCode,
  detail: string,
  request: FastifyRequest,
  extensions: Record<string, unknown> = {},
  status: number = errorCatalog[code].status,
): Problem {
  return {
    ...extensions,
    type: problemType(code),
    title: errorCatalog[code].title,
    status,
    detail,
    instance: request.url.split('?')[0] ?? request.url,
    code,
    requestId: request.id,
  };
}

export function sendProblem(reply: FastifyReply, problem: Problem): FastifyReply {
  // Serialized here so a route's response schema never gets to reshape (or reject) an error body.
  return reply
    .code(problem.status)
    .header('x-content-type-options', 'nosniff')
    .header('x-request-id', String(problem.requestId ?? reply.request.id))
    .type(problemContentType)
    .send(JSON.stringify(problem));
}

/** Turns an error that is not an AppError into one (storage failures), or leaves it alone. */
export type UnknownErrorClassifier = (error: unknown) => AppError | undefined;

interface Classified {
  problem: Problem;
  /** Whether the failure is ours (logged as an error with its stack) rather than the client's. */
  serverFault: boolean;
}

interface ValidationIssue {
  instancePath?: string;
  message?: string;
}

export function classifyError(error: unknown, request: FastifyRequest, classifyUnknown?: UnknownErrorClassifier): Classified {
  const known = error instanceof AppError ? error : classifyUnknown?.(error);
  if (known) {
    if (known.status >= 500) {
      const detail = known.expose ? known.message : errorCatalog[known.code].title;
      return { problem: createProblem(known.code, detail, request, known.expose ? (known.details ?? {}) : {}), serverFault: true };
    }
    return { problem: createProblem(known.code, known.message, request, known.details ?? {}), serverFault: false };
  }
  const fastifyError = (typeof error === 'object' && error !== null ? error : {}) as {
    code?: unknown;
    statusCode?: unknown;
    message?: unknown;
    validation?: unknown;
    validationContext?: unknown;
  };
  if (hasZodFastifySchemaValidationErrors(error) || Array.isArray(fastifyError.validation)) {
    const context = typeof fastifyError.validationContext === 'string' ? fastifyError.validationContext : 'request';
    const errors = invalidFields(context, fastifyError.validation as ValidationIssue[]);
    const detail = errors.map((entry) => `${entry.field}: ${entry.message}`).join('; ');
    return { problem: createProblem('validation_failed', detail, request, { errors }), serverFault: false };
  }
  switch (fastifyError.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return { problem: createProblem('invalid_json', 'The request body is not valid JSON.', request), serverFault: false };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return {
        problem: createProblem('invalid_json', 'The request body is empty but its content type is JSON.', request),
        serverFault: false,
      };
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return {
        problem: createProblem('payload_too_large', 'The request body is larger than the server accepts.', request, {
          limitBytes: request.routeOptions.bodyLimit,
        }),
        serverFault: false,
      };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return {
        problem: createProblem(
          'unsupported_media_type',
          `Unsupported content type: ${request.headers['content-type'] ?? '(none)'}.`,
          request,
        ),
        serverFault: false,
      };
  }
  const status = typeof fastifyError.statusCode === 'number' ? fastifyError.statusCode : 500;
  if (status >= 400 && status < 500 && !isResponseSerializationError(error)) {
    const message = typeof fastifyError.message === 'string' && fastifyError.message !== '' ? fastifyError.message : STATUS_CODES[status];
    return { problem: clientProblem(status, message ?? 'Bad request', request), serverFault: false };
  }
  return { problem: createProblem('internal', 'An unexpected error occurred; it has been logged.', request), serverFault: true };
}

const codeByStatus: Partial<Record<number, ErrorCode>> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  408: 'request_timeout',
  413: 'payload_too_large',
  414: 'uri_too_long',
  415: 'unsupported_media_type',
  429: 'rate_limited',
  431: 'headers_too_large',
};

/** A 4xx Fastify raised itself: the catalog code with that status if there is one, else one named after the status. */
function clientProblem(status: number, detail: string, request: FastifyRequest): Problem {
  const catalogCode = codeByStatus[status];
  if (catalogCode) return createProblem(catalogCode, detail, request);
  const title = STATUS_CODES[status] ?? 'Client error';
  const code = title.toLowerCase().replace(/[^a-z0-9]+/g, '_');
  return {
    type: problemType(code),
    title,
    status,
    detail,
    instance: request.url.split('?')[0] ?? request.url,
    code,
    requestId: request.id,
  };
}

function invalidFields(context: string, issues: readonly ValidationIssue[]): InvalidField[] {
  const prefix = context === 'querystring' ? 'query' : context;
  return issues.map((issue) => {
    const path = (issue.instancePath ?? '').split('/').filter((part) => part !== '');
    return { field: [prefix, ...path].join('.'), message: issue.message ?? 'invalid' };
  });
}

/** Makes every error and every unknown route of `app` answer with problem+json. Call on the root instance. */
export function registerProblemHandling(app: FastifyInstance, options: { classifyUnknown?: UnknownErrorClassifier } = {}): void {
  app.setErrorHandler((error: unknown, request, reply) => {
    const { problem, serverFault } = classifyError(error, request, options.classifyUnknown);
    if (serverFault) request.log.error({ err: error, code: problem.code }, 'request failed');
    else request.log.info({ code: problem.code, status: problem.status }, problem.detail);
    return sendProblem(reply, problem);
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, createProblem('not_found', `No route for ${request.method} ${request.url.split('?')[0]}.`, request)),
  );
}

/**
 * Fastify's `frameworkErrors` option: errors raised before a route is found. The URL is echoed only as far as it is
 * printable, and never in full when it is over-long.
 */
export function frameworkErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const path = printablePath(request.raw.url ?? '/');
  let problem: Problem;
  if (error.code === 'FST_ERR_BAD_URL') problem = createProblem('bad_url', `The URL ${path} is not valid percent-encoded UTF-8.`, request);
  else if (error.code === 'FST_ERR_MAX_PARAM_LENGTH')
    problem = createProblem('uri_too_long', 'A path segment of the URL is longer than the server accepts.', request);
  else {
    request.log.error({ err: error }, 'routing failed');
    problem = createProblem('internal', 'An unexpected error occurred; it has been logged.', request);
  }
  problem.instance = path;
  request.log.info({ code: problem.code, status: problem.status }, problem.detail);
  sendProblem(reply, problem);
}

function printablePath(url: string): string {
  const path = url.split('?')[0] ?? url;
  const shown = path.length > 200 ? `${path.slice(0, 200)}…` : path;
  return shown.replace(/[^\x21-\x7e]/g, '?');
}

/**
 * Fastify's `clientErrorHandler`: the HTTP parser refused the request (malformed request line or headers, headers too
 * large, a request that took too long to arrive). There is no request object; the answer is written to the socket.
 */
export function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const code: ErrorCode =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? 'request_timeout'
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? 'headers_too_large'
        : 'bad_request';
  const { status, title } = errorCatalog[code];
  const requestId = randomUUID();
  const detail =
    code === 'request_timeout'
      ? 'The request did not arrive in time.'
      : code === 'headers_too_large'
        ? 'The request headers are larger than the server accepts.'
        : 'The request is not valid HTTP.';
  const body = JSON.stringify({ type: problemType(code), title, status, detail, instance: '/', code, requestId });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? title}\r\nContent-Type: ${problemContentType}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `X-Request-Id: ${requestId}\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}
