/**
 * What the village's use cases share: the ports they call (store, snapshots, queue, kv, LLM), the world they run
 * (catalog, settings, indexes) and the read model. Only services/ sees this; routes get the use-case objects.
 */
import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../core/logger.js';
import type { Metrics } from '../../core/metrics.js';
import type { LlmGateway } from '../../llm/index.js';
import type { JobQueue, KvStore } from '../../messaging/ports.js';
import type { EventStore, SnapshotStore } from '../../store/index.js';
import type { VillageConfig } from '../config.js';
import { buildCatalogIndex, type CatalogIndex } from '../domain/context.js';
import type { ChannelLimits } from '../domain/posts.js';
import { hashSettings, runIdFor } from '../domain/runs.js';
import type { VillageSettings } from '../domain/village-settings.js';
import type { PostRow, RunRow, VillageQueries } from '../read-model/queries.js';
import type { LoadedCatalog } from './catalog-loader.js';

export interface VillageDeps {
  config: VillageConfig;
  logger: Logger;
  clock: Clock;
  store: EventStore;
  snapshots: SnapshotStore;
  queue: JobQueue;
  kv: KvStore;
  llm: LlmGateway;
  catalog?: LoadedCatalog;
  settings?: VillageSettings;
  metrics?: Metrics | undefined;
  /** Names this process in the world lease (host:pid by default). */
  owner?: string;
}

export interface VillageHooks {
  /** A post was published (live views). */
  onPost?(post: PostRow): Promise<void> | void;
  /** The engine advanced (live clock). */
  onTick?(run: RunRow, running: boolean): Promise<void> | void;
}

/** The world a process runs: its catalog, the engine settings and the indexes and names built from them. */
export class VillageWorld {
  readonly index: CatalogIndex;
  private readonly settingsHash: string;

  constructor(
    readonly catalog: LoadedCatalog,
    readonly settings: VillageSettings,
  ) {
    this.index = buildCatalogIndex(catalog.catalog, settings);
    this.settingsHash = hashSettings(settings);
  }

  get id(): string {
    return this.catalog.catalog.world.id;
  }

  runIdFor(seed: number): string {
    return runIdFor(this.id, seed, this.catalog.hash, this.settingsHash);
  }

  npcName(id: string): string {
    return this.index.npcs[this.index.npcIndex.get(id) ?? -1]?.name ?? id;
  }

  placeName(id: string | null): string {
    if (id === null) return '';
    return this.index.places.get(id)?.name ?? id;
  }

  typeName(id: string): string {
    return this.index.types.get(id)?.name.fi ?? id;
  }
}

export interface VillageContext extends Omit<VillageDeps, 'catalog' | 'settings'> {
  world: VillageWorld;
  queries: VillageQueries;
  hooks: VillageHooks;
}

/** Per-channel length limits of posts, from config. */
export function channelLimits(config: VillageConfig): ChannelLimits {
  return { FEED: config.feed_max_chars, CHAT: config.chat_max_chars, NEWS: config.news_max_chars };
}

/** Runs a hook; a failing hook is logged, never fatal to the work that called it. */
export async function safely(
  context: Pick<VillageContext, 'logger'>,
  action: () => Promise<void> | void | undefined,
  label: string,
): Promise<void> {
  try {
    await action();
  } catch (error) {
    context.logger.warn({ err: error }, `village: ${label} failed`);
  }
}
