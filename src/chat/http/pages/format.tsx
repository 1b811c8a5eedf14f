/** Display formatting: `*action*` in italics, `((ooc))` dimmed, speech as written. Text is always escaped by preact. */
import type { TurnSegment } from '../../domain/events.js';

export interface InlinePart {
  kind: 'text' | 'em' | 'strong';
  text: string;
}

export interface ProseBlock {
  kind: 'p' | 'quote';
  /** Lines of the block (rendered with line breaks between), each a run of inline parts. */
  lines: InlinePart[][];
}

/** `**bold**`, `*italic*` (also `*actions*`) and `_italic_`; anything else is text. */
export function parseInline(text: string): InlinePart[] {
  const parts: InlinePart[] = [];
  for (const piece of text.split(/(\*\*[^*]+\*\*|\*[^*]+\*|_[^_\s][^_]*_)/g)) {
    if (piece === '') continue;
    if (piece.length > 4 && piece.startsWith('**') && piece.endsWith('**')) parts.push({ kind: 'strong', text: piece.slice(2, -2) });
    else if (piece.length > 2 && ((piece.startsWith('*') && piece.endsWith('*')) || (piece.startsWith('_') && piece.endsWith('_'))))
      parts.push({ kind: 'em', text: piece.slice(1, -1) });
    else parts.push({ kind: 'text', text: piece });
  }
  return parts;
}

/** Light markdown: paragraphs split by blank lines, `> ` lines as blockquotes, single newlines kept as breaks. */
export function parseProse(text: string): ProseBlock[] {
  const blocks: ProseBlock[] = [];
  for (const paragraph of text.replace(/\r\n?/g, '\n').split(/\n\s*\n/)) {
    let current: ProseBlock | undefined;
    for (const line of paragraph.split('\n')) {
      if (line.trim() === '') continue;
      const quoted = /^\s*>/.test(line);
      const kind = quoted ? 'quote' : 'p';
      if (current?.kind !== kind) {
        current = { kind, lines: [] };
        blocks.push(current);
      }
      current.lines.push(parseInline(quoted ? line.replace(/^\s*>\s?/, '') : line.trim()));
    }
  }
  return blocks;
}

function Inline({ parts }: { parts: InlinePart[] }) {
  return (
    <>
      {parts.map((part, index) =>
        part.kind === 'em' ? (
          <em key={index}>{part.text}</em>
        ) : part.kind === 'strong' ? (
          <strong key={index}>{part.text}</strong>
        ) : (
          part.text
        ),
      )}
    </>
  );
}

/** Display formatting of a reply or memory (text always escaped by preact). `inline` keeps it to one line of spans. */
export function Prose({ text, inline }: { text: string; inline?: boolean }) {
  if (inline) return <Inline parts={parseInline(text.replace(/\s+/g, ' '))} />;
  return (
    <>
      {parseProse(text).map((block, index) => {
        const lines = block.lines.map((line, at) => (
          <>
            {at > 0 ? <br /> : null}
            <Inline parts={line} />
          </>
        ));
        return block.kind === 'quote' ? (
          <blockquote key={index}>
            <p>{lines}</p>
          </blockquote>
        ) : (
          <p key={index}>{lines}</p>
        );
      })}
    </>
  );
}

export function Segments({ segments }: { segments: readonly TurnSegment[] }) {
  return (
    <>
      {segments.map((segment, index) => (
        <span key={index} class={`seg seg-${segment.kind}`}>
          {segment.kind === 'dialogue' ? `“${segment.text}”` : segment.kind === 'ooc' ? `((${segment.text}))` : segment.text}{' '}
        </span>
      ))}
    </>
  );
}

export function formatClock(iso: string): string {
  const time = Date.parse(iso);
  if (Number.isNaN(time)) return iso || 'unknown';
  const date = new Date(time);
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const pad = (value: number) => String(value).padStart(2, '0');
  return `${days[date.getUTCDay()]} ${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}`;
}

/** What a failed reply tells you, by the gateway's error code (`llm_auth: ...`), and whether Retry can help. */
export function replyErrorText(error: string | null): string {
  const code = (error ?? '').split(':')[0] ?? '';
  switch (code) {
    case 'llm_auth':
      return 'The model backend refused the API key (401/403). Check [llm] api_key or LLM_API_KEY, then retry.';
    case 'llm_rate_limited':
      return 'The model backend is rate limiting (429). Wait a moment, then retry.';
    case 'llm_unavailable':
      return 'The model backend failed (5xx or unreachable). Retry in a moment.';
    case 'llm_timeout':
      return 'The model backend timed out. Retry in a moment.';
    default:
      return `Reply failed: ${error || 'unknown error'}`;
  }
}
