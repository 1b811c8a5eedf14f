/** embed: one vector per text, through the alias's provider inside its backend's limits and retries. */
import type { LlmAliasName } from '../aliases.js';
import { LlmError } from '../errors.js';
import { countTextTokens } from '../tokens.js';
import type { GatewayContext } from './context.js';

export interface EmbedOptions {
  signal?: AbortSignal;
}

export interface EmbedResult {
  embeddings: number[][];
  model: string;
}

export async function embed(
  context: GatewayContext,
  name: LlmAliasName,
  texts: readonly string[],
  options: EmbedOptions = {},
): Promise<EmbedResult> {
  const alias = context.backends.alias(name);
  const signal = options.signal;
  return context.recorder.track(alias, 'embed', signal, async (call) => {
    const provider = await context.backends.provider(alias);
    if (provider.embed === undefined)
      throw new LlmError('llm_unavailable', `the ${provider.kind} provider of alias ${name} cannot embed`, { retryable: false });
    const embedWith = provider.embed.bind(provider);
    const embeddings = await context.retries.run(alias, call.record, signal, () =>
      context.backends.limited(
        alias,
        signal,
        (attemptSignal) => embedWith(texts, { model: alias.model, signal: attemptSignal }),
        call.record,
      ),
    );
    let inputTokens = 0;
    for (const text of texts) inputTokens += await countTextTokens(text);
    call.usage.add({ inputTokens, outputTokens: 0, reported: false });
    return { embeddings, model: alias.model };
  });
}
