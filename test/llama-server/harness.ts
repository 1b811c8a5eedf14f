/**
 * Shared setup of the llama-server suite: the built binary (or why the suite cannot run: under CI=true a missing binary
 * is a failure, elsewhere a skip), a tiny GGUF written per file, and a server with its recording proxy.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  chatmlTemplate,
  findLlamaServer,
  type LlamaServer,
  type RecordingProxy,
  startLlamaServer,
  startRecordingProxy,
} from '../../src/llm/testing/llama-server.js';
import { writeTinyGguf } from '../../src/llm/testing/tiny-gguf.js';

export async function llamaServerBinary(): Promise<string | undefined> {
  const binary = await findLlamaServer();
  if (binary !== undefined) return binary;
  const message = 'llama-server is not built (node scripts/build-llama-server.mjs)';
  if (process.env.CI === 'true') throw new Error(`${message} and CI=true: the llama-server suite must run`);
  console.warn(`llama-server suite skipped: ${message}`);
  return undefined;
}

export interface ServedModel {
  server: LlamaServer;
  proxy: RecordingProxy;
  modelPath: string;
  directory: string;
  close(): Promise<void>;
}

/** A tiny random-weight GGUF (ChatML template, 4,096-token training context) served with `-c contextSize --parallel`. */
export async function serveTinyModel(binary: string, options: { contextSize?: number; parallel?: number } = {}): Promise<ServedModel> {
  const directory = await mkdtemp(join(tmpdir(), 'koivulahti-llama-server-'));
  const modelPath = join(directory, 'tiny.gguf');
  await writeTinyGguf(modelPath, { seed: 5, contextLength: 4096, chatTemplate: chatmlTemplate });
  const server = await startLlamaServer({
    binary,
    modelPath,
    contextSize: options.contextSize ?? 4096,
    parallel: options.parallel ?? 4,
  });
  const proxy = await startRecordingProxy(server.origin);
  return {
    server,
    proxy,
    modelPath,
    directory,
    async close() {
      await proxy.close();
      await server.stop();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
