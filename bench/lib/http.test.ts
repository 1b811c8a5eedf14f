import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { keepAliveAgent, openLoop, SseReader, timedRequest } from './http.js';

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

async function listen(handler: Parameters<typeof createServer>[1]): Promise<string> {
  server = createServer(handler);
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', () => resolve()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('the bench HTTP helpers', () => {
  it('given an SSE stream, then frames are parsed and next() resolves with the first matching one after it is asked', async () => {
    const url = await listen((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.write('retry: 1000\n\n');
      setTimeout(() => response.write('event: chat-delta\ndata: {"seq":1}\n\n'), 30);
      setTimeout(() => response.write('event: assistant_turn\r\ndata: a\r\ndata: b\r\n\r\n'), 60);
    });
    const reader = await SseReader.open(url);
    const delta = reader.next((frame) => frame.event === 'chat-delta');
    const stored = reader.next((frame) => frame.event === 'assistant_turn');
    expect((await delta).data).toBe('{"seq":1}');
    expect((await delta).at).toEqual(expect.any(Number));
    expect((await stored).data).toBe('a\nb');
    expect(reader.frames.map((frame) => frame.event)).toEqual([undefined, 'chat-delta', 'assistant_turn']);
    reader.close();
  });

  it('given a rate, then the open loop sends every request on a fixed schedule and times it from its due time', async () => {
    const seen: string[] = [];
    const url = await listen((request, response) => {
      seen.push(request.url ?? '');
      response.end('{}');
    });
    const agent = keepAliveAgent();
    const result = await openLoop(100, 10, async (index, due) => {
      const response = await timedRequest(agent, `${url}/?n=${index}`);
      return { due, fromSend: response.ms, fromDue: performance.now() - due };
    });
    agent.destroy();
    // Requests on parallel connections may arrive in any order; each is sent once.
    expect([...seen].sort()).toEqual(Array.from({ length: 10 }, (_, index) => `/?n=${index}`));
    const first = result.results[0]?.due ?? 0;
    for (const [index, sample] of result.results.entries()) expect(sample.due - first).toBeCloseTo(index * 10, 6);
    // Measured from when it was due, a request's latency includes any wait before it was sent.
    expect(result.results.every((sample) => sample.fromDue >= sample.fromSend)).toBe(true);
  });
});
