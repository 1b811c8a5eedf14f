/**
 * Request ids: a caller's `X-Request-Id` is kept when it is a plain token (letters, digits, `.`, `_`, `:`, `-`, at
 * most 128 characters); otherwise the trace id of a W3C `traceparent` header; otherwise a new UUID. Every response
 * echoes the id in `X-Request-Id`, and every log line of the request carries it as `reqId`.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const requestIdHeader = 'x-request-id';
const requestIdPattern = /^[A-Za-z0-9._:-]{1,128}$/;
const traceparentPattern = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/;

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

export function requestIdFor(request: Pick<IncomingMessage, 'headers'>): string {
  const given = single(request.headers[requestIdHeader])?.trim();
  if (given !== undefined && requestIdPattern.test(given)) return given;
  const traceId = traceparentPattern.exec(single(request.headers.traceparent)?.trim().toLowerCase() ?? '')?.[1];
  if (traceId !== undefined && !/^0+$/.test(traceId)) return traceId;
  return randomUUID();
}
