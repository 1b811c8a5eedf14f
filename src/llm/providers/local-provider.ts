/**
 * The `local` provider: runs a user-supplied GGUF in this process through node-llama-cpp, an optional dependency that
 * is imported on first use (never statically, so the program runs and typechecks without it). JSON output is enforced
 * with a llama.cpp grammar built from the request's JSON schema. The file is checked here before llama.cpp sees it,
 * because some malformed files (a duplicate token string, for one) abort the whole process inside llama.cpp.
 */
import { basename } from 'node:path';
import { abortError, LlmError, throwIfAborted } from '../errors.js';
import type {
  BackendLimits,
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
import { inspectGgufFile } from './gguf-parser.js';
import {
  type ChatHistoryItem,
  type ChatWrapper,
  defaultThreads,
  importRuntime,
  type Llama,
  type LlamaChatSession,
  type LlamaContext,
  type LlamaContextSequence,
  type LlamaEmbeddingContext,
  type LlamaGrammar,
  type LlamaModel,
  type LlamaModule,
  loadModule,
  messageOf,
  type StopReason,
  sharedRuntime,
} from './llama-runtime.js';

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

const defaultContextSizeCap = 4096;
const defaultMaxTokens = 1024;
const grammarCacheSize = 32;

interface LoadedModel {
  llama: Llama;
  model: LlamaModel;
  context: LlamaContext;
  /** Each sequence's context: what one request may hold. */
  contextSize: number;
  ChatSession: LlamaModule['LlamaChatSession'];
  /** Renders a chat as the sessions do, for counting a prompt's tokens without a sequence. */
  wrapper: ChatWrapper;
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

  /** One request may hold a sequence's context; the sequences are the slots. Loads the model if it is not yet. */
  async limits(options: { signal?: AbortSignal }): Promise<BackendLimits> {
    const loaded = await untilAborted(this.load(), options.signal);
    return { contextTokens: loaded.contextSize, slots: Math.max(1, this.settings.sequences ?? 1), source: 'context' };
  }

  /** The prompt in the model's own tokens, rendered by the chat wrapper the sessions use. */
  async countTokens(messages: readonly ChatMessage[], options: { signal?: AbortSignal }): Promise<number> {
    const loaded = await untilAborted(this.load(), options.signal);
    const { history, prompt } = toChatHistory(messages);
    return promptTokens(loaded, history, prompt);
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
      const inputTokens = promptTokens(loaded, history, prompt);
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
    const { LlamaChatSession, resolveChatWrapper } = await loadModule(this.settings.importModule ?? importRuntime);
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
        threads: this.settings.threads ?? defaultThreads(),
      });
      return { llama, model, context, contextSize, ChatSession: LlamaChatSession, wrapper: resolveChatWrapper(model) };
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
          threads: this.settings.threads ?? defaultThreads(),
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

function promptTokens(loaded: LoadedModel, history: ChatHistoryItem[], prompt: string): number {
  return loaded.wrapper
    .generateContextState({ chatHistory: [...history, { type: 'user', text: prompt }, { type: 'model', response: [] }] })
    .contextText.tokenize(loaded.model.tokenizer).length;
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
