/** Privacy: consent per purpose, the export of everything about the user, and deletion (tokens revoked first). */
import type { ConsentPurpose } from '../domain/events.js';
import { consentPurposes } from '../domain/events.js';
import { consented } from '../domain/state.js';
import { type CommandContext, runCommand } from './commands.js';
import { consentByDefault, type TipsContext, todoistOAuthOf } from './context.js';
import { revokeTodoistToken } from './integrations/todoist-oauth.js';
import { type DeletionReceipt, deleteUser, exportUser, type TokenRevoker, type UserExport } from './privacy/account.js';

export interface ConsentStatus {
  purpose: ConsentPurpose;
  granted: boolean;
  noticeVersion: string | null;
  at: number | null;
}

/** Records consent for a purpose (given or revoked) with the notice version; takes effect on the next decision. */
export async function setConsent(
  context: CommandContext & Pick<TipsContext, 'config' | 'clock'>,
  userId: string,
  purpose: ConsentPurpose,
  granted: boolean,
): Promise<void> {
  await runCommand(context, userId, () => ({
    type: 'set_consent',
    purpose,
    granted,
    noticeVersion: context.config.notice_version,
    at: context.clock.now(),
  }));
}

export async function consents(context: Pick<TipsContext, 'config' | 'states'>, userId: string): Promise<ConsentStatus[]> {
  const state = await context.states.load(userId);
  return consentPurposes.map((purpose) => {
    const record = state.consents.get(purpose);
    return {
      purpose,
      granted: consented(state, purpose, consentByDefault(context.config)),
      noticeVersion: record?.noticeVersion ?? null,
      at: record?.at ?? null,
    };
  });
}

export function exportData(context: Pick<TipsContext, 'database' | 'store' | 'vault' | 'clock'>, userId: string): Promise<UserExport> {
  return exportUser(context.database, context.store, context.vault, context.clock, userId);
}

/** Revokes the user's tokens and removes every row of the user; the cached state is forgotten too. */
export async function deleteAccount(
  context: Pick<TipsContext, 'config' | 'fetch' | 'database' | 'vault' | 'clock' | 'states'>,
  userId: string,
): Promise<DeletionReceipt> {
  // Without an OAuth client there is nothing to revoke against (a pasted personal token is never stored).
  const revokers: Record<string, TokenRevoker> = {};
  if (context.config.todoist_client_id) revokers.todoist = (token) => revokeTodoistToken(todoistOAuthOf(context), token);
  const receipt = await deleteUser(context.database, context.vault, context.clock, userId, revokers);
  context.states.forget(userId);
  return receipt;
}
