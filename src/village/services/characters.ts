/**
 * Villagers as characters for other products (chat): a Character Card V3 built from an NPC's catalog profile, the
 * list of villagers, and an NPC's village memories as text (from the current run's engine state, enriched with the
 * place and topic the read model keeps for each event). No model calls: everything is catalog text and state.
 */
import { NotFoundError } from '../../core/errors.js';
import type { Language, Npc } from '../domain/catalog-schema.js';
import { formatLocal, tickInstant } from '../domain/sim-time.js';
import type { VillageQueries } from '../read-model/queries.js';
import type { VillageWorld } from './context.js';
import type { VillagerService } from './villagers.js';

/** What the character views read: the world, the current run's state and the read model's event rows. */
export interface CharacterSource {
  world: VillageWorld;
  villagers: VillagerService;
  queries: VillageQueries;
}

export interface VillagerSummary {
  id: string;
  name: string;
  age: number;
  occupation: string;
}

/** A Character Card V3 (`chara_card_v3`) as the chat's card import reads it. */
export interface VillagerCard {
  spec: 'chara_card_v3';
  spec_version: '3.0';
  data: {
    name: string;
    description: string;
    personality: string;
    scenario: string;
    first_mes: string;
    mes_example: string;
    creator_notes: string;
    system_prompt: string;
    post_history_instructions: string;
    alternate_greetings: string[];
    group_only_greetings: string[];
    tags: string[];
    creator: string;
    character_version: string;
    extensions: { koivulahti: { origin: string; npc_id: string; world: string; catalog_hash: string } };
  };
}

export interface VillagerMemory {
  eventId: string;
  type: string;
  /** First-person-neutral text: what happened, with whom, where, about what, and when (sim time). */
  text: string;
  /** 0..1, as the engine scored it. */
  importance: number;
  valence: number;
  tick: number;
  /** Sim time, ISO 8601 with the Helsinki offset (`2026-05-04T07:30:00+03:00`). */
  simTime: string;
  with: string[];
}

export interface VillagerMemories {
  /** The run the memories come from (the village's current run); null when it has not started yet. */
  runId: string | null;
  memories: VillagerMemory[];
}

export interface VillagerOptions {
  language?: Language;
}

/** The origin a bot made from a villager carries (`village:<npc id>`). */
export function villagerOrigin(npcId: string): string {
  return `village:${npcId}`;
}

function requireNpc(world: VillageWorld, npcId: string): Npc {
  const npc = world.index.npcs[world.index.npcIndex.get(npcId) ?? -1];
  if (!npc) throw new NotFoundError(`no villager ${npcId}`, { npcId });
  return npc;
}

const words = (ids: readonly string[]) => ids.map((id) => id.replaceAll('_', ' ')).join(', ');

function joinNames(names: readonly string[], language: Language): string {
  if (names.length <= 1) return names[0] ?? '';
  return `${names.slice(0, -1).join(', ')} ${language === 'fi' ? 'ja' : 'and'} ${names[names.length - 1]}`;
}

export function listVillagers(source: CharacterSource, options: VillagerOptions = {}): VillagerSummary[] {
  const language = options.language ?? 'en';
  return source.world.index.npcs.map((npc) => ({ id: npc.id, name: npc.name, age: npc.age, occupation: npc.occupation[language] }));
}

/** The NPC as a Character Card V3: persona from the catalog profile, goals and relationships; a first message at work. */
export function getCharacterCard(source: CharacterSource, npcId: string, options: VillagerOptions = {}): VillagerCard {
  const language = options.language ?? 'en';
  const { world: village } = source;
  const npc = requireNpc(village, npcId);
  const catalog = village.catalog.catalog;
  const world = catalog.world;
  const home = village.placeName(npc.home);
  const work = npc.work ? village.placeName(npc.work) : '';
  const occupation = npc.occupation[language];
  const goals = catalog.goals.filter((goal) => goal.npc === npc.id).map((goal) => goal.description[language]);
  const ties = catalog.relationships
    .filter((edge) => edge.from === npc.id)
    .map((edge) => {
      const feeling = edge.affinity >= 0.3 ? 'likes' : edge.affinity <= -0.3 ? 'is at odds with' : 'knows';
      const tags = edge.tags.length > 0 ? ` (${words(edge.tags)})` : '';
      return `${feeling} ${village.npcName(edge.to)}${tags}`;
    });
  const description = [
    `${npc.name}, ${npc.age}, ${occupation} in ${world.name}.`,
    `Lives at ${home}${work ? `; works at ${work}` : ''}.`,
    `Traits: ${words(npc.traits)}. Values: ${words(npc.values)}.`,
    `Speech style: ${npc.speechStyle[language]}`,
    goals.length > 0 ? `Wants: ${goals.join(' ')}` : '',
    ties.length > 0 ? `People: ${ties.join('; ')}.` : '',
  ]
    .filter(Boolean)
    .join('\n');
  const where = work || home;
  return {
    spec: 'chara_card_v3',
    spec_version: '3.0',
    data: {
      name: npc.name,
      description,
      personality: npc.traits.map((trait) => trait.replaceAll('_', ' ')).join(', '),
      scenario: `${world.description[language]}\n${npc.name} remembers what happened in the village.`,
      first_mes: `You walk into ${where} in ${world.name}. ${npc.name}, the ${occupation}, looks up and greets you.`,
      mes_example: '',
      creator_notes: `Made from the ${world.name} village catalog (NPC ${npc.id}).`,
      system_prompt: '',
      post_history_instructions: '',
      alternate_greetings: [],
      group_only_greetings: [],
      tags: [world.name, 'villager'],
      creator: `${world.name} village`,
      character_version: village.catalog.hash.slice(0, 8),
      extensions: {
        koivulahti: { origin: villagerOrigin(npc.id), npc_id: npc.id, world: world.id, catalog_hash: village.catalog.hash },
      },
    },
  };
}

/**
 * The NPC's memories in the village's current run, newest first (at most `limit`), each as text with importance and
 * sim time. Place and topic come from the read model's event row when it is there.
 */
export async function getVillagerMemories(
  source: CharacterSource,
  npcId: string,
  options: VillagerOptions & { limit?: number } = {},
): Promise<VillagerMemories> {
  const language = options.language ?? 'en';
  const { world, villagers, queries } = source;
  requireNpc(world, npcId);
  const runId = await villagers.currentRunId();
  const state = await villagers.runState(runId);
  const npcState = state?.npcs.find((npc) => npc.id === npcId);
  if (!state || !npcState) return { runId: state ? runId : null, memories: [] };
  const chosen = [...npcState.memories]
    .sort((left, right) => right.tick - left.tick || left.eventId.localeCompare(right.eventId))
    .slice(0, Math.max(0, options.limit ?? 50));
  const memories: VillagerMemory[] = [];
  for (const memory of chosen) {
    const row = await queries.getEvent(runId, memory.eventId);
    const happening = row?.data as { place?: string; topic?: { fi: string; en: string } } | undefined;
    const type = world.index.types.get(memory.type);
    const typeName = type?.name[language] ?? memory.type.replaceAll('_', ' ');
    const simTime = formatLocal(tickInstant(world.index.clock, memory.tick));
    const others = joinNames(
      memory.with.map((id) => world.npcName(id)),
      language,
    );
    const place = happening?.place ? world.placeName(happening.place) : '';
    const topic = happening?.topic?.[language];
    const feeling = memory.valence >= 0.2 ? ' It felt good.' : memory.valence <= -0.2 ? ' It felt bad.' : '';
    const text =
      `${simTime.slice(0, 16).replace('T', ' ')}: ${typeName.charAt(0).toUpperCase()}${typeName.slice(1)}` +
      `${others ? ` with ${others}` : ''}${place ? ` at ${place}` : ''}${topic ? `, about ${topic}` : ''}.${feeling}`;
    memories.push({
      eventId: memory.eventId,
      type: memory.type,
      text,
      importance: memory.importance,
      valence: memory.valence,
      tick: memory.tick,
      simTime,
      with: [...memory.with],
    });
  }
  return { runId, memories };
}
