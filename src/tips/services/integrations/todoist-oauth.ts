/**
 * Todoist OAuth (API v1): the authorize URL (`<oauth>/authorize?client_id&scope&state`), the code-for-token exchange
 * (`POST <oauth>/access_token` with client_id, client_secret, code) and revocation (`POST <api>/revoke`, RFC 7009:
 * HTTP Basic client credentials, form body `token` + `token_type_hint=access_token`). Tokens and secrets never appear
 * in errors or logs.
 */
import { AppError, ValidationError } from '../../../core/errors.js';

export interface TodoistOAuthSettings {
  clientId: string;
  clientSecret: string;
  /** e.g. https://app.todoist.com/oauth (authorize) — the page the user is sent to. */
  authorizeUrl: string;
  /** e.g. https://api.todoist.com/oauth/access_token */
  tokenUrl: string;
  /** e.g. https://api.todoist.com/api/v1/revoke */
  revokeUrl: string;
  scope: string;
  fetch?: typeof fetch;
}

export function todoistAuthorizeUrl(settings: TodoistOAuthSettings, state: string): string {
  const url = new URL(settings.authorizeUrl);
  url.searchParams.set('client_id', settings.clientId);
  url.searchParams.set('scope', settings.scope);
  url.searchParams.set('state', state);
  return url.toString();
}

function upstream(what: string, status: number): AppError {
  return new AppError('internal', `Todoist ${what} failed with HTTP ${status}`, { details: { status } });
}

export async function exchangeTodoistCode(settings: TodoistOAuthSettings, code: string): Promise<{ accessToken: string; scope: string }> {
  if (!settings.clientId || !settings.clientSecret)
    throw new ValidationError('Todoist OAuth needs [tips] todoist_client_id and todoist_client_secret');
  const response = await (settings.fetch ?? fetch)(settings.tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams({ client_id: settings.clientId, client_secret: settings.clientSecret, code }).toString(),
  });
  if (!response.ok) throw upstream('token exchange', response.status);
  const body = (await response.json().catch(() => ({}))) as { access_token?: unknown; token_type?: unknown };
  if (typeof body.access_token !== 'string' || body.access_token === '')
    throw upstream('token exchange (no access_token)', response.status);
  return { accessToken: body.access_token, scope: settings.scope };
}

export async function revokeTodoistToken(settings: TodoistOAuthSettings, token: string): Promise<void> {
  const basic = Buffer.from(`${settings.clientId}:${settings.clientSecret}`).toString('base64');
  const response = await (settings.fetch ?? fetch)(settings.revokeUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${basic}` },
    body: new URLSearchParams({ token, token_type_hint: 'access_token' }).toString(),
  });
  // RFC 7009: 200 also for a token that was already invalid.
  if (!response.ok) throw upstream('token revocation', response.status);
}
