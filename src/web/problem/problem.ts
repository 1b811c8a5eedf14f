/**
 * Problem details (RFC 9457): every error leaves the server as `application/problem+json` with `type`, `title`,
 * `status`, `detail`, `instance`, our stable `code`, and extra members such as the invalid fields.
 *
 * - AppError: its catalog status and code; for 5xx the message stays in the log (it may name hosts or files).
 * - zod (or any schema) validation failure: 400 `validation_failed` naming each field as `body.name`, `query.topics`.
 * - Malformed or empty JSON body: 400 `invalid_json`; body over the limit: 413; unknown content type: 415.
 * - Other 4xx raised by Fastify keep their status; anything else is a 500 `internal`, logged with its stack, never sent.
 */
import { STATUS_CODES } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
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
  return reply.code(problem.status).header('x-content-type-options', 'nosniff').type(problemContentType).send(JSON.stringify(problem));
}

interface Classified {
  problem: Problem;
  /** Whether the failure is ours (logged as an error with its stack) rather than the client's. */
  serverFault: boolean;
}

interface ValidationIssue {
  instancePath?: string;
  message?: string;
}

export function classifyError(error: unknown, request: FastifyRequest): Classified {
  if (error instanceof AppError) {
    if (error.status >= 500) return { problem: createProblem(error.code, errorCatalog[error.code].title, request), serverFault: true };
    return { problem: createProblem(error.code, error.message, request, error.details ?? {}), serverFault: false };
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

/** A 4xx Fastify raised itself: the catalog code with that status if there is one, else one named after the status. */
function clientProblem(status: number, detail: string, request: FastifyRequest): Problem {
  const catalogCode = (Object.keys(errorCatalog) as ErrorCode[]).find((code) => errorCatalog[code].status === status);
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
export function registerProblemHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: unknown, request, reply) => {
    const { problem, serverFault } = classifyError(error, request);
    if (serverFault) request.log.error({ err: error, code: problem.code }, 'request failed');
    else request.log.info({ code: problem.code, status: problem.status }, problem.detail);
    return sendProblem(reply, problem);
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, createProblem('not_found', `No route for ${request.method} ${request.url.split('?')[0]}.`, request)),
  );
}
