/**
 * The chat's use cases for one runtime, each made with only the dependencies it uses. Routes and background work
 * call these modules; `index.ts` makes one `ChatApp` per runtime.
 */
import type { EventStore } from '../../store/event-store.js';
import type { ChatSettings } from '../config.js';
import { chatProjection } from '../read-model/projection.js';
import { ChatReadModel } from '../read-model/queries.js';
import { Authoring } from './authoring.js';
import { Cards } from './cards.js';
import type { ChatDeps } from './context.js';
import { DrawerEdits } from './drawer-edits.js';
import { Generations } from './generations.js';
import { Maintenance } from './maintenance.js';
import { PostTurnPasses } from './passes.js';
import { Prompting } from './prompting.js';
import { TimelineEdits } from './timeline-edits.js';
import { tokenCounter } from './tokens.js';
import { Turns } from './turns.js';

export interface ChatApp {
  settings: ChatSettings;
  read: ChatReadModel;
  authoring: Authoring;
  prompting: Prompting;
  generations: Generations;
  turns: Turns;
  passes: PostTurnPasses;
  timeline: TimelineEdits;
  drawer: DrawerEdits;
  cards: Cards;
  maintenance: Maintenance;
  /** Loads the token counter and listens for stop requests from other processes (once, however often called). */
  init(): Promise<void>;
  /** Stops this process's generations (each stores its partial reply) and stops listening. */
  close(): Promise<void>;
}

const registeredStores = new WeakSet<EventStore>();

export function createChatApp(deps: Omit<ChatDeps, 'read' | 'tokens'>): ChatApp {
  if (!registeredStores.has(deps.store)) {
    registeredStores.add(deps.store);
    deps.store.addInlineProjection(chatProjection(deps.database.adapter));
  }
  const all: ChatDeps = { ...deps, read: new ChatReadModel(deps.database), tokens: tokenCounter };
  const authoring = new Authoring(all);
  const prompting = new Prompting(all);
  const generations = new Generations(all);
  return {
    settings: all.settings,
    read: all.read,
    authoring,
    prompting,
    generations,
    turns: new Turns({ ...all, prompting, generations }),
    passes: new PostTurnPasses(all),
    timeline: new TimelineEdits({ ...all, prompting, generations }),
    drawer: new DrawerEdits(all),
    cards: new Cards({ ...all, authoring }),
    maintenance: new Maintenance(all),
    async init() {
      await Promise.all([all.tokens.counter(), generations.listen()]);
    },
    close: () => generations.close(),
  };
}
