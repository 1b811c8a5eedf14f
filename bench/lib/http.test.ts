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
    const asked = performance.now();
    const delta = reader.next((frame) => frame.event === 'chat-delta');
    const stored = reader.next((frame) => frame.event === 'assistant_turn');
    expect((await delta).data).toBe('{"seq":1}');
    expect((await delta).at).toBeGreaterThan(asked);
    expect((await stored).data).toBe('a\nb');
    reader.close();
  });

  it('given a rate, then the open loop sends on schedule and times each request', async () => {
    const url = await listen((_request, response) => response.end('{}'));
    const agent = keepAliveAgent();
    const started = performance.now();
    const result = await openLoop(100, 10, async () => (await timedRequest(agent, url)).ms);
    agent.destroy();
    expect(result.latencies).toHaveLength(10);
    // 10 sends at 100/s span ~90 ms.
    expect(performance.now() - started).toBeGreaterThan(80);
    expect(result.latencies.every((ms) => ms > 0)).toBe(true);
  });
});
