import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/logger.js';
import { MemoryEventBus } from '../../messaging/memory/memory-event-bus.js';
import type { BusHandler, EventBus } from '../../messaging/ports.js';
import { LiveFanout } from './live-fanout.js';

/** A memory bus that counts subscriptions currently open. */
function countingBus(): { bus: EventBus; open: () => number } {
  const inner = new MemoryEventBus();
  let open = 0;
  const bus: EventBus = {
    publish: (topic, message) => inner.publish(topic, message),
    async subscribe(topic: string, handler: BusHandler) {
      const unsubscribe = await inner.subscribe(topic, handler);
      open += 1;
      return async () => {
        open -= 1;
        await unsubscribe();
      };
    },
    close: () => inner.close(),
  };
  return { bus, open: () => open };
}

describe('LiveFanout', () => {
  it('given many connections on one topic, then one bus subscription serves them all with the same frame', async () => {
    const { bus, open } = countingBus();
    const fanout = new LiveFanout(bus, silentLogger);
    const received: string[][] = [[], [], []];
    const leaves = await Promise.all(received.map((frames) => fanout.join('chat-1', (frame) => frames.push(frame))));
    expect(open()).toBe(1);
    expect(fanout.stats()).toEqual({ 'chat-1': 3 });

    await bus.publish('live.chat-1', { event: 'chat-delta', data: { seq: 1, text: 'Moi' } });
    await bus.publish('live.chat-2', { event: 'chat-delta', data: { seq: 1, text: 'other chat' } });
    expect(received.map((frames) => frames.length)).toEqual([1, 1, 1]);
    expect(received[0]?.[0]).toBe('event: chat-delta\ndata: {"seq":1,"text":"Moi"}\n\n');
    expect(new Set(received.map((frames) => frames[0])).size).toBe(1);

    for (const leave of leaves) leave();
    await new Promise((resolve) => setImmediate(resolve));
    expect(open()).toBe(0);
    expect(fanout.stats()).toEqual({});
  });

  it('given a connection that left, then it receives nothing more while the others still do', async () => {
    const { bus } = countingBus();
    const fanout = new LiveFanout(bus, silentLogger);
    const kept: string[] = [];
    const gone: string[] = [];
    await fanout.join('world', (frame) => kept.push(frame));
    const leave = await fanout.join('world', (frame) => gone.push(frame));
    leave();
    await bus.publish('live.world', 'tick');
    expect(kept).toEqual(['event: message\ndata: tick\n\n']);
    expect(gone).toEqual([]);
  });
});
