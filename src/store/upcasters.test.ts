import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ValidationError } from '../core/errors.js';
import type { StoreDatabase } from './database.js';
import { EventStore } from './event-store.js';
import { runMigrations } from './migrations.js';
import { storeMigrations } from './store-migrations.js';
import { resolveTestDialects } from './testing.js';
import { type EventUpcaster, UpcasterRegistry } from './upcasters.js';

const camelCase = (data: unknown) =>
  Object.fromEntries(
    Object.entries(data as Record<string, unknown>).map(([key, value]) => [
      key.replace(/_(\w)/g, (_, c: string) => c.toUpperCase()),
      value,
    ]),
  );

/** A rename with a declared target, a rename without one, and a data-only reshape. */
const upcasters: EventUpcaster[] = [
  { fromType: 'tips.tip_decided', toType: 'tip_decided', upcast: (event) => ({ type: 'tip_decided', data: event.data }) },
  { fromType: 'tips.tip_shown', upcast: (event) => ({ type: 'tip_shown', data: event.data }) },
  { fromType: 'user_turn', toType: 'user_turn', upcast: (event) => ({ type: 'user_turn', data: camelCase(event.data) }) },
];

describe('UpcasterRegistry', () => {
  it('chains upcasters, applying each at most once', () => {
    const registry = new UpcasterRegistry([
      { fromType: 'a', toType: 'b', upcast: (event) => ({ type: 'b', data: { ...(event.data as object), a: true } }) },
      { fromType: 'b', toType: 'b', upcast: (event) => ({ type: 'b', data: { ...(event.data as object), b: true } }) },
    ]);
    expect(registry.upcast({ type: 'a', data: {} })).toEqual({ type: 'b', data: { a: true, b: true } });
    expect(registry.upcast({ type: 'c', data: 1 })).toEqual({ type: 'c', data: 1 });
  });

  it('refuses two upcasters for one stored type, and an upcaster that breaks its declared target', () => {
    expect(() => new UpcasterRegistry([...upcasters, upcasters[0] as EventUpcaster])).toThrow(
      /two event upcasters read the stored type 'tips.tip_decided'/,
    );
    const liar = new UpcasterRegistry([{ fromType: 'x', toType: 'y', upcast: () => ({ type: 'z', data: null }) }]);
    expect(() => liar.upcast({ type: 'x', data: null })).toThrow(ValidationError);
  });

  it('maps a filter on new names to the stored names', () => {
    const registry = new UpcasterRegistry(upcasters);
    expect(registry.storedTypesFor(['tip_decided'])).toEqual({
      storedTypes: ['tip_decided', 'tips.tip_decided', 'tips.tip_shown'],
      filterAfterUpcast: true,
    });
    expect(new UpcasterRegistry([upcasters[0] as EventUpcaster]).storedTypesFor(['tip_decided'])).toEqual({
      storedTypes: ['tip_decided', 'tips.tip_decided'],
      filterAfterUpcast: false,
    });
  });
});

const dialects = await resolveTestDialects();

for (const dialect of dialects) {
  describe.skipIf(dialect.skip)(`upcasting reads on ${dialect.name}`, () => {
    let database: StoreDatabase;
    let writer: EventStore;
    let reader: EventStore;

    beforeEach(async () => {
      database = await dialect.open();
      await runMigrations(database, storeMigrations);
      writer = new EventStore(database);
      reader = new EventStore(database, { upcasters: upcasters.slice(0, 2) });
      reader.registerUpcasters(upcasters.slice(2));
      // Rows as an older version wrote them, then rows in today's shape.
      await writer.append('tips-u1', 'no-stream', [
        { type: 'tips.tip_decided', data: { decisionId: 'd1' } },
        { type: 'tips.tip_shown', data: { decisionId: 'd1' } },
      ]);
      await writer.append('chat-1', 'no-stream', [{ type: 'user_turn', data: { turn_id: 't1', chat_id: 'c1' } }]);
      await writer.append('tips-u1', 2, [
        { type: 'tip_decided', data: { decisionId: 'd2' } },
        { type: 'tip_shown', data: { decisionId: 'd2' } },
      ]);
      await writer.append('chat-1', 1, [{ type: 'user_turn', data: { turnId: 't2', chatId: 'c1' } }]);
    });

    afterEach(async () => {
      await writer.close();
      await reader.close();
      await database.destroy();
    });

    it('reads old rows as new on readStream, keeping positions, versions and metadata', async () => {
      const raw = await writer.readStream('tips-u1');
      const events = await reader.readStream('tips-u1');
      expect(events.map((event) => event.type)).toEqual(['tip_decided', 'tip_shown', 'tip_decided', 'tip_shown']);
      expect(events.map(({ position, version }) => [position, version])).toEqual(raw.map(({ position, version }) => [position, version]));
      expect((await reader.readStream('chat-1')).map((event) => event.data)).toEqual([
        { turnId: 't1', chatId: 'c1' },
        { turnId: 't2', chatId: 'c1' },
      ]);
    });

    it('matches a type filter on readAll against old and new stored names, filling the limit', async () => {
      const decided = await reader.readAll({ filter: { types: ['tip_decided'] } });
      expect(decided.map((event) => event.data)).toEqual([{ decisionId: 'd1' }, { decisionId: 'd2' }]);
      const shown = await reader.readAll({ filter: { types: ['tip_shown'] }, limit: 1 });
      expect(shown.map((event) => [event.type, event.data])).toEqual([['tip_shown', { decisionId: 'd1' }]]);
      const later = await reader.readAll({ filter: { types: ['tip_shown'] }, after: shown[0]?.position ?? 0, limit: 1 });
      expect(later.map((event) => event.data)).toEqual([{ decisionId: 'd2' }]);
      const turns = await reader.readAll({ filter: { types: ['user_turn'], categories: ['chat'] } });
      expect(turns.map((event) => (event.data as { turnId: string }).turnId)).toEqual(['t1', 't2']);
    });

    it('upcasts what subscribe yields, with a type filter on the new name', async () => {
      const controller = new AbortController();
      const seen: unknown[] = [];
      for await (const event of reader.subscribe({ filter: { types: ['tip_shown'] }, signal: controller.signal, batchSize: 1 })) {
        seen.push([event.type, event.data]);
        if (seen.length === 2) controller.abort();
      }
      expect(seen).toEqual([
        ['tip_shown', { decisionId: 'd1' }],
        ['tip_shown', { decisionId: 'd2' }],
      ]);
    });
  });
}
