/**
 * Admin POSTs take their parameters from the query string (as the seed's FastAPI did) or from a JSON / form body; a
 * plain HTML form is redirected back to the admin page afterwards (works without JavaScript).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * A parameter that may come from the query string or the body and came from neither: the same 400 problem a schema
 * failure gives (`query.<name>: required`).
 */
export function missingParameter(name: string): Error {
  return Object.assign(new Error(`${name} is required`), {
    statusCode: 400,
    validation: [{ instancePath: `/${name}`, message: 'required (in the query string or the body)' }],
    validationContext: 'querystring',
  });
}

/** An empty form field means "not given". */
export function blankToUndefined<T>(value: T | '' | undefined): T | undefined {
  return value === '' ? undefined : value;
}

export function fromForm(request: FastifyRequest): boolean {
  return (request.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');
}

export function backToAdmin(reply: FastifyReply): FastifyReply {
  return reply.redirect('/village/admin', 303);
}
