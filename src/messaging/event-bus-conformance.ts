/** The event bus conformance suite, run against every adapter by messaging.test.ts. */
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../core/errors.js';
import { eventually, type Harness, type SuiteOptions, useHarnesses } from './conformance-harness.js';
import type { EventBus } from './ports.js';

// ---------- Event bus ----------

export type EventBusFactory = () => Promise<Harness<EventBus>>;

interface Received {
  message: unknown;
  topic: string;
}

function recorder(): { received: Received[]; handler: (message: unknown, topic: string) => void } {
  const received: Received[] = [];
  return { received, handler: (message, topic) => received.push({ message, topic }) };
}

export function describeEventBusConformance(name: string, factory: EventBusFactory, options: SuiteOptions = {}): void {
  describe.skipIf(options.skip)(`event bus conformance: ${name}`, () => {
    const open = useHarnesses(factory);
    eventBusDeliveryCases(open);
    eventBusIsolationCases(open);
  });
}

function eventBusDeliveryCases(open: (options: unknown) => Promise<Harness<EventBus>>): void {
  it('given exact and wildcard subscriptions, when publishing, then matching subscribers get the message and others do not', async () => {
    const { port: bus } = await open(undefined);
    const exact = recorder();
    const oneWord = recorder();
    const rest = recorder();
    const otherChat = recorder();
    const shorter = recorder();
    await bus.subscribe('chat.42.tokens', exact.handler);
    await bus.subscribe('chat.*.tokens', oneWord.handler);
    await bus.subscribe('chat.>', rest.handler);
    await bus.subscribe('chat.43.tokens', otherChat.handler);
    await bus.subscribe('chat.42', shorter.handler);

    await bus.publish('chat.42.tokens', { token: 'hei' });
    // Markers: delivery is in publish order, so once a marker arrives, an earlier match would have arrived too.
    await bus.publish('chat.43.tokens', { marker: 43 });
    await bus.publish('chat.42', { marker: 42 });
    await eventually(() => otherChat.received.length > 0 && shorter.received.length > 0 && rest.received.length >= 3, 'markers to arrive');

    const hello = { message: { token: 'hei' }, topic: 'chat.42.tokens' };
    expect(exact.received).toEqual([hello]);
    expect(oneWord.received).toEqual([hello, { message: { marker: 43 }, topic: 'chat.43.tokens' }]);
    expect(rest.received).toEqual([
      hello,
      { message: { marker: 43 }, topic: 'chat.43.tokens' },
      { message: { marker: 42 }, topic: 'chat.42' },
    ]);
    expect(otherChat.received).toEqual([{ message: { marker: 43 }, topic: 'chat.43.tokens' }]);
    expect(shorter.received).toEqual([{ message: { marker: 42 }, topic: 'chat.42' }]);
  });

  it('given two subscribers, when one unsubscribes, then only the other keeps receiving', async () => {
    const { port: bus } = await open(undefined);
    const leaving = recorder();
    const staying = recorder();
    const unsubscribe = await bus.subscribe('world.village.events', leaving.handler);
    await bus.subscribe('world.village.events', staying.handler);

    await bus.publish('world.village.events', { n: 1 });
    await eventually(() => leaving.received.length === 1 && staying.received.length === 1, 'first message');
    await unsubscribe();
    await unsubscribe();
    await bus.publish('world.village.events', { n: 2 });
    await eventually(() => staying.received.length === 2, 'second message');

    expect(leaving.received.map((entry) => entry.message)).toEqual([{ n: 1 }]);
    expect(staying.received.map((entry) => entry.message)).toEqual([{ n: 1 }, { n: 2 }]);
  });
}

function eventBusIsolationCases(open: (options: unknown) => Promise<Harness<EventBus>>): void {
  it('given a handler that throws or rejects, when publishing, then the publisher and other handlers are unaffected', async () => {
    const { port: bus } = await open(undefined);
    const healthy = recorder();
    await bus.subscribe('tips.user-1', () => {
      throw new Error('handler bug');
    });
    await bus.subscribe('tips.user-1', (() => Promise.reject(new Error('async handler bug'))) as () => void);
    await bus.subscribe('tips.user-1', healthy.handler);

    await expect(bus.publish('tips.user-1', { tip: 1 })).resolves.toBeUndefined();
    await bus.publish('tips.user-1', { tip: 2 });
    await eventually(() => healthy.received.length === 2, 'both messages');
    expect(healthy.received.map((entry) => entry.message)).toEqual([{ tip: 1 }, { tip: 2 }]);
  });

  it('given a message with a Date, when it is delivered, then it arrives as JSON would carry it', async () => {
    const { port: bus } = await open(undefined);
    const received = recorder();
    await bus.subscribe('chat.1.state', received.handler);
    await bus.publish('chat.1.state', { at: new Date(0), missing: undefined, list: [1, 'two'] });
    await eventually(() => received.received.length === 1, 'the message');
    expect(received.received[0]?.message).toEqual({ at: '1970-01-01T00:00:00.000Z', list: [1, 'two'] });
  });

  it('given an invalid topic, when publishing or subscribing, then a validation error is raised', async () => {
    const { port: bus } = await open(undefined);
    await expect(bus.publish('chat.*', {})).rejects.toBeInstanceOf(ValidationError);
    await expect(bus.publish('chat..42', {})).rejects.toBeInstanceOf(ValidationError);
    await expect(bus.subscribe('chat.>.tokens', () => undefined)).rejects.toBeInstanceOf(ValidationError);
  });
}
