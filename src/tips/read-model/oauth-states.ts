/** Pending OAuth authorizations (`tips_oauth_states`): a one-time state bound to a user and provider, short-lived. */
import type { Kysely } from 'kysely';

interface OAuthStateRow {
  state: string;
  user_id: string;
  provider: string;
  created_at: number;
}

type Tables = { tips_oauth_states: OAuthStateRow };

export async function saveOAuthState(db: Kysely<unknown>, row: { state: string; userId: string; provider: string; createdAt: number }) {
  await (db as Kysely<Tables>)
    .insertInto('tips_oauth_states')
    .values({ state: row.state, user_id: row.userId, provider: row.provider, created_at: row.createdAt })
    .execute();
}

/** Takes the state (it is deleted whatever the outcome); returns when it was made, if it belongs to the user and provider. */
export async function takeOAuthState(
  db: Kysely<unknown>,
  query: { state: string; userId: string; provider: string },
): Promise<{ createdAt: number } | undefined> {
  const tables = db as Kysely<Tables>;
  const row = await tables
    .selectFrom('tips_oauth_states')
    .selectAll()
    .where('state', '=', query.state)
    .where('user_id', '=', query.userId)
    .where('provider', '=', query.provider)
    .executeTakeFirst();
  await tables.deleteFrom('tips_oauth_states').where('state', '=', query.state).execute();
  return row ? { createdAt: Number(row.created_at) } : undefined;
}
