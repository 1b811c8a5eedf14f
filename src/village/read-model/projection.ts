/**
 * The village's inline projection: runs inside the append's transaction, so a post row exists exactly when its
 * `post_published` event does. The unique key of `village_posts` makes a second publication of the same
 * (run, source event, channel, author) fail the whole append — nothing is written twice.
 */
import type { InlineProjection, RecordedEvent, Transaction } from '../../store/index.js';
import type { ClockAdvanced, DayStarted, Happening, ModerationAction, PostRejected, RunStarted } from '../domain/events.js';
import { parseInstant } from '../domain/sim-time.js';

/** The events the read model folds (the engine's `render_requested` and `run_control` change no table). */
const handledTypes = [
  'run_started',
  'day_started',
  'clock_advanced',
  'village_event',
  'post_published',
  'post_rejected',
  'post_flagged',
  'post_hidden',
  'post_restored',
] as const;

function runIdOf(streamId: string): string {
  return streamId.slice(streamId.indexOf('-') + 1);
}

export const villageProjection: InlineProjection = {
  name: 'village-read-model',
  handles: handledTypes,
  async apply(transaction: Transaction, events: readonly RecordedEvent[]) {
    for (const event of events) {
      if (event.streamId.startsWith('world-')) await applyWorld(transaction, event);
      else if (event.streamId.startsWith('village-')) await applyContent(transaction, event);
    }
  },
};

async function applyWorld(transaction: Transaction, event: RecordedEvent): Promise<void> {
  const runId = runIdOf(event.streamId);
  switch (event.type) {
    case 'run_started': {
      const data = event.data as RunStarted;
      await transaction
        .insertInto('village_runs')
        .values({
          run_id: runId,
          world: data.world,
          seed: data.seed,
          language: data.language,
          sim_time: null,
          tick: -1,
          day: 0,
          weather: null,
          version: event.version,
          started_at: event.recordedAt,
        })
        .onConflict((conflict) => conflict.column('run_id').doNothing())
        .execute();
      return;
    }
    case 'day_started': {
      const data = event.data as DayStarted;
      await transaction
        .updateTable('village_runs')
        .set({ day: data.day, weather: data.weather, version: event.version })
        .where('run_id', '=', runId)
        .execute();
      return;
    }
    case 'clock_advanced': {
      const data = event.data as ClockAdvanced;
      await transaction
        .updateTable('village_runs')
        .set({ tick: data.tick, sim_time: data.simTime, version: event.version })
        .where('run_id', '=', runId)
        .execute();
      return;
    }
    case 'village_event': {
      const data = event.data as Happening;
      await transaction
        .insertInto('village_events')
        .values({
          position: event.position,
          run_id: runId,
          event_id: data.id,
          type: data.type,
          category: data.category,
          sim_time: data.simTime,
          sim_ms: parseInstant(data.simTime),
          place: data.place,
          actors: JSON.stringify(data.actors),
          targets: JSON.stringify(data.targets),
          impact: data.impact.score,
          data: JSON.stringify(data),
        })
        .onConflict((conflict) => conflict.columns(['run_id', 'event_id']).doNothing())
        .execute();
      return;
    }
  }
}

async function applyContent(transaction: Transaction, event: RecordedEvent): Promise<void> {
  switch (event.type) {
    case 'post_published':
    case 'post_rejected': {
      const data = event.data as PostRejected;
      const rejected = event.type === 'post_rejected';
      await transaction
        .insertInto('village_posts')
        .values({
          run_id: data.runId,
          channel: data.channel,
          author_id: data.authorId,
          source_event_id: data.sourceEventId,
          tone: data.tone,
          text: data.text,
          tags: JSON.stringify(data.tags),
          safety_notes: data.safetyNotes,
          model: data.model,
          fell_back: data.fellBack ? 1 : 0,
          sim_time: data.simTime,
          sim_ms: parseInstant(data.simTime),
          place: data.place,
          status: rejected ? 'rejected' : 'visible',
          flags: 0,
          moderation_note: rejected ? data.reasons.join('; ') : null,
          position: event.position,
          created_at: event.recordedAt,
        })
        .execute();
      return;
    }
    case 'post_flagged': {
      const data = event.data as ModerationAction;
      const row = await transaction.selectFrom('village_posts').select('flags').where('id', '=', data.postId).executeTakeFirst();
      await transaction
        .updateTable('village_posts')
        .set({ flags: Number(row?.flags ?? 0) + 1, moderation_note: data.reason })
        .where('id', '=', data.postId)
        .execute();
      return;
    }
    case 'post_hidden': {
      const data = event.data as ModerationAction;
      await transaction
        .updateTable('village_posts')
        .set({ status: 'hidden', moderation_note: data.reason })
        .where('id', '=', data.postId)
        .execute();
      return;
    }
    case 'post_restored': {
      const data = event.data as ModerationAction;
      await transaction
        .updateTable('village_posts')
        .set({ status: 'visible', flags: 0, moderation_note: data.reason })
        .where('id', '=', data.postId)
        .execute();
      return;
    }
  }
}
