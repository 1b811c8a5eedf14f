/** Character Cards: import (`POST /api/bots/import`, a PNG or the JSON card) and export (`card.json`, `card.png`). */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ValidationError } from '../../../core/errors.js';
import type { ChatReadModel } from '../../read-model/queries.js';
import type { Cards } from '../../services/cards.js';
import { idParams } from '../route-kit.js';

export interface CardRoutesDeps {
  read: ChatReadModel;
  cards: Pick<Cards, 'importCard' | 'exportCard' | 'exportCardPng'>;
}

const tags = ['chat'];
export const importedBot = z.object({ bot_id: z.string(), name: z.string() });
const fileName = (name: string, extension: string) => `${name.replace(/[^\w.-]+/g, '_') || 'card'}.${extension}`;

export function cardRoutes({ read, cards }: CardRoutesDeps): FastifyPluginAsyncZod {
  return async (app) => {
    for (const type of ['image/png', 'application/octet-stream'])
      app.addContentTypeParser(type, { parseAs: 'buffer', bodyLimit: 20 * 1024 * 1024 }, (_request, body, done) => done(null, body));

    app.post(
      '/api/bots/import',
      {
        schema: {
          tags,
          summary: 'Import a Character Card V2/V3: a PNG (tEXt ccv3 / chara) as image/png, or the JSON card; 400 names the problem',
          // The bytes of a PNG or the parsed JSON card: the card parser checks it and names what is wrong.
          body: z.unknown(),
          response: { 201: importedBot },
        },
      },
      async (request, reply) => {
        if (request.body === undefined || request.body === null) throw new ValidationError('character card: the request has no body');
        const { botId, name } = await cards.importCard(request.body);
        return reply.code(201).send({ bot_id: botId, name });
      },
    );

    app.get(
      '/api/bots/:id/card.json',
      { schema: { tags, summary: 'The bot as a Character Card V3 (JSON)', params: idParams } },
      async (request, reply) => {
        const card = await cards.exportCard(request.params.id);
        return reply.header('content-disposition', `attachment; filename="${fileName(card.data.name, 'json')}"`).send(card);
      },
    );

    app.get(
      '/api/bots/:id/card.png',
      { schema: { tags, summary: 'The bot as a Character Card PNG (tEXt ccv3 = V3 and chara = V2)', params: idParams } },
      async (request, reply) => {
        const png = await cards.exportCardPng(request.params.id);
        const bot = await read.requireBot(request.params.id);
        return reply
          .type('image/png')
          .header('content-disposition', `attachment; filename="${fileName(bot.name, 'png')}"`)
          .send(png);
      },
    );
  };
}
