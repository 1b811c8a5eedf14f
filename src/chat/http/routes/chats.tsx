/** Chats: the list (`/chats`), a chat's page (`/chats/:id`) and its JSON (`GET /api/chats/:id`). */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { sendPage } from '../../../web/jsx/render.js';
import type { ChatSettings } from '../../config.js';
import type { ChatReadModel } from '../../read-model/queries.js';
import type { Generations } from '../../services/generations.js';
import type { TimelineEdits } from '../../services/timeline-edits.js';
import { ChatPage } from '../pages/chat-page.js';
import { ChatsPage } from '../pages/chats-page.js';
import { firstRunRedirect, html, idParams, loadDrawer } from '../route-kit.js';

export interface ChatRoutesDeps {
  settings: ChatSettings;
  read: ChatReadModel;
  generations: Pick<Generations, 'offline' | 'partial' | 'headPosition'>;
  timeline: Pick<TimelineEdits, 'undoable'>;
}

/** How many of the newest messages a chat opens with. */
const pageSize = 200;

export function chatRoutes({ settings, read, generations, timeline }: ChatRoutesDeps): FastifyPluginAsyncZod {
  return async (app) => {
    app.get('/chat', { schema: html }, async (request, reply) => {
      if (await firstRunRedirect(read, request, reply)) return reply;
      return reply.redirect('/chats', 303);
    });

    app.get('/chats', { schema: html }, async (request, reply) => {
      if (await firstRunRedirect(read, request, reply)) return reply;
      return sendPage(reply, <ChatsPage chats={await read.chats()} offline={generations.offline()} />);
    });

    app.get('/chats/:id', { schema: { ...html, params: idParams } }, async (request, reply) => {
      if (await firstRunRedirect(read, request, reply)) return reply;
      const chatId = request.params.id;
      const resumeAt = await generations.headPosition();
      const drawer = await loadDrawer(read, settings, chatId);
      const { messages, older } = await read.messages(chatId, pageSize);
      return sendPage(
        reply,
        <ChatPage
          chat={drawer.chat}
          bot={drawer.bot}
          you={await read.you()}
          messages={messages}
          older={older}
          partial={generations.partial(chatId)}
          resumeAt={resumeAt}
          offline={generations.offline()}
          drawer={drawer}
          undo={await timeline.undoable(chatId)}
        />,
      );
    });

    app.get(
      '/api/chats/:id',
      { schema: { tags: ['chat'], summary: 'A chat: messages, clock, scene, edges, memories, last ledger', params: idParams } },
      async (request) => {
        const chatId = request.params.id;
        const position = await generations.headPosition();
        const props = await loadDrawer(read, settings, chatId);
        const { messages, older } = await read.messages(chatId, pageSize);
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
          undo: (await timeline.undoable(chatId)) ?? null,
        };
      },
    );
  };
}
