/** Integrations: iCalendar import, Todoist import (pasted token or the vaulted OAuth token) and the Todoist OAuth flow. */
import { randomBytes } from 'node:crypto';
import { NotFoundError, ValidationError } from '../../core/errors.js';
import { saveOAuthState, takeOAuthState } from '../read-model/oauth-states.js';
import { type CommandContext, runCommand } from './commands.js';
import { type TipsContext, timeZoneOf, todoistOAuthOf } from './context.js';
import { parseIcsBounded } from './integrations/ical-sandbox.js';
import { fetchTodoistTasks } from './integrations/todoist.js';
import { exchangeTodoistCode, revokeTodoistToken, todoistAuthorizeUrl } from './integrations/todoist-oauth.js';
import { recordSignals } from './signals.js';

/** Imports record signals in the user's zone; Todoist needs the fetch, its OAuth flow the database and the vault. */
type ImportContext = CommandContext & Pick<TipsContext, 'config' | 'clock' | 'fetch' | 'defaultTimeZone'>;
type TodoistContext = ImportContext & Pick<TipsContext, 'database' | 'vault'>;

const minute = 60_000;

export interface ImportResult {
  imported: number;
  signalIds: string[];
}

export async function importIcs(context: ImportContext, userId: string, text: string): Promise<ImportResult> {
  const state = await context.states.load(userId);
  const now = context.clock.now();
  const { config } = context;
  const signals = await parseIcsBounded(
    text,
    { timeZone: timeZoneOf(context, state), from: now - 24 * 60 * minute, to: now + config.ics_window_days * 24 * 60 * minute },
    { maxBytes: config.ics_max_bytes, maxExpansions: config.ics_max_expansions, timeoutMs: config.ics_timeout_ms },
  );
  const signalIds = await recordSignals(
    context,
    userId,
    signals.map((signal) => ({ kind: 'calendar', ...signal })),
  );
  return { imported: signals.length, signalIds };
}

/** Imports the active Todoist tasks with a token (a pasted personal token is used once, never stored). */
export async function importTodoist(context: ImportContext, userId: string, token: string, signal?: AbortSignal): Promise<ImportResult> {
  const state = await context.states.load(userId);
  const tasks = await fetchTodoistTasks({
    baseUrl: context.config.todoist_api_url,
    token,
    timeZone: timeZoneOf(context, state),
    ...(context.fetch ? { fetch: context.fetch } : {}),
    ...(signal ? { signal } : {}),
  });
  const signalIds = await recordSignals(
    context,
    userId,
    tasks.map((task) => ({ kind: 'task', ...task })),
  );
  return { imported: tasks.length, signalIds };
}

/** Starts the Todoist OAuth flow: a one-time state bound to this user, and the URL to send the browser to. */
export async function authorizeTodoist(context: TodoistContext, userId: string): Promise<{ url: string; state: string }> {
  if (!context.config.todoist_client_id) throw new ValidationError('Todoist OAuth needs [tips] todoist_client_id');
  const state = randomBytes(24).toString('base64url');
  await saveOAuthState(context.database.db, { state, userId, provider: 'todoist', createdAt: context.clock.now() });
  return { url: todoistAuthorizeUrl(todoistOAuthOf(context), state), state };
}

/** The OAuth callback: checks the state (once, 10 minutes), exchanges the code, stores the token encrypted. */
export async function completeTodoist(context: TodoistContext, userId: string, code: string, state: string): Promise<void> {
  const pending = await takeOAuthState(context.database.db, { state, userId, provider: 'todoist' });
  if (!pending || context.clock.now() - pending.createdAt > 10 * minute)
    throw new ValidationError('unknown or expired OAuth state; start the connection again');
  const { accessToken, scope } = await exchangeTodoistCode(todoistOAuthOf(context), code);
  await context.vault.put(userId, 'todoist', accessToken, scope);
  await runCommand(context, userId, () => ({ type: 'connect_integration', provider: 'todoist', scope, at: context.clock.now() }));
}

/** Disconnects Todoist: revokes the token at Todoist, then forgets it. */
export async function disconnectTodoist(context: TodoistContext, userId: string): Promise<{ revoked: boolean }> {
  const token = await context.vault.get(userId, 'todoist');
  if (token !== undefined) await revokeTodoistToken(todoistOAuthOf(context), token);
  const revoked = token !== undefined;
  await context.vault.remove(userId, 'todoist');
  await runCommand(context, userId, () => ({ type: 'disconnect_integration', provider: 'todoist', revoked, at: context.clock.now() }));
  return { revoked };
}

/** Imports Todoist tasks with the stored (vaulted) OAuth token. */
export async function importTodoistConnected(context: TodoistContext, userId: string, signal?: AbortSignal): Promise<ImportResult> {
  const token = await context.vault.get(userId, 'todoist');
  if (token === undefined) throw new NotFoundError('Todoist is not connected', { provider: 'todoist' });
  return importTodoist(context, userId, token, signal);
}
