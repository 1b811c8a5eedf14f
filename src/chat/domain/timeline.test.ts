/** Which logged events are in effect after rewinds, undos, resets and regenerates (pure). */
import { describe, expect, it } from 'vitest';
import { effectiveEvents, impactOf, kickoffVersion, type LoggedChatEvent, rewindCut, undoableRewind } from './timeline.js';

let position = 0;
const log: LoggedChatEvent[] = [];
function add(type: string, data: Record<string, unknown> = {}, recordedAt = 0): LoggedChatEvent {
  const event = { position: ++position, version: log.length + 1, streamId: 'chat-c1', type, data: { chat_id: 'c1', ...data }, recordedAt };
  log.push(event);
  return event;
}
const ids = (events: readonly LoggedChatEvent[]) =>
  events.map((event) => `${event.type}:${String((event.data as { turn_id?: string }).turn_id ?? '')}`);

describe('timeline', () => {
  add('chat_created');
  add('scene_opened');
  add('edge_update'); // the kickoff seed: no turn
  add('user_turn', { turn_id: 'u1' });
  add('assistant_turn_started', { turn_id: 'a1' });
  add('assistant_turn', { turn_id: 'a1' }); // v6
  add('user_turn', { turn_id: 'u2' });
  add('assistant_turn_started', { turn_id: 'a2' });
  add('edge_update', { turn_id: 'a1' }); // a1's pass lands after turn 2 began
  add('assistant_turn', { turn_id: 'a2' });
  add('memory_written', { turn_id: 'a2', memory_id: 'mem_a2' });
  add('memory_pin_changed', { memory_id: 'mem_a2' });

  it('the kickoff is the first run of kickoff kinds; the cut on a reply keeps it, on your turn goes before it', () => {
    expect(kickoffVersion(log)).toBe(3);
    expect(rewindCut(log, 'a1')).toBe(6);
    expect(rewindCut(log, 'u2')).toBe(6);
    expect(rewindCut(log, 'nope')).toBeUndefined();
  });

  it('a rewind keeps the late pass of the kept reply, drops later turns, their passes and pins on their memories', () => {
    const rewind = add('chat_rewound', { to_version: 6, to_turn_id: 'a1' }, 1_000);
    const after = effectiveEvents(log, 'c1');
    expect(ids(after)).toEqual([
      'chat_created:',
      'scene_opened:',
      'edge_update:',
      'user_turn:u1',
      'assistant_turn_started:a1',
      'assistant_turn:a1',
      'edge_update:a1',
    ]);
    expect(impactOf(effectiveEvents(log.slice(0, -1), 'c1'), after)).toEqual({
      messages: 2,
      scene_transitions: 0,
      edge_updates: 0,
      memories: 1,
      time_passes: 0,
      other: 1,
    });
    // a late pass of the rewound reply does not count; the undo window is open for 30 s after the rewind
    add('time_passed', { turn_id: 'a2' });
    expect(ids(effectiveEvents(log, 'c1'))).not.toContain('time_passed:a2');
    expect(undoableRewind(log, 20_000, 30_000)).toMatchObject({ version: rewind.version, remainingMs: 11_000, toTurnId: 'a1' });
    expect(undoableRewind(log, 31_000, 30_000)).toBeUndefined();
    add('chat_rewind_undone', { rewind_version: rewind.version });
    expect(ids(effectiveEvents(log, 'c1'))).toContain('time_passed:a2');
    expect(ids(effectiveEvents(log, 'c1'))).toContain('memory_pin_changed:');
    expect(undoableRewind(log, 20_000, 30_000)).toBeUndefined();
  });

  it('a supersede keeps the old reply, drops what it derived; a bot reset cuts back to the kickoff', () => {
    add('assistant_turn_superseded', { turn_id: 'a2', superseded_by: 'a3' });
    add('assistant_turn_started', { turn_id: 'a3' });
    const superseded = ids(effectiveEvents(log, 'c1'));
    expect(superseded).toContain('assistant_turn:a2');
    expect(superseded).not.toContain('memory_written:a2');
    expect(superseded).not.toContain('time_passed:a2');
    const reset = {
      position: ++position,
      version: 2,
      streamId: 'bot-b1',
      type: 'bot_reset',
      data: { bot_id: 'b1', chats: [{ chat_id: 'c1', keep_through_version: 3 }] },
    };
    expect(ids(effectiveEvents([...log, reset], 'c1'))).toEqual(['chat_created:', 'scene_opened:', 'edge_update:']);
    expect(ids(effectiveEvents([...log, reset], 'other'))).toEqual(superseded);
  });
});
