/** Villagers opened as characters: `/bots/villager` (form), `GET /api/villagers`, `POST /api/bots/villager`. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ValidationError } from '../../../core/errors.js';
import type { Cards } from '../../services/cards.js';
import { formText, html } from '../route-kit.js';
import { importedBot } from './cards.js';

export interface VillagerRoutesDeps {
  cards: Pick<Cards, 'villagers' | 'importVillager'>;
}

export function villagerRoutes({ cards }: VillagerRoutesDeps): FastifyPluginAsyncZod {
  return async (app) => {
    /** "Chat with a villager": the NPC's card goes through the card import; then the kickoff as for any bot. */
    app.post('/bots/villager', { schema: { ...html, body: z.object({ npc_id: formText(100) }) } }, async (request, reply) => {
      const npcId = request.body.npc_id;
      if (!npcId) throw new ValidationError('choose a villager');
      const { botId } = await cards.importVillager(npcId);
      return reply.redirect(`/bots/${botId}/kickoff`, 303);
    });

    app.get(
      '/api/villagers',
      {
        schema: {
          tags: ['chat'],
          summary: 'Village NPCs that can be opened as chat characters',
          response: { 200: z.array(z.object({ id: z.string(), name: z.string(), age: z.number(), occupation: z.string() })) },
        },
      },
      async () => cards.villagers(),
    );

    app.post(
      '/api/bots/villager',
      {
        schema: {
          tags: ['chat'],
          summary: 'Open a village NPC as a character: its Character Card (origin village:<npc id>) imported as a new bot',
          body: z.object({ npc_id: z.string().min(1).max(100) }),
          response: { 201: importedBot },
        },
      },
      async (request, reply) => {
        const { botId, name } = await cards.importVillager(request.body.npc_id);
        return reply.code(201).send({ bot_id: botId, name });
      },
    );
  };
}
