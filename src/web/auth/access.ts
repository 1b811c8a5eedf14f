/**
 * Who may call a route, declared on the route: `config: { access: 'public' | 'user' | 'admin' }`. A route that declares
 * nothing is private (`user`). A function decides per request (the SSE hub: public topics are open, private ones not).
 * Today the declaration documents the route in OpenAPI (`security`); the admin routes check their token themselves.
 */
import type { FastifyRequest } from 'fastify';

export type Access = 'public' | 'user' | 'admin';

export type AccessRule = Access | ((request: FastifyRequest) => Access);

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Default `user` (private). */
    access?: AccessRule;
  }
}

export const defaultAccess: Access = 'user';

/** The access a route declares for documentation: a per-request rule is documented as `user` (its strictest case). */
export function declaredAccess(rule: AccessRule | undefined): Access {
  if (rule === undefined || typeof rule === 'function') return defaultAccess;
  return rule;
}
