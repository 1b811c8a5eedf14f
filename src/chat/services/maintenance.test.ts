/**
 * Read-model snapshots (issue 7 item 6, seeds/002 T31), on SQLite and PostgreSQL: a cold start from the newest
 * snapshot plus the tail equals a full replay and the live read models (every table dumped), with rewinds, an undo,
 * a regenerate and drawer edits in the tail; a snapshot is due after `snapshot_every_events` chat events.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Transaction } from '../../store/event-store.js';
import { resolveTestDialects } from '../../store/testing.js';
import { heuristicKickoff } from '../domain/kickoff.js';
import { authorBarista, type ChatHarness, startChatHarness } from '../http/testing/harness.js';
import { dumpReadModels, readModelSnapshotStream } from '../read-model/rebuild.js';

const dialects = await resolveTestDialects();

for (const dialect of dialects)
  describe.skipIf(dialect.skip)(`chat read-model snapshots (${dialect.name})`, () => {
    let harness: ChatHarness;
    let chatId: string;

    beforeAll(async () => {
      harness = await startChatHarness('[chat]\nsnapshot_every_events = 5\nsnapshots_keep = 2\n', () => dialect.open());
      const app = harness.chat;
      await app.authoring.authorYou({ name: 'Sam', pronouns: '', persona: '' });
      const botId = await authorBarista(app);
      chatId = await app.authoring.confirmKickoff(botId, heuristicKickoff('At the cafe.', 'regular', '2026-01-01T18:00:00.000Z'));
      harness.startWorker();
    });

    afterAll(async () => {
      await harness?.close();
    });

    async function turn(text: string): Promise<string> {
      const { replyId } = await harness.chat.turns.submitTurn(chatId, text);
      await harness.chat.generations.settled(chatId);
      await passes(replyId);
      return replyId;
    }

    async function passes(replyId: string): Promise<void> {
      const deadline = Date.now() + 10_000;
      while (!(await harness.chat.read.memory(`mem_${replyId}`))) {
        if (Date.now() > deadline) throw new Error(`no passes for ${replyId}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    }

    const dump = () => dumpReadModels(harness.services.database.db as Transaction);

    it('a cold start from the newest snapshot plus the tail equals a full replay and the live read models', async () => {
      const app = harness.chat;
      expect(await app.maintenance.maybeSnapshot()).toBe(true);
      const replies = [await turn('"One."'), await turn('"Two."'), await turn('"Three."')];
      const position = await app.maintenance.snapshotReadModels();
      expect(await app.maintenance.maybeSnapshot()).toBe(false);
      replies.push(await turn('"Four."'));
      await app.timeline.rewind(chatId, replies[1] as string);
      await app.timeline.undoRewind(chatId);
      const { replyId } = await app.timeline.regenerate(chatId, replies[3], '"Four, edited."');
      await app.generations.settled(chatId);
      await passes(replyId);
      const chat = await app.read.requireChat(chatId);
      await app.drawer.manualEdit(chatId, { kind: 'edge', source_id: chat.bot_id, target_id: 'you', field: 'trust' }, '12');
      await app.timeline.rewind(chatId, replies[0] as string);
      const live = await dump();
      expect(live.chat_messages).toHaveLength(2);

      expect(await app.maintenance.rebuildReadModels({ fromSnapshot: true })).toMatchObject({ from: position });
      expect(await dump()).toEqual(live);
      expect(await app.maintenance.rebuildReadModels({ fromSnapshot: false })).toMatchObject({ from: 0 });
      expect(await dump()).toEqual(live);
      // full-text search works after a rebuild
      expect((await app.read.searchMemories(chat.bot_id, 'host', ['One'])).length).toBe(1);
    });

    it('is due after snapshot_every_events chat events and keeps snapshots_keep', async () => {
      const app = harness.chat;
      await app.maintenance.snapshotReadModels();
      expect(await app.maintenance.maybeSnapshot()).toBe(false);
      await turn('"Five."');
      expect(await app.maintenance.maybeSnapshot()).toBe(true);
      const latest = await harness.services.snapshots.loadLatest(readModelSnapshotStream);
      expect(latest?.version).toBe(await app.generations.headPosition());
      expect(await harness.services.snapshots.prune(readModelSnapshotStream, 2)).toBe(0);
    });
  });
