/**
 * Export and deletion of everything the tips product holds about one user.
 *
 * Export: the user's event stream as the store reads it (every signal, decision, reaction, consent and promotion, under
 * today's event names), the decision-log rows, and which integrations hold a token (never the token). Deletion:
 * revokes every stored provider token at the
 * provider, then removes every row of the user from every table that can hold them, in one transaction:
 * `tips_tokens`, `tips_oauth_states`, `tips_decisions`, `snapshots` and `events` of the stream `user-<id>`, and the
 * LLM gateway's rows of the tips aliases (`llm_cache`, `llm_calls`, `llm_failures` for `tip-generator` and `embedder`:
 * those tables carry no user column, and only tips uses those aliases, so all of their rows go — in multi-user mode that
 * also drops other users' cache entries and call-log rows for those aliases, which costs replays and metrics, never data).
 * Returns a receipt with the counts per table; the receipt itself is not stored (it would be a row of the user).
 */
import type { Kysely } from 'kysely';
import type { Clock } from '../../../core/clock.js';
import { type EventStore, readJson, type StoreDatabase } from '../../../store/index.js';
import type { TokenVault } from './vault.js';

/** The LLM aliases only the tips product uses. */
export const tipsLlmAliases = ['tip-generator', 'embedder'] as const;

export interface UserExport {
  format: 'koivulahti-tips-export/1';
  userId: string;
  exportedAt: number;
  events: Array<{ version: number; type: string; data: unknown; recordedAt: number }>;
  decisions: unknown[];
  integrations: Array<{ provider: string; keyId: string; scope: string; createdAt: number; updatedAt: number }>;
}

export interface DeletionReceipt {
  userId: string;
  deletedAt: number;
  /** Providers whose token was revoked (or the error, without the token). */
  revoked: Array<{ provider: string; ok: boolean; error?: string }>;
  /** Rows removed per table. */
  tables: Record<string, number>;
}

export type TokenRevoker = (token: string) => Promise<void>;

// biome-ignore lint/suspicious/noExplicitAny: the tables of several modules, addressed by name
type AnyDb = Kysely<any>;

function tableExists(database: StoreDatabase, name: string): Promise<boolean> {
  return database.adapter.tableExists(database.db, name);
}

export async function exportUser(
  database: StoreDatabase,
  store: EventStore,
  vault: TokenVault,
  clock: Clock,
  userId: string,
): Promise<UserExport> {
  const db = database.db as AnyDb;
  // Through the store, so events stored under older names read (and export) as today's.
  const events = await store.readStream(`user-${userId}`);
  const decisions = (await tableExists(database, 'tips_decisions'))
    ? await db.selectFrom('tips_decisions').selectAll().where('user_id', '=', userId).orderBy('decided_at').execute()
    : [];
  return {
    format: 'koivulahti-tips-export/1',
    userId,
    exportedAt: clock.now(),
    events: events.map((event) => ({ version: event.version, type: event.type, data: event.data, recordedAt: event.recordedAt })),
    decisions: decisions.map((row) => ({ ...row, record: readJson(row.record, database.dialect) })),
    integrations: await vault.list(userId),
  };
}

export async function deleteUser(
  database: StoreDatabase,
  vault: TokenVault,
  clock: Clock,
  userId: string,
  revokers: Readonly<Record<string, TokenRevoker>>,
): Promise<DeletionReceipt> {
  const revoked: DeletionReceipt['revoked'] = [];
  for (const { provider } of await vault.list(userId)) {
    const revoke = revokers[provider];
    try {
      const token = await vault.get(userId, provider);
      if (token !== undefined && revoke) await revoke(token);
      revoked.push(revoke ? { provider, ok: true } : { provider, ok: false, error: 'no revocation endpoint configured' });
    } catch (error) {
      revoked.push({ provider, ok: false, error: (error as Error).message.slice(0, 200) });
    }
  }
  const streamId = `user-${userId}`;
  const plan: Array<{ table: string; where: (db: AnyDb) => Promise<{ numDeletedRows: bigint }> }> = [
    { table: 'tips_tokens', where: (db) => db.deleteFrom('tips_tokens').where('user_id', '=', userId).executeTakeFirst() },
    { table: 'tips_oauth_states', where: (db) => db.deleteFrom('tips_oauth_states').where('user_id', '=', userId).executeTakeFirst() },
    { table: 'tips_decisions', where: (db) => db.deleteFrom('tips_decisions').where('user_id', '=', userId).executeTakeFirst() },
    { table: 'snapshots', where: (db) => db.deleteFrom('snapshots').where('stream_id', '=', streamId).executeTakeFirst() },
    { table: 'events', where: (db) => db.deleteFrom('events').where('stream_id', '=', streamId).executeTakeFirst() },
    {
      table: 'llm_cache',
      where: (db) =>
        db
          .deleteFrom('llm_cache')
          .where('alias', 'in', [...tipsLlmAliases])
          .executeTakeFirst(),
    },
    {
      table: 'llm_calls',
      where: (db) =>
        db
          .deleteFrom('llm_calls')
          .where('alias', 'in', [...tipsLlmAliases])
          .executeTakeFirst(),
    },
    {
      table: 'llm_failures',
      where: (db) =>
        db
          .deleteFrom('llm_failures')
          .where('alias', 'in', [...tipsLlmAliases])
          .executeTakeFirst(),
    },
  ];
  const present = new Map<string, boolean>();
  for (const step of plan) present.set(step.table, await tableExists(database, step.table));
  const tables: Record<string, number> = {};
  await (database.db as AnyDb).transaction().execute(async (transaction) => {
    for (const step of plan) {
      if (!present.get(step.table)) continue;
      tables[step.table] = Number((await step.where(transaction)).numDeletedRows);
    }
  });
  return { userId, deletedAt: clock.now(), revoked, tables };
}
