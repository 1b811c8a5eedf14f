/**
 * Budgets: every request fits the backend's context. Per backend, the context one request may hold and the slot count
 * are asked once (llama.cpp `/props`, `/v1/models` metadata, node-llama-cpp's context) or taken from configuration
 * (`context_size`); an unknown context leaves prompts unbounded, as before. Per call, the prompt is counted with the
 * backend's tokenizer where it has one, else estimated (gpt-tokenizer) times the learned ratio and the margin, and
 * `max_tokens` becomes what the alias or caller wants, cut to the room left. A prompt that leaves no room fails
 * with `llm_context_exceeded` before anything is sent.
 */
import type { Logger } from '../../core/logger.js';
import type { ResolvedAlias } from '../aliases.js';
import { LlmError } from '../errors.js';
import type { BackendLimits, ChatMessage, LlmProvider } from '../provider.js';
import { countMessageTokens } from '../tokens.js';
import type { Backends } from './backends.js';

/** What a caller may put into a prompt for one alias. */
export interface AliasBudget {
  /** Tokens one request may hold, prompt and output together; undefined when neither the backend nor config says. */
  contextTokens: number | undefined;
  /** The output cap a request gets (the alias's `max_tokens`, or what the caller asked, never over half the context). */
  maxOutputTokens: number;
  /** Prompt tokens that leave room for `maxOutputTokens`, in the backend's tokens (Infinity when unbounded). */
  promptTokens: number;
  /**
   * The same prompt budget in the local estimate's tokens (gpt-tokenizer o200k, what `countTextTokens` and the
   * products' counters count), after the learned backend ratio and the margin.
   */
  promptEstimateTokens: number;
  /** Requests the backend runs at once, when it says. */
  slots: number | undefined;
  /** `server` (the backend said), `config` (`context_size`), `unknown`. */
  source: 'server' | 'config' | 'unknown';
}

/** What one request will carry. */
export interface RequestPlan {
  maxTokens: number;
  /** The prompt's size as counted (backend tokens) or estimated; undefined when the context is unknown. */
  promptTokens: number | undefined;
}

interface KnownLimits {
  limits: BackendLimits;
  /** When to ask again (a backend that said nothing may not have been up yet). */
  retryAt: number;
}

/** Tokens kept free besides the output: llama.cpp refuses a prompt that fills the slot exactly. */
const reserveTokens = 8;
/** The least output worth asking for; a prompt that leaves less is refused before it is sent. */
const minimumOutputTokens = 16;
const reprobeMs = 60_000;
/** Observed (backend tokens / estimate) ratios kept per backend; the budget uses their maximum. */
const ratioWindow = 64;

export class Budgets {
  private readonly known = new Map<string, Promise<KnownLimits>>();
  private readonly ratios = new Map<string, number[]>();
  /** Backends whose tokenizer failed to answer, with when to try it again. */
  private readonly noTokenizer = new Map<string, number>();

  constructor(
    private readonly backends: Backends,
    private readonly margin: number,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** The alias's budget, asking the backend first if nobody has yet. `maxTokens`: the output the caller will ask for. */
  async budget(alias: ResolvedAlias, options: { maxTokens?: number; signal?: AbortSignal } = {}): Promise<AliasBudget> {
    const provider = await this.backends.provider(alias);
    const limits = await this.limits(alias, provider, options.signal);
    const contextTokens = this.contextOf(alias, limits);
    const maxOutputTokens = this.outputCap(alias, options.maxTokens, contextTokens);
    const source = limits.contextTokens !== undefined ? 'server' : contextTokens !== undefined ? 'config' : 'unknown';
    if (contextTokens === undefined)
      return { contextTokens, maxOutputTokens, promptTokens: Infinity, promptEstimateTokens: Infinity, slots: limits.slots, source };
    const promptTokens = Math.max(0, contextTokens - maxOutputTokens - reserveTokens);
    const promptEstimateTokens = Math.floor(promptTokens / (this.ratio(alias) * this.margin));
    return { contextTokens, maxOutputTokens, promptTokens, promptEstimateTokens, slots: limits.slots, source };
  }

  /** The request's `max_tokens`, or `llm_context_exceeded` when the prompt leaves no room for an answer. */
  async plan(
    alias: ResolvedAlias,
    provider: LlmProvider,
    messages: readonly ChatMessage[],
    requested: number | undefined,
    signal?: AbortSignal,
  ): Promise<RequestPlan> {
    const limits = await this.limits(alias, provider, signal);
    const contextTokens = this.contextOf(alias, limits);
    const wanted = this.outputCap(alias, requested, contextTokens);
    if (contextTokens === undefined) return { maxTokens: wanted, promptTokens: undefined };
    const promptTokens = await this.promptTokens(alias, provider, messages, signal);
    const room = contextTokens - promptTokens - reserveTokens;
    if (room < Math.min(wanted, minimumOutputTokens)) {
      throw new LlmError(
        'llm_context_exceeded',
        `the prompt (${promptTokens} tokens) leaves no room for an answer in the ${contextTokens}-token context of alias ${alias.name}`,
        { details: { alias: alias.name, promptTokens, contextTokens, maxTokens: wanted } },
      );
    }
    return { maxTokens: Math.min(wanted, room), promptTokens };
  }

  private outputCap(alias: ResolvedAlias, requested: number | undefined, contextTokens: number | undefined): number {
    const wanted = Math.max(1, requested ?? alias.maxTokens);
    return contextTokens === undefined ? wanted : Math.max(1, Math.min(wanted, Math.floor(contextTokens / 2)));
  }

  /** The smaller of what the backend says and what config says, when either says. */
  private contextOf(alias: ResolvedAlias, limits: BackendLimits): number | undefined {
    const configured = alias.provider === 'local' ? undefined : alias.contextSize;
    const values = [limits.contextTokens, configured].filter((value): value is number => value !== undefined);
    return values.length === 0 ? undefined : Math.min(...values);
  }

  private ratio(alias: ResolvedAlias): number {
    const observed = this.ratios.get(alias.backend);
    return observed === undefined || observed.length === 0 ? 1 : Math.max(...observed);
  }

  private async promptTokens(
    alias: ResolvedAlias,
    provider: LlmProvider,
    messages: readonly ChatMessage[],
    signal: AbortSignal | undefined,
  ): Promise<number> {
    const estimate = await countMessageTokens(messages);
    const retryAt = this.noTokenizer.get(alias.backend);
    if (provider.countTokens !== undefined && (retryAt === undefined || retryAt <= this.now())) {
      const counted = await provider
        .countTokens(messages, { model: alias.model, ...(signal === undefined ? {} : { signal }) })
        .catch(() => undefined);
      if (counted !== undefined) {
        this.noTokenizer.delete(alias.backend);
        this.observe(alias.backend, counted / Math.max(1, estimate));
        return counted;
      }
      this.noTokenizer.set(alias.backend, this.now() + reprobeMs);
    }
    return Math.ceil(estimate * this.ratio(alias) * this.margin);
  }

  private observe(backend: string, ratio: number): void {
    const observed = this.ratios.get(backend) ?? [];
    observed.push(ratio);
    if (observed.length > ratioWindow) observed.shift();
    this.ratios.set(backend, observed);
  }

  private limits(alias: ResolvedAlias, provider: LlmProvider, signal: AbortSignal | undefined): Promise<BackendLimits> {
    const cached = this.known.get(alias.backend);
    if (cached !== undefined) {
      return cached.then((known) => {
        if (known.retryAt > this.now()) return known.limits;
        this.known.delete(alias.backend);
        return this.limits(alias, provider, signal);
      });
    }
    const asking = this.ask(alias, provider, signal);
    this.known.set(alias.backend, asking);
    return asking.then((known) => known.limits);
  }

  private async ask(alias: ResolvedAlias, provider: LlmProvider, signal: AbortSignal | undefined): Promise<KnownLimits> {
    if (provider.limits === undefined) return { limits: { source: 'none' }, retryAt: Infinity };
    const limits = await provider
      .limits({ model: alias.model, ...(signal === undefined ? {} : { signal }) })
      .catch((): BackendLimits => ({ source: 'none' }));
    if (limits.slots !== undefined) this.backends.adoptSlots(alias, limits.slots);
    if (limits.contextTokens !== undefined) {
      this.logger.info({ alias: alias.name, backend: alias.backend, ...limits }, 'model backend limits');
      return { limits, retryAt: Infinity };
    }
    return { limits, retryAt: this.now() + reprobeMs };
  }
}
