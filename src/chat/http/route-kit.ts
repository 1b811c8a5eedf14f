/** What the chat's route plugins share: schemas for HTML routes and forms, the first-run guard, the drawer's data. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { VNode } from 'preact';
import { renderToString } from 'preact-render-to-string';
import { z } from 'zod';
import type { ChatSettings } from '../config.js';
import type { ChatReadModel } from '../read-model/queries.js';
import type { DrawerProps } from './pages/drawer.js';

/** HTML pages and form posts stay out of the OpenAPI document. */
export const html = { hide: true } as const;

export const idParams = z.object({ id: z.string().max(100) });

/** A form field as text: absent is empty; trimmed and cut to `max` characters (a form's limits are soft). */
export const formText = (max = 8000) =>
  z
    .string()
    .optional()
    .transform((value) => (value ?? '').trim().slice(0, max));

/** Splits a text field into a list (comma- or line-separated), empty items dropped. */
export function splitList(value: string, separator: RegExp): string[] {
  return value
    .split(separator)
    .map((item) => item.trim())
    .filter(Boolean);
}

/** Fetch from the chat page's script asks for JSON; a plain form post gets a redirect. */
export function wantsJson(request: FastifyRequest): boolean {
  return request.headers['x-chat-client'] === '1' || (request.headers.accept ?? '').includes('application/json');
}

/** An HTML fragment (the drawer, the rewind dialog) for htmx and the page script. */
export function sendFragment(reply: FastifyReply, node: VNode): FastifyReply {
  return reply.type('text/html; charset=utf-8').send(renderToString(node));
}

/** First run: no you-entity -> /settings; no bots -> /bots/new. True when it redirected. */
export async function firstRunRedirect(read: ChatReadModel, request: FastifyRequest, reply: FastifyReply): Promise<boolean> {
  const path = request.url.split('?')[0] ?? '';
  if (!(await read.you())) {
    if (path === '/settings') return false;
    await reply.redirect('/settings?first=1', 303);
    return true;
  }
  if (path !== '/bots/new' && path !== '/settings' && (await read.bots()).length === 0) {
    await reply.redirect('/bots/new?first=1', 303);
    return true;
  }
  return false;
}

/** Everything the drawer shows of a chat. */
export async function loadDrawer(read: ChatReadModel, settings: ChatSettings, chatId: string): Promise<DrawerProps> {
  const chat = await read.requireChat(chatId);
  const [bot, you, containers, activity, edges, recent, pinned] = await Promise.all([
    read.requireBot(chat.bot_id),
    read.you(),
    read.containers(chatId),
    read.activity(chatId),
    read.edges(['you', chat.bot_id]),
    read.recentMemories(chatId, 5),
    read.pinned(chat.bot_id),
  ]);
  return { chat, bot, youName: you?.name ?? 'You', containers, activity, edges, recent, pinned, pinCap: settings.pin_cap };
}
