import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MigrationError } from '../core/errors.js';
import type { StoreDatabase } from './database.js';
import { isOtherSchemaDropped, runMigrations, type StoreMigration } from './migrations.js';
import { resolveTestDialects } from './testing.js';

const dialects = await resolveTestDialects();

const createNotes: StoreMigration = {
  name: '0901-test-notes',
  up: (db) =>
    db.schema
      .createTable('notes')
      .addColumn('id', 'integer', (column) => column.primaryKey())
      .execute(),
};
const addTitle: StoreMigration = {
  name: '0902-test-notes-title',
  up: (db) => db.schema.alterTable('notes').addColumn('title', 'text').execute(),
};
const broken: StoreMigration = {
  name: '0903-test-broken',
  up: async (db) => {
    await sql`select * from table_that_does_not_exist`.execute(db);
  },
};

for (const dialect of dialects) {
  describe.skipIf(dialect.skip)(`migrations on ${dialect.name}`, () => {
    let database: StoreDatabase;
    beforeEach(async () => {
      database = await dialect.open();
    });
    afterEach(async () => {
      await database.destroy();
    });

    it('applies pending migrations once, in order, and records them', async () => {
      expect((await runMigrations(database, [createNotes])).applied).toEqual(['0901-test-notes']);
      expect((await runMigrations(database, [createNotes, addTitle])).applied).toEqual(['0902-test-notes-title']);
      expect((await runMigrations(database, [createNotes, addTitle])).applied).toEqual([]);
      await database.db.insertInto('notes').values({ id: 1, title: 'moi' }).execute();
    });

    it('stops at a failing migration and names it', async () => {
      const attempt = runMigrations(database, [createNotes, broken, addTitle]);
      await expect(attempt).rejects.toBeInstanceOf(MigrationError);
      await expect(attempt).rejects.toMatchObject({ migration: '0903-test-broken', code: 'migration_failed' });
      await expect(attempt).rejects.toThrow(/migration 0903-test-broken failed: .*table_that_does_not_exist/);
    });

    it('rejects two migrations with the same name', async () => {
      await expect(runMigrations(database, [createNotes, { ...addTitle, name: createNotes.name }])).rejects.toThrow(/duplicate/);
    });
  });
}

describe('a schema dropped by someone else while migrating', () => {
  it('is recognised by its code and a name that is not ours, so the migration is tried again', () => {
    const dropped = Object.assign(new Error('schema "t_other" does not exist'), { code: '3F000' });
    expect(isOtherSchemaDropped(dropped, 't_ours')).toBe(true);
    expect(isOtherSchemaDropped(dropped, 't_other')).toBe(false);
    expect(isOtherSchemaDropped(new Error('schema "t_other" does not exist'), 't_ours')).toBe(false);
    expect(isOtherSchemaDropped(undefined, 't_ours')).toBe(false);
  });
});
