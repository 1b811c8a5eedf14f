/**
 * chat-turn: what the chat pipeline adds to the model's own time to first token. A turn is posted to
 * `POST /api/chats/:id/turns` of the chat product as served (`chatModule` routes, `openRuntime` on a SQLite file,
 * the real gateway streaming from the simulated backend in its own process); a tab follows
 * `/stream?topics=chat-<id>`. Time to first token through the pipeline = POST written -> first `chat-delta` frame
 * arriving in the tab (stamped on arrival, not polled). The backend's own = request received -> first token written,
 * as the backend times it itself (`GET /bench/requests`). Overhead = the difference, per turn; p50 reported.
 * At 10, 1,000 and 10,000 turns of history (each chat its own bot, so retrieval searches only its own memories).
 * Page load: `GET /chats/:id` of the 10,000-turn chat against the same page of the 10-turn chat, from a separate
 * process on an open-loop schedule; the row names how many messages each page renders.
 *
 * History is seeded directly (events appended to the chat's stream, the
 * inline projection building the read model), in batches: every exchange is your turn, the reply and one memory.
 */
import { type ChatEvent, chatApp, chatModule, chatStreamId } from '../../src/chat/index.js';
import { type BenchApp, emptyPath, startBenchApp } from '../lib/app.js';
import { keepAliveAgent, SseReader, timedRequest } from '../lib/http.js';
import { latencies, runLoad } from '../lib/load.js';
import { round, summarize } from '../lib/measure.js';
import { type BenchContext, type Benchmark, type ResultRow, row } from '../lib/types.js';
import { type BackendProcess, startBackendProcess } from '../llm-backend/process.js';
import type { BackendProfile } from '../llm-backend/timing.js';

const pageLoadsPerSecond = 1;

/** Fast prompt processing so an 8,000-token prompt does not dominate the run; short replies. */
const chatProfile: Partial<BackendProfile> = {
  slots: 4,
  promptTokensPerSecond: 200_000,
  decodeTokensPerSecond: 200,
  firstTokenMs: 20,
  completionTokens: 12,
  prefixCacheDiscount: 1,
  model: 'bench-chat',
};

const histories = [10, 1_000, 10_000] as const;
const warmUpTurns = 3;

const sentence = (index: number) =>
  `Turn ${index}: the ferry was late again, so we talked about the harbour, the nets, the gulls and the long winter that is coming.`;

async function createChat(bench: BenchApp, name: string): Promise<{ chatId: string; botId: string }> {
  const chat = chatApp(bench.services);
  const botId = await chat.authoring.authorBot({
    name,
    persona: 'a barista at the harbour café of Koivulahti',
    voice_samples: ['"Kahvia? Tietysti."'],
    traits: ['warm', 'curious'],
    backstory: 'Grew up on the island, came back to run the café.',
    initial_relationship: 'friends',
    kickoff_prose: 'At the café by the harbour, early in the morning, the first ferry is late.',
  });
  const { parse } = await chat.authoring.parseKickoff(botId);
  return { chatId: await chat.authoring.confirmKickoff(botId, parse), botId };
}

async function seedHistory(bench: BenchApp, chatId: string, botId: string, turns: number): Promise<void> {
  const store = bench.services.store;
  const ledger = { budget: { hard: 8000, soft: 6000 }, total: 0, tiers: { must: 0, should: 0, nice: 0 }, entries: [] };
  const exchangesPerAppend = 50;
  for (let first = 0; first < turns; first += 2 * exchangesPerAppend) {
    const events: ChatEvent[] = [];
    for (let index = first; index < Math.min(turns, first + 2 * exchangesPerAppend); index += 2) {
      // Turn and memory ids are unique across chats in the read model.
      const user = `seed-${chatId}-u${index}`;
      const reply = `seed-${chatId}-r${index}`;
      events.push(
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
      );
    }
    await store.append(chatStreamId(chatId), 'any', events);
  }
}

interface TurnFigure {
  history: number;
  total: ReturnType<typeof summarize>;
  own: ReturnType<typeof summarize>;
  overhead: ReturnType<typeof summarize>;
  /** POST written -> 202 read: prompt assembly, retrieval, the append, starting the generation. */
  post: ReturnType<typeof summarize>;
}

async function measureTurns(
  context: BenchContext,
  bench: BenchApp,
  backend: BackendProcess,
  chatId: string,
  history: number,
  samples: number,
): Promise<TurnFigure> {
  const agent = keepAliveAgent();
  const tab = await SseReader.open(`${bench.url}/stream?topics=chat-${chatId}`);
  const chat = chatApp(bench.services);
  const totals: number[] = [];
  const own: number[] = [];
  const overheads: number[] = [];
  const posts: number[] = [];
  try {
    context.log(`${history} turns of history: ${samples} turns (+${warmUpTurns} warm-up)`);
    for (let sample = 0; sample < samples + warmUpTurns; sample++) {
      const seen = (await backend.requests(0)).at(-1)?.seq ?? 0;
      const firstDelta = tab.next((frame) => frame.event === 'chat-delta');
      const stored = tab.next((frame) => frame.event === 'assistant_turn');
      const posted = performance.now();
      const response = await timedRequest(agent, `${bench.url}/api/chats/${chatId}/turns`, {
        method: 'POST',
        body: { text: `"Do you remember the ferry and the harbour, sample ${sample}?"` },
      });
      if (response.status !== 202) throw new Error(`POST turns: ${response.status} ${response.body.slice(0, 300)}`);
      const delta = await firstDelta;
      await stored;
      await chat.generations.settled(chatId);
      const streamed = (await backend.requests(seen)).filter((timing) => timing.stream);
      const ownMs = streamed.at(-1)?.ownFirstTokenMs;
      if (streamed.length !== 1 || ownMs === undefined)
        throw new Error(`expected one streamed backend request per turn, saw ${streamed.length}`);
      if (sample < warmUpTurns) continue;
      posts.push(response.ms);
      totals.push(delta.at - posted);
      own.push(ownMs);
      overheads.push(delta.at - posted - ownMs);
    }
  } finally {
    tab.close();
    agent.destroy();
  }
  return { history, total: summarize(totals), own: summarize(own), overhead: summarize(overheads), post: summarize(posts) };
}

interface PageFigure {
  small: ReturnType<typeof summarize>;
  large: ReturnType<typeof summarize>;
  empty: ReturnType<typeof summarize>;
  /** Messages in each page's HTML, and the older ones it only counts. */
  rendered: { small: number; large: number; largeOlder: number };
  clientLateP99Ms: number;
}

/** Messages a chat page renders (`data-turn` items), and the count of older ones it names without rendering. */
async function renderedMessages(bench: BenchApp, chatId: string): Promise<{ rendered: number; older: number }> {
  const agent = keepAliveAgent();
  try {
    const response = await timedRequest(agent, `${bench.url}/chats/${chatId}`, { headers: { accept: 'text/html' } });
    if (response.status !== 200) throw new Error(`GET /chats/${chatId}: ${response.status} ${response.body.slice(0, 200)}`);
    const older = /(\d+) earlier messages are not shown/.exec(response.body);
    return { rendered: response.body.split('data-turn=').length - 1, older: older ? Number(older[1]) : 0 };
  } finally {
    agent.destroy();
  }
}

/** Both pages and the empty handler from a separate process, at the same instants, open loop. */
async function measurePages(bench: BenchApp, small: string, large: string, loads: number): Promise<PageFigure> {
  const smallCount = await renderedMessages(bench, small);
  const largeCount = await renderedMessages(bench, large);
  const html = { accept: 'text/html' };
  const load = await runLoad({
    baseUrl: bench.url,
    perSecond: pageLoadsPerSecond,
    count: loads,
    targets: [
      { name: 'small', paths: [`/chats/${small}`], headers: html },
      { name: 'large', paths: [`/chats/${large}`], headers: html },
      { name: 'empty', paths: [emptyPath] },
    ],
  });
  for (const name of ['small', 'large']) {
    const failed = (load.samples[name] ?? []).filter((sample) => sample.status !== 200).length;
    if (failed > 0) throw new Error(`${failed} loads of the ${name} chat page answered other than 200`);
  }
  return {
    small: summarize(latencies(load, 'small')),
    large: summarize(latencies(load, 'large')),
    empty: summarize(latencies(load, 'empty')),
    rendered: { small: smallCount.rendered, large: largeCount.rendered, largeOlder: largeCount.older },
    clientLateP99Ms: load.lateP99Ms,
  };
}

export const chatTurnBenchmark: Benchmark = {
  name: 'chat-turn',
  title: 'Chat: time to first token through the pipeline minus the backend’s own, 10 / 1,000 / 10,000 turns; page load',
  reference: "the simulated backend's own time to first token for the same request (turns); the same page with 10 turns (page load)",
  async run(context) {
    const samples = context.quick ? 10 : 40;
    const loads = context.quick ? 8 : 30;
    const backend = await startBackendProcess(chatProfile);
    const bench = await startBenchApp(
      'chat-turn',
      [chatModule],
      [
        '[llm]',
        'provider = "openai-compatible"',
        `base_url = "${backend.url}"`,
        'model = "bench-chat"',
        'max_retries = 0',
        'cache = "off"',
      ].join('\n'),
    );
    try {
      const chat = chatApp(bench.services);
      await chat.init();
      await chat.authoring.authorYou({ name: 'Sam', pronouns: 'they', persona: 'a sailor who has just come back to the village' });
      const chats: Array<{ history: number; chatId: string }> = [];
      const seedStarted = performance.now();
      for (const [index, history] of histories.entries()) {
        const { chatId, botId } = await createChat(bench, `Aino ${index + 1}`);
        context.log(`seeding ${history} turns of history`);
        await seedHistory(bench, chatId, botId, history);
        chats.push({ history, chatId });
      }
      const seedSeconds = (performance.now() - seedStarted) / 1000;
      const figures: TurnFigure[] = [];
      for (const chat of chats) figures.push(await measureTurns(context, bench, backend, chat.chatId, chat.history, samples));
      context.log(`page load: GET /chats/:id, ${loads} loads each of the 10-turn and the 10,000-turn chat, and of the empty handler`);
      const small = chats[0]?.chatId as string;
      const large = chats[chats.length - 1]?.chatId as string;
      const pages = await measurePages(bench, small, large, loads);

      const ms = 'ms';
      const rows: ResultRow[] = figures.map((figure) =>
        row(
          `time to first token p50, ${figure.history.toLocaleString('en-US')} turns of history`,
          { value: round(figure.total.p50), unit: ms },
          { label: "backend's own TTFT p50", value: round(figure.own.p50), unit: ms },
          'x the backend’s own',
          {
            ...(figure.history === 1_000
              ? {
                  target: {
                    text: 'first-token overhead < 15 ms p50 at 1,000 turns',
                    measured: round(figure.overhead.p50),
                    met: figure.overhead.p50 < 15,
                  },
                }
              : {}),
            details: {
              overheadP50Ms: round(figure.overhead.p50),
              overhead: roundAll(figure.overhead),
              postAnswered: roundAll(figure.post),
              pipeline: roundAll(figure.total),
              backendOwn: roundAll(figure.own),
            },
          },
        ),
      );
      rows.push(
        row(
          `page load p50, 10,000-turn chat (GET /chats/:id, renders ${pages.rendered.large} messages)`,
          { value: round(pages.large.p50), unit: ms },
          { label: `same page, 10-turn chat (renders ${pages.rendered.small}) p50`, value: round(pages.small.p50), unit: ms },
          'x the 10-turn chat',
          {
            details: {
              large: roundAll(pages.large),
              small: roundAll(pages.small),
              emptyHandler: roundAll(pages.empty),
              renderedMessages: pages.rendered,
              clientLateP99Ms: round(pages.clientLateP99Ms),
            },
          },
        ),
      );
      return {
        parameters: {
          histories,
          samplesPerHistory: samples,
          warmUpTurns,
          pageLoads: loads,
          chatProfile,
          chatSettings: bench.services.config.chat,
          seedSeconds: round(seedSeconds),
          database: 'SQLite file (WAL) in the temp directory, opened by openRuntime like `koivulahti start`',
        },
        rows,
        notes: [
          `Overhead p50 (pipeline minus the backend's own, per turn): ${figures.map((figure) => `${figure.history} turns ${round(figure.overhead.p50)} ms`).join(', ')}; of it, the POST itself is answered after ${figures.map((figure) => `${round(figure.post.p50)} ms`).join(' / ')} p50 (prompt assembly, retrieval, the append; the model request starts as it is answered).`,
          'The tab (SSE reader) and the poster run in the benchmark process with the server; the backend in its own process. The post-turn passes are not running (no worker).',
          `Page load is the HTML of GET /chats/:id, sent from a separate process on an open-loop schedule (${pageLoadsPerSecond}/s; each of the two pages and the empty handler at the same instants, timed from when they were due). The 10,000-turn chat's page renders ${pages.rendered.large} messages and names ${pages.rendered.largeOlder} older ones without rendering them; the 10-turn chat's renders ${pages.rendered.small}. Empty handler p50 ${round(pages.empty.p50)} ms.`,
        ],
      };
    } finally {
      await bench.close();
      await backend.close();
    }
  },
};

function roundAll(summary: ReturnType<typeof summarize>): Record<string, number> {
  return Object.fromEntries(Object.entries(summary).map(([key, value]) => [key, round(value)]));
}
