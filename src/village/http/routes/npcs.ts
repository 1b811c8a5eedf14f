/** `GET /npcs` and `GET /npcs/:id`: the villagers, and one villager's profile, relationships, memories and posts. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { VillageWorld } from '../../services/context.js';
import type { NpcProfile } from '../../services/villagers.js';
import type { VillageRouteOptions } from '../options.js';
import { npcIdSchema, postJson, postSchema } from '../schemas.js';

const npcListSchema = z.object({
  items: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      age: z.number(),
      occupation: z.string(),
      traits: z.array(z.string()),
      location: z.string().nullable(),
    }),
  ),
});

const npcSchema = z.object({
  id: z.string(),
  name: z.string(),
  age: z.number(),
  occupation: z.string(),
  traits: z.array(z.string()),
  values: z.array(z.string()),
  speech_style: z.string(),
  home: z.string(),
  work: z.string().nullable(),
  state: z.object({ location: z.string(), mood: z.number(), energy: z.number(), reputation: z.number() }).nullable(),
  relationships: z.array(
    z.object({
      with: z.string(),
      name: z.string(),
      affinity: z.number(),
      trust: z.number(),
      respect: z.number(),
      tags: z.array(z.string()),
    }),
  ),
  memories: z.array(
    z.object({
      event_id: z.string(),
      type: z.string(),
      importance: z.number(),
      valence: z.number(),
      with: z.array(z.string()),
    }),
  ),
  posts: z.array(postSchema),
});

function npcJson(profile: NpcProfile, world: VillageWorld): z.infer<typeof npcSchema> {
  const { npc, npcState } = profile;
  return {
    id: npc.id,
    name: npc.name,
    age: npc.age,
    occupation: npc.occupation.fi,
    traits: npc.traits,
    values: npc.values,
    speech_style: npc.speechStyle.fi,
    home: npc.home,
    work: npc.work ?? null,
    state: npcState ? { location: npcState.location, mood: npcState.mood, energy: npcState.energy, reputation: npcState.reputation } : null,
    relationships: profile.relationships.map(({ other, edge }) => ({
      with: other.id,
      name: other.name,
      affinity: edge.affinity,
      trust: edge.trust,
      respect: edge.respect,
      tags: edge.tags,
    })),
    memories: profile.memories.map((memory) => ({
      event_id: memory.eventId,
      type: memory.type,
      importance: memory.importance,
      valence: memory.valence,
      with: memory.with,
    })),
    posts: profile.posts.map((post) => postJson(post, world)),
  };
}

export function npcRoutes({ service, limited }: VillageRouteOptions): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/npcs',
      { onRequest: limited, schema: { summary: 'The villagers', tags: ['village'], response: { 200: npcListSchema } } },
      async () => ({
        items: (await service.villagers.list()).map(({ npc, location }) => ({
          id: npc.id,
          name: npc.name,
          age: npc.age,
          occupation: npc.occupation.fi,
          traits: npc.traits,
          location: location ?? null,
        })),
      }),
    );

    app.get(
      '/npcs/:id',
      {
        onRequest: limited,
        schema: {
          summary: 'One villager: profile, relationships, recent memories and posts',
          tags: ['village'],
          params: z.object({ id: npcIdSchema }),
          response: { 200: npcSchema },
        },
      },
      async (request) => npcJson(await service.villagers.profile(request.params.id), service.world),
    );
  };
}
