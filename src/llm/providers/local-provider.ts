/**
 * The `local` provider: runs a user-supplied GGUF in this process through node-llama-cpp, an optional dependency that
 * is imported on first use (never statically, so the program runs and typechecks without it). JSON output is enforced
 * with a llama.cpp grammar built from the request's JSON schema. The file is checked here before llama.cpp sees it,
 * because some malformed files (a duplicate token string, for one) abort the whole process inside llama.cpp.
 */
import { open, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { abortError, LlmError, throwIfAborted } from '../errors.js';
import type {
  ChatMessage,
  FinishReason,
  LlmProvider,
  LocalProviderOptions,
  ProviderRequest,
  ProviderResult,
  ResponseFormat,
  StreamPart,
  TokenUsage,
} from '../provider.js';

export interface LocalProviderSettings extends LocalProviderOptions {
  /** Parallel generation slots (sequences of one context); match the alias's concurrency. Default 1. */
  sequences?: number;
  /** Offload to a GPU when one is available. Default false: CPU only. */
  gpu?: boolean;
  /** Sampling seed when the request sets none (only matters with temperature > 0). */
  seed?: number;
  /** Generated-token cap when the request sets no maxTokens. Default 1024. */
  maxTokens?: number;
  /**
   * Receives llama.cpp's log lines (warn and above); unset = node-llama-cpp prints them. The runtime is shared by every
   * local provider with the same GPU mode, so the first one's logger is the one used.
   */
  logger?: (level: string, message: string) => void;
  /** Loads the node-llama-cpp module; tests inject a failing one. */
  importModule?: () => Promise<unknown>;
}

export const localRuntimePackage = 'node-llama-cpp';
export const localRuntimeVersion = '3.22.1';

const defaultContextSizeCap = 4096;
const defaultMaxTokens = 1024;
const grammarCacheSize = 32;

// node-llama-cpp's API, typed structurally with only the members used here so its types are never imported.
type ChatHistoryItem = { type: 'system'; text: string } | { type: 'user'; text: string } | { type: 'model'; response: string[] };
type StopReason = 'abort' | 'maxTokens' | 'eogToken' | 'stopGenerationTrigger' | 'functionCalls' | 'customStopTrigger';

interface LlamaModule {
  getLlama(options: {
    gpu: false | 'auto';
    build: 'never';
    skipDownload: boolean;
    progressLogs: boolean;
    logLevel?: string;
    logger?: (level: string, message: string) => void;
  }): Promise<Llama>;
  LlamaChatSession: new (options: { contextSequence: LlamaContextSequence; autoDisposeSequence?: boolean }) => LlamaChatSession;
}

interface Llama {
  loadModel(options: { modelPath: string; gpuLayers: number | 'auto' }): Promise<LlamaModel>;
  createGrammarForJsonSchema(schema: Record<string, unknown>): Promise<LlamaGrammar>;
  getGrammarFor(type: 'json'): Promise<LlamaGrammar>;
}

interface LlamaModel {
  readonly trainContextSize: number;
  readonly embeddingVectorSize: number;
  readonly tokenizer: unknown;
  createContext(options: { contextSize: number; sequences: number; threads?: number }): Promise<LlamaContext>;
  createEmbeddingContext(options: { contextSize: number; threads?: number }): Promise<LlamaEmbeddingContext>;
  dispose(): Promise<void>;
}

interface LlamaContext {
  getSequence(): LlamaContextSequence;
  dispose(): Promise<void>;
}

interface LlamaContextSequence {
  readonly tokenMeter: { getState(): { usedInputTokens: number; usedOutputTokens: number } };
  dispose(): void;
}

interface LlamaChatSession {
  readonly chatWrapper: {
    generateContextState(options: { chatHistory: ChatHistoryItem[] }): { contextText: { tokenize(tokenizer: unknown): readonly number[] } };
  };
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

type LlamaGrammar = object;

interface LlamaEmbeddingContext {
  getEmbeddingFor(text: string): Promise<{ vector: readonly number[] }>;
  dispose(): Promise<void>;
}

interface LoadedModel {
  llama: Llama;
  model: LlamaModel;
  context: LlamaContext;
  contextSize: number;
  ChatSession: LlamaModule['LlamaChatSession'];
}

interface Waiter {
  resolve(slot: Slot): void;
  reject(error: unknown): void;
}

interface Slot {
  sequence: LlamaContextSequence;
  session: LlamaChatSession;
}

interface Generation {
  text: string;
  usage: TokenUsage;
  finishReason: FinishReason;
}

/** The factory the gateway imports on demand: checks the file and the runtime now, loads the model on first use. */
export async function createLocalProvider(settings: LocalProviderSettings): Promise<LocalProvider> {
  const provider = new LocalProvider(settings);
  await provider.preflight();
  return provider;
}

/** True when node-llama-cpp can be imported here (it is an optional dependency). */
export async function isLocalRuntimeInstalled(importModule: () => Promise<unknown> = importRuntime): Promise<boolean> {
  try {
    await loadModule(importModule);
    return true;
  } catch {
    return false;
  }
}

export class LocalProvider implements LlmProvider {
  readonly kind = 'local' as const;
  private readonly settings: LocalProviderSettings;
  private loading: Promise<LoadedModel> | undefined;
  private embedding: Promise<LlamaEmbeddingContext> | undefined;
  private embeddingQueue: Promise<unknown> = Promise.resolve();
  private readonly grammars = new Map<string, Promise<LlamaGrammar>>();
  private readonly freeSlots: Slot[] = [];
  private readonly waiters: Waiter[] = [];
  private slotCount = 0;
  private closed = false;

  constructor(settings: LocalProviderSettings) {
    this.settings = settings;
  }

  /** Fails fast with `llm_model_invalid` or `llm_not_installed` without loading the weights. */
  async preflight(): Promise<void> {
    await inspectGgufFile(this.settings.modelPath);
    await this.runtime();
  }

  async generate(request: ProviderRequest): Promise<ProviderResult> {
    const generation = await this.run(request, request.signal);
    return { text: generation.text, model: this.modelName(request), usage: generation.usage, finishReason: generation.finishReason };
  }

  async *stream(request: ProviderRequest): AsyncIterable<StreamPart> {
    throwIfAborted(request.signal);
    // An internal signal also stops the generation when the consumer leaves the loop early.
    const controller = new AbortController();
    const forwardAbort = (): void => controller.abort(request.signal?.reason);
    request.signal?.addEventListener('abort', forwardAbort, { once: true });
    const queue = new TextQueue();
    let generation: Generation | undefined;
    const running = this.run(request, controller.signal, (text) => queue.push(text)).then(
      (result) => {
        generation = result;
        queue.end();
      },
      (error: unknown) => queue.fail(error),
    );
    try {
      for await (const text of queue.drain()) yield { type: 'text-delta', text };
      if (generation !== undefined) {
        yield { type: 'finish', model: this.modelName(request), usage: generation.usage, finishReason: generation.finishReason };
      }
    } finally {
      controller.abort();
      request.signal?.removeEventListener('abort', forwardAbort);
      await running;
    }
  }

  async embed(texts: readonly string[], options: { model: string; signal?: AbortSignal }): Promise<number[][]> {
    const signal = options.signal;
    throwIfAborted(signal);
    const loaded = await untilAborted(this.load(), signal);
    const context = await untilAborted(this.embeddingContext(loaded), signal);
    // One embedding context evaluates one input at a time.
    const result = this.embeddingQueue.then(async () => {
      const vectors: number[][] = [];
      for (const text of texts) {
        throwIfAborted(signal);
        // llama.cpp returns an empty vector for empty input; callers expect the model's width.
        if (text === '') {
          vectors.push(new Array<number>(loaded.model.embeddingVectorSize).fill(0));
          continue;
        }
        const embedding = await context.getEmbeddingFor(text).catch((error: unknown) => {
          throw unavailable(`local model could not embed the text: ${messageOf(error)}`, error);
        });
        vectors.push(Array.from(embedding.vector));
      }
      return vectors;
    });
    this.embeddingQueue = result.catch(() => undefined);
    return result;
  }

  async close(): Promise<void> {
    this.closed = true;
    const loading = this.loading;
    const embedding = this.embedding;
    this.loading = undefined;
    this.embedding = undefined;
    const loaded = await loading?.catch(() => undefined);
    await (await embedding?.catch(() => undefined))?.dispose();
    if (loaded !== undefined) {
      await loaded.context.dispose();
      await loaded.model.dispose();
    }
    // The Llama runtime itself stays: llama.cpp's backend cannot be initialised again in this process once freed.
  }

  private modelName(request: ProviderRequest): string {
    return request.model === '' ? basename(this.settings.modelPath) : request.model;
  }

  private async run(request: ProviderRequest, signal: AbortSignal | undefined, onTextChunk?: (text: string) => void): Promise<Generation> {
    throwIfAborted(signal);
    const loaded = await untilAborted(this.load(), signal);
    const grammar = await this.grammarFor(loaded.llama, request.responseFormat).catch((error: unknown) => {
      throw unavailable(`could not build the JSON grammar: ${messageOf(error)}`, error);
    });
    const slot = await this.acquireSlot(loaded, signal);
    const { history, prompt } = toChatHistory(request.messages);
    const params = request.params;
    let healthy = false;
    try {
      slot.session.setChatHistory(history);
      const inputTokens = slot.session.chatWrapper
        .generateContextState({ chatHistory: [...history, { type: 'user', text: prompt }, { type: 'model', response: [] }] })
        .contextText.tokenize(loaded.model.tokenizer).length;
      const before = slot.sequence.tokenMeter.getState().usedOutputTokens;
      const seed = params.seed ?? this.settings.seed;
      const response = await slot.session.promptWithMeta(prompt, {
        maxTokens: params.maxTokens ?? this.settings.maxTokens ?? defaultMaxTokens,
        ...(params.temperature === undefined ? {} : { temperature: params.temperature }),
        ...(params.topP === undefined ? {} : { topP: params.topP }),
        ...(seed === undefined ? {} : { seed }),
        ...(grammar === undefined ? {} : { grammar }),
        ...(params.stop === undefined || params.stop.length === 0 ? {} : { customStopTriggers: params.stop }),
        ...(signal === undefined ? {} : { signal }),
        stopOnAbortSignal: true,
        ...(onTextChunk === undefined ? {} : { onTextChunk: (text: string) => emitText(text, onTextChunk) }),
      });
      healthy = true;
      if (response.stopReason === 'abort' || signal?.aborted) throw abortError(signal);
      const outputTokens = slot.sequence.tokenMeter.getState().usedOutputTokens - before;
      return {
        text: response.responseText,
        usage: { inputTokens, outputTokens, reported: true },
        finishReason: finishReasonOf(response.stopReason),
      };
    } catch (error) {
      if (error instanceof LlmError) throw error;
      if (signal?.aborted) throw abortError(signal);
      throw unavailable(`local model failed to generate: ${messageOf(error)}`, error);
    } finally {
      this.releaseSlot(loaded, slot, healthy);
    }
  }

  private load(): Promise<LoadedModel> {
    if (this.closed) return Promise.reject(unavailable('the local provider is closed'));
    if (this.loading === undefined) {
      const loading = this.loadModel();
      this.loading = loading;
      // A failed load is not cached: the file may be fixed or the runtime installed before the next call.
      loading.catch(() => {
        if (this.loading === loading) this.loading = undefined;
      });
    }
    return this.loading;
  }

  private async loadModel(): Promise<LoadedModel> {
    const modelPath = this.settings.modelPath;
    await inspectGgufFile(modelPath);
    const llama = await this.runtime();
    const { LlamaChatSession } = await loadModule(this.settings.importModule ?? importRuntime);
    const gpu = this.settings.gpu ?? false;
    let model: LlamaModel;
    try {
      model = await llama.loadModel({ modelPath, gpuLayers: gpu ? 'auto' : 0 });
    } catch (error) {
      throw new LlmError('llm_model_invalid', `llama.cpp could not load ${modelPath}: ${messageOf(error)}`, {
        cause: error,
        details: { path: modelPath },
      });
    }
    const contextSize = this.settings.contextSize ?? Math.min(model.trainContextSize, defaultContextSizeCap);
    try {
      const context = await model.createContext({
        contextSize,
        sequences: Math.max(1, this.settings.sequences ?? 1),
        ...(this.settings.threads === undefined ? {} : { threads: this.settings.threads }),
      });
      return { llama, model, context, contextSize, ChatSession: LlamaChatSession };
    } catch (error) {
      await model.dispose();
      throw unavailable(`could not create a ${contextSize}-token context for ${modelPath}: ${messageOf(error)}`, error);
    }
  }

  private runtime(): Promise<Llama> {
    return sharedRuntime(this.settings.importModule ?? importRuntime, this.settings.gpu ?? false, this.settings.logger);
  }

  private embeddingContext(loaded: LoadedModel): Promise<LlamaEmbeddingContext> {
    if (this.embedding === undefined) {
      const creating = loaded.model
        .createEmbeddingContext({
          contextSize: loaded.contextSize,
          ...(this.settings.threads === undefined ? {} : { threads: this.settings.threads }),
        })
        .catch((error: unknown) => {
          if (this.embedding === creating) this.embedding = undefined;
          throw unavailable(`could not create an embedding context: ${messageOf(error)}`, error);
        });
      this.embedding = creating;
    }
    return this.embedding;
  }

  private grammarFor(llama: Llama, format: ResponseFormat): Promise<LlamaGrammar | undefined> {
    if (format.type === 'text') return Promise.resolve(undefined);
    const key = format.type === 'json_object' ? 'json' : JSON.stringify(format.schema);
    let grammar = this.grammars.get(key);
    if (grammar === undefined) {
      grammar =
        format.type === 'json_object'
          ? llama.getGrammarFor('json')
          : // A schema the grammar generator cannot express still gets syntactically valid JSON; the gateway validates.
            llama.createGrammarForJsonSchema(format.schema).catch(() => llama.getGrammarFor('json'));
      if (this.grammars.size >= grammarCacheSize) {
        const oldest = this.grammars.keys().next().value;
        if (oldest !== undefined) this.grammars.delete(oldest);
      }
      this.grammars.set(key, grammar);
      grammar.catch(() => this.grammars.delete(key));
    }
    return grammar;
  }

  private acquireSlot(loaded: LoadedModel, signal: AbortSignal | undefined): Promise<Slot> {
    const free = this.freeSlots.pop();
    if (free !== undefined) return Promise.resolve(free);
    if (this.slotCount < Math.max(1, this.settings.sequences ?? 1)) {
      try {
        return Promise.resolve(this.createSlot(loaded));
      } catch (error) {
        return Promise.reject(unavailable(`could not open a context sequence: ${messageOf(error)}`, error));
      }
    }
    return new Promise<Slot>((resolve, reject) => {
      const onAbort = (): void => {
        const index = this.waiters.indexOf(waiter);
        if (index >= 0) this.waiters.splice(index, 1);
        reject(abortError(signal));
      };
      const waiter: Waiter = {
        resolve: (slot) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(slot);
        },
        reject: (error) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      this.waiters.push(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  private createSlot(loaded: LoadedModel): Slot {
    const sequence = loaded.context.getSequence();
    const session = new loaded.ChatSession({ contextSequence: sequence });
    this.slotCount++;
    return { sequence, session };
  }

  /** A slot whose generation threw is discarded (its state is unknown); the next caller gets a fresh one. */
  private releaseSlot(loaded: LoadedModel, slot: Slot, healthy: boolean): void {
    if (!healthy) {
      this.slotCount--;
      try {
        slot.session.dispose({ disposeSequence: true });
      } catch {
        // Already disposed with its context (the provider was closed).
      }
    }
    const waiter = this.waiters.shift();
    if (waiter === undefined) {
      if (healthy) this.freeSlots.push(slot);
      return;
    }
    if (healthy) {
      waiter.resolve(slot);
      return;
    }
    try {
      waiter.resolve(this.createSlot(loaded));
    } catch (error) {
      waiter.reject(unavailable(`could not open a context sequence: ${messageOf(error)}`, error));
    }
  }
}

function emitText(text: string, onTextChunk: (text: string) => void): void {
  if (text !== '') onTextChunk(text);
}

function toChatHistory(messages: readonly ChatMessage[]): { history: ChatHistoryItem[]; prompt: string } {
  const last = messages.at(-1);
  // The session always appends a user turn; without a trailing user message that turn is empty.
  const prompt = last?.role === 'user' ? last.content : '';
  const earlier = last?.role === 'user' ? messages.slice(0, -1) : messages;
  const history = earlier.map((message): ChatHistoryItem => {
    if (message.role === 'system') return { type: 'system', text: message.content };
    if (message.role === 'user') return { type: 'user', text: message.content };
    return { type: 'model', response: [message.content] };
  });
  return { history, prompt };
}

function finishReasonOf(stopReason: StopReason): FinishReason {
  if (stopReason === 'maxTokens') return 'length';
  if (stopReason === 'eogToken' || stopReason === 'stopGenerationTrigger' || stopReason === 'customStopTrigger') return 'stop';
  return 'other';
}

/** In-process failures are not a busy backend: a retry would fail the same way, so they are not retryable. */
function unavailable(message: string, cause?: unknown): LlmError {
  return new LlmError('llm_unavailable', message, { retryable: false, ...(cause === undefined ? {} : { cause }) });
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** Text chunks pushed by node-llama-cpp's callback, pulled by the stream's consumer. */
class TextQueue {
  private readonly items: string[] = [];
  private ended = false;
  private failure: { error: unknown } | undefined;
  private wake: (() => void) | undefined;

  push(text: string): void {
    this.items.push(text);
    this.notify();
  }

  end(): void {
    this.ended = true;
    this.notify();
  }

  fail(error: unknown): void {
    this.failure = { error };
    this.notify();
  }

  async *drain(): AsyncGenerator<string> {
    for (;;) {
      const item = this.items.shift();
      if (item !== undefined) {
        yield item;
        continue;
      }
      if (this.failure !== undefined) throw this.failure.error;
      if (this.ended) return;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// Runtime loading

// A string-typed specifier, so TypeScript does not resolve the optional package (typecheck passes without it).
const runtimeSpecifier: string = localRuntimePackage;

function importRuntime(): Promise<unknown> {
  return import(runtimeSpecifier);
}

function installHint(): string {
  const platformPackage = process.platform === 'linux' ? ` @node-llama-cpp/linux-${process.arch}@${localRuntimeVersion}` : '';
  return `npm install ${localRuntimePackage}@${localRuntimeVersion}${platformPackage}`;
}

async function loadModule(importModule: () => Promise<unknown>): Promise<LlamaModule> {
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

function sharedRuntime(importModule: () => Promise<unknown>, gpu: boolean, logger: ((level: string, message: string) => void) | undefined) {
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

// ---------------------------------------------------------------------------------------------------------------------
// GGUF inspection

export interface GgufSummary {
  version: number;
  tensorCount: number;
  metadataCount: number;
  architecture: string | undefined;
  tokenCount: number | undefined;
  fileSize: number;
}

/** ggml tensor types: [elements per block, bytes per block]. Unknown (newer) types skip the size check. */
const ggmlBlockSizes: Record<number, readonly [number, number]> = {
  0: [1, 4], // F32
  1: [1, 2], // F16
  2: [32, 18], // Q4_0
  3: [32, 20], // Q4_1
  6: [32, 22], // Q5_0
  7: [32, 24], // Q5_1
  8: [32, 34], // Q8_0
  9: [32, 36], // Q8_1
  10: [256, 84], // Q2_K
  11: [256, 110], // Q3_K
  12: [256, 144], // Q4_K
  13: [256, 176], // Q5_K
  14: [256, 210], // Q6_K
  15: [256, 292], // Q8_K
  16: [256, 66], // IQ2_XXS
  17: [256, 74], // IQ2_XS
  18: [256, 98], // IQ3_XXS
  19: [256, 50], // IQ1_S
  20: [32, 18], // IQ4_NL
  21: [256, 110], // IQ3_S
  22: [256, 82], // IQ2_S
  23: [256, 136], // IQ4_XS
  24: [1, 1], // I8
  25: [1, 2], // I16
  26: [1, 4], // I32
  27: [1, 8], // I64
  28: [1, 8], // F64
  29: [256, 56], // IQ1_M
  30: [1, 2], // BF16
  34: [256, 54], // TQ1_0
  35: [256, 66], // TQ2_0
  39: [32, 17], // MXFP4
  40: [64, 36], // NVFP4
  41: [128, 18], // Q1_0
  42: [64, 18], // Q2_0
};

/** Byte sizes of GGUF metadata value types (string = 8 and array = 9 are variable). */
const ggufValueSizes: Record<number, number> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };
const ggufString = 8;
const ggufArray = 9;
const ggufUint32 = 4;

class TruncatedError extends Error {}

/**
 * Reads the header, metadata and tensor table of a GGUF file and checks what would make llama.cpp fail or abort:
 * missing file, bad magic, unsupported version, truncation anywhere, tensor data past the end of the file, and duplicate
 * token strings. Throws `llm_model_invalid` naming the path and the reason.
 */
export async function inspectGgufFile(path: string): Promise<GgufSummary> {
  const invalid = (reason: string, cause?: unknown) =>
    new LlmError('llm_model_invalid', `${path} is not a usable GGUF model: ${reason}`, {
      details: { path, reason },
      ...(cause === undefined ? {} : { cause }),
    });
  let fileSize: number;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw invalid('not a regular file');
    fileSize = info.size;
  } catch (error) {
    if (error instanceof LlmError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new LlmError('llm_model_invalid', `model file not found: ${path}`, { details: { path, reason: 'not found' }, cause: error });
    }
    throw invalid(`cannot read the file (${messageOf(error)})`, error);
  }

  const handle = await open(path, 'r').catch((error: unknown) => {
    throw invalid(`cannot open the file (${messageOf(error)})`, error);
  });
  const reader = new FileReader(handle, fileSize);
  let section = 'the header';
  try {
    const magic = await reader.bytes(4);
    if (magic.toString('latin1') !== 'GGUF') {
      throw invalid(`bad magic ${magic.toString('hex')} (expected 47475546, "GGUF")`);
    }
    const version = await reader.uint32();
    if (version !== 2 && version !== 3) throw invalid(`unsupported GGUF version ${version} (llama.cpp reads versions 2 and 3)`);
    const tensorCount = await reader.uint64();
    const metadataCount = await reader.uint64();
    // Every entry takes at least 8 bytes, which bounds the counts of a well-formed file by its size.
    if (tensorCount * 8 > fileSize || metadataCount * 8 > fileSize) {
      throw invalid(`implausible header (${tensorCount} tensors, ${metadataCount} metadata entries in ${fileSize} bytes)`);
    }

    let architecture: string | undefined;
    let alignment = 32;
    let tokenCount: number | undefined;
    for (let index = 0; index < metadataCount; index++) {
      section = `metadata entry ${index}`;
      const key = await reader.string();
      section = `metadata "${key}"`;
      const type = await reader.uint32();
      if (type === ggufArray) {
        const itemType = await reader.uint32();
        const count = await reader.uint64();
        if (itemType === ggufString) {
          const seen = key === 'tokenizer.ggml.tokens' ? new Map<string, number>() : undefined;
          for (let item = 0; item < count; item++) {
            const text = await reader.string();
            if (seen === undefined) continue;
            // llama.cpp renames empty tokens this way before building its token-to-id map.
            const token = text === '' ? `[EMPTY_${item}]` : text;
            const previous = seen.get(token);
            if (previous !== undefined) {
              throw invalid(
                `duplicate token string ${JSON.stringify(token)} at ids ${previous} and ${item} (llama.cpp would abort the process)`,
              );
            }
            seen.set(token, item);
          }
          if (seen !== undefined) tokenCount = count;
        } else {
          const size = ggufValueSizes[itemType];
          if (size === undefined) throw invalid(`metadata "${key}" has an array of unknown type ${itemType}`);
          await reader.skip(size * count);
        }
      } else if (type === ggufString) {
        const value = await reader.string();
        if (key === 'general.architecture') architecture = value;
      } else {
        const size = ggufValueSizes[type];
        if (size === undefined) throw invalid(`metadata "${key}" has unknown type ${type}`);
        if (key === 'general.alignment' && type === ggufUint32) alignment = await reader.uint32();
        else await reader.skip(size);
      }
    }
    if (alignment === 0 || (alignment & (alignment - 1)) !== 0) throw invalid(`general.alignment ${alignment} is not a power of two`);

    let dataEnd = 0;
    let lastTensor = '';
    for (let index = 0; index < tensorCount; index++) {
      section = `tensor info ${index}`;
      const name = await reader.string();
      section = `tensor info "${name}"`;
      const dimensionCount = await reader.uint32();
      if (dimensionCount > 4) throw invalid(`tensor "${name}" has ${dimensionCount} dimensions (at most 4)`);
      let elements = 1;
      let innermost = 1;
      for (let dimension = 0; dimension < dimensionCount; dimension++) {
        const length = await reader.uint64();
        if (dimension === 0) innermost = length;
        elements *= length;
      }
      const type = await reader.uint32();
      const offset = await reader.uint64();
      const block = ggmlBlockSizes[type];
      if (block === undefined) continue;
      const [blockElements, blockBytes] = block;
      if (innermost % blockElements !== 0) throw invalid(`tensor "${name}" rows are not whole blocks of its type ${type}`);
      const end = offset + (elements / blockElements) * blockBytes;
      if (end > dataEnd) {
        dataEnd = end;
        lastTensor = name;
      }
    }
    section = 'the tensor data';
    const dataStart = Math.ceil(reader.position / alignment) * alignment;
    if (tensorCount > 0 && dataStart + dataEnd > fileSize) {
      throw invalid(`truncated: tensor "${lastTensor}" ends at byte ${dataStart + dataEnd} but the file has ${fileSize} bytes`);
    }
    return { version, tensorCount, metadataCount, architecture, tokenCount, fileSize };
  } catch (error) {
    if (error instanceof TruncatedError) throw invalid(`truncated: the file ends (${fileSize} bytes) inside ${section}`);
    throw error;
  } finally {
    await handle.close();
  }
}

/** Little-endian reads through a 1 MiB window, so a vocabulary of 250k strings costs a few reads, not 250k. */
class FileReader {
  position = 0;
  private window = Buffer.alloc(0);
  private windowStart = 0;

  constructor(
    private readonly handle: Awaited<ReturnType<typeof open>>,
    private readonly size: number,
  ) {}

  async bytes(length: number): Promise<Buffer> {
    const start = await this.ensure(length);
    this.position += length;
    return this.window.subarray(start, start + length);
  }

  async uint32(): Promise<number> {
    const start = await this.ensure(4);
    this.position += 4;
    return this.window.readUInt32LE(start);
  }

  /** A u64 as a number; values past 2^53 cannot describe anything inside a real file and read as truncation. */
  async uint64(): Promise<number> {
    const start = await this.ensure(8);
    this.position += 8;
    const value = this.window.readBigUInt64LE(start);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new TruncatedError();
    return Number(value);
  }

  async string(): Promise<string> {
    const length = await this.uint64();
    return (await this.bytes(length)).toString('utf8');
  }

  async skip(length: number): Promise<void> {
    if (this.position + length > this.size) throw new TruncatedError();
    this.position += length;
  }

  private async ensure(length: number): Promise<number> {
    if (this.position + length > this.size) throw new TruncatedError();
    const windowEnd = this.windowStart + this.window.length;
    if (this.position >= this.windowStart && this.position + length <= windowEnd) return this.position - this.windowStart;
    const readLength = Math.min(Math.max(length, 1 << 20), this.size - this.position);
    const window = Buffer.alloc(readLength);
    const { bytesRead } = await this.handle.read(window, 0, readLength, this.position);
    if (bytesRead < length) throw new TruncatedError();
    this.window = window.subarray(0, bytesRead);
    this.windowStart = this.position;
    return 0;
  }
}
