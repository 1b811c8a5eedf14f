/** `GET /village/npcs` and `GET /village/npcs/:id`: the people list and one villager's page. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { sendPage } from '../../../web/jsx/render.js';
import type { VillageRouteOptions } from '../options.js';
import { VillageFrame } from '../pages/frame.js';
import { type MemoryView, NpcDetails, PeoplePage } from '../pages/npc.js';
import { npcIdSchema } from '../schemas.js';

export function npcPageRoutes({ service, limited }: VillageRouteOptions): FastifyPluginAsyncZod {
  return async (app) => {
    app.get('/village/npcs', { onRequest: limited, schema: { hide: true } }, async (_request, reply) => {
      const { run, running } = await service.runs.overview();
      return sendPage(reply, <PeoplePage world={service.world} run={run} running={running} />);
    });

    app.get(
      '/village/npcs/:id',
      { onRequest: limited, schema: { hide: true, params: z.object({ id: npcIdSchema }) } },
      async (request, reply) => {
        const profile = await service.villagers.profile(request.params.id);
        const { run, running } = await service.runs.overview();
        const memories: MemoryView[] = [];
        for (const memory of profile.memories)
          memories.push({
            eventId: memory.eventId,
            importance: memory.importance,
            valence: memory.valence,
            event: await service.queries.getEvent(profile.runId, memory.eventId),
            typeName: service.world.typeName(memory.type),
          });
        return sendPage(
          reply,
          <VillageFrame title={profile.npc.name} world={service.world} run={run} running={running}>
            <NpcDetails world={service.world} profile={profile} memories={memories} />
          </VillageFrame>,
        );
      },
    );
  };
}
