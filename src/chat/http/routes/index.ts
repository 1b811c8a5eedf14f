/**
 * Every chat route plugin, each given only the use cases it calls. Pages: `/chat`, `/chats`, `/chats/:id`,
 * `/settings`, `/bots`, `/bots/new`, `/bots/:id/kickoff`, `/bots/:id/reset`; the JSON API under `/api/...`. Live
 * updates travel through the SSE hub (`/stream?topics=chat-<id>`): durable events with ids, token deltas as `chat-delta`.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { ChatApp } from '../../services/chat-app.js';
import { assetRoutes } from './assets.js';
import { botRoutes } from './bots.js';
import { cardRoutes } from './cards.js';
import { chatRoutes as chatPageRoutes } from './chats.js';
import { drawerRoutes } from './drawer.js';
import { kickoffRoutes } from './kickoff.js';
import { regenerateRoutes } from './regenerate.js';
import { rewindRoutes } from './rewinds.js';
import { turnRoutes } from './turns.js';
import { villagerRoutes } from './villagers.js';
import { youRoutes } from './you.js';

export function chatRoutes(chat: ChatApp): FastifyPluginAsyncZod {
  const { settings, read, authoring, generations, turns, passes, timeline, drawer, cards } = chat;
  return async (app) => {
    await app.register(assetRoutes());
    await app.register(youRoutes({ read, authoring, generations }));
    await app.register(botRoutes({ read, authoring, cards, timeline, generations }));
    await app.register(cardRoutes({ read, cards }));
    await app.register(villagerRoutes({ cards }));
    await app.register(kickoffRoutes({ read, authoring, generations }));
    await app.register(chatPageRoutes({ settings, read, generations, timeline }));
    await app.register(turnRoutes({ turns, generations }));
    await app.register(rewindRoutes({ settings, timeline }));
    await app.register(regenerateRoutes({ timeline }));
    await app.register(drawerRoutes({ settings, read, drawer, passes }));
  };
}
