/**
 * node-llama-cpp, the optional runtime of the `local` provider: its API typed structurally (only the members used, so
 * its types are never imported), and loading it on demand, one shared Llama runtime per GPU mode.
 */
import { availableParallelism } from 'node:os';
import { LlmError } from '../errors.js';

export const localRuntimePackage = 'node-llama-cpp';
export const localRuntimeVersion = '3.22.1';

// node-llama-cpp's API, typed structurally with only the members used here so its types are never imported.
export type ChatHistoryItem = { type: 'system'; text: string } | { type: 'user'; text: string } | { type: 'model'; response: string[] };
export type StopReason = 'abort' | 'maxTokens' | 'eogToken' | 'stopGenerationTrigger' | 'functionCalls' | 'customStopTrigger';

export interface LlamaModule {
  getLlama(options: {
    gpu: false | 'auto';
    build: 'never';
    skipDownload: boolean;
    progressLogs: boolean;
    logLevel?: string;
    logger?: (level: string, message: string) => void;
  }): Promise<Llama>;
  LlamaChatSession: new (options: { contextSequence: LlamaContextSequence; autoDisposeSequence?: boolean }) => LlamaChatSession;
  /** The chat wrapper a LlamaChatSession picks for the model (its GGUF template, or one for its architecture). */
  resolveChatWrapper(model: LlamaModel): ChatWrapper;
}

export interface ChatWrapper {
  generateContextState(options: { chatHistory: ChatHistoryItem[] }): { contextText: { tokenize(tokenizer: unknown): readonly number[] } };
}

export interface Llama {
  loadModel(options: { modelPath: string; gpuLayers: number | 'auto' }): Promise<LlamaModel>;
  createGrammarForJsonSchema(schema: Record<string, unknown>): Promise<LlamaGrammar>;
  getGrammarFor(type: 'json'): Promise<LlamaGrammar>;
}

export interface LlamaModel {
  readonly trainContextSize: number;
  readonly embeddingVectorSize: number;
  readonly tokenizer: unknown;
  createContext(options: { contextSize: number; sequences: number; threads?: number }): Promise<LlamaContext>;
  createEmbeddingContext(options: { contextSize: number; threads?: number }): Promise<LlamaEmbeddingContext>;
  dispose(): Promise<void>;
}

export interface LlamaContext {
  getSequence(): LlamaContextSequence;
  dispose(): Promise<void>;
}

export interface LlamaContextSequence {
  readonly tokenMeter: { getState(): { usedInputTokens: number; usedOutputTokens: number } };
  dispose(): void;
}

export interface LlamaChatSession {
  readonly chatWrapper: ChatWrapper;
  setChatHistory(history: ChatHistoryItem[]): void;
  promptWithMeta(
    prompt: string,
    options: {
      maxTokens: number;
      temperature?: number;
      topP?: number;
      seed?: number;
      grammar?: LlamaGrammar;
      customStopTriggers?: string[];
      signal?: AbortSignal;
      stopOnAbortSignal: boolean;
      onTextChunk?: (text: string) => void;
    },
  ): Promise<{ responseText: string; stopReason: StopReason }>;
  dispose(options?: { disposeSequence?: boolean }): void;
}

export type LlamaGrammar = object;

export interface LlamaEmbeddingContext {
  getEmbeddingFor(text: string): Promise<{ vector: readonly number[] }>;
  dispose(): Promise<void>;
}

/**
 * CPU threads when the configuration sets none: half the cores the process may use, at least one. node-llama-cpp's own
 * default is at least 4, and ggml's workers spin at every barrier of the graph: with more threads than free cores
 * (a 2-core machine, or any loaded one) each token waits for descheduled spinners, which made a tiny model take
 * seconds per token where one thread takes well under a millisecond.
 */
export function defaultThreads(cores: number = availableParallelism()): number {
  return Math.max(1, Math.floor(cores / 2));
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// A string-typed specifier, so TypeScript does not resolve the optional package (typecheck passes without it).
const runtimeSpecifier: string = localRuntimePackage;

export function importRuntime(): Promise<unknown> {
  return import(runtimeSpecifier);
}

function installHint(): string {
  const platformPackage = process.platform === 'linux' ? ` @node-llama-cpp/linux-${process.arch}@${localRuntimeVersion}` : '';
  return `npm install ${localRuntimePackage}@${localRuntimeVersion}${platformPackage}`;
}

export async function loadModule(importModule: () => Promise<unknown>): Promise<LlamaModule> {
  let imported: unknown;
  try {
    imported = await importModule();
  } catch (error) {
    throw new LlmError(
      'llm_not_installed',
      `the local model runtime ${localRuntimePackage} is not installed (${messageOf(error)}); install it with: ${installHint()}`,
      { cause: error, details: { install: installHint() } },
    );
  }
  const module = imported as Partial<LlamaModule> | null;
  if (typeof module?.getLlama !== 'function' || typeof module.LlamaChatSession !== 'function') {
    throw new LlmError('llm_not_installed', `${localRuntimePackage} does not look like version 3; install it with: ${installHint()}`, {
      details: { install: installHint() },
    });
  }
  return module as LlamaModule;
}

// One Llama runtime per imported module and GPU mode, shared by every provider and never disposed: disposing it frees
// llama.cpp's process-wide backend, which cannot be initialised again in the same process.
const runtimes = new Map<() => Promise<unknown>, Map<string, Promise<Llama>>>();

export function sharedRuntime(
  importModule: () => Promise<unknown>,
  gpu: boolean,
  logger: ((level: string, message: string) => void) | undefined,
) {
  let byMode = runtimes.get(importModule);
  if (byMode === undefined) {
    byMode = new Map();
    runtimes.set(importModule, byMode);
  }
  const mode = gpu ? 'gpu' : 'cpu';
  let runtime = byMode.get(mode);
  if (runtime === undefined) {
    const starting = startRuntime(importModule, gpu, logger);
    runtime = starting;
    byMode.set(mode, starting);
    starting.catch(() => byMode.delete(mode));
  }
  return runtime;
}

async function startRuntime(
  importModule: () => Promise<unknown>,
  gpu: boolean,
  logger: ((level: string, message: string) => void) | undefined,
): Promise<Llama> {
  const module = await loadModule(importModule);
  try {
    // build 'never' + skipDownload: use the prebuilt binary or fail; never fetch or compile llama.cpp at run time.
    return await module.getLlama({
      gpu: gpu ? 'auto' : false,
      build: 'never',
      skipDownload: true,
      progressLogs: false,
      logLevel: 'warn',
      ...(logger === undefined ? {} : { logger }),
    });
  } catch (error) {
    throw new LlmError(
      'llm_not_installed',
      `${localRuntimePackage} is installed but its llama.cpp binary could not be loaded (${messageOf(error)}); install the prebuilt binary: ${installHint()}`,
      { cause: error, details: { install: installHint() } },
    );
  }
}
