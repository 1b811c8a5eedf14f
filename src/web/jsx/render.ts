/**
 * Server-side rendering with preact-render-to-string: text and attribute values are escaped by default, so
 * user, catalog and LLM text can be passed as children safely. Never use `dangerouslySetInnerHTML` with such text.
 */
import type { FastifyReply } from 'fastify';
import type { VNode } from 'preact';
import { renderToString } from 'preact-render-to-string';

export function renderPage(page: VNode): string {
  return `<!doctype html>${renderToString(page)}`;
}

export function sendPage(reply: FastifyReply, page: VNode, status = 200): FastifyReply {
  return reply
    .code(status)
    .type('text/html; charset=utf-8')
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'same-origin')
    .header('x-frame-options', 'DENY')
    .send(renderPage(page));
}
