import { describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../../store/event-store.js';
import { commentFrame, durableFrame, liveFrame, retryFrame } from './frames.js';

const recorded: RecordedEvent = {
  position: 12,
  streamId: 'chat-42',
  version: 3,
  type: 'user_turn',
  data: { text: 'Hei!\nMitä kuuluu?' },
  metadata: { secret: 'not for the browser' },
  recordedAt: 1_700_000_000_000,
};

describe('SSE frames', () => {
  it('frames a durable event with its position as id and without metadata', () => {
    const frame = durableFrame(recorded);
    expect(frame).toBe(
      'id: 12\nevent: user_turn\ndata: {"position":12,"streamId":"chat-42","version":3,"type":"user_turn","data":{"text":"Hei!\\nMitä kuuluu?"}}\n\n',
    );
  });

  it('removes line breaks from event names so they cannot forge fields', () => {
    expect(durableFrame({ ...recorded, type: 'evil\nid: 999' })).toContain('event: evilid: 999\n');
    expect(liveFrame({ event: 'a\r\nid: 1', data: 1 })).toBe('event: aid: 1\ndata: 1\n\n');
  });

  it('frames a live message without an id, as JSON unless its data is a string', () => {
    expect(liveFrame({ event: 'token', data: { delta: 'Hei' } })).toBe('event: token\ndata: {"delta":"Hei"}\n\n');
    expect(liveFrame({ data: '<p>one</p>\n<p>two</p>' })).toBe('event: message\ndata: <p>one</p>\ndata: <p>two</p>\n\n');
    expect(liveFrame('bare')).toBe('event: message\ndata: bare\n\n');
    expect(liveFrame(undefined)).toBe('event: message\ndata: null\n\n');
  });

  it('frames retry and comments', () => {
    expect(retryFrame(3000)).toBe('retry: 3000\n\n');
    expect(commentFrame('heart\nbeat')).toBe(': heart beat\n\n');
  });
});
