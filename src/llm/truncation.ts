/**
 * Text a model wrote until it hit its token limit (finish reason `length`) stops mid-sentence. Stored as it is, it
 * reads as broken and, in a chat, teaches the model to ramble into the next prompt. These cut it back to the last
 * whole sentence, or to the last whole word with an ellipsis when there is no sentence end at all.
 */

const ellipsis = '…';
// A sentence end: . ! ? or … with any closing quotes or brackets, then whitespace or the end of the text.
const sentenceEnd = /[.!?…]+["'”’»)\]]*(?=\s|$)/g;

/** The text cut back to its last complete sentence (or word, with `…`); unchanged when it already ends one. */
export function trimToSentence(text: string): string {
  const trimmed = text.trimEnd();
  if (trimmed === '') return '';
  let lastEnd = -1;
  for (const match of trimmed.matchAll(sentenceEnd)) lastEnd = match.index + match[0].length;
  if (lastEnd === trimmed.length) return trimmed;
  if (lastEnd > 0) return trimmed.slice(0, lastEnd);
  const lastSpace = trimmed.search(/\s\S*$/);
  const words = lastSpace > 0 ? trimmed.slice(0, lastSpace).trimEnd() : trimmed;
  return `${words.replace(/[,;:–—-]+$/, '')}${ellipsis}`;
}

/** What a caller stores for a reply: the trimmed text and whether anything was cut. */
export function boundedReply(text: string, finishReason: string | undefined): { text: string; truncated: boolean } {
  if (finishReason !== 'length') return { text, truncated: false };
  return { text: trimToSentence(text), truncated: true };
}
