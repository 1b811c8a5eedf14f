/** Display formatting: `*action*` in italics, `((ooc))` dimmed, speech as written. Text is always escaped by preact. */
import type { TurnSegment } from '../domain/events.js';

export function Prose({ text }: { text: string }) {
  const parts = text.split(/(\*[^*]+\*)/g).filter((part) => part !== '');
  return (
    <>
      {parts.map((part, index) =>
        part.startsWith('*') && part.endsWith('*') && part.length > 2 ? <em key={index}>{part.slice(1, -1)}</em> : part,
      )}
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
