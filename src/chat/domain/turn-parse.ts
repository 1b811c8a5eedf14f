/**
 * Deterministic turn parsing: `((ooc))` (the marker is configurable), `*action*`, quoted dialogue. Unmarked prose is
 * narration (`action`) when the turn also quotes speech, otherwise it is what you say (`dialogue`).
 */
import type { TurnSegment } from './events.js';

const closingOf: Record<string, string> = { '((': '))', '[[': ']]', '{{': '}}', '//': '//' };

export function parseTurn(text: string, oocMarker = '(('): TurnSegment[] {
  const close = closingOf[oocMarker] ?? oocMarker;
  const raw: Array<{ kind: TurnSegment['kind'] | 'plain'; text: string }> = [];
  let rest = text;
  while (rest.length > 0) {
    const candidates = [
      { at: rest.indexOf(oocMarker), kind: 'ooc' as const },
      { at: rest.indexOf('*'), kind: 'action' as const },
      { at: firstQuote(rest), kind: 'dialogue' as const },
    ].filter((candidate) => candidate.at >= 0);
    candidates.sort((a, b) => a.at - b.at);
    const next = candidates[0];
    if (next === undefined) {
      raw.push({ kind: 'plain', text: rest });
      break;
    }
    if (next.at > 0) raw.push({ kind: 'plain', text: rest.slice(0, next.at) });
    const openLength = next.kind === 'ooc' ? oocMarker.length : 1;
    const opener = rest[next.at] ?? '"';
    const closer = next.kind === 'ooc' ? close : next.kind === 'action' ? '*' : opener === '“' ? '”' : opener;
    const bodyStart = next.at + openLength;
    const end = rest.indexOf(closer, bodyStart);
    const body = end === -1 ? rest.slice(bodyStart) : rest.slice(bodyStart, end);
    raw.push({ kind: next.kind, text: body });
    rest = end === -1 ? '' : rest.slice(end + closer.length);
  }
  const quotes = raw.some((segment) => segment.kind === 'dialogue');
  const segments: TurnSegment[] = [];
  for (const segment of raw) {
    const trimmed = segment.text.trim();
    if (trimmed === '') continue;
    const kind = segment.kind === 'plain' ? (quotes ? 'action' : 'dialogue') : segment.kind;
    const last = segments[segments.length - 1];
    if (last && last.kind === kind && kind !== 'ooc') last.text = `${last.text} ${trimmed}`;
    else segments.push({ kind, text: trimmed });
  }
  return segments;
}

function firstQuote(text: string): number {
  const positions = [text.indexOf('"'), text.indexOf('“')].filter((at) => at >= 0);
  return positions.length === 0 ? -1 : Math.min(...positions);
}

/** The turn as the model sees it: OOC removed, actions in asterisks, dialogue in quotes. */
export function turnForModel(segments: readonly TurnSegment[]): string {
  return segments
    .filter((segment) => segment.kind !== 'ooc')
    .map((segment) => (segment.kind === 'action' ? `*${segment.text}*` : `"${segment.text}"`))
    .join(' ');
}
