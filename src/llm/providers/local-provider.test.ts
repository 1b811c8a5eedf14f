/**
 * The local provider. The file checks and the "not installed" path always run; the model tests run when node-llama-cpp
 * is installed, against a random-weight tiny GGUF the test writes itself (the output is gibberish, the plumbing is real).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it, vi } from 'vitest';
import { z } from 'zod';
import { LlmError } from '../errors.js';
import type { ChatMessage, LocalProviderFactory, ProviderRequest, StreamPart } from '../provider.js';
import { buildTinyGguf, writeTinyGguf } from '../testing/tiny-gguf.js';
import { inspectGgufFile } from './gguf-parser.js';
import { defaultThreads } from './llama-runtime.js';
import { createLocalProvider, isLocalRuntimeInstalled, LocalProvider } from './local-provider.js';

const available = await isLocalRuntimeInstalled();
// CI installs node-llama-cpp, so there a missing runtime fails the suite instead of skipping it (except where CI says
// the runtime is optional: the second Node version's run, which installs only package.json).
if (!available && process.env.CI === 'true' && process.env.KOIVULAHTI_LOCAL_RUNTIME !== 'optional') {
  throw new Error('node-llama-cpp is not installed and CI=true: the local provider tests must run');
}
if (!available) {
  console.warn(
    'local-provider.test: node-llama-cpp is not installed, skipping the model tests ' +
      '(npm install --no-save node-llama-cpp@3.22.1 @node-llama-cpp/linux-x64@3.22.1)',
  );
}

let directory = '';
let modelPath = '';

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'koivulahti-local-provider-'));
  modelPath = join(directory, 'tiny.gguf');
  await writeTinyGguf(modelPath, { seed: 3 });
});

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

function request(messages: ChatMessage[], overrides: Partial<ProviderRequest> = {}): ProviderRequest {
  return { model: 'tiny', messages, params: {}, responseFormat: { type: 'text' }, ...overrides };
}

async function writeVariant(name: string, change: (bytes: Buffer) => Buffer): Promise<string> {
  const path = join(directory, name);
  await writeFile(path, change(Buffer.from(await readFile(modelPath))));
  return path;
}

describe('GGUF checks', () => {
  it('accepts the tiny GGUF and reads its header', async () => {
    const summary = await inspectGgufFile(modelPath);
    expect(summary).toMatchObject({ version: 3, architecture: 'llama', tensorCount: 2 + 2 * 9 + 1 });
    expect(summary.tokenCount).toBe(buildTinyGguf().vocabulary.length);
  });

  it('names the path of a missing file', async () => {
    const missing = join(directory, 'nowhere.gguf');
    const importModule = vi.fn(() => import('node:path'));
    await expect(createLocalProvider({ modelPath: missing, importModule })).rejects.toMatchObject({
      code: 'llm_model_invalid',
      message: expect.stringContaining(missing),
    });
    expect(importModule).not.toHaveBeenCalled();
  });

  it('reports the same errors from a lazily constructed provider on its first call', async () => {
    const missing = join(directory, 'also-nowhere.gguf');
    const provider = new LocalProvider({ modelPath: missing });
    await expect(provider.generate(request([{ role: 'user', content: 'Hi' }]))).rejects.toMatchObject({ code: 'llm_model_invalid' });
    await expect(provider.embed(['Hi'], { model: 'tiny' })).rejects.toMatchObject({ code: 'llm_model_invalid' });
  });

  it('rejects a file with a bad magic', async () => {
    const path = await writeVariant('bad-magic.gguf', (bytes) => Buffer.concat([Buffer.from('GGML'), bytes.subarray(4)]));
    await expect(inspectGgufFile(path)).rejects.toMatchObject({ code: 'llm_model_invalid', message: expect.stringMatching(/bad magic/) });
  });

  it('rejects an unsupported version', async () => {
    const path = await writeVariant('version-1.gguf', (bytes) => {
      const copy = Buffer.from(bytes);
      copy.writeUInt32LE(1, 4);
      return copy;
    });
    await expect(inspectGgufFile(path)).rejects.toMatchObject({ message: expect.stringMatching(/unsupported GGUF version 1/) });
  });

  it('rejects a file truncated inside the metadata', async () => {
    const path = await writeVariant('truncated-metadata.gguf', (bytes) => bytes.subarray(0, 2000));
    await expect(inspectGgufFile(path)).rejects.toMatchObject({
      code: 'llm_model_invalid',
      message: expect.stringMatching(/truncated: .*inside metadata "tokenizer\.ggml\.tokens"/),
    });
  });

  it('rejects a file truncated inside the tensor data', async () => {
    const path = await writeVariant('truncated-data.gguf', (bytes) => bytes.subarray(0, bytes.length - 100));
    await expect(inspectGgufFile(path)).rejects.toMatchObject({
      code: 'llm_model_invalid',
      message: expect.stringMatching(/truncated: tensor "output\.weight" ends at byte/),
    });
  });

  it('rejects a duplicate token string, which would abort the process inside llama.cpp', async () => {
    // '▁sun' and '▁the' have the same UTF-8 length, so the patch keeps every offset valid.
    const path = await writeVariant('duplicate-token.gguf', (bytes) => {
      const copy = Buffer.from(bytes);
      const at = copy.indexOf(Buffer.from('▁sun'));
      Buffer.from('▁the').copy(copy, at);
      return copy;
    });
    await expect(inspectGgufFile(path)).rejects.toMatchObject({ message: expect.stringMatching(/duplicate token string "▁the" at ids/) });
  });

  it('exports the factory the gateway imports on demand', () => {
    expectTypeOf(createLocalProvider).toExtend<LocalProviderFactory>();
    expect(createLocalProvider).toBeTypeOf('function');
  });

  it('reports a missing runtime with the install command', async () => {
    const importModule = () =>
      Promise.reject(Object.assign(new Error("Cannot find package 'node-llama-cpp'"), { code: 'ERR_MODULE_NOT_FOUND' }));
    const failure = await createLocalProvider({ modelPath, importModule }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(LlmError);
    expect(failure).toMatchObject({ code: 'llm_not_installed', message: expect.stringContaining('npm install node-llama-cpp@3.22.1') });
    expect(await isLocalRuntimeInstalled(importModule)).toBe(false);
  });

  it('reports a runtime that is not node-llama-cpp 3 as not installed', async () => {
    await expect(createLocalProvider({ modelPath, importModule: () => import('node:path') })).rejects.toMatchObject({
      code: 'llm_not_installed',
    });
  });
});

describe('default threads', () => {
  it('uses half the cores, at least one: never more spinning workers than a 2-core machine can run', () => {
    expect(defaultThreads(2)).toBe(1);
    expect(defaultThreads(1)).toBe(1);
    expect(defaultThreads(16)).toBe(8);
  });
});

describe.skipIf(!available)('local provider on a tiny random GGUF', () => {
  let provider: LocalProvider;

  beforeAll(async () => {
    provider = await createLocalProvider({ modelPath, threads: 1, contextSize: 256, seed: 7 });
  });

  afterAll(async () => {
    await provider?.close();
  });

  it('chats with a system prompt and history', async () => {
    const result = await provider.generate(
      request(
        [
          { role: 'system', content: 'You are a villager in Koivulahti.' },
          { role: 'user', content: 'Good morning!' },
          { role: 'assistant', content: 'Morning. The lake is calm.' },
          { role: 'user', content: 'Is the sauna warm?' },
        ],
        { params: { maxTokens: 16, temperature: 0.8 } },
      ),
    );
    expect(result.model).toBe('tiny');
    expect(result.text.length).toBeGreaterThan(0);
    expect(result.usage?.reported).toBe(true);
    expect(result.usage?.inputTokens).toBeGreaterThan(20);
    expect(result.usage?.outputTokens).toBeGreaterThan(0);
    expect(result.usage?.outputTokens).toBeLessThanOrEqual(16);
    expect(['stop', 'length']).toContain(result.finishReason);
  });

  it("says its sequence context and slots, and counts a prompt with the model's tokenizer and template", async () => {
    expect(await provider.limits({})).toEqual({ contextTokens: 256, slots: 1, source: 'context' });
    const messages: ChatMessage[] = [
      { role: 'system', content: 'You are a villager.' },
      { role: 'user', content: 'Is the sauna warm?' },
    ];
    const counted = await provider.countTokens(messages, {});
    const result = await provider.generate(request(messages, { params: { maxTokens: 4 } }));
    expect(counted).toBe(result.usage?.inputTokens);
    expect(
      await provider.countTokens([...messages, { role: 'assistant', content: 'Yes.' }, { role: 'user', content: 'Good.' }], {}),
    ).toBeGreaterThan(counted);
  });

  it('constrains an object to the JSON schema with a grammar', async () => {
    const schema = z.object({ mood: z.enum(['calm', 'busy', 'tired']), note: z.string().max(12), sunny: z.boolean() });
    const result = await provider.generate(
      request([{ role: 'user', content: 'Describe the village as JSON.' }], {
        params: { maxTokens: 200, temperature: 0.8 },
        responseFormat: { type: 'json_schema', name: 'village', schema: z.toJSONSchema(schema) as Record<string, unknown> },
      }),
    );
    expect(result.finishReason).toBe('stop');
    expect(schema.safeParse(JSON.parse(result.text)).success).toBe(true);
  });

  it('produces JSON in json_object mode', async () => {
    const result = await provider.generate(
      request([{ role: 'user', content: 'Any JSON.' }], {
        params: { maxTokens: 200, temperature: 0.8 },
        responseFormat: { type: 'json_object' },
      }),
    );
    // The generic JSON grammar admits unbounded nesting, so a random model may hit the token limit; the start is fixed.
    expect(result.text.trimStart()).toMatch(/^[{[]/);
    if (result.finishReason === 'stop') expect(() => JSON.parse(result.text)).not.toThrow();
  });

  it('streams deltas and stops with llm_aborted when the signal fires midway', async () => {
    const controller = new AbortController();
    const parts: StreamPart[] = [];
    const consume = async () => {
      for await (const part of provider.stream(
        request([{ role: 'user', content: 'Tell a long story.' }], {
          params: { maxTokens: 200, temperature: 0.8 },
          signal: controller.signal,
        }),
      )) {
        parts.push(part);
        if (parts.length === 3) controller.abort();
      }
    };
    await expect(consume()).rejects.toMatchObject({ code: 'llm_aborted' });
    expect(parts.length).toBeGreaterThanOrEqual(3);
    expect(parts.every((part) => part.type === 'text-delta')).toBe(true);
  });

  it('streams to a finish part with usage', async () => {
    const parts: StreamPart[] = [];
    for await (const part of provider.stream(
      request([{ role: 'user', content: 'Hello?' }], { params: { maxTokens: 12, temperature: 0.8 } }),
    )) {
      parts.push(part);
    }
    const finish = parts.at(-1);
    expect(finish).toMatchObject({ type: 'finish', model: 'tiny', usage: { reported: true } });
    expect(parts.filter((part) => part.type === 'finish')).toHaveLength(1);
  });

  it("keeps the gateway's abort reason", async () => {
    const controller = new AbortController();
    controller.abort(new LlmError('llm_timeout', 'the request timed out'));
    await expect(provider.generate(request([{ role: 'user', content: 'Hi' }], { signal: controller.signal }))).rejects.toMatchObject({
      code: 'llm_timeout',
    });
  });

  it('frees the slot when the consumer leaves a stream early, and queues concurrent calls', async () => {
    let seen = 0;
    for await (const _part of provider.stream(
      request([{ role: 'user', content: 'Go on.' }], { params: { maxTokens: 100, temperature: 0.8 } }),
    )) {
      seen++;
      if (seen === 2) break;
    }
    const results = await Promise.all(
      ['one', 'two', 'three'].map((content) =>
        provider.generate(request([{ role: 'user', content }], { params: { maxTokens: 6, temperature: 0.8 } })),
      ),
    );
    expect(results).toHaveLength(3);
  });

  it('embeds texts as vectors of the embedding size', async () => {
    const vectors = await provider.embed(['hello village', 'the lake is calm', ''], { model: 'tiny' });
    expect(vectors).toHaveLength(3);
    for (const vector of vectors) {
      expect(vector).toHaveLength(64);
      expect(vector.every(Number.isFinite)).toBe(true);
    }
    expect(vectors[0]).not.toEqual(vectors[1]);
  });

  it('loads once for concurrent first calls, refuses calls after close, and a new provider loads again', async () => {
    const second = new LocalProvider({ modelPath, threads: 1, contextSize: 256 });
    const loadModel = vi.spyOn(second as unknown as { loadModel: () => Promise<unknown> }, 'loadModel');
    await Promise.all([
      second.generate(request([{ role: 'user', content: 'Hi' }], { params: { maxTokens: 4 } })),
      second.embed(['Hi'], { model: 'tiny' }),
    ]);
    expect(loadModel).toHaveBeenCalledTimes(1);
    await second.close();
    await expect(second.generate(request([{ role: 'user', content: 'Hi' }]))).rejects.toMatchObject({ code: 'llm_unavailable' });
    const third = await createLocalProvider({ modelPath, threads: 1, contextSize: 256 });
    const result = await third.generate(request([{ role: 'user', content: 'Hi' }], { params: { maxTokens: 4, temperature: 0.8 } }));
    expect(result.usage?.outputTokens).toBeGreaterThan(0);
    await third.close();
  });
});
