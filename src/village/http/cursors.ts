/** Keyset cursors of the post and event lists (opaque base64url), and the seed's ISO date-time `before`. */
import type { PostCursor } from '../read-model/queries.js';

export const isoDateTime = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})$/;

export function encodePostCursor(cursor: PostCursor): string {
  return Buffer.from(`p${cursor.simMs}.${cursor.id}`).toString('base64url');
}

/** A `next_cursor` value, or (as in the seed) an ISO 8601 date-time meaning "posts before this sim time". */
export function decodeBefore(value: string): { cursor: PostCursor } | { simMs: number } | undefined {
  if (isoDateTime.test(value)) {
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? undefined : { simMs: ms };
  }
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(value)) return undefined;
  const match = /^p(\d{1,15})\.(\d{1,15})$/.exec(Buffer.from(value, 'base64url').toString('utf8'));
  if (!match) return undefined;
  return { cursor: { simMs: Number(match[1]), id: Number(match[2]) } };
}

/** The post query fields of a decoded `before`. */
export function beforeQuery(decoded: ReturnType<typeof decodeBefore>): { before?: PostCursor; beforeSimMs?: number } {
  if (decoded === undefined) return {};
  return 'cursor' in decoded ? { before: decoded.cursor } : { beforeSimMs: decoded.simMs };
}

/** The cursor of the page after `items` when the page was full. */
export function nextPostCursor(items: ReadonlyArray<{ simMs: number; id: number }>, limit: number): string | undefined {
  const last = items[items.length - 1];
  return items.length === limit && last ? encodePostCursor({ simMs: last.simMs, id: last.id }) : undefined;
}

export function encodeEventCursor(position: number): string {
  return Buffer.from(`e${position}`).toString('base64url');
}

export function decodeEventCursor(value: string): number | undefined {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(value)) return undefined;
  const match = /^e(\d{1,15})$/.exec(Buffer.from(value, 'base64url').toString('utf8'));
  return match ? Number(match[1]) : undefined;
}

export function nextEventCursor(items: ReadonlyArray<{ position: number }>, limit: number): string | undefined {
  const last = items[items.length - 1];
  return items.length === limit && last ? encodeEventCursor(last.position) : undefined;
}
