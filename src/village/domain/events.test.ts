import { describe, expect, it } from 'vitest';
import { contentEventTypes, contentStreamId, villageEventTypes, worldEventTypes, worldStreamId } from './events.js';

describe('village event types', () => {
  it('lists every type the village writes, on the world stream and the content stream, each once', () => {
    // Stored types are a contract (the log hash depends on them): this list changes only with an upcaster.
    expect(worldEventTypes).toEqual(['run_started', 'day_started', 'clock_advanced', 'village_event', 'render_requested']);
    expect(contentEventTypes).toEqual(['post_published', 'post_rejected', 'post_flagged', 'post_hidden', 'post_restored', 'run_control']);
    expect(villageEventTypes).toEqual([...worldEventTypes, ...contentEventTypes]);
    expect(new Set(villageEventTypes).size).toBe(villageEventTypes.length);
  });

  it('names the streams of a run by category: world for the engine, village for posts and run control', () => {
    expect(worldStreamId('koivulahti-7-abc')).toBe('world-koivulahti-7-abc');
    expect(contentStreamId('koivulahti-7-abc')).toBe('village-koivulahti-7-abc');
  });
});
