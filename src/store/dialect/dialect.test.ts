import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type StoreDatabase } from '../database.js';
import { resolveTestDialects } from '../testing.js';
import { FullTextError, type FullTextIndex, searchableTerms, UnsupportedDialectError } from './adapter.js';
import { sqliteAdapter } from './sqlite.js';

const notes: FullTextIndex = { table: 'notes', key: 'note_id', column: 'body', stored: ['owner_id'] };

describe('dialect adapter helpers', () => {
  it('keeps only plain words as search terms', () => {
    expect(searchableTerms(['sauna', 'sauna', 'a"b', 'x | y', '', '"', 'järvi'])).toEqual(['sauna', 'järvi']);
  });

  it('refuses a database URL of another kind with a specific error', async () => {
    await expect(openDatabase({ url: 'mysql://user:secret@localhost/db' })).rejects.toBeInstanceOf(UnsupportedDialectError);
    await expect(openDatabase({ url: 'mysql://user:secret@localhost/db' })).rejects.toThrow(/unsupported database 'mysql'/);
  });

  it('refuses full-text names that are not plain identifiers, with a specific error', () => {
    expect(() => sqliteAdapter.fullTextSearch({ ...notes, table: 'notes; drop table x' }, 'n', ['a'])).toThrow(FullTextError);
  });
});

const dialects = await resolveTestDialects();

for (const dialect of dialects) {
  describe.skipIf(dialect.skip)(`dialect adapter on ${dialect.name}`, () => {
    let database: StoreDatabase;

    beforeEach(async () => {
      database = await dialect.open();
      const { adapter, db } = database;
      await adapter
        .addAutoIncrementKey(db.schema.createTable('notes'), 'id')
        .addColumn('note_id', 'text', (column) => column.notNull().unique())
        .addColumn('owner_id', 'text', (column) => column.notNull())
        .addColumn('body', 'text', (column) => column.notNull())
        .addColumn('extra', adapter.jsonType, (column) => column.notNull())
        .execute();
      await adapter.createFullTextIndex(db, notes);
    });

    afterEach(async () => {
      await database.destroy();
    });

    const insert = async (noteId: string, ownerId: string, body: string) => {
      await database.db
        .insertInto('notes')
        .values({ note_id: noteId, owner_id: ownerId, body, extra: JSON.stringify({ noteId, tags: ['a'] }) })
        .execute();
      await database.adapter.fullTextAdd(database.db, notes, [noteId]);
    };

    const search = async (terms: string[]) => {
      const found = database.adapter.fullTextSearch(notes, 'n', terms);
      const result = await sql<{ note_id: string; rank: number }>`
        select n.note_id, ${found.rank} as rank from notes n ${found.join} where ${found.matches} order by rank desc, n.note_id`.execute(
        database.db,
      );
      return result.rows.map((row) => ({ id: row.note_id, relevance: found.relevance(Number(row.rank)) }));
    };

    it('numbers rows with the auto-increment key and reads JSON columns back as values', async () => {
      await insert('n1', 'o1', 'first');
      await insert('n2', 'o1', 'second');
      const rows = await database.db.selectFrom('notes').select(['id', 'extra']).orderBy('id').execute();
      expect(rows.map((row) => Number(row.id))).toEqual([1, 2]);
      expect(database.adapter.readJson(rows[0]?.extra)).toEqual({ noteId: 'n1', tags: ['a'] });
    });

    it('ranks full-text matches best first, follows updates and removals, and matches nothing for no usable term', async () => {
      await insert('n1', 'o1', 'sauna by the lake, the sauna is warm');
      await insert('n2', 'o1', 'the lake is frozen');
      await insert('n3', 'o2', 'nothing to see');
      const sauna = await search(['sauna', 'lake']);
      expect(sauna.map((hit) => hit.id)).toEqual(['n1', 'n2']);
      expect(sauna[0]?.relevance).toBeGreaterThan(sauna[1]?.relevance ?? 1);
      for (const hit of sauna) expect(hit.relevance).toBeGreaterThan(0);
      expect(await search(['"|&!'])).toEqual([]);

      await database.db.updateTable('notes').set({ body: 'a quiet evening' }).where('note_id', '=', 'n2').execute();
      await database.adapter.fullTextRemove(database.db, notes, ['n2']);
      await database.adapter.fullTextAdd(database.db, notes, ['n2']);
      expect((await search(['lake'])).map((hit) => hit.id)).toEqual(['n1']);
      expect((await search(['evening'])).map((hit) => hit.id)).toEqual(['n2']);

      await database.adapter.fullTextRemove(database.db, notes, sql`select note_id from notes where owner_id = ${'o1'}`);
      await database.db.deleteFrom('notes').where('owner_id', '=', 'o1').execute();
      expect(await search(['sauna', 'evening'])).toEqual([]);
    });

    it('dumps the index rows where the index has rows of its own', async () => {
      await insert('n1', 'o1', 'sauna');
      const rows = await database.adapter.fullTextRows(database.db, notes, ['n1']);
      if (database.adapter.name === 'sqlite') expect(rows).toEqual([{ note_id: 'n1', owner_id: 'o1', body: 'sauna' }]);
      else expect(rows).toBeUndefined();
    });

    it('lists the tables of this database and tells whether one exists', async () => {
      const tables = await database.adapter.listTables(database.db);
      expect(tables).toContain('notes');
      expect(tables).toEqual([...tables].sort());
      expect(await database.adapter.tableExists(database.db, 'notes')).toBe(true);
      expect(await database.adapter.tableExists(database.db, 'no_such_table')).toBe(false);
    });

    it('classifies a unique violation', async () => {
      await insert('n1', 'o1', 'one');
      const failure = await database.db
        .insertInto('notes')
        .values({ note_id: 'n1', owner_id: 'o1', body: 'again', extra: '{}' })
        .execute()
        .catch((error: unknown) => error);
      expect(database.adapter.isUniqueViolation(failure)).toBe(true);
      expect(database.adapter.isUniqueViolation(new Error('other'))).toBe(false);
    });

    it('runs the lock, notify and consistent-read hooks inside transactions, and listens where the dialect can', async () => {
      await insert('n1', 'o1', 'one');
      const count = await database.adapter.consistentReadTransaction(database.db).execute(async (transaction) => {
        await database.adapter.lockAppends(transaction, 42);
        await database.adapter.notify(transaction, 'dialect_test', 'hello');
        const locked = database.adapter.lockSkippingLocked(transaction.selectFrom('notes').select('note_id'));
        return (await locked.execute()).length;
      });
      expect(count).toBe(1);
      let heard = 0;
      const listener = await database.adapter.listen(
        'dialect_test',
        () => heard++,
        () => undefined,
      );
      if (database.adapter.name === 'sqlite') expect(listener).toBeUndefined();
      else {
        expect(listener).toBeDefined();
        await database.db.transaction().execute((transaction) => database.adapter.notify(transaction, 'dialect_test', 'again'));
        for (let wait = 0; heard === 0 && wait < 100; wait++) await new Promise((resolve) => setTimeout(resolve, 20));
        expect(heard).toBeGreaterThan(0);
        await listener?.close();
      }
    });
  });
}
