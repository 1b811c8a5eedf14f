/**
 * Measures what the chat adds between a POST of a turn and the first token reaching a tab:
 * (POST sent -> first `chat-delta` frame on an SSE connection) minus the backend's own time to first token
 * (request received -> first chunk written, as the loopback OpenAI server records it). Everything runs in this
 * process, so both intervals use one monotonic clock. At 10 and at 5,000 turns of history.
 *
 *   node --import tsx src/chat/http/testing/measure-latency.ts [--samples 30] [--ttft 40]
 *
 * A measurement, not a test: it prints p50 / p95 and asserts nothing.
 */
import { parseArgs } from 'node:util';
import { startOpenAITestServer } from '../../../llm/testing/openai-test-server.js';
import { SseClient } from '../../../web/testing.js';
import { type ChatEvent, chatStreamId } from '../../domain/events.js';
import { startChatHarness } from './harness.js';

const { values } = parseArgs({ options: { samples: { type: 'string', default: '30' }, ttft: { type: 'string', default: '40' } } });
const samples = Number(values.samples);
const backendTtftMs = Number(values.ttft);

const sentence = (index: number) =>
  `Turn ${index}: the ferry was late again, so we talked about the harbour, the nets, the gulls and the long winter that is coming.`;

async function seedHistory(
  harness: Awaited<ReturnType<typeof startChatHarness>>,
  chatId: string,
  botId: string,
  turns: number,
): Promise<void> {
  const store = harness.services.store;
  const ledger = { budget: { hard: 8000, soft: 6000 }, total: 0, tiers: { must: 0, should: 0, nice: 0 }, entries: [] };
  // A turn is one message; every exchange (your turn + the reply) also leaves one memory, as the passes would.
  for (let index = 0; index < turns; index += 2) {
    const user = `seed-u${index}`;
    const reply = `seed-r${index}`;
    const events: ChatEvent[] = [
      {
        type: 'user_turn',
        data: {
          chat_id: chatId,
          turn_id: user,
          text: `"${sentence(index)}"`,
          segments: [{ kind: 'dialogue', text: sentence(index) }],
          at: '',
        },
      },
      { type: 'assistant_turn_started', data: { chat_id: chatId, turn_id: reply, reply_to: user, ledger, retrieved: [] } },
      {
        type: 'assistant_turn',
        data: { chat_id: chatId, turn_id: reply, text: sentence(index + 1), truncated: false, ended: 'stop', model: 'seed', at: '' },
      },
      {
        type: 'memory_written',
        data: {
          chat_id: chatId,
          memory_id: `mem_${reply}`,
          owner_id: botId,
          scene_id: null,
          turn_id: reply,
          pov_summary: `Sam and I: ${sentence(index)}`,
          witness: { you: true, host: true, guest: false },
          chat_clock_at: '',
          significance: 1,
          source: 'direct',
        },
      },
    ];
    await store.append(chatStreamId(chatId), 'any', events);
  }
}

function percentile(sorted: number[], p: number): number {
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}

async function measure(history: number): Promise<{ history: number; p50: number; p95: number; backendP50: number; totalP50: number }> {
  const server = await startOpenAITestServer();
  server.setDefault({
    type: 'stream',
    chunks: ['*She ', 'smiles.* ', '"Hello ', 'again."'],
    firstChunkDelayMs: backendTtftMs,
    chunkDelayMs: 2,
  });
  const harness = await startChatHarness(
    `[llm]\nprovider = "openai-compatible"\nbase_url = "${server.url}"\nmodel = "m"\nmax_retries = 0\ncache = "off"\n`,
  );
  try {
    const service = harness.service;
    await service.authorYou({ name: 'Sam', pronouns: '', persona: 'a sailor' });
    const botId = await service.authorBot({
      name: 'Aino',
      persona: 'a barista',
      voice_samples: [],
      traits: [],
      backstory: '',
      initial_relationship: 'friends',
      kickoff_prose: 'At the cafe.',
    });
    const { heuristicKickoff } = await import('../../domain/kickoff.js');
    const chatId = await service.confirmKickoff(botId, heuristicKickoff('cafe', 'friends', '2026-01-01'));
    await seedHistory(harness, chatId, botId, history);
    const tab = await SseClient.open(`${harness.url}/stream?topics=chat-${chatId}`);
    const overheads: number[] = [];
    const backend: number[] = [];
    const totals: number[] = [];
    for (let sample = 0; sample < samples + 3; sample++) {
      const seen = tab.frames.length;
      const before = server.requests.length;
      const posted = performance.now();
      const response = await fetch(`${harness.url}/api/chats/${chatId}/turns`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ text: `"Do you remember the ferry and the harbour, sample ${sample}?"` }),
      });
      if (response.status !== 202) throw new Error(`POST failed: ${response.status} ${await response.text()}`);
      let firstTokenAt = 0;
      await tab.waitFor((frames) => {
        if (firstTokenAt === 0 && frames.slice(seen).some((frame) => frame.event === 'chat-delta')) firstTokenAt = performance.now();
        return frames.slice(seen).some((frame) => frame.event === 'assistant_turn');
      }, 'the reply');
      await service.settled(chatId);
      const request = server.requests.slice(before).find((item) => item.body?.stream === true);
      if (!request?.firstChunkAt) throw new Error('no streamed request recorded');
      if (sample < 3) continue; // warm-up: token tables, prepared statements, JIT
      const own = request.firstChunkAt - request.receivedAt;
      backend.push(own);
      totals.push(firstTokenAt - posted);
      overheads.push(firstTokenAt - posted - own);
    }
    tab.close();
    const sorted = (values: number[]) => [...values].sort((a, b) => a - b);
    const o = sorted(overheads);
    return {
      history,
      p50: percentile(o, 50),
      p95: percentile(o, 95),
      backendP50: percentile(sorted(backend), 50),
      totalP50: percentile(sorted(totals), 50),
    };
  } finally {
    await harness.close();
    await server.close();
  }
}

const rows = [];
for (const history of [10, 5_000]) rows.push(await measure(history));
console.log(
  `POST -> first token in a tab, minus the backend's own time to first token (${samples} samples, backend TTFT ~${backendTtftMs} ms, SQLite in memory)`,
);
console.log('history  overhead p50  overhead p95  (total p50, backend p50)');
for (const row of rows)
  console.log(
    `${String(row.history).padStart(7)}  ${row.p50.toFixed(1).padStart(9)} ms  ${row.p95.toFixed(1).padStart(9)} ms  (${row.totalP50.toFixed(1)} ms, ${row.backendP50.toFixed(1)} ms)`,
  );
