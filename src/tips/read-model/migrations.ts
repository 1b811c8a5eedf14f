/**
 * The tips product's tables (range 0500-0599): the decision log, provider tokens and pending OAuth states. Forward
 * only; a migration's name is recorded in every database, so it is never renamed.
 */
import type { StoreMigration } from '../../store/index.js';

export const tipsMigrations: readonly StoreMigration[] = [
  {
    name: '0500-tips-decisions',
    async up(db, adapter) {
      await db.schema
        .createTable('tips_decisions')
        .addColumn('decision_id', 'text', (column) => column.primaryKey())
        .addColumn('user_id', 'text', (column) => column.notNull())
        .addColumn('decided_at', 'bigint', (column) => column.notNull())
        .addColumn('policy_version', 'text', (column) => column.notNull())
        .addColumn('chosen_key', 'text', (column) => column.notNull())
        .addColumn('chosen_text', 'text', (column) => column.notNull())
        .addColumn('propensity', 'double precision', (column) => column.notNull())
        .addColumn('shown_at', 'bigint')
        .addColumn('reaction', 'text')
        .addColumn('reward', 'double precision')
        .addColumn('reacted_at', 'bigint')
        .addColumn('record', adapter.jsonType, (column) => column.notNull())
        .execute();
      await db.schema.createIndex('tips_decisions_user').on('tips_decisions').columns(['user_id', 'decided_at']).execute();
    },
  },
  {
    name: '0501-tips-tokens',
    async up(db) {
      // Provider tokens, AES-256-GCM encrypted (privacy/vault.ts); one per user and provider.
      await db.schema
        .createTable('tips_tokens')
        .addColumn('user_id', 'text', (column) => column.notNull())
        .addColumn('provider', 'text', (column) => column.notNull())
        .addColumn('ciphertext', 'text', (column) => column.notNull())
        .addColumn('key_id', 'text', (column) => column.notNull())
        .addColumn('scope', 'text', (column) => column.notNull())
        .addColumn('created_at', 'bigint', (column) => column.notNull())
        .addColumn('updated_at', 'bigint', (column) => column.notNull())
        .addPrimaryKeyConstraint('tips_tokens_pk', ['user_id', 'provider'])
        .execute();
      // Pending OAuth authorizations: the state parameter, bound to the user, short-lived.
      await db.schema
        .createTable('tips_oauth_states')
        .addColumn('state', 'text', (column) => column.primaryKey())
        .addColumn('user_id', 'text', (column) => column.notNull())
        .addColumn('provider', 'text', (column) => column.notNull())
        .addColumn('created_at', 'bigint', (column) => column.notNull())
        .execute();
    },
  },
];
