/**
 * llm-gateway: what the gateway costs on top of the model, against the simulated backend (bench/llm-backend) in its
 * own process.
 *
 * 1. Overhead per call: `generateObject` (cache on, every prompt new, so a miss plus a cache write and a call-log row,
 *    on a SQLite file) against a direct `fetch` of the same request body, interleaved, on a fast backend profile.
 *    Overhead = p50 (p95) through the gateway minus p50 (p95) direct. Streams: time to first token the same way.
 * 2. Cache-hit throughput: the same `generateObject` replayed from the cache, against the backend's theoretical
 *    maximum for that request.
 * 3. Throughput with S=8 slots (the gateway half of `village-render`): render-sized requests (persona + event in,
 *    ~120 tokens of JSON out) submitted all at once through the gateway (`concurrency = 8`), as completions per minute
 *    against the backend's theoretical maximum for the requests it served; and the backend's utilisation while jobs
 *    were still waiting in the gateway (the steady state).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import type { LlmGateway } from '../../src/llm/index.js';
import type { ChatMessage } from '../../src/llm/provider.js';
import { toJsonSchema, withJsonInstruction } from '../../src/llm/structured-output.js';
import { openBenchGateway, renderProfile } from '../lib/gateway.js';
import { round, summarize } from '../lib/measure.js';
import { type BenchContext, type Benchmark, type ResultRow, row } from '../lib/types.js';
import { type BackendProcess, startBackendProcess } from '../llm-backend/process.js';
import { type BackendProfile, serviceMs, theoreticalMaxPerMinute } from '../llm-backend/timing.js';

/** A village post, as the render worker will ask for it. */
const postSchema = z.object({
  channel: z.enum(['feed', 'chat', 'news']),
  title: z.string().max(80),
  body: z.string().min(1),
  tone: z.enum(['neutral', 'warm', 'worried', 'angry', 'playful']),
});
type Post = z.output<typeof postSchema>;
const fallbackPost: Post = { channel: 'feed', title: '', body: '(no post)', tone: 'neutral' };

/** Fast answers, so the latency measured is mostly the client side: ~15 ms of modelled service per call. */
const overheadProfile: Partial<BackendProfile> = {
  slots: 8,
  promptTokensPerSecond: 200_000,
  decodeTokensPerSecond: 4_000,
  firstTokenMs: 5,
  completionTokens: 40,
  prefixCacheDiscount: 1,
  model: 'bench-fast',
};

const authors = ['Aino Virtanen', 'Eino Korhonen', 'Helmi Mäkinen', 'Väinö Nieminen', 'Kerttu Laine', 'Toivo Heikkinen'];

/** Persona first, event last (stable prefixes for the prefix cache), about 600 tokens with the JSON instruction. */
export function renderMessages(index: number): ChatMessage[] {
  const author = authors[index % authors.length] as string;
  const persona =
    `You are ${author}, who lives in Koivulahti, a small village on a lake in Finland. ` +
    'You write short posts for the village feed in Finnish, in your own voice: plain words, local detail, no hashtags, no links. '.repeat(
      6,
    ) +
    `Your neighbours, your work at the harbour and the weather are what you talk about. Sign nothing; ${author} is shown as the author.`;
  const event =
    `Event ${index}: at 07:${String(index % 60).padStart(2, '0')} the village café opened late because the baker's van broke down ` +
    `on the road from the harbour; ${authors[(index + 1) % authors.length]} waited outside with the fishermen and talked about the ice.`;
  return [
    { role: 'system', content: persona },
    { role: 'user', content: `${event}\nWrite one post for the FEED channel about it.` },
  ];
}

function directBody(messages: ChatMessage[], stream: boolean): string {
  const schema = toJsonSchema(postSchema);
  return JSON.stringify({
    model: 'bench-model',
    messages: withJsonInstruction(messages, schema),
    response_format: { type: 'json_schema', json_schema: { name: 'response', schema, strict: false } },
    ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
  });
}

/** A plain client call: fetch, read the JSON, parse the content. */
async function directCall(url: string, messages: ChatMessage[]): Promise<number> {
  const started = performance.now();
  const response = await fetch(`${url}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: directBody(messages, false),
  });
  const answer = (await response.json()) as { choices: Array<{ message: { content: string } }> };
  JSON.parse(answer.choices[0]?.message.content ?? '');
  return performance.now() - started;
}

/** Time to the first content delta of a direct streaming call (the rest of the stream is read and dropped). */
async function directStreamFirstToken(url: string, messages: ChatMessage[]): Promise<number> {
  const started = performance.now();
  const response = await fetch(`${url}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: directBody(messages, true),
  });
  const decoder = new TextDecoder();
  let first: number | undefined;
  let buffer = '';
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    if (first !== undefined) continue;
    buffer += decoder.decode(chunk, { stream: true });
    if (buffer.includes('"content":"')) first = performance.now() - started;
  }
  return first ?? Number.NaN;
}

async function gatewayCall(gateway: LlmGateway, messages: ChatMessage[], cacheKey: string): Promise<number> {
  const started = performance.now();
  const result = await gateway.generateObject('writer', postSchema, messages, { fallback: fallbackPost, cacheKey });
  if (result.fellBack) throw new Error('the gateway fell back: the simulated backend wrote an answer the schema rejects');
  return performance.now() - started;
}

async function gatewayStreamFirstToken(gateway: LlmGateway, messages: ChatMessage[]): Promise<number> {
  const started = performance.now();
  let first: number | undefined;
  for await (const part of gateway.streamText('narrative', messages))
    if (part.type === 'text-delta' && first === undefined) first = performance.now() - started;
  return first ?? Number.NaN;
}

async function measureOverhead(context: BenchContext, directory: string, pairs: number) {
  const backend = await startBackendProcess(overheadProfile);
  const handle = await openBenchGateway(backend.url, directory, 'overhead');
  try {
    const direct: number[] = [];
    const through: number[] = [];
    const streamPairs = Math.max(20, Math.floor(pairs / 3));
    const directStream: number[] = [];
    const throughStream: number[] = [];
    // Warm-up: the AI SDK, the connection pools, the JIT.
    for (let index = 0; index < 20; index++) {
      await directCall(backend.url, renderMessages(index));
      await gatewayCall(handle.gateway, renderMessages(index), `warm-${index}`);
      await directStreamFirstToken(backend.url, renderMessages(index));
      await gatewayStreamFirstToken(handle.gateway, renderMessages(index));
    }
    context.log(`overhead: ${pairs} generateObject calls through the gateway and ${pairs} direct, interleaved`);
    for (let index = 0; index < pairs; index++) {
      const messages = renderMessages(1_000 + index);
      if (index % 2 === 0) {
        direct.push(await directCall(backend.url, messages));
        through.push(await gatewayCall(handle.gateway, messages, `overhead-${index}`));
      } else {
        through.push(await gatewayCall(handle.gateway, messages, `overhead-${index}`));
        direct.push(await directCall(backend.url, messages));
      }
    }
    context.log(`overhead: ${streamPairs} streamText first tokens through the gateway and ${streamPairs} direct`);
    for (let index = 0; index < streamPairs; index++) {
      const messages = renderMessages(5_000 + index);
      if (index % 2 === 0) {
        directStream.push(await directStreamFirstToken(backend.url, messages));
        throughStream.push(await gatewayStreamFirstToken(handle.gateway, messages));
      } else {
        throughStream.push(await gatewayStreamFirstToken(handle.gateway, messages));
        directStream.push(await directStreamFirstToken(backend.url, messages));
      }
    }
    const stats = await backend.stats();
    return {
      direct: summarize(direct),
      through: summarize(through),
      directStream: summarize(directStream),
      throughStream: summarize(throughStream),
      streamPairs,
      modelledServiceMs: stats.completed > 0 ? stats.completedServiceMs / stats.completed : Number.NaN,
    };
  } finally {
    await handle.close();
    await backend.close();
  }
}

async function measureCacheHits(context: BenchContext, directory: string, hits: number) {
  const backend = await startBackendProcess(overheadProfile);
  const handle = await openBenchGateway(backend.url, directory, 'cache');
  try {
    const messages = renderMessages(7);
    await gatewayCall(handle.gateway, messages, 'cached');
    for (let index = 0; index < 50; index++) await gatewayCall(handle.gateway, messages, 'cached');
    context.log(`cache: ${hits} replays of one generateObject call`);
    const latencies: number[] = [];
    const started = performance.now();
    for (let index = 0; index < hits; index++) latencies.push(await gatewayCall(handle.gateway, messages, 'cached'));
    const seconds = (performance.now() - started) / 1000;
    const backendCalls = (await backend.stats()).completed;
    return { perSecond: hits / seconds, latency: summarize(latencies), backendCalls };
  } finally {
    await handle.close();
    await backend.close();
  }
}

async function measureThroughput(context: BenchContext, directory: string, jobs: number) {
  const backend: BackendProcess = await startBackendProcess(renderProfile);
  const handle = await openBenchGateway(backend.url, directory, 'render');
  try {
    // One call per author warms the AI SDK and leaves personas in the slots' prefix caches, as a running village would.
    await Promise.all(authors.map((_, index) => gatewayCall(handle.gateway, renderMessages(index), `warm-${index}`)));
    await backend.reset();
    context.log(`throughput: ${jobs} render-sized generateObject calls through the gateway, S=${renderProfile.slots}`);
    const started = performance.now();
    let saturatedUntil: number | undefined;
    let saturated: Awaited<ReturnType<BackendProcess['stats']>> | undefined;
    const all = Promise.all(
      Array.from({ length: jobs }, (_, index) => gatewayCall(handle.gateway, renderMessages(100 + index), `render-${index}`)),
    );
    // The steady state lasts while jobs wait in the gateway: sample the backend when the last one gets a slot.
    const watcher = (async () => {
      while (saturatedUntil === undefined) {
        await new Promise((resolve) => setTimeout(resolve, 25));
        const waiting = handle.gateway.stats().backends.reduce((sum, entry) => sum + entry.waiting, 0);
        if (waiting === 0) {
          saturatedUntil = performance.now();
          saturated = await backend.stats();
        }
      }
    })();
    const latencies = await all;
    const seconds = (performance.now() - started) / 1000;
    await watcher;
    const stats = await backend.stats();
    return {
      jobs,
      seconds,
      latency: summarize(latencies),
      stats,
      saturated,
      saturatedSeconds: ((saturatedUntil ?? started) - started) / 1000,
    };
  } finally {
    await handle.close();
    await backend.close();
  }
}

export const llmGatewayBenchmark: Benchmark = {
  name: 'llm-gateway',
  title: 'LLM gateway: overhead per call, cache hits, throughput at S=8 against the simulated backend',
  reference:
    "a direct fetch of the same request (overhead); the simulated backend's theoretical maximum, S x 60,000 / service ms (throughput, cache hits)",
  async run(context) {
    const pairs = context.quick ? 150 : 500;
    const hits = context.quick ? 2_000 : 10_000;
    const jobs = context.quick ? 48 : 160;
    const directory = mkdtempSync(join(tmpdir(), 'koivulahti-bench-llm-'));
    try {
      const overhead = await measureOverhead(context, directory, pairs);
      const cache = await measureCacheHits(context, directory, hits);
      const throughput = await measureThroughput(context, directory, jobs);

      const ms = 'ms';
      const overheadP50 = overhead.through.p50 - overhead.direct.p50;
      const overheadP95 = overhead.through.p95 - overhead.direct.p95;
      const streamOverheadP50 = overhead.throughStream.p50 - overhead.directStream.p50;
      const maxPerMinute = throughput.stats.theoreticalMaxPerMinute ?? Number.NaN;
      const renderMaxPerSecond = maxPerMinute / 60;
      const perMinute = (throughput.jobs * 60) / throughput.seconds;
      const steadyUtilisation = throughput.saturated?.utilisation ?? Number.NaN;
      const rows: ResultRow[] = [
        row(
          'generateObject p50 (cache miss + write, call log)',
          { value: round(overhead.through.p50), unit: ms },
          { label: 'direct fetch p50', value: round(overhead.direct.p50), unit: ms },
          'x direct',
          {
            target: { text: 'overhead p50 < 2 ms', measured: round(overheadP50), met: overheadP50 < 2 },
            details: {
              calls: pairs,
              gateway: roundAll(overhead.through),
              direct: roundAll(overhead.direct),
              overheadP50Ms: round(overheadP50),
              overheadP95Ms: round(overheadP95),
              modelledServiceMs: round(overhead.modelledServiceMs),
            },
          },
        ),
        row(
          'generateObject p95',
          { value: round(overhead.through.p95), unit: ms },
          { label: 'direct fetch p95', value: round(overhead.direct.p95), unit: ms },
          'x direct',
          { details: { overheadP95Ms: round(overheadP95) } },
        ),
        row(
          'streamText time to first token p50',
          { value: round(overhead.throughStream.p50), unit: ms },
          { label: 'direct streaming fetch p50', value: round(overhead.directStream.p50), unit: ms },
          'x direct',
          {
            details: {
              calls: overhead.streamPairs,
              gateway: roundAll(overhead.throughStream),
              direct: roundAll(overhead.directStream),
              overheadP50Ms: round(streamOverheadP50),
            },
          },
        ),
        row(
          'cache hits, serial',
          { value: round(cache.perSecond), unit: 'calls/s' },
          { label: 'backend max for render-sized calls (S=8)', value: round(renderMaxPerSecond), unit: 'calls/s' },
          'x the backend maximum',
          { details: { hits, latency: roundAll(cache.latency), backendCallsDuringReplay: cache.backendCalls - 1 } },
        ),
        row(
          `render-sized calls through the gateway, S=8, ${throughput.jobs} jobs`,
          { value: round(perMinute), unit: 'completions/min' },
          { label: 'backend theoretical max for the requests served', value: round(maxPerMinute), unit: 'completions/min' },
          'of the backend maximum',
          {
            ratio: perMinute / maxPerMinute,
            details: {
              seconds: round(throughput.seconds),
              latency: roundAll(throughput.latency),
              utilisationEndToEnd: round(throughput.stats.utilisation),
              backendMaxQueued: throughput.stats.maxQueued,
              meanServiceMs: round(throughput.stats.completedServiceMs / Math.max(1, throughput.stats.completed)),
              promptTokens: throughput.stats.promptTokens,
              cachedPromptTokens: throughput.stats.cachedPromptTokens,
              completionTokens: throughput.stats.completionTokens,
            },
          },
        ),
        row(
          'same, steady state (while jobs waited in the gateway)',
          { value: round(steadyUtilisation * maxPerMinute), unit: 'completions/min' },
          { label: 'backend theoretical max', value: round(maxPerMinute), unit: 'completions/min' },
          'of the backend maximum',
          {
            ratio: steadyUtilisation,
            target: { text: 'render pipeline >= 95 % of max', measured: round(steadyUtilisation * 100), met: steadyUtilisation >= 0.95 },
            details: { saturatedSeconds: round(throughput.saturatedSeconds), backendUtilisation: round(steadyUtilisation) },
          },
        ),
      ];
      return {
        parameters: {
          overheadProfile,
          renderProfile,
          renderServiceMsUncached: round(serviceMs(renderProfile, { promptTokens: 600, completionTokens: renderProfile.completionTokens })),
          renderMaxPerMinuteUncached: round(
            theoreticalMaxPerMinute(renderProfile, { promptTokens: 600, completionTokens: renderProfile.completionTokens }),
          ),
          overheadPairs: pairs,
          cacheHits: hits,
          renderJobs: jobs,
          gateway:
            'openai-compatible provider (AI SDK), structured_outputs json_schema, concurrency 8, cache on, SQLite file for cache and call log',
        },
        rows,
        notes: [
          'The backend runs in its own process (bench/llm-backend), so its timers do not share the event loop measured.',
          `Overhead is p50 (p95) through the gateway minus p50 (p95) of a direct fetch of the same body: ${round(overheadP50)} ms (${round(overheadP95)} ms); first-token overhead of streamText ${round(streamOverheadP50)} ms p50.`,
          'The end-to-end throughput includes the ramp-down, when fewer jobs than slots are left; the steady-state row is the backend utilisation while every slot could be fed.',
        ],
      };
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  },
};

function roundAll(summary: ReturnType<typeof summarize>): Record<string, number> {
  return Object.fromEntries(Object.entries(summary).map(([key, value]) => [key, round(value)]));
}
