/**
 * What the upgrade fixture records and the upgrade test compares: the responses of side-effect-free reads (JSON bodies
 * as parsed JSON, HTML pages as their visible text) and the SHA-256 of the village run's event log, the same bytes
 * `VillageRun.logHash()` hashes: `JSON.stringify({ type, data })` of every event, newline-separated.
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';

export interface RecordedRequest {
  method: 'GET' | 'POST';
  url: string;
  /** JSON body of a POST (only reads that leave the log alone, such as `/admin/replay`). */
  body?: unknown;
}

export interface RecordedResponse extends RecordedRequest {
  status: number;
  /** `json`: the parsed body; `text`: an HTML page reduced to its visible text. */
  kind: 'json' | 'text';
  body?: unknown;
  response: unknown;
}

export interface ExpectedFile {
  /** The commit whose code made the database and these responses. */
  madeBy: string;
  /** `Date.now()` frozen at this instant while recording (and while comparing): reads that depend on "now" agree. */
  frozenNow: number;
  timeZone: string;
  /** config.toml text the app was opened with (besides the database path). */
  configText: string;
  village: { runId: string; streamId: string; events: number; logHash: string };
  /** Ids the fixture's maker used, for re-recording and for the test's own requests. */
  ids: { chatIds: string[]; botIds: string[]; rewoundToTurnId: string; decisionIds: string[] };
  responses: RecordedResponse[];
  /** Why a recorded response was changed on purpose after it was first recorded (newest last). */
  changes: string[];
}

/** Keys whose values are the time of the request itself, not something derived from the stored data. */
const volatileKeys = new Set(['exportedAt']);

export function normaliseJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normaliseJson);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, nested] of Object.entries(value)) out[key] = volatileKeys.has(key) ? '<request time>' : normaliseJson(nested);
  return out;
}

const entities: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", '#x27': "'", nbsp: ' ' };

/** The visible text of an HTML page: scripts, styles and tags removed, entities decoded, whitespace collapsed. */
export function visibleText(html: string): string {
  return html
    .replace(/<script\b[\s\S]*?<\/script>/gi, ' ')
    .replace(/<style\b[\s\S]*?<\/style>/gi, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&(amp|lt|gt|quot|#39|#x27|nbsp);/g, (_match, entity: string) => entities[entity] ?? '')
    .replace(/\s+/g, ' ')
    .trim();
}

export async function capture(app: FastifyInstance, request: RecordedRequest): Promise<RecordedResponse> {
  const response = await app.inject({
    method: request.method,
    url: request.url,
    headers: { host: '127.0.0.1', accept: 'application/json, text/html' },
    ...(request.body !== undefined ? { payload: request.body as Record<string, unknown> } : {}),
  });
  const type = String(response.headers['content-type'] ?? '');
  const html = type.startsWith('text/html');
  return {
    ...request,
    status: response.statusCode,
    kind: html ? 'text' : 'json',
    response: html ? visibleText(response.body) : response.body === '' ? null : normaliseJson(JSON.parse(response.body)),
  };
}

/** SHA-256 over `JSON.stringify({ type, data })` of each event, joined by newlines (as the village runner hashes). */
export function logHash(events: ReadonlyArray<{ type: string; data: unknown }>): string {
  const hash = createHash('sha256');
  events.forEach((event, index) => {
    const line = JSON.stringify({ type: event.type, data: event.data });
    hash.update(index === 0 ? line : `\n${line}`);
  });
  return hash.digest('hex');
}

/** Freezes `Date.now()` and `new Date()` (without arguments) at `now`; returns the function that restores them. */
export function freezeDate(now: number): () => void {
  const RealDate = Date;
  class FrozenDate extends RealDate {
    constructor(...args: unknown[]) {
      if (args.length === 0) super(now);
      else super(...(args as [string | number | Date]));
    }
    static override now(): number {
      return now;
    }
  }
  globalThis.Date = FrozenDate as DateConstructor;
  return () => {
    globalThis.Date = RealDate;
  };
}
