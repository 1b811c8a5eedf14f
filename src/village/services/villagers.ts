/**
 * Villager reads: the engine state of a run at its stream head (the newest snapshot with the later events folded in,
 * cached per run), and the views of NPCs and places the API and pages show.
 */
import { NotFoundError } from '../../core/errors.js';
import type { Npc } from '../domain/catalog-schema.js';
import { evolve } from '../domain/engine.js';
import { type VillageEvent, worldStreamId } from '../domain/events.js';
import { createInitialState, type Memory, type NpcState, type Relationship, relationshipKey, type VillageState } from '../domain/state.js';
import type { PostRow } from '../read-model/queries.js';
import type { VillageContext, VillageWorld } from './context.js';
import type { RunService } from './runs.js';
import { loadSnapshot } from './world-run.js';

export interface NpcListing {
  npc: Npc;
  /** Where the NPC is now in the current run; undefined before it started. */
  location: string | undefined;
}

export interface NpcProfile {
  npc: Npc;
  runId: string;
  state: VillageState | undefined;
  npcState: NpcState | undefined;
  /** The NPC's relationships the run knows, in catalog order. */
  relationships: Array<{ other: Npc; edge: Relationship }>;
  /** Newest first. */
  memories: Memory[];
  /** The NPC's latest visible posts, newest first. */
  posts: PostRow[];
}

export interface PlaceListing {
  place: VillageWorld['catalog']['catalog']['places'][number];
  /** Ids of the NPCs there now. */
  present: string[];
}

const readPage = 2_000;

/** What VillagerService uses of the shared context. */
export type VillagersContext = Pick<VillageContext, 'snapshots' | 'store' | 'world' | 'queries'>;

export class VillagerService {
  private readonly stateCache = new Map<string, { version: number; state: VillageState }>();

  constructor(
    private readonly context: VillagersContext,
    private readonly runs: RunService,
  ) {}

  get world(): VillageWorld {
    return this.context.world;
  }

  currentRunId(): Promise<string> {
    return this.runs.currentRunId();
  }

  /** The engine state of a run at its stream head: the newest snapshot with the later events folded in. */
  async runState(runId: string): Promise<VillageState | undefined> {
    const { snapshots, store, world } = this.context;
    const streamId = worldStreamId(runId);
    let cached = this.stateCache.get(runId);
    if (!cached) {
      const found = await loadSnapshot(snapshots, streamId);
      if (found) cached = { version: found.version, state: found.snapshot.state };
      else {
        if ((await store.streamVersion(streamId)) === 0) return undefined;
        cached = { version: 0, state: createInitialState(world.catalog.catalog, world.settings) };
      }
    }
    for (;;) {
      const events = await store.readStream(streamId, { fromVersion: cached.version + 1, limit: readPage });
      for (const event of events) {
        cached.state = evolve(cached.state, { type: event.type, data: event.data } as VillageEvent);
        cached.version = event.version;
      }
      if (events.length < readPage) break;
    }
    this.stateCache.set(runId, cached);
    return cached.state;
  }

  /** Every NPC in catalog order with where they are in the current run. */
  async list(): Promise<NpcListing[]> {
    const state = await this.runState(await this.currentRunId());
    return this.world.catalog.catalog.npcs.map((npc) => ({
      npc,
      location: state?.npcs.find((entry) => entry.id === npc.id)?.location,
    }));
  }

  /** One NPC in the current run; NotFoundError for an unknown id. */
  async profile(npcId: string, postLimit = 20): Promise<NpcProfile> {
    const npcs = this.world.catalog.catalog.npcs;
    const npc = npcs.find((entry) => entry.id === npcId);
    if (!npc) throw new NotFoundError(`no villager ${npcId}`);
    const runId = await this.currentRunId();
    const state = await this.runState(runId);
    const npcState = state?.npcs.find((entry) => entry.id === npc.id);
    const relationships: NpcProfile['relationships'] = [];
    for (const other of npcs) {
      const edge = other.id === npc.id ? undefined : state?.relationships[relationshipKey(npc.id, other.id)];
      if (edge) relationships.push({ other, edge });
    }
    const memories = [...(npcState?.memories ?? [])].sort((left, right) => right.tick - left.tick);
    const posts = await this.context.queries.listPosts({ runId, authorId: npc.id, limit: postLimit });
    return { npc, runId, state, npcState, relationships, memories, posts };
  }

  /** Every place in catalog order with who is there now. */
  async places(): Promise<PlaceListing[]> {
    const state = await this.runState(await this.currentRunId());
    return this.world.catalog.catalog.places.map((place) => ({
      place,
      present: (state?.npcs ?? []).filter((npc) => npc.location === place.id).map((npc) => npc.id),
    }));
  }
}
