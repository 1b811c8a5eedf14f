import { randomUUID } from 'node:crypto';

/** A random, prefixed identifier for things created at the edges (never inside domain code). */
export function createId(prefix: string): string {
  return `${prefix}_${randomUUID().replaceAll('-', '')}`;
}

/** Stream ids are `<category>-<id>`, e.g. `world-koivulahti`, `chat-42`. */
export function streamId(category: string, id: string): string {
  return `${category}-${id}`;
}

export function streamCategory(stream: string): string {
  const dash = stream.indexOf('-');
  return dash === -1 ? stream : stream.slice(0, dash);
}
