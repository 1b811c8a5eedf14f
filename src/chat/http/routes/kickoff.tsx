/**
 * Kickoff: the bot's kickoff prose read into the KickoffParse shape (`/bots/:id/kickoff`, `POST /api/bots/:id/kickoff`),
 * confirmed or corrected, and the chat started (`POST /bots/:id/kickoff`, `POST /api/chats`).
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ValidationError } from '../../../core/errors.js';
import { sendPage } from '../../../web/jsx/render.js';
import { type KickoffParse, kickoffParseSchema } from '../../domain/kickoff.js';
import type { ChatReadModel } from '../../read-model/queries.js';
import type { Authoring } from '../../services/authoring.js';
import type { Generations } from '../../services/generations.js';
import { KickoffPage } from '../pages/kickoff-page.js';
import { firstRunRedirect, formText, html, idParams, splitList } from '../route-kit.js';

export interface KickoffRoutesDeps {
  read: ChatReadModel;
  authoring: Authoring;
  generations: Pick<Generations, 'offline'>;
}

const checkbox = z.string().optional();

/** The kickoff confirm form: every KickoffParse field flattened, checkboxes `on` when ticked. */
const kickoffForm = z.object({
  container_name: formText(200),
  container_type: formText(100),
  moving: checkbox,
  public: checkbox,
  audible_range: formText(100),
  initial_time_iso: formText(40),
  edge_seed_summary: formText(2000),
  edge_seed_knowledge_facts: formText(4000),
  you_posture: formText(200),
  you_action_verb: formText(200),
  you_action_interruptible: checkbox,
  you_action_required_attention: formText(20),
  you_action_expected_duration: formText(200),
  you_attention: formText(200),
  you_holding: formText(500),
  bot_posture: formText(200),
  bot_action_verb: formText(200),
  bot_action_interruptible: checkbox,
  bot_action_required_attention: formText(20),
  bot_action_expected_duration: formText(200),
  bot_attention: formText(200),
  bot_holding: formText(500),
});

type KickoffForm = z.infer<typeof kickoffForm>;

function kickoffFromForm(form: KickoffForm): KickoffParse {
  const activity = (prefix: 'you' | 'bot') => ({
    posture: form[`${prefix}_posture`],
    action_verb: form[`${prefix}_action_verb`],
    action_interruptible: form[`${prefix}_action_interruptible`] === 'on',
    action_required_attention: form[`${prefix}_action_required_attention`],
    action_expected_duration: form[`${prefix}_action_expected_duration`],
    attention: form[`${prefix}_attention`],
    holding: splitList(form[`${prefix}_holding`], /,/),
  });
  const parsed = kickoffParseSchema.safeParse({
    container_name: form.container_name,
    container_type: form.container_type,
    container_properties: { moving: form.moving === 'on', public: form.public === 'on', audible_range: form.audible_range },
    you_activity: activity('you'),
    bot_activity: activity('bot'),
    initial_time_iso: form.initial_time_iso,
    edge_seed_summary: form.edge_seed_summary,
    edge_seed_knowledge_facts: splitList(form.edge_seed_knowledge_facts, /\n/),
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ValidationError(`kickoff ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

export function kickoffRoutes({ read, authoring, generations }: KickoffRoutesDeps): FastifyPluginAsyncZod {
  return async (app) => {
    app.get('/bots/:id/kickoff', { schema: { ...html, params: idParams } }, async (request, reply) => {
      if (await firstRunRedirect(read, request, reply)) return reply;
      const bot = await read.requireBot(request.params.id);
      const { parse, fellBack, model } = await authoring.parseKickoff(bot.bot_id);
      const reader = model === 'offline' ? 'offline' : fellBack ? 'fallback' : 'model';
      return sendPage(reply, <KickoffPage bot={bot} parse={parse} offline={generations.offline()} reader={reader} />);
    });

    app.post('/bots/:id/kickoff', { schema: { ...html, params: idParams, body: kickoffForm } }, async (request, reply) => {
      const chatId = await authoring.confirmKickoff(request.params.id, kickoffFromForm(request.body));
      return reply.redirect(`/chats/${chatId}`, 303);
    });

    app.post(
      '/api/bots/:id/kickoff',
      {
        schema: {
          tags: ['chat'],
          summary: "Read a bot's kickoff prose into the KickoffParse shape (to confirm with POST /api/chats)",
          params: idParams,
          response: { 200: z.object({ parse: kickoffParseSchema, fell_back: z.boolean(), model: z.string() }) },
        },
      },
      async (request) => {
        const { parse, fellBack, model } = await authoring.parseKickoff(request.params.id);
        return { parse, fell_back: fellBack, model };
      },
    );

    app.post(
      '/api/chats',
      {
        schema: {
          tags: ['chat'],
          summary: 'Start a chat from a confirmed kickoff',
          body: z.object({ bot_id: z.string().max(100), kickoff: kickoffParseSchema }),
          response: { 201: z.object({ chat_id: z.string() }) },
        },
      },
      async (request, reply) =>
        reply.code(201).send({ chat_id: await authoring.confirmKickoff(request.body.bot_id, request.body.kickoff) }),
    );
  };
}
