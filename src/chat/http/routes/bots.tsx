/** Bots: the list, the bot form (`/bots/new`, `POST /api/bots`) and bot reset (`/bots/:id/reset`, `POST /api/bots/:id/reset`). */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { sendPage } from '../../../web/jsx/render.js';
import type { ChatReadModel } from '../../read-model/queries.js';
import type { Authoring } from '../../services/authoring.js';
import type { Cards } from '../../services/cards.js';
import type { Generations } from '../../services/generations.js';
import type { TimelineEdits } from '../../services/timeline-edits.js';
import { BotsPage } from '../pages/bots-page.js';
import { NewBotPage } from '../pages/new-bot-page.js';
import { ResetBotPage } from '../pages/reset-bot-page.js';
import { firstRunRedirect, formText, html, idParams, splitList } from '../route-kit.js';

export interface BotRoutesDeps {
  read: ChatReadModel;
  authoring: Authoring;
  cards: Pick<Cards, 'villagers'>;
  timeline: Pick<TimelineEdits, 'resetBot'>;
  generations: Pick<Generations, 'offline'>;
}

export const botBody = z.object({
  name: z.string().trim().min(1).max(80),
  persona: z.string().trim().min(1).max(4000),
  voice_samples: z.union([z.array(z.string().max(2000)).max(20), z.string().max(8000)]).default([]),
  traits: z.union([z.array(z.string().max(100)).max(30), z.string().max(500)]).default([]),
  backstory: z.string().max(8000).default(''),
  initial_relationship: z.string().max(500).default(''),
  kickoff_prose: z.string().trim().min(1).max(8000),
});

const botForm = z.object({
  name: formText(80),
  persona: formText(4000),
  voice_samples: formText(),
  traits: formText(500),
  backstory: formText(),
  initial_relationship: formText(500),
  kickoff_prose: formText(),
});

const resetForm = z.object({ name: formText(80) });

/** The bot as authored: voice samples separated by `---` lines, traits by commas (a form), or lists (JSON). */
function botFrom(body: z.infer<typeof botBody>) {
  return {
    name: body.name,
    persona: body.persona,
    voice_samples: Array.isArray(body.voice_samples) ? body.voice_samples : splitList(body.voice_samples, /^\s*---\s*$/m),
    traits: Array.isArray(body.traits) ? body.traits : splitList(body.traits, /,/),
    backstory: body.backstory,
    initial_relationship: body.initial_relationship,
    kickoff_prose: body.kickoff_prose,
  };
}

export function botRoutes({ read, authoring, cards, timeline, generations }: BotRoutesDeps): FastifyPluginAsyncZod {
  const offline = () => generations.offline();
  const chatsWith = async (botId: string) => (await read.chats()).filter((chat) => chat.bot_id === botId).length;
  return async (app) => {
    app.get('/bots', { schema: html }, async (request, reply) => {
      if (await firstRunRedirect(read, request, reply)) return reply;
      return sendPage(reply, <BotsPage bots={await read.bots()} villagers={cards.villagers()} offline={offline()} />);
    });

    app.get('/bots/new', { schema: html }, async (request, reply) => {
      if (await firstRunRedirect(read, request, reply)) return reply;
      const first = (await read.bots()).length === 0;
      return sendPage(reply, <NewBotPage offline={offline()} firstRun={first} villagers={cards.villagers()} />);
    });

    app.post('/bots/new', { schema: { ...html, body: botForm } }, async (request, reply) => {
      const parsed = botBody.safeParse(request.body);
      if (!parsed.success)
        return sendPage(reply, <NewBotPage offline={offline()} firstRun={false} error="Name, persona and kickoff are required." />, 400);
      const botId = await authoring.authorBot(botFrom(parsed.data));
      return reply.redirect(`/bots/${botId}/kickoff`, 303);
    });

    app.get('/bots/:id/reset', { schema: { ...html, params: idParams } }, async (request, reply) => {
      if (await firstRunRedirect(read, request, reply)) return reply;
      const bot = await read.requireBot(request.params.id);
      return sendPage(reply, <ResetBotPage bot={bot} offline={offline()} chats={await chatsWith(bot.bot_id)} />);
    });

    app.post('/bots/:id/reset', { schema: { ...html, params: idParams, body: resetForm } }, async (request, reply) => {
      const bot = await read.requireBot(request.params.id);
      const name = request.body.name;
      if (name !== bot.name.trim()) {
        const error = `Type ${bot.name} exactly to reset.`;
        return sendPage(reply, <ResetBotPage bot={bot} offline={offline()} chats={await chatsWith(bot.bot_id)} error={error} />, 400);
      }
      await timeline.resetBot(bot.bot_id, name);
      return reply.redirect('/bots', 303);
    });

    app.post(
      '/api/bots',
      {
        schema: {
          tags: ['chat'],
          summary: 'Author a bot (bot_authored)',
          body: botBody,
          response: { 201: z.object({ bot_id: z.string() }) },
        },
      },
      async (request, reply) => reply.code(201).send({ bot_id: await authoring.authorBot(botFrom(request.body)) }),
    );

    app.post(
      '/api/bots/:id/reset',
      {
        schema: {
          tags: ['chat'],
          summary: "Reset a bot (bot_reset): its chats go back to their kickoff; `name` must be the bot's name",
          params: idParams,
          body: z.object({ name: z.string().max(80) }),
          response: { 200: z.object({ chats: z.number() }) },
        },
      },
      async (request) => timeline.resetBot(request.params.id, request.body.name),
    );
  };
}
