/** `GET /places`: the places of the village and who is there now. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { VillageRouteOptions } from '../options.js';

const placeSchema = z.object({
  id: z.string(),
  name: z.string(),
  kind: z.string(),
  publicness: z.number(),
  description: z.string(),
  present: z.array(z.string()),
});

export function placeRoutes({ service, limited }: VillageRouteOptions): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/places',
      {
        onRequest: limited,
        schema: {
          summary: 'The places of the village and who is there now',
          tags: ['village'],
          response: { 200: z.object({ items: z.array(placeSchema) }) },
        },
      },
      async () => ({
        items: (await service.villagers.places()).map(({ place, present }) => ({
          id: place.id,
          name: place.name,
          kind: place.kind,
          publicness: place.publicness,
          description: place.description.fi,
          present,
        })),
      }),
    );
  };
}
