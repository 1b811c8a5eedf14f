/**
 * Token counts when the backend does not report them: gpt-tokenizer's o200k_base encoding, loaded on first use
 * (its tables are megabytes). An estimate for other models' tokenizers, labelled `reported: false`.
 */
import type { ChatMessage } from './provider.js';

type CountTokens = (text: string) => number;

let loading: Promise<CountTokens> | undefined;

function counter(): Promise<CountTokens> {
  // Model and user text may contain `<|endoftext|>` and the like: count it as plain text instead of throwing.
  const asText = { disallowedSpecial: new Set<string>() };
  loading ??= import('gpt-tokenizer/encoding/o200k_base').then((module) => (text: string) => module.countTokens(text, asText));
  return loading;
}

export async function countTextTokens(text: string): Promise<number> {
  if (text === '') return 0;
  return (await counter())(text);
}

/** Content tokens plus the few tokens each message's role markers cost in chat templates. */
export async function countMessageTokens(messages: readonly ChatMessage[]): Promise<number> {
  const count = await counter();
  let total = 3;
  for (const message of messages) total += 4 + count(message.content);
  return total;
}
