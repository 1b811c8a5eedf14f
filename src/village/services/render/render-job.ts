/**
 * Render jobs (seeds/000 `RenderJob`): what the engine loop enqueues for every `render_requested` event. The prompt
 * context is taken from the engine's state at that moment — the author's persona, their most relevant memories,
 * how they relate to the others and the event itself — so a worker needs nothing else to write the post.
 */
import type { Channel, Language } from '../../domain/catalog-schema.js';
import type { CatalogIndex } from '../../domain/context.js';
import type { Happening, RenderRequested } from '../../domain/events.js';
import { type NpcState, relationshipKey, type VillageState } from '../../domain/state.js';

export const renderQueue = 'village-render';

export interface PersonRef {
  id: string;
  name: string;
}

export interface PromptContext {
  language: Language;
  event: {
    id: string;
    type: string;
    typeName: string;
    category: string;
    valence: number;
    place: PersonRef;
    actors: PersonRef[];
    targets: PersonRef[];
    topic: string | undefined;
    severity: number;
    publicness: number;
    impact: number;
    simTime: string;
    weather: string;
  };
  author: {
    id: string;
    name: string;
    age: number;
    occupation: string;
    traits: string[];
    values: string[];
    speechStyle: string;
    mood: number;
    /** The author writes NEWS as the paper's reporter. */
    reporterOf: string | undefined;
  };
  memories: Array<{ eventId: string; typeName: string; importance: number; valence: number; with: string[] }>;
  relationships: Array<{ with: string; affinity: number; trust: number; respect: number; tags: string[] }>;
  channelStyle: string;
  /** The event type's template for this channel, placeholders filled. */
  instruction: string;
}

export interface RenderJobPayload {
  runId: string;
  channel: Channel;
  author_id: string;
  source_event_id: string;
  sim_time: string;
  prompt_context: PromptContext;
}

export function renderIdempotencyKey(runId: string, sourceEventId: string, channel: Channel, authorId: string): string {
  return `${runId}:${sourceEventId}:${channel}:${authorId}`;
}

function person(index: CatalogIndex, id: string): PersonRef {
  const npc = index.npcs[index.npcIndex.get(id) ?? -1];
  return { id, name: npc?.name ?? id };
}

/** Joins names the Finnish or English way: `A, B ja C`. */
export function joinNames(names: readonly string[], language: Language): string {
  if (names.length <= 1) return names[0] ?? '';
  return `${names.slice(0, -1).join(', ')} ${language === 'fi' ? 'ja' : 'and'} ${names[names.length - 1]}`;
}

function eventContext(index: CatalogIndex, state: VillageState, happening: Happening, language: Language): PromptContext['event'] {
  const type = index.types.get(happening.type);
  const place = index.places.get(happening.place);
  return {
    id: happening.id,
    type: happening.type,
    typeName: type?.name[language] ?? happening.type,
    category: happening.category,
    valence: happening.valence,
    place: { id: happening.place, name: place?.name ?? happening.place },
    actors: happening.actors.map((id) => person(index, id)),
    targets: happening.targets.map((id) => person(index, id)),
    topic: happening.topic?.[language],
    severity: happening.severity,
    publicness: happening.publicness,
    impact: happening.impact.score,
    simTime: happening.simTime,
    weather: index.catalog.world.weather.find((entry) => entry.id === state.weather)?.name[language] ?? state.weather,
  };
}

/** The author's four most relevant memories: shared with the others in the event first, then by importance and age. */
function relevantMemories(
  index: CatalogIndex,
  author: NpcState | undefined,
  happening: Happening,
  others: readonly string[],
  language: Language,
): PromptContext['memories'] {
  return [...(author?.memories ?? [])]
    .filter((memory) => memory.eventId !== happening.id)
    .sort((left, right) => {
      const leftShared = left.with.some((id) => others.includes(id)) ? 1 : 0;
      const rightShared = right.with.some((id) => others.includes(id)) ? 1 : 0;
      return rightShared - leftShared || right.importance - left.importance || right.tick - left.tick;
    })
    .slice(0, 4)
    .map((memory) => ({
      eventId: memory.eventId,
      typeName: index.types.get(memory.type)?.name[language] ?? memory.type,
      importance: memory.importance,
      valence: memory.valence,
      with: memory.with.map((id) => person(index, id).name),
    }));
}

function relationshipsWith(
  index: CatalogIndex,
  state: VillageState,
  authorId: string,
  others: readonly string[],
): PromptContext['relationships'] {
  return others.map((id) => {
    const edge = state.relationships[relationshipKey(authorId, id)];
    return {
      with: person(index, id).name,
      affinity: edge?.affinity ?? 0,
      trust: edge?.trust ?? 0.3,
      respect: edge?.respect ?? 0.3,
      tags: [...(edge?.tags ?? [])],
    };
  });
}

/** The event type's template for the channel with `{actor}`, `{targets}`, `{place}` and `{topic}` filled in. */
function fillTemplate(index: CatalogIndex, event: PromptContext['event'], channel: Channel, language: Language): string {
  const names = {
    actor: joinNames(
      event.actors.map((actor) => actor.name),
      language,
    ),
    targets: joinNames(
      event.targets.map((target) => target.name),
      language,
    ),
    place: event.place.name,
    topic: event.topic ?? event.typeName,
  };
  const template = index.types.get(event.type)?.templates[channel]?.[language] ?? '';
  return template.replace(/\{(actor|targets|place|topic)\}/g, (_match, key: keyof typeof names) => names[key]);
}

function authorContext(index: CatalogIndex, author: NpcState | undefined, request: RenderRequested): PromptContext['author'] {
  const { language } = request;
  const npc = index.npcs[index.npcIndex.get(request.authorId) ?? -1];
  return {
    id: request.authorId,
    name: npc?.name ?? request.authorId,
    age: npc?.age ?? 0,
    occupation: npc?.occupation[language] ?? '',
    traits: [...(npc?.traits ?? [])],
    values: [...(npc?.values ?? [])],
    speechStyle: npc?.speechStyle[language] ?? '',
    mood: author?.mood ?? 0,
    reporterOf: request.channel === 'NEWS' ? index.catalog.channels.newspaper.name : undefined,
  };
}

export function buildRenderJob(
  runId: string,
  index: CatalogIndex,
  state: VillageState,
  happening: Happening,
  request: RenderRequested,
): RenderJobPayload {
  const { language, channel } = request;
  const author = state.npcs.find((npc) => npc.id === request.authorId);
  const others = [...happening.actors, ...happening.targets].filter((id) => id !== request.authorId);
  const event = eventContext(index, state, happening, language);
  return {
    runId,
    channel,
    author_id: request.authorId,
    source_event_id: happening.id,
    sim_time: request.simTime,
    prompt_context: {
      language,
      event,
      author: authorContext(index, author, request),
      memories: relevantMemories(index, author, happening, others, language),
      relationships: relationshipsWith(index, state, request.authorId, others),
      channelStyle: index.catalog.channels.styles[channel][language],
      instruction: fillTemplate(index, event, channel, language),
    },
  };
}
