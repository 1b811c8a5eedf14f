/**
 * Chat routes: pages (`/chat`, `/chats`, `/chats/:id`, `/settings`, `/bots`, `/bots/new`, `/bots/:id/kickoff`), form
 * posts, the drawer fragment and the JSON API under `/api/chat*`. Live updates travel through the SSE hub
 * (`/stream?topics=chat-<id>`): durable events with ids, token deltas as `chat-delta` without.
 */
import { readFileSync } from 'node:fs';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { renderToString } from 'preact-render-to-string';
import { z } from 'zod';
import { ValidationError } from '../../core/errors.js';
import { sendPage } from '../../web/jsx/render.js';
import type { ManualEditTarget } from '../domain/events.js';
import { type KickoffParse, kickoffParseSchema } from '../domain/kickoff.js';
import type { ChatService } from '../services/chat-service.js';
import { chatClientScript } from './client.js';
import {
  BotsPage,
  ChatPage,
  ChatsPage,
  Drawer,
  type DrawerProps,
  KickoffPage,
  NewBotPage,
  ResetBotPage,
  RewindPreviewDialog,
  SettingsPage,
} from './pages.js';

const css = readFileSync(new URL('./chat.css', import.meta.url), 'utf8');
const html = { hide: true } as const;
type Form = Record<string, string>;

const text = (form: Form, key: string, max = 8000) => (form[key] ?? '').trim().slice(0, max);
const list = (value: string, separator: RegExp) =>
  value
    .split(separator)
    .map((item) => item.trim())
    .filter(Boolean);

const youBody = z.object({
  name: z.string().trim().min(1).max(80),
  pronouns: z.string().max(40).default(''),
  persona: z.string().max(2000).default(''),
});
const botBody = z.object({
  name: z.string().trim().min(1).max(80),
  persona: z.string().trim().min(1).max(4000),
  voice_samples: z.union([z.array(z.string().max(2000)).max(20), z.string().max(8000)]).default([]),
  traits: z.union([z.array(z.string().max(100)).max(30), z.string().max(500)]).default([]),
  backstory: z.string().max(8000).default(''),
  initial_relationship: z.string().max(500).default(''),
  kickoff_prose: z.string().trim().min(1).max(8000),
});

function botFrom(body: z.infer<typeof botBody>) {
  return {
    name: body.name,
    persona: body.persona,
    voice_samples: Array.isArray(body.voice_samples) ? body.voice_samples : list(body.voice_samples, /^\s*---\s*$/m),
    traits: Array.isArray(body.traits) ? body.traits : list(body.traits, /,/),
    backstory: body.backstory,
    initial_relationship: body.initial_relationship,
    kickoff_prose: body.kickoff_prose,
  };
}

function kickoffFromForm(form: Form): KickoffParse {
  const activity = (prefix: string) => ({
    posture: text(form, `${prefix}_posture`, 200),
    action_verb: text(form, `${prefix}_action_verb`, 200),
    action_interruptible: form[`${prefix}_action_interruptible`] === 'on',
    action_required_attention: form[`${prefix}_action_required_attention`],
    action_expected_duration: text(form, `${prefix}_action_expected_duration`, 200),
    attention: text(form, `${prefix}_attention`, 200),
    holding: list(text(form, `${prefix}_holding`, 500), /,/),
  });
  const parsed = kickoffParseSchema.safeParse({
    container_name: text(form, 'container_name', 200),
    container_type: text(form, 'container_type', 100),
    container_properties: { moving: form.moving === 'on', public: form.public === 'on', audible_range: text(form, 'audible_range', 100) },
    you_activity: activity('you'),
    bot_activity: activity('bot'),
    initial_time_iso: text(form, 'initial_time_iso', 40),
    edge_seed_summary: text(form, 'edge_seed_summary', 2000),
    edge_seed_knowledge_facts: list(text(form, 'edge_seed_knowledge_facts', 4000), /\n/),
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ValidationError(`kickoff ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

/** Fetch from the chat page's script asks for JSON; a plain form post gets a redirect. */
function wantsJson(request: FastifyRequest): boolean {
  return request.headers['x-chat-client'] === '1' || (request.headers.accept ?? '').includes('application/json');
}

export function chatRoutes(service: ChatService): FastifyPluginAsyncZod {
  return async (app) => {
    for (const type of ['image/png', 'application/octet-stream'])
      app.addContentTypeParser(type, { parseAs: 'buffer', bodyLimit: 20 * 1024 * 1024 }, (_request, body, done) => done(null, body));

    /** First run: no you-entity -> /settings; no bots -> /bots/new. */
    async function firstRun(request: FastifyRequest, reply: FastifyReply): Promise<boolean> {
      const path = request.url.split('?')[0] ?? '';
      if (!(await service.read.you())) {
        if (path !== '/settings') {
          await reply.redirect('/settings?first=1', 303);
          return true;
        }
        return false;
      }
      if (path !== '/bots/new' && path !== '/settings' && (await service.read.bots()).length === 0) {
        await reply.redirect('/bots/new?first=1', 303);
        return true;
      }
      return false;
    }

    app.get('/chat/static/chat.css', { schema: html }, async (_request, reply) =>
      reply.type('text/css; charset=utf-8').header('cache-control', 'no-cache').send(css),
    );
    app.get('/chat/static/chat.js', { schema: html }, async (_request, reply) =>
      reply.type('text/javascript; charset=utf-8').header('cache-control', 'no-cache').send(chatClientScript),
    );

    app.get('/chat', { schema: html }, async (request, reply) => {
      if (await firstRun(request, reply)) return reply;
      return reply.redirect('/chats', 303);
    });

    app.get('/settings', { schema: html }, async (request, reply) => {
      const you = await service.read.you();
      return sendPage(reply, <SettingsPage you={you} offline={service.offline()} firstRun={!you || request.url.includes('first=1')} />);
    });

    app.post('/settings', { schema: html }, async (request, reply) => {
      const form = request.body as Form;
      const parsed = youBody.safeParse({
        name: text(form, 'name', 80),
        pronouns: text(form, 'pronouns', 40),
        persona: text(form, 'persona', 2000),
      });
      if (!parsed.success) throw new ValidationError('your name is required (at most 80 characters)');
      await service.authorYou(parsed.data);
      const bots = await service.read.bots();
      return reply.redirect(bots.length === 0 ? '/bots/new?first=1' : '/chats', 303);
    });

    app.get('/bots', { schema: html }, async (request, reply) => {
      if (await firstRun(request, reply)) return reply;
      return sendPage(reply, <BotsPage bots={await service.read.bots()} villagers={service.villagers()} offline={service.offline()} />);
    });

    app.get('/bots/new', { schema: html }, async (request, reply) => {
      if (await firstRun(request, reply)) return reply;
      const first = (await service.read.bots()).length === 0;
      return sendPage(reply, <NewBotPage offline={service.offline()} firstRun={first} villagers={service.villagers()} />);
    });

    /** "Chat with a villager": the NPC's card goes through the card import; then the kickoff as for any bot. */
    app.post('/bots/villager', { schema: html }, async (request, reply) => {
      const npcId = text(request.body as Form, 'npc_id', 100);
      if (!npcId) throw new ValidationError('choose a villager');
      const { botId } = await service.importVillager(npcId);
      return reply.redirect(`/bots/${botId}/kickoff`, 303);
    });

    app.post('/bots/new', { schema: html }, async (request, reply) => {
      const form = request.body as Form;
      const parsed = botBody.safeParse({
        name: text(form, 'name', 80),
        persona: text(form, 'persona', 4000),
        voice_samples: text(form, 'voice_samples'),
        traits: text(form, 'traits', 500),
        backstory: text(form, 'backstory'),
        initial_relationship: text(form, 'initial_relationship', 500),
        kickoff_prose: text(form, 'kickoff_prose'),
      });
      if (!parsed.success)
        return sendPage(
          reply,
          <NewBotPage offline={service.offline()} firstRun={false} error="Name, persona and kickoff are required." />,
          400,
        );
      const botId = await service.authorBot(botFrom(parsed.data));
      return reply.redirect(`/bots/${botId}/kickoff`, 303);
    });

    app.get('/bots/:id/kickoff', { schema: { ...html, params: z.object({ id: z.string().max(100) }) } }, async (request, reply) => {
      if (await firstRun(request, reply)) return reply;
      const bot = await service.requireBot(request.params.id);
      const { parse, fellBack, model } = await service.parseKickoff(bot.bot_id);
      return sendPage(
        reply,
        <KickoffPage
          bot={bot}
          parse={parse}
          offline={service.offline()}
          reader={model === 'offline' ? 'offline' : fellBack ? 'fallback' : 'model'}
        />,
      );
    });

    app.post('/bots/:id/kickoff', { schema: { ...html, params: z.object({ id: z.string().max(100) }) } }, async (request, reply) => {
      const chatId = await service.confirmKickoff(request.params.id, kickoffFromForm(request.body as Form));
      return reply.redirect(`/chats/${chatId}`, 303);
    });

    app.get('/chats', { schema: html }, async (request, reply) => {
      if (await firstRun(request, reply)) return reply;
      return sendPage(reply, <ChatsPage chats={await service.read.chats()} offline={service.offline()} />);
    });

    async function drawerProps(chatId: string): Promise<DrawerProps> {
      const chat = await service.requireChat(chatId);
      const [bot, you, containers, activity, edges, recent, pinned] = await Promise.all([
        service.requireBot(chat.bot_id),
        service.read.you(),
        service.read.containers(chatId),
        service.read.activity(chatId),
        service.read.edges(['you', chat.bot_id]),
        service.read.recentMemories(chatId, 5),
        service.read.pinned(chat.bot_id),
      ]);
      return { chat, bot, youName: you?.name ?? 'You', containers, activity, edges, recent, pinned, pinCap: service.settings.pin_cap };
    }

    app.get('/chats/:id', { schema: { ...html, params: z.object({ id: z.string().max(100) }) } }, async (request, reply) => {
      if (await firstRun(request, reply)) return reply;
      const resumeAt = await service.headPosition();
      const drawer = await drawerProps(request.params.id);
      const { messages, older } = await service.read.messages(request.params.id, 200);
      return sendPage(
        reply,
        <ChatPage
          chat={drawer.chat}
          bot={drawer.bot}
          you={await service.read.you()}
          messages={messages}
          older={older}
          partial={service.partial(request.params.id)}
          resumeAt={resumeAt}
          offline={service.offline()}
          drawer={drawer}
          undo={await service.undoable(request.params.id)}
        />,
      );
    });

    const idParams = z.object({ id: z.string().max(100) });

    app.get(
      '/chats/:id/rewind',
      { schema: { ...html, params: idParams, querystring: z.object({ to: z.string().max(100) }) } },
      async (request, reply) => {
        const preview = await service.rewindPreview(request.params.id, request.query.to);
        return reply
          .type('text/html; charset=utf-8')
          .send(
            renderToString(
              <RewindPreviewDialog
                chatId={preview.chatId}
                toTurnId={preview.toTurnId}
                impact={preview.impact}
                undoSeconds={service.settings.rewind_undo_seconds}
              />,
            ),
          );
      },
    );

    app.post('/chats/:id/rewind', { schema: { ...html, params: idParams } }, async (request, reply) => {
      const body = request.body as Form | { to?: unknown } | undefined;
      const to = typeof body?.to === 'string' ? body.to : '';
      const preview = await service.rewind(request.params.id, to);
      if (wantsJson(request)) return { to_version: preview.toVersion, impact: preview.impact };
      return reply.redirect(`/chats/${request.params.id}`, 303);
    });

    app.post('/chats/:id/rewind/undo', { schema: { ...html, params: idParams } }, async (request, reply) => {
      await service.undoRewind(request.params.id);
      if (wantsJson(request)) return { ok: true };
      return reply.redirect(`/chats/${request.params.id}`, 303);
    });

    app.post('/chats/:id/regenerate', { schema: { ...html, params: idParams } }, async (request, reply) => {
      const body = request.body as Form | { text?: unknown; reply?: unknown } | undefined;
      const edited = typeof body?.text === 'string' && body.text.trim() !== '' ? body.text : undefined;
      const replyId = typeof body?.reply === 'string' && body.reply !== '' ? body.reply : undefined;
      const result = await service.regenerate(request.params.id, replyId, edited);
      if (wantsJson(request)) return reply.code(202).send({ reply_id: result.replyId, edited: result.edited });
      return reply.redirect(`/chats/${request.params.id}`, 303);
    });

    /** The drawer for htmx, JSON for the page script and tools, a redirect for a plain form post. */
    async function afterDrawerChange(request: FastifyRequest, reply: FastifyReply, chatId: string, changed: number) {
      if (request.headers['hx-request'] === 'true')
        return reply.type('text/html; charset=utf-8').send(renderToString(<Drawer {...(await drawerProps(chatId))} />));
      if (wantsJson(request)) return { changed };
      return reply.redirect(`/chats/${chatId}`, 303);
    }

    app.post('/chats/:id/edit', { schema: { ...html, params: idParams } }, async (request, reply) => {
      const form = request.body as Form;
      const fields: Record<string, readonly string[]> = {
        activity: ['posture', 'verb', 'attention', 'holding'],
        edge: ['affinity', 'trust', 'summary'],
        memory: ['pov_summary', 'significance'],
      };
      const kind = form.kind ?? '';
      const allowed = fields[kind];
      if (!allowed) throw new ValidationError('kind must be activity, edge or memory');
      let changed = 0;
      for (const field of allowed) {
        const value = form[field];
        if (value === undefined) continue;
        const target = (
          kind === 'activity'
            ? { kind, entity_id: form.entity_id ?? '', field }
            : kind === 'edge'
              ? { kind, source_id: form.source_id ?? '', target_id: form.target_id ?? '', field }
              : { kind, memory_id: form.memory_id ?? '', field }
        ) as ManualEditTarget;
        if (await service.manualEdit(request.params.id, target, value)) changed++;
      }
      return afterDrawerChange(request, reply, request.params.id, changed);
    });

    app.post('/chats/:id/scene/close', { schema: { ...html, params: idParams } }, async (request, reply) => {
      const events = await service.closeScene(request.params.id);
      return afterDrawerChange(request, reply, request.params.id, events.length);
    });

    app.post('/chats/:id/pin', { schema: { ...html, params: idParams } }, async (request, reply) => {
      const form = request.body as Form | { memory_id?: unknown; pinned?: unknown };
      const memoryId = typeof form.memory_id === 'string' ? form.memory_id : '';
      const pinned = form.pinned === true || form.pinned === '1' || form.pinned === 'true';
      const changed = await service.setPin(request.params.id, memoryId, pinned);
      return afterDrawerChange(request, reply, request.params.id, changed ? 1 : 0);
    });

    app.get('/bots/:id/reset', { schema: { ...html, params: idParams } }, async (request, reply) => {
      if (await firstRun(request, reply)) return reply;
      const bot = await service.requireBot(request.params.id);
      const chats = (await service.read.chats()).filter((chat) => chat.bot_id === bot.bot_id).length;
      return sendPage(reply, <ResetBotPage bot={bot} offline={service.offline()} chats={chats} />);
    });

    app.post('/bots/:id/reset', { schema: { ...html, params: idParams } }, async (request, reply) => {
      const bot = await service.requireBot(request.params.id);
      const name = text(request.body as Form, 'name', 80);
      if (name !== bot.name.trim()) {
        const chats = (await service.read.chats()).filter((chat) => chat.bot_id === bot.bot_id).length;
        return sendPage(
          reply,
          <ResetBotPage bot={bot} offline={service.offline()} chats={chats} error={`Type ${bot.name} exactly to reset.`} />,
          400,
        );
      }
      await service.resetBot(bot.bot_id, name);
      return reply.redirect('/bots', 303);
    });

    app.get('/chats/:id/drawer', { schema: { ...html, params: z.object({ id: z.string().max(100) }) } }, async (request, reply) => {
      const props = await drawerProps(request.params.id);
      return reply.type('text/html; charset=utf-8').send(renderToString(<Drawer {...props} />));
    });

    app.get('/chats/:id/partial', { schema: { ...html, params: z.object({ id: z.string().max(100) }) } }, async (request, reply) => {
      const partial = service.partial(request.params.id);
      if (!partial) return reply.code(204).send();
      return { turn_id: partial.turnId, seq: partial.seq, text: partial.text };
    });

    app.post('/chats/:id/turns', { schema: { ...html, params: z.object({ id: z.string().max(100) }) } }, async (request, reply) => {
      const body = request.body as Form | { text?: unknown } | undefined;
      const turnText = typeof body?.text === 'string' ? body.text : '';
      const result = await service.submitTurn(request.params.id, turnText);
      if (wantsJson(request)) return reply.code(202).send({ turn_id: result.turnId, reply_id: result.replyId });
      return reply.redirect(`/chats/${request.params.id}`, 303);
    });

    app.post('/chats/:id/stop', { schema: { ...html, params: z.object({ id: z.string().max(100) }) } }, async (request, reply) => {
      const stopped = await service.stop(request.params.id);
      if (wantsJson(request)) return { stopped };
      return reply.redirect(`/chats/${request.params.id}`, 303);
    });

    // ---------- JSON API ----------

    const tags = ['chat'];
    app.post(
      '/api/you',
      { schema: { tags, summary: 'Author the you-entity', body: youBody, response: { 200: z.object({ ok: z.literal(true) }) } } },
      async (request) => {
        await service.authorYou(request.body);
        return { ok: true as const };
      },
    );

    app.post(
      '/api/bots',
      { schema: { tags, summary: 'Author a bot (bot_authored)', body: botBody, response: { 201: z.object({ bot_id: z.string() }) } } },
      async (request, reply) => reply.code(201).send({ bot_id: await service.authorBot(botFrom(request.body)) }),
    );

    app.post(
      '/api/bots/import',
      {
        schema: {
          tags,
          summary: 'Import a Character Card V2/V3: a PNG (tEXt ccv3 / chara) as image/png, or the JSON card; 400 names the problem',
          response: { 201: z.object({ bot_id: z.string(), name: z.string() }) },
        },
      },
      async (request, reply) => {
        if (request.body === undefined || request.body === null) throw new ValidationError('character card: the request has no body');
        const { botId, name } = await service.importCard(request.body);
        return reply.code(201).send({ bot_id: botId, name });
      },
    );

    app.get(
      '/api/villagers',
      {
        schema: {
          tags,
          summary: 'Village NPCs that can be opened as chat characters',
          response: { 200: z.array(z.object({ id: z.string(), name: z.string(), age: z.number(), occupation: z.string() })) },
        },
      },
      async () => service.villagers(),
    );

    app.post(
      '/api/bots/villager',
      {
        schema: {
          tags,
          summary: 'Open a village NPC as a character: its Character Card (origin village:<npc id>) imported as a new bot',
          body: z.object({ npc_id: z.string().min(1).max(100) }),
          response: { 201: z.object({ bot_id: z.string(), name: z.string() }) },
        },
      },
      async (request, reply) => {
        const { botId, name } = await service.importVillager(request.body.npc_id);
        return reply.code(201).send({ bot_id: botId, name });
      },
    );

    app.get(
      '/api/bots/:id/card.json',
      { schema: { tags, summary: 'The bot as a Character Card V3 (JSON)', params: z.object({ id: z.string().max(100) }) } },
      async (request, reply) => {
        const card = await service.exportCard(request.params.id);
        const file = `${card.data.name.replace(/[^\w.-]+/g, '_') || 'card'}.json`;
        return reply.header('content-disposition', `attachment; filename="${file}"`).send(card);
      },
    );

    app.get(
      '/api/bots/:id/card.png',
      {
        schema: {
          tags,
          summary: 'The bot as a Character Card PNG (tEXt ccv3 = V3 and chara = V2)',
          params: z.object({ id: z.string().max(100) }),
        },
      },
      async (request, reply) => {
        const png = await service.exportCardPng(request.params.id);
        const bot = await service.requireBot(request.params.id);
        const file = `${bot.name.replace(/[^\w.-]+/g, '_') || 'card'}.png`;
        return reply.type('image/png').header('content-disposition', `attachment; filename="${file}"`).send(png);
      },
    );

    app.post(
      '/api/bots/:id/kickoff',
      {
        schema: {
          tags,
          summary: "Read a bot's kickoff prose into the KickoffParse shape (to confirm with POST /api/chats)",
          params: z.object({ id: z.string().max(100) }),
          response: { 200: z.object({ parse: kickoffParseSchema, fell_back: z.boolean(), model: z.string() }) },
        },
      },
      async (request) => {
        const { parse, fellBack, model } = await service.parseKickoff(request.params.id);
        return { parse, fell_back: fellBack, model };
      },
    );

    app.post(
      '/api/chats',
      {
        schema: {
          tags,
          summary: 'Start a chat from a confirmed kickoff',
          body: z.object({ bot_id: z.string().max(100), kickoff: kickoffParseSchema }),
          response: { 201: z.object({ chat_id: z.string() }) },
        },
      },
      async (request, reply) => reply.code(201).send({ chat_id: await service.confirmKickoff(request.body.bot_id, request.body.kickoff) }),
    );

    app.post(
      '/api/chats/:id/turns',
      {
        schema: {
          tags,
          summary: 'Send a turn; the reply streams to `/stream?topics=chat-<id>` (chat-delta), then is stored (assistant_turn)',
          params: z.object({ id: z.string().max(100) }),
          body: z.object({ text: z.string().min(1).max(8000) }),
          response: { 202: z.object({ turn_id: z.string(), reply_id: z.string() }) },
        },
      },
      async (request, reply) => {
        const result = await service.submitTurn(request.params.id, request.body.text);
        return reply.code(202).send({ turn_id: result.turnId, reply_id: result.replyId });
      },
    );

    app.post(
      '/api/chats/:id/stop',
      {
        schema: {
          tags,
          summary: 'Stop the streaming reply; the partial text is stored with truncated=true',
          params: z.object({ id: z.string().max(100) }),
          response: { 200: z.object({ stopped: z.boolean() }) },
        },
      },
      async (request) => ({ stopped: await service.stop(request.params.id) }),
    );

    const impactSchema = z.object({
      messages: z.number(),
      scene_transitions: z.number(),
      edge_updates: z.number(),
      memories: z.number(),
      time_passes: z.number(),
      other: z.number(),
    });

    app.get(
      '/api/chats/:id/rewind-preview',
      {
        schema: {
          tags,
          summary: 'What "rewind to here" on a message would take out of effect',
          params: z.object({ id: z.string().max(100) }),
          querystring: z.object({ to: z.string().max(100) }),
          response: { 200: z.object({ to_turn_id: z.string(), to_version: z.number(), impact: impactSchema }) },
        },
      },
      async (request) => {
        const preview = await service.rewindPreview(request.params.id, request.query.to);
        return { to_turn_id: preview.toTurnId, to_version: preview.toVersion, impact: preview.impact };
      },
    );

    app.post(
      '/api/chats/:id/rewind',
      {
        schema: {
          tags,
          summary: 'Rewind to a message (chat_rewound; nothing deleted; undo within chat.rewind_undo_seconds)',
          params: z.object({ id: z.string().max(100) }),
          body: z.object({ to: z.string().max(100) }),
          response: { 200: z.object({ to_version: z.number(), impact: impactSchema }) },
        },
      },
      async (request) => {
        const preview = await service.rewind(request.params.id, request.body.to);
        return { to_version: preview.toVersion, impact: preview.impact };
      },
    );

    app.post(
      '/api/chats/:id/rewind/undo',
      {
        schema: {
          tags,
          summary: 'Undo the latest rewind (chat_rewind_undone)',
          params: z.object({ id: z.string().max(100) }),
          response: { 200: z.object({ ok: z.literal(true) }) },
        },
      },
      async (request) => {
        await service.undoRewind(request.params.id);
        return { ok: true as const };
      },
    );

    app.post(
      '/api/chats/:id/regenerate',
      {
        schema: {
          tags,
          summary:
            'Regenerate the latest reply, optionally with your previous turn edited first (user_turn_edit, assistant_turn_superseded)',
          params: z.object({ id: z.string().max(100) }),
          body: z.object({ text: z.string().min(1).max(8000).optional(), reply: z.string().max(100).optional() }),
          response: { 202: z.object({ reply_id: z.string(), edited: z.boolean() }) },
        },
      },
      async (request, reply) => {
        const result = await service.regenerate(request.params.id, request.body.reply, request.body.text);
        return reply.code(202).send({ reply_id: result.replyId, edited: result.edited });
      },
    );

    app.post(
      '/api/bots/:id/reset',
      {
        schema: {
          tags,
          summary: "Reset a bot (bot_reset): its chats go back to their kickoff; `name` must be the bot's name",
          params: z.object({ id: z.string().max(100) }),
          body: z.object({ name: z.string().max(80) }),
          response: { 200: z.object({ chats: z.number() }) },
        },
      },
      async (request) => service.resetBot(request.params.id, request.body.name),
    );

    app.get(
      '/api/chats/:id',
      {
        schema: {
          tags,
          summary: 'A chat: messages, clock, scene, edges, memories, last ledger',
          params: z.object({ id: z.string().max(100) }),
        },
      },
      async (request) => {
        const position = await service.headPosition();
        const props = await drawerProps(request.params.id);
        const { messages, older } = await service.read.messages(request.params.id, 200);
        const { chat } = props;
        return {
          chat_id: chat.chat_id,
          /** Subscribe to `/stream?topics=chat-<id>&lastEventId=<position>` to follow on from this snapshot. */
          position,
          bot: { bot_id: props.bot.bot_id, name: props.bot.name },
          clock: chat.state.clock,
          weather: chat.state.weather,
          streaming_turn_id: chat.state.streamingTurnId,
          scene: {
            scene_id: chat.state.activeSceneId,
            container: props.containers.find((item) => item.container_id === chat.state.containerId) ?? null,
          },
          activity: props.activity,
          edges: props.edges,
          messages,
          older_messages: older,
          memories: props.recent,
          pinned: props.pinned,
          retrieved: chat.last_retrieved ?? [],
          ledger: chat.last_ledger,
          undo: (await service.undoable(request.params.id)) ?? null,
        };
      },
    );
  };
}
