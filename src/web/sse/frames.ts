/** Server-sent event frames (https://html.spec.whatwg.org/multipage/server-sent-events.html). */
import type { RecordedEvent } from '../../store/event-store.js';

/** What a durable event's `data:` line carries. */
export interface StreamedEvent {
  position: number;
  streamId: string;
  version: number;
  type: string;
  data: unknown;
}

/** What goes on the bus under `live.<topic>` for the SSE hub to forward. */
export interface LiveMessage {
  /** The SSE event name; `message` when absent. */
  event?: string;
  /** A string is sent as is (an HTML fragment for htmx to swap); anything else as JSON. */
  data: unknown;
}

export function liveTopic(topic: string): string {
  return `live.${topic}`;
}

export function retryFrame(milliseconds: number): string {
  return `retry: ${milliseconds}\n\n`;
}

export function commentFrame(text: string): string {
  return `: ${text.replace(/[\r\n]+/g, ' ')}\n\n`;
}

export function durableFrame(event: RecordedEvent): string {
  const payload: StreamedEvent = {
    position: event.position,
    streamId: event.streamId,
    version: event.version,
    type: event.type,
    data: event.data,
  };
  return `id: ${event.position}\nevent: ${eventName(event.type)}\ndata: ${JSON.stringify(payload)}\n\n`;
}

/** A live message never carries an id: resuming is the durable events' job. */
export function liveFrame(message: unknown): string {
  const live = isLiveMessage(message) ? message : { data: message };
  const name = typeof live.event === 'string' ? eventName(live.event) : 'message';
  const text = typeof live.data === 'string' ? live.data : (JSON.stringify(live.data ?? null) ?? 'null');
  const dataLines = text
    .split(/\r\n|\r|\n/)
    .map((line) => `data: ${line}\n`)
    .join('');
  return `event: ${name}\n${dataLines}\n`;
}

function isLiveMessage(message: unknown): message is LiveMessage {
  return typeof message === 'object' && message !== null && 'data' in message;
}

/** Event names come from event types and publishers; a line break would forge fields, so they are removed. */
function eventName(name: string): string {
  const cleaned = name.replace(/[\r\n]/g, '');
  return cleaned === '' ? 'message' : cleaned;
}
