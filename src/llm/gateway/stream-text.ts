/**
 * streamText: text deltas, then one `finish` part. A stream is retried only while it has sent nothing (text already
 * shown cannot be taken back); its timeout is an idle timeout; a reader that stops early cancels the upstream request.
 */
import { performance } from 'node:perf_hooks';
import type { LlmAliasName, ResolvedAlias } from '../aliases.js';
import { LlmError, throwIfAborted } from '../errors.js';
import type { Release } from '../limits.js';
import type { ChatMessage, FinishReason, LlmProvider, ModelParams, ProviderRequest, StreamPart, TokenUsage } from '../provider.js';
import { linkedController } from './backends.js';
import { type ActiveCall, countUsage } from './call-recording.js';
import type { GatewayContext } from './context.js';
import { mergeParams } from './params.js';
import { toLlmError } from './retries.js';

export interface StreamTextOptions {
  signal?: AbortSignal;
  context?: Record<string, unknown>;
  params?: ModelParams;
}

export type TextStreamPart =
  | { type: 'text-delta'; text: string }
  | { type: 'finish'; model: string; usage: TokenUsage; finishReason: FinishReason | undefined };

type FinishPart = Extract<StreamPart, { type: 'finish' }>;

/** One streamText call in progress. */
interface Streaming {
  alias: ResolvedAlias;
  provider: LlmProvider;
  request: ProviderRequest;
  call: ActiveCall;
  signal: AbortSignal | undefined;
}

/** What one attempt has sent to the reader so far. */
interface Progress {
  emitted: boolean;
  text: string;
  /** performance.now() when the request went out (0 while it waits for a slot). */
  sent: number;
}

export async function* streamText(
  context: GatewayContext,
  name: LlmAliasName,
  messages: readonly ChatMessage[],
  options: StreamTextOptions = {},
): AsyncGenerator<TextStreamPart> {
  const alias = context.backends.alias(name);
  const call = context.recorder.start(alias, 'stream');
  const signal = options.signal;
  try {
    throwIfAborted(signal);
    const provider = await context.backends.provider(alias);
    const request: ProviderRequest = {
      model: alias.model,
      messages: [...messages],
      params: mergeParams(alias.params, options.params),
      responseFormat: { type: 'text' },
      ...(options.context === undefined ? {} : { context: options.context }),
    };
    const plan = await context.budgets.plan(alias, provider, request.messages, options.params?.maxTokens, signal);
    request.params = { ...request.params, maxTokens: plan.maxTokens };
    const streaming: Streaming = { alias, provider, request, call, signal };
    for (let retry = 0; ; retry++) {
      const wait = yield* streamAttempt(context, streaming, retry);
      if (wait === undefined) return;
      call.record.retried = true;
      await context.retries.sleep(wait, signal);
    }
  } catch (error) {
    throw await context.recorder.fail(call, error, signal);
  } finally {
    await context.recorder.finish(call);
  }
}

/** One attempt: relays the provider's parts; returns the wait before the next attempt, or undefined when done. */
async function* streamAttempt(
  context: GatewayContext,
  streaming: Streaming,
  retry: number,
): AsyncGenerator<TextStreamPart, number | undefined> {
  const { alias, provider, request, call, signal } = streaming;
  const attempt = linkedController(signal);
  const idle = idleTimeout(attempt.controller, alias.timeoutMs, alias.interTokenTimeoutMs);
  const progress: Progress = { emitted: false, text: '', sent: 0 };
  let release: Release | undefined;
  try {
    release = await context.backends.acquire(alias, signal, call.record);
    call.record.attempts++;
    progress.sent = performance.now();
    idle.arm();
    const finish = yield* relayText(provider.stream({ ...request, signal: attempt.controller.signal }), idle, call, progress);
    idle.clear();
    if (finish === undefined) throw new LlmError('llm_unavailable', 'the model stream ended before the model finished');
    call.usage.add(finish.usage ?? (await countUsage(request.messages, progress.text)));
    call.record.model = finish.model;
    yield { type: 'finish', model: finish.model, usage: call.usage.snapshot(), finishReason: finish.finishReason };
    return undefined;
  } catch (error) {
    const failure = toLlmError(error, attempt.controller.signal);
    // Text already shown cannot be taken back, so only a stream that sent nothing is retried.
    const wait = progress.emitted ? undefined : context.retries.waitBefore(failure, retry);
    if (progress.emitted) call.usage.add(await countUsage(request.messages, progress.text));
    if (wait === undefined) throw failure;
    context.logger.info({ alias: alias.name, code: failure.code, waitMs: wait }, 'retrying model stream');
    return wait;
  } finally {
    idle.clear();
    if (progress.sent > 0) call.record.serverMs = (call.record.serverMs ?? 0) + (performance.now() - progress.sent);
    // Also cancels the upstream request when the consumer stopped reading early.
    attempt.controller.abort(new LlmError('llm_aborted', 'the stream was closed by its reader'));
    attempt.unlink();
    release?.();
  }
}

/** Yields the provider's non-empty text as deltas (noting the time to first token); returns its finish part. */
async function* relayText(
  parts: AsyncIterable<StreamPart>,
  idle: IdleTimeout,
  call: ActiveCall,
  progress: Progress,
): AsyncGenerator<TextStreamPart, FinishPart | undefined> {
  let finish: FinishPart | undefined;
  for await (const part of parts) {
    if (part.type === 'finish') {
      idle.arm();
      finish = part;
      continue;
    }
    if (part.text === '') {
      idle.arm();
      continue;
    }
    if (!progress.emitted) call.record.timeToFirstTokenMs = performance.now() - progress.sent;
    progress.emitted = true;
    idle.firstToken();
    progress.text += part.text;
    yield { type: 'text-delta', text: part.text };
  }
  return finish;
}

interface IdleTimeout {
  /** (Re)starts the wait for the next part. */
  arm(): void;
  /** Text arrived: from now on the (shorter) inter-token timeout applies. */
  firstToken(): void;
  clear(): void;
}

/**
 * A timeout that restarts with every part, so a long answer that keeps coming is fine: `firstMs` until the first text
 * (the prompt may take long to read), then `betweenMs` between parts, so a stream the server stopped feeding is
 * noticed as stalled.
 */
function idleTimeout(controller: AbortController, firstMs: number, betweenMs: number): IdleTimeout {
  let timer: NodeJS.Timeout | undefined;
  let started = false;
  const clear = () => clearTimeout(timer);
  const arm = () => {
    clear();
    const milliseconds = started ? betweenMs : firstMs;
    const message = started
      ? `the model stream stalled: nothing for ${milliseconds} ms after its last token`
      : `the model backend sent nothing for ${milliseconds} ms`;
    timer = setTimeout(() => controller.abort(new LlmError('llm_timeout', message, { details: { stalled: started } })), milliseconds);
  };
  return {
    arm,
    firstToken() {
      started = true;
      arm();
    },
    clear,
  };
}
