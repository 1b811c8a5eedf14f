import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../core/clock.js';
import { parseConfig } from '../../../core/config.js';
import { createMockProvider } from '../../../llm/index.js';
import { createTestGateway, type TestGateway } from '../../../llm/testing/gateway-fixture.js';
import { allMigrations } from '../../../runtime.js';
import { EventStore, runMigrations, SnapshotStore, type StoreDatabase } from '../../../store/index.js';
import { resolveTestDialects } from '../../../store/testing.js';
import { decisionLogProjection } from '../../read-model/decision-log.js';
import { TipsService } from '../index.js';
import { generateVaultKey } from './vault.js';

const dialects = await resolveTestDialects();

/** Every table of the schema, by asking the database itself (not a list kept by hand). */
function allTables(database: StoreDatabase): Promise<string[]> {
  return database.adapter.listTables(database.db);
}

/** Tables (and row counts) whose rows mention any of the needles anywhere in any column. */
async function tablesMentioning(database: StoreDatabase, needles: readonly string[]): Promise<Record<string, number>> {
  const found: Record<string, number> = {};
  for (const table of await allTables(database)) {
    const rows = await database.db.selectFrom(table).selectAll().execute();
    const hits = rows.filter((row) => {
      const text = JSON.stringify(row, (_key, value) => (typeof value === 'bigint' ? String(value) : value));
      return needles.some((needle) => text.includes(needle));
    }).length;
    if (hits > 0) found[table] = hits;
  }
  return found;
}

for (const dialect of dialects) {
  describe.skipIf(dialect.skip)(`tips export and deletion on ${dialect.name}`, () => {
    let database: StoreDatabase | undefined;
    let llm: TestGateway | undefined;
    let revokeServer: Server | undefined;
    afterEach(async () => {
      await llm?.close();
      await database?.destroy();
      await new Promise<void>((resolve) => (revokeServer ? revokeServer.close(() => resolve()) : resolve()));
      database = undefined;
      llm = undefined;
      revokeServer = undefined;
    });

    it('given two users with signals, decisions, consent, a vaulted token and LLM calls, when one is deleted, then no table holds anything of that user and the other is intact', async () => {
      database = await dialect.open();
      await runMigrations(database, allMigrations);
      const revoked: string[] = [];
      revokeServer = createServer((request, response) => {
        let body = '';
        request.on('data', (chunk) => {
          body += chunk;
        });
        request.on('end', () => {
          revoked.push(new URLSearchParams(body).get('token') ?? '');
          response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        });
      });
      await new Promise<void>((resolve) => revokeServer?.listen(0, '127.0.0.1', resolve));
      const revokeUrl = `http://127.0.0.1:${(revokeServer.address() as { port: number }).port}/api/v1/revoke`;

      const clock = new ManualClock(Date.parse('2026-11-23T08:00:00Z'));
      // The model's tip quotes the user's own task, as a real one would: its cache entry is that user's data.
      const provider = createMockProvider({
        default: (request) => {
          const prompt = request.messages.map((message) => message.content).join('\n');
          const title = /task "([^"]+)"/.exec(prompt)?.[1] ?? 'nothing';
          return { text: JSON.stringify({ tips: [{ kind: 'advice', text: `Model says: ${title} first`, rationale: '', minutes: 5 }] }) };
        },
      });
      llm = await createTestGateway({ database, clock, providers: { 'tip-generator': provider } });
      const store = new EventStore(database, { clock, inlineProjections: [decisionLogProjection] });
      const config = parseConfig({
        overrides: {
          'tips.timezone': 'Europe/Helsinki',
          'tips.quiet_hours_start': '00:00',
          'tips.quiet_hours_end': '00:00',
          'tips.token_keys': generateVaultKey('k1'),
          'tips.todoist_client_id': 'client-1',
          'tips.todoist_client_secret': 'shh',
          'tips.todoist_revoke_url': revokeUrl,
        },
      });
      const service = (userId: string) =>
        new TipsService({ config: config.tips, store, database: database as StoreDatabase, clock, llm: llm?.gateway, userId });
      const alice = service('alice-del');
      const bob = service('bob-keep');
      for (const [user, title] of [
        [alice, 'Alice private errand'],
        [bob, 'Bob kept errand'],
      ] as const) {
        await user.recordSignals([
          { kind: 'task', taskId: `${user.userId}-t1`, title, priority: 3, done: false, source: 'manual' },
          { kind: 'mood', score: 2, note: `${user.userId} mood note`, at: clock.now() },
        ]);
        await user.setConsent('calendar', false);
        const next = await user.next({ show: true });
        if (next.status !== 'tip') throw new Error('expected a tip');
        await user.react(next.decision.decisionId, 'helpful');
        await user.vault.put(user.userId, 'todoist', `${user.userId}-oauth-token`, 'data:read');
        await database.db
          .insertInto('tips_oauth_states')
          .values({ state: `${user.userId}-state`, user_id: user.userId, provider: 'todoist', created_at: clock.now() })
          .execute();
        clock.advance(60_000);
      }
      const aliceNeedles = ['alice-del', 'Alice private errand', 'alice-del mood note'];
      const before = await tablesMentioning(database, aliceNeedles);
      expect(Object.keys(before)).toEqual(
        expect.arrayContaining(['events', 'tips_decisions', 'tips_tokens', 'tips_oauth_states', 'llm_cache']),
      );
      const llmCalls = await database.db.selectFrom('llm_calls').selectAll().where('alias', '=', 'tip-generator').execute();
      expect(llmCalls.length).toBeGreaterThan(0);

      const exported = await alice.exportData();
      expect(exported.events.map((event) => event.type)).toEqual(
        expect.arrayContaining(['task_recorded', 'mood_recorded', 'consent_revoked', 'tip_decided', 'tip_reacted']),
      );
      expect(exported.decisions).toHaveLength(1);
      expect(exported.integrations.map((entry) => entry.provider)).toEqual(['todoist']);
      expect(JSON.stringify(exported)).not.toContain('alice-del-oauth-token');

      const receipt = await alice.deleteAccount();
      expect(receipt.revoked).toEqual([{ provider: 'todoist', ok: true }]);
      expect(revoked).toEqual(['alice-del-oauth-token']);
      expect(receipt.tables.events).toBeGreaterThan(0);
      expect(receipt.tables.tips_decisions).toBe(1);
      expect(receipt.tables.tips_tokens).toBe(1);

      const tables = await allTables(database);
      expect(tables).toEqual(
        expect.arrayContaining(['events', 'tips_decisions', 'tips_tokens', 'llm_calls', 'llm_cache', 'chat_messages', 'village_posts']),
      );
      expect(await tablesMentioning(database, aliceNeedles)).toEqual({});
      expect(await database.db.selectFrom('llm_calls').selectAll().where('alias', 'in', ['tip-generator', 'embedder']).execute()).toEqual(
        [],
      );

      const bobLeft = await tablesMentioning(database, ['bob-keep', 'Bob kept errand']);
      expect(Object.keys(bobLeft)).toEqual(expect.arrayContaining(['events', 'tips_decisions', 'tips_tokens', 'tips_oauth_states']));
      expect(await bob.vault.get('bob-keep', 'todoist')).toBe('bob-keep-oauth-token');
      expect((await alice.load()).decisionOrder).toEqual([]);
    });

    it("given snapshot rows of two users, when one user is deleted, then that user's snapshots are gone and the other's stay", async () => {
      database = await dialect.open();
      await runMigrations(database, allMigrations);
      const clock = new ManualClock(Date.parse('2026-11-23T08:00:00Z'));
      const store = new EventStore(database, { clock, inlineProjections: [decisionLogProjection] });
      const snapshots = new SnapshotStore(database, { clock });
      const config = parseConfig({ overrides: { 'tips.timezone': 'Europe/Helsinki' } });
      const service = (userId: string) =>
        new TipsService({ config: config.tips, store, database: database as StoreDatabase, clock, userId });
      for (const userId of ['carol-del', 'dave-keep']) {
        await service(userId).recordSignals([
          { kind: 'task', taskId: `${userId}-t1`, title: `${userId} snapshot errand`, priority: 2, done: false, source: 'manual' },
        ]);
        // Two snapshots of the stream, as a snapshot policy keeping more than one would leave.
        await snapshots.save(`user-${userId}`, 1, { tasks: [`${userId} snapshot errand`] });
        await snapshots.save(`user-${userId}`, 2, { tasks: [`${userId} snapshot errand`] });
      }
      expect(Object.keys(await tablesMentioning(database, ['carol-del snapshot errand']))).toEqual(
        expect.arrayContaining(['snapshots', 'events']),
      );

      const receipt = await service('carol-del').deleteAccount();

      expect(receipt.tables.snapshots).toBe(2);
      expect(await tablesMentioning(database, ['carol-del'])).toEqual({});
      expect(await snapshots.loadLatest('user-carol-del')).toBeUndefined();
      expect((await snapshots.loadLatest<{ tasks: string[] }>('user-dave-keep'))?.state.tasks).toEqual(['dave-keep snapshot errand']);
    });
  });
}
