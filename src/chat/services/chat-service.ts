/**
 * The chat application service: authoring, kickoff, turns, generation (owned by the server, not the tab), stop,
 * the post-turn passes and the reads pages need. Token deltas go over the bus to `live.chat-<id>`; everything that
 * must survive is an event on the chat's stream.
 */

import type { Clock } from '../../core/clock.js';
import { AppError, NotFoundError, ValidationError } from '../../core/errors.js';
import { createId } from '../../core/ids.js';
import type { Logger } from '../../core/logger.js';
import type { Metrics } from '../../core/metrics.js';
import { sleep } from '../../core/sleep.js';
import type { LlmGateway } from '../../llm/index.js';
import { runJobWorker } from '../../messaging/index.js';
import type { EventBus, JobQueue, KvStore } from '../../messaging/ports.js';
import type { StoreDatabase } from '../../store/database.js';
import { type EventStore, type RecordedEvent, VersionConflictError } from '../../store/event-store.js';
import type { SnapshotStore } from '../../store/snapshots.js';
import type { ChatSettings } from '../config.js';
import { botFromCard, type Card, CardError, cardFromBot, parseCard, villagerNpcId } from '../domain/cards.js';
import {
  type BotAuthored,
  botStreamId,
  type ChatEvent,
  chatStreamId,
  type ManualEditTarget,
  type PromptLedger,
  type RetrievedMemory,
  type RewindImpact,
  type YouAuthored,
  youStreamId,
} from '../domain/events.js';
import { heuristicKickoff, type KickoffParse, kickoffParseSchema } from '../domain/kickoff.js';
import {
  decideAutoPin,
  heuristicMinutes,
  heuristicSceneSignal,
  heuristicSceneSummary,
  heuristicSignificance,
  heuristicStateUpdate,
  type SceneSignal,
  sceneSignalSchema,
  sceneSummarySchema,
  significanceSchema,
  stateUpdateSchema,
  timePassageSchema,
} from '../domain/passes.js';
import { assemblePrompt, type CountTokens, fitText, type PromptMessage } from '../domain/prompt.js';
import { type MemoryCandidate, rankMemories, searchTerms, type VillageMemoryInput, villageCandidates } from '../domain/retrieval.js';
import { addMinutes, ChatRuleError, type ChatState, decide, initialChatState, type KickoffConfirmed } from '../domain/state.js';
import {
  effectiveEvents,
  impactOf,
  kickoffVersion,
  type LoggedChatEvent,
  previewRewind,
  rewindCut,
  undoableRewind,
} from '../domain/timeline.js';
import { parseTurn, turnForModel } from '../domain/turn-parse.js';
import { chatProjection } from '../projections/projection.js';
import { ChatReadModel, type ChatRow } from '../projections/queries.js';
import { rebuildReadModels, snapshotLag, snapshotReadModels } from '../projections/rebuild.js';
import { readCardFile, writeCardPng } from './card-png.js';
import { loadTokenCounter } from './tokens.js';

export type { ChatSettings } from '../config.js';

export interface ChatServiceDeps {
  store: EventStore;
  database: StoreDatabase;
  llm: LlmGateway;
  bus: EventBus;
  queue: JobQueue;
  clock: Clock;
  logger: Logger;
  settings: ChatSettings;
  /** `memory`: this process is the only one; a streaming turn nobody generates is an orphan and can be closed. */
  messagingKind: 'memory' | 'nats';
  /** Where pre-rewind snapshots go; without it a rewind records `snapshot: null`. */
  snapshots?: SnapshotStore;
  /** The village's NPCs as characters (wired by index.ts through the village's index.ts); absent: no villagers. */
  villagers?: VillagerSource;
  metrics?: Metrics | undefined;
  /** Distributed mode: where streaming replies keep their heartbeat, so an engine can close one whose process died. */
  kv?: KvStore | undefined;
}

/** What the chat needs of the village: its NPCs, an NPC's Character Card, and an NPC's village memories as text. */
export interface VillagerSource {
  list(): Array<{ id: string; name: string; age: number; occupation: string }>;
  /** A Character Card V3 object; throws NotFoundError for an unknown NPC. */
  card(npcId: string): unknown;
  /** The NPC's memories in the village's current run, newest first. */
  memories(npcId: string, limit: number): Promise<VillageMemoryInput[]>;
}

/** How many of a villager's newest village memories are searched per turn. */
export const villageMemoryLimit = 64;

export interface RewindPreview {
  chatId: string;
  toTurnId: string;
  toVersion: number;
  impact: RewindImpact;
}

/** The snapshot stream of a chat's pre-rewind read-model dumps. */
export const preRewindSnapshotStream = (chatId: string): string => `${chatStreamId(chatId)}.pre-rewind`;

export const postTurnQueue = 'chat-post-turn';

/** What a streaming reply keeps in KV (distributed mode): its turn, its text so far and when it last beat. */
interface GenerationHeartbeat {
  turn_id: string;
  text: string;
  beat_at: number;
}

const generationKey = (chatId: string) => `chat.generation.${chatId}`;
const controlTopic = 'chat.control';

export interface PostTurnJob {
  chat_id: string;
  turn_id: string;
  user_turn_id: string;
}

export interface DeltaMessage {
  turn_id: string;
  seq: number;
  text: string;
}

interface Generation {
  chatId: string;
  turnId: string;
  controller: AbortController;
  text: string;
  seq: number;
  done: Promise<void>;
}

const registeredStores = new WeakSet<EventStore>();

export class ChatService {
  readonly read: ChatReadModel;
  private readonly generations = new Map<string, Generation>();
  private countTokens: CountTokens | undefined;
  private unsubscribe: (() => Promise<void>) | undefined;
  private initializing: Promise<void> | undefined;

  constructor(private readonly deps: ChatServiceDeps) {
    this.read = new ChatReadModel(deps.database);
    if (!registeredStores.has(deps.store)) {
      registeredStores.add(deps.store);
      deps.store.addInlineProjection(chatProjection(deps.database.dialect));
    }
  }

  get settings(): ChatSettings {
    return this.deps.settings;
  }

  /** Loads the token counter and listens for stop requests from other processes (once, however often called). */
  init(): Promise<void> {
    this.initializing ??= (async () => {
      this.countTokens = await loadTokenCounter();
      this.unsubscribe = await this.deps.bus.subscribe(controlTopic, (message) => {
        const control = message as { action?: string; chat_id?: string };
        if (control.action === 'stop' && typeof control.chat_id === 'string') this.abortLocal(control.chat_id, 'stopped');
      });
    })();
    return this.initializing;
  }

  /** Stops every generation of this process; each stores its partial reply (`shutdown`). */
  async close(): Promise<void> {
    const running = [...this.generations.values()];
    for (const generation of running) generation.controller.abort('shutdown');
    await Promise.all(running.map((generation) => generation.done));
    await this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.initializing = undefined;
  }

  /** True when the narrative alias is the offline writer (no model configured). */
  offline(): boolean {
    return this.deps.llm.describe('narrative').offline;
  }

  headPosition(): Promise<number> {
    return this.deps.store.headPosition();
  }

  now(): string {
    return new Date(this.deps.clock.now()).toISOString();
  }

  // ---------- authoring ----------

  async authorYou(you: YouAuthored): Promise<void> {
    await this.deps.store.append(youStreamId, 'any', [{ type: 'you_authored', data: you } satisfies ChatEvent]);
  }

  async authorBot(bot: Omit<BotAuthored, 'bot_id'>): Promise<string> {
    const botId = createId('bot');
    await this.deps.store.append(botStreamId(botId), 'no-stream', [
      { type: 'bot_authored', data: { bot_id: botId, ...bot } } satisfies ChatEvent,
    ]);
    return botId;
  }

  async parseKickoff(botId: string, signal?: AbortSignal): Promise<{ parse: KickoffParse; fellBack: boolean; model: string }> {
    const bot = await this.requireBot(botId);
    const you = await this.read.you();
    const guess = heuristicKickoff(bot.kickoff_prose, bot.initial_relationship, this.now());
    const counter = await this.counter();
    const prose = fitText(bot.kickoff_prose, this.settings.classifier_budget - 600, counter);
    const result = await this.deps.llm.generateObject(
      'classifier',
      kickoffParseSchema,
      [
        {
          role: 'system',
          content:
            'Read the kickoff of a roleplay and describe where it starts: the place (container), what each person is doing, the starting time (ISO 8601) and how the character sees the user.',
        },
        {
          role: 'user',
          content: `Character: ${bot.name}. ${bot.persona}\nUser: ${you?.name ?? 'you'}\nRelationship: ${bot.initial_relationship}\nToday: ${this.now()}\n\nKickoff:\n${prose}`,
        },
      ],
      { fallback: guess, context: guess, cacheKey: `chat-kickoff/${botId}`, ...(signal ? { signal } : {}) },
    );
    return { parse: result.object, fellBack: result.fellBack, model: result.model };
  }

  async confirmKickoff(botId: string, parse: KickoffParse): Promise<string> {
    const bot = await this.requireBot(botId);
    const chatId = createId('c');
    const time = Number.isNaN(Date.parse(parse.initial_time_iso)) ? this.now() : new Date(Date.parse(parse.initial_time_iso)).toISOString();
    const activity = (shape: KickoffParse['you_activity']) => ({
      posture: shape.posture,
      action: {
        verb: shape.action_verb,
        interruptible: shape.action_interruptible,
        required_attention: shape.action_required_attention,
        expected_duration: shape.action_expected_duration,
      },
      attention: shape.attention,
      holding: shape.holding,
    });
    const kickoff: KickoffConfirmed = {
      chatId,
      botId: bot.bot_id,
      time,
      weather: '',
      containerId: createId('ctr'),
      container: { name: parse.container_name, type: parse.container_type, properties: parse.container_properties },
      sceneId: createId('scn'),
      you: activity(parse.you_activity),
      bot: activity(parse.bot_activity),
      edgeSummary: parse.edge_seed_summary,
      edgeKnowledge: parse.edge_seed_knowledge_facts,
      edgeSeed: { affinity: 50, trust: 50 },
    };
    const events = this.decide({ type: 'confirm_kickoff', kickoff }, undefined);
    await this.deps.store.append(chatStreamId(chatId), 'no-stream', events);
    return chatId;
  }

  // ---------- turns ----------

  /** Records your turn and the reply's start, then generates the reply in the background. */
  async submitTurn(chatId: string, text: string): Promise<{ turnId: string; replyId: string; ledger: PromptLedger }> {
    if (text.length > 8_000) throw new ValidationError('a turn is at most 8,000 characters');
    for (let attempt = 0; ; attempt++) {
      const chat = await this.requireChat(chatId);
      const prepared = await this.prepareTurn(chat, text);
      const turnId = createId('t');
      const replyId = createId('r');
      const events = this.decide(
        {
          type: 'submit_turn',
          chatId,
          userTurnId: turnId,
          assistantTurnId: replyId,
          text,
          segments: prepared.segments,
          ledger: prepared.ledger,
          retrieved: prepared.retrieved,
        },
        chat.state,
      );
      try {
        await this.deps.store.append(chatStreamId(chatId), chat.version, events);
      } catch (error) {
        // A post-turn pass of the previous reply appended meanwhile: decide again on the new state.
        if (error instanceof VersionConflictError && attempt < 3) continue;
        throw error;
      }
      this.startGeneration(chatId, replyId, prepared.messages, prepared.context);
      return { turnId, replyId, ledger: prepared.ledger };
    }
  }

  /** Everything the reply prompt needs, assembled within the budgets. Exposed for tests and the bench. */
  async prepareTurn(chat: ChatRow, text: string, options: { exclude?: readonly string[] } = {}) {
    const exclude = new Set(options.exclude ?? []);
    const counter = await this.counter();
    const segments = parseTurn(text, this.settings.ooc_marker);
    const modelTurn = turnForModel(segments) || '*waits for you to go on*';
    const [bot, you, activity, containers, edges, history] = await Promise.all([
      this.requireBot(chat.bot_id),
      this.read.you(),
      this.read.activity(chat.chat_id),
      this.read.containers(chat.chat_id),
      this.read.edges(['you', chat.bot_id]),
      this.read.messages(chat.chat_id, this.settings.history_window),
    ]);
    const retrieved = (await this.retrieve(chat.bot_id, modelTurn)).filter(
      (memory) => ![...exclude].some((turnId) => memory.memory_id === `mem_${turnId}`),
    );
    const youName = you?.name ?? 'You';
    const names = new Map([
      ['you', youName],
      [chat.bot_id, bot.name],
    ]);
    const container = containers.find((candidate) => candidate.container_id === chat.state.containerId) ?? containers[0];
    const edge = edges.find((candidate) => candidate.source_id === chat.bot_id && candidate.target_id === 'you');
    const done = history.messages.filter(
      (message) => message.status === 'done' && message.text !== '' && message.superseded_by === null && !exclude.has(message.turn_id),
    );
    const { messages, ledger } = assemblePrompt(
      {
        bot: { name: bot.name, persona: bot.persona, traits: bot.traits, voice_samples: bot.voice_samples, backstory: bot.backstory },
        you: { name: youName, pronouns: you?.pronouns ?? '', persona: you?.persona ?? '' },
        scene: {
          clock: chat.state.clock,
          weather: chat.state.weather,
          container: container ? `${container.name} (${container.type})` : 'unknown',
          activities: activity.map((entry) => ({
            name: names.get(entry.entity_id) ?? entry.entity_id,
            posture: entry.posture,
            verb: entry.action.verb,
            attention: entry.attention,
            holding: entry.holding,
          })),
        },
        edge: edge ? { affinity: edge.affinity, trust: edge.trust, summary: edge.summary, knowledge: edge.knowledge } : null,
        memories: retrieved,
        history: done.map((message) => ({
          role: message.role,
          text: message.role === 'user' && message.segments ? turnForModel(message.segments) || message.text : message.text,
        })),
        unloadedHistory: history.older,
        turn: modelTurn,
        // A soft budget above the hard one would let `nice` parts crowd out `should` ones: cap it.
        budget: {
          hard: this.settings.narrative_budget_hard,
          soft: Math.min(this.settings.narrative_budget_soft, this.settings.narrative_budget_hard),
        },
      },
      counter,
    );
    const context = offlineNarration(bot.name, youName, segments, chat.state.turns);
    return { segments, messages, ledger, retrieved, context };
  }

  /**
   * Top-k memories of the bot it witnessed, by text match, recency and significance, pinned ones always in. A bot made
   * from a villager also searches that NPC's village memories, fetched now through the village (`source: 'village'`).
   */
  async retrieve(botId: string, text: string): Promise<RetrievedMemory[]> {
    const terms = searchTerms(text);
    const [matches, pinned, village] = await Promise.all([
      this.read.searchMemories(botId, 'host', terms),
      this.read.pinnedCandidates(botId, 'host'),
      this.villageMemories(botId, terms),
    ]);
    const pinnedIds = new Set(pinned.map((memory) => memory.memory_id));
    return rankMemories(
      [...pinned, ...matches.filter((memory) => !pinnedIds.has(memory.memory_id)), ...village],
      this.settings.retrieval_k,
    );
  }

  /** A villager bot's village memories as candidates; the chat goes on without them when the village cannot answer. */
  private async villageMemories(botId: string, terms: readonly string[]): Promise<MemoryCandidate[]> {
    const villagers = this.deps.villagers;
    if (!villagers || terms.length === 0) return [];
    const npcId = villagerNpcId((await this.read.bot(botId))?.card);
    if (!npcId) return [];
    try {
      return villageCandidates(npcId, await villagers.memories(npcId, villageMemoryLimit), terms);
    } catch (error) {
      this.deps.logger.warn({ botId, npcId, error: (error as Error).message }, 'chat: village memories unavailable');
      return [];
    }
  }

  private startGeneration(chatId: string, turnId: string, messages: PromptMessage[], context: Record<string, unknown>): void {
    const controller = new AbortController();
    const generation: Generation = { chatId, turnId, controller, text: '', seq: 0, done: Promise.resolve() };
    this.generations.set(chatId, generation);
    const stopBeating = this.beat(generation);
    generation.done = this.generate(generation, messages, context)
      .catch((error: unknown) => {
        this.deps.logger.error({ chatId, turnId, error: (error as Error).message }, 'chat reply could not be stored');
      })
      .finally(stopBeating);
  }

  /**
   * Distributed mode: keeps `chat.generation.<chat id>` alive in KV with the reply's text so far while it streams; an
   * engine that finds a streaming reply without a live heartbeat closes it with that text (`closeOrphans`).
   */
  private beat(generation: Generation): () => Promise<void> {
    const kv = this.deps.kv;
    if (!kv || this.deps.messagingKind === 'memory') return async () => undefined;
    const key = generationKey(generation.chatId);
    const everyMs = this.settings.generation_heartbeat_ms;
    const put = () =>
      kv
        .put(key, { turn_id: generation.turnId, text: generation.text, beat_at: this.deps.clock.now() } satisfies GenerationHeartbeat)
        .catch((error: unknown) => this.deps.logger.warn({ key, error: (error as Error).message }, 'chat: heartbeat failed'));
    void put();
    const timer = setInterval(() => void put(), everyMs);
    timer.unref();
    return async () => {
      clearInterval(timer);
      await kv.delete(key).catch(() => undefined);
    };
  }

  private async generate(generation: Generation, messages: PromptMessage[], context: Record<string, unknown>): Promise<void> {
    const { chatId, turnId, controller } = generation;
    let ended: 'stop' | 'length' | 'stopped' | 'error' | 'shutdown' = 'stop';
    let model = this.deps.llm.describe('narrative').model;
    let error: string | undefined;
    try {
      for await (const part of this.deps.llm.streamText('narrative', messages, { signal: controller.signal, context })) {
        if (part.type === 'finish') {
          model = part.model;
          if (part.finishReason === 'length') ended = 'length';
          continue;
        }
        generation.text += part.text;
        generation.seq++;
        const delta: DeltaMessage = { turn_id: turnId, seq: generation.seq, text: part.text };
        await this.deps.bus.publish(`live.${chatStreamId(chatId)}`, { event: 'chat-delta', data: delta });
      }
    } catch (failure) {
      if (controller.signal.aborted) ended = controller.signal.reason === 'shutdown' ? 'shutdown' : 'stopped';
      else {
        ended = 'error';
        error = failure instanceof AppError ? `${failure.code}: ${failure.message}` : String((failure as Error).message ?? failure);
        this.deps.logger.warn({ chatId, turnId, error }, 'chat reply failed');
      }
    } finally {
      this.generations.delete(chatId);
    }
    await this.finishReply(chatId, turnId, generation.text, ended, model, error);
  }

  private async finishReply(
    chatId: string,
    turnId: string,
    text: string,
    ended: 'stop' | 'length' | 'stopped' | 'error' | 'shutdown',
    model: string,
    error?: string,
  ): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const chat = await this.requireChat(chatId);
      if (chat.state.streamingTurnId !== turnId) return;
      const events = this.decide(
        { type: 'finish_reply', chatId, turnId, text, ended, model, at: this.now(), ...(error === undefined ? {} : { error }) },
        chat.state,
      );
      try {
        await this.deps.store.append(chatStreamId(chatId), chat.version, events);
        break;
      } catch (failure) {
        if (failure instanceof VersionConflictError && attempt < 5) continue;
        throw failure;
      }
    }
    const userTurnId = (await this.requireChat(chatId)).state.lastUserTurnId;
    if (text.trim() !== '' && userTurnId)
      await this.deps.queue.enqueue(postTurnQueue, { chat_id: chatId, turn_id: turnId, user_turn_id: userTurnId } satisfies PostTurnJob, {
        idempotencyKey: turnId,
      });
  }

  /** Stops the reply streaming in this chat wherever it is generated; the partial reply is kept (truncated). */
  async stop(chatId: string): Promise<boolean> {
    const chat = await this.requireChat(chatId);
    const turnId = chat.state.streamingTurnId;
    if (turnId === null) return false;
    const local = this.generations.get(chatId);
    if (local) {
      local.controller.abort('stopped');
      await local.done;
      return true;
    }
    await this.deps.bus.publish(controlTopic, { action: 'stop', chat_id: chatId });
    // Nobody else can be generating in a single process: the turn was orphaned (a crash); close it.
    if (this.deps.messagingKind === 'memory') await this.finishReply(chatId, turnId, '', 'stopped', 'none', 'no generation was running');
    return true;
  }

  /**
   * Closes replies left streaming by a crash. Single process: every streaming reply this process does not generate.
   * Distributed: a reply whose heartbeat was missing at this check and the one before (`suspects` carries it over),
   * closed with the text of its last heartbeat. Safe to run in several processes: closing checks the chat's version.
   */
  async closeOrphans(suspects?: Map<string, string>): Promise<number> {
    const distributed = this.deps.messagingKind !== 'memory';
    if (distributed && (!this.deps.kv || !suspects)) return 0;
    let closed = 0;
    const seen = new Set<string>();
    for (const chat of await this.read.chats()) {
      const turnId = chat.state.streamingTurnId;
      if (!turnId || this.generations.has(chat.chat_id)) continue;
      if (!distributed) {
        await this.finishReply(chat.chat_id, turnId, '', 'shutdown', 'none', 'the server stopped while this reply was streaming');
        closed++;
        continue;
      }
      const heartbeat = (await this.deps.kv?.get<GenerationHeartbeat>(generationKey(chat.chat_id)))?.value;
      const alive = heartbeat?.turn_id === turnId && this.deps.clock.now() - heartbeat.beat_at < this.settings.generation_heartbeat_ms * 3;
      if (alive) {
        suspects?.delete(chat.chat_id);
        continue;
      }
      seen.add(chat.chat_id);
      if (suspects?.get(chat.chat_id) !== turnId) {
        suspects?.set(chat.chat_id, turnId);
        continue;
      }
      await this.finishReply(
        chat.chat_id,
        turnId,
        heartbeat?.turn_id === turnId ? heartbeat.text : '',
        'shutdown',
        'none',
        'the process generating this reply stopped; the text streamed until then is kept',
      );
      suspects?.delete(chat.chat_id);
      await this.deps.kv?.delete(generationKey(chat.chat_id)).catch(() => undefined);
      this.deps.logger.warn({ chatId: chat.chat_id, turnId }, 'chat: closed a reply whose generating process died');
      closed++;
    }
    for (const chatId of [...(suspects?.keys() ?? [])]) if (!seen.has(chatId)) suspects?.delete(chatId);
    return closed;
  }

  /** Distributed mode: checks for orphaned replies every two heartbeats until the signal aborts. */
  async runOrphanChecks(signal: AbortSignal): Promise<void> {
    if (this.deps.messagingKind === 'memory' || !this.deps.kv) return;
    const suspects = new Map<string, string>();
    while (!signal.aborted) {
      await sleep(this.settings.generation_heartbeat_ms * 2, signal).catch(() => undefined);
      if (signal.aborted) break;
      await this.closeOrphans(suspects).catch((error: unknown) =>
        this.deps.logger.warn({ error: (error as Error).message }, 'chat: orphan check failed'),
      );
    }
  }

  /** The reply streaming in this process, for a tab that opens mid-stream. */
  partial(chatId: string): { turnId: string; seq: number; text: string } | undefined {
    const generation = this.generations.get(chatId);
    return generation ? { turnId: generation.turnId, seq: generation.seq, text: generation.text } : undefined;
  }

  /** Waits for this process's generation in a chat to be stored (tests, benches). */
  async settled(chatId: string): Promise<void> {
    await this.generations.get(chatId)?.done;
  }

  private abortLocal(chatId: string, reason: string): void {
    this.generations.get(chatId)?.controller.abort(reason);
  }

  // ---------- post-turn passes ----------

  /** State update, memory write, significance (auto-pin) and time passage for one reply; idempotent per reply. */
  async runPasses(job: PostTurnJob, signal?: AbortSignal): Promise<ChatEvent[]> {
    if (await this.read.hasMemoryForTurn(job.turn_id)) return [];
    const chat = await this.requireChat(job.chat_id);
    const [reply, user, bot, you] = await Promise.all([
      this.read.message(job.turn_id),
      this.read.message(job.user_turn_id),
      this.requireBot(chat.bot_id),
      this.read.you(),
    ]);
    if (reply?.status !== 'done' || reply.superseded_by !== null) return [];
    const counter = await this.counter();
    const userText = user?.segments ? turnForModel(user.segments) : (user?.text ?? '');
    const budget = this.settings.classifier_budget - 400;
    const exchange = `${you?.name ?? 'You'}: ${fitText(userText, Math.floor(budget / 3), counter)}\n${bot.name}: ${fitText(reply.text, Math.floor((budget * 2) / 3), counter)}`;
    const ask = (instruction: string) => [
      { role: 'system' as const, content: `${instruction} Answer with JSON only.` },
      { role: 'user' as const, content: exchange },
    ];
    const stateGuess = heuristicStateUpdate(userText, reply.text);
    const significanceGuess = { significance: heuristicSignificance(userText, reply.text), reason: 'keyword estimate' };
    const minutesGuess = { minutes: heuristicMinutes(userText, reply.text) };
    const options = <T>(guess: T, pass: string) => ({
      fallback: guess,
      context: guess as Record<string, unknown>,
      cacheKey: `chat-pass/${pass}/${job.turn_id}`,
      ...(signal ? { signal } : {}),
    });
    const sceneGuess = heuristicSceneSignal(userText, reply.text);
    const [state, significance, time, scene] = await Promise.all([
      this.deps.llm.generateObject(
        'classifier',
        stateUpdateSchema,
        ask(
          `How did this exchange change how ${bot.name} feels about ${you?.name ?? 'the user'} and the other way round? Deltas -10..10 for affinity and trust, and any new facts learned.`,
        ),
        options(stateGuess, 'state'),
      ),
      this.deps.llm.generateObject(
        'classifier',
        significanceSchema,
        ask(`How significant is this exchange for ${bot.name}'s memory: 0 trivial, 1 ordinary, 2 notable, 3 life-changing?`),
        options(significanceGuess, 'significance'),
      ),
      this.deps.llm.generateObject(
        'classifier',
        timePassageSchema,
        ask('How many minutes of in-fiction time did this exchange take?'),
        options(minutesGuess, 'time'),
      ),
      this.deps.llm.generateObject(
        'classifier',
        sceneSignalSchema,
        ask(
          'Does this exchange end the scene on a hard signal: the people move to another place (container_change, with new_container naming it), or someone clearly says goodbye or "we are done here"? Set close only for such a signal.',
        ),
        options(sceneGuess, 'scene'),
      ),
    ]);
    const at = chat.state.clock;
    const memoryId = `mem_${job.turn_id}`;
    const events: ChatEvent[] = [
      {
        type: 'edge_update',
        data: { chat_id: chat.chat_id, source_id: chat.bot_id, target_id: 'you', ...state.object.bot_to_you, turn_id: job.turn_id, at },
      },
      {
        type: 'edge_update',
        data: { chat_id: chat.chat_id, source_id: 'you', target_id: chat.bot_id, ...state.object.you_to_bot, turn_id: job.turn_id, at },
      },
      {
        type: 'memory_written',
        data: {
          chat_id: chat.chat_id,
          memory_id: memoryId,
          owner_id: chat.bot_id,
          scene_id: chat.state.activeSceneId,
          turn_id: job.turn_id,
          pov_summary: memorySummary(you?.name ?? 'You', userText, reply.text),
          witness: { you: true, host: true, guest: false },
          chat_clock_at: at,
          significance: 1,
          source: 'direct',
        },
      },
      {
        type: 'memory_significance_scored',
        data: { chat_id: chat.chat_id, memory_id: memoryId, significance: significance.object.significance, turn_id: job.turn_id },
      },
    ];
    const pin = decideAutoPin(
      memoryId,
      significance.object.significance,
      await this.read.pinCandidates(chat.bot_id),
      this.settings.pin_cap,
    );
    if (pin.evict)
      events.push({
        type: 'memory_pin_changed',
        data: {
          chat_id: chat.chat_id,
          memory_id: pin.evict,
          owner_id: chat.bot_id,
          pinned: false,
          auto: true,
          reason: `evicted: pin cap ${this.settings.pin_cap}`,
          turn_id: job.turn_id,
        },
      });
    if (pin.pin)
      events.push({
        type: 'memory_pin_changed',
        data: {
          chat_id: chat.chat_id,
          memory_id: memoryId,
          owner_id: chat.bot_id,
          pinned: true,
          auto: true,
          reason: 'significance 3',
          turn_id: job.turn_id,
        },
      });
    if (time.object.minutes > 0)
      events.push({
        type: 'time_passed',
        data: {
          chat_id: chat.chat_id,
          turn_id: job.turn_id,
          minutes: time.object.minutes,
          from: at,
          to: addMinutes(at, time.object.minutes),
        },
      });
    await this.deps.store.append(chatStreamId(chat.chat_id), 'stream-exists', events);
    if (scene.object.close && chat.state.activeSceneId)
      events.push(...(await this.closeScene(chat.chat_id, scene.object, { turnId: job.turn_id, ...(signal ? { signal } : {}) })));
    return events;
  }

  /**
   * Closes the open scene (the drawer's button, or a hard signal from the scene pass): the bot's per-POV summary of
   * the scene replaces its memories' terse text and updates its edge summary (`scene_summarized`), then
   * `scene_closed` and a new `scene_opened` (in a new place when the signal was a move).
   */
  async closeScene(
    chatId: string,
    signal: SceneSignal = { close: true, container_change: false, new_container: '', reason: 'closed from the drawer' },
    options: { turnId?: string; signal?: AbortSignal } = {},
  ): Promise<ChatEvent[]> {
    const chat = await this.requireChat(chatId);
    const sceneId = chat.state.activeSceneId;
    if (!sceneId) throw new ValidationError('no scene is open');
    const [bot, you, containers, edges, memories] = await Promise.all([
      this.requireBot(chat.bot_id),
      this.read.you(),
      this.read.containers(chatId),
      this.read.edges(['you', chat.bot_id]),
      this.read.sceneMemories(sceneId, chat.bot_id),
    ]);
    const container = containers.find((candidate) => candidate.container_id === chat.state.containerId) ?? containers[0];
    const place = container?.name ?? 'the scene';
    const prior = edges.find((edge) => edge.source_id === chat.bot_id && edge.target_id === 'you')?.summary ?? '';
    const guess = heuristicSceneSummary(
      place,
      memories.map((memory) => memory.pov_summary),
      prior,
    );
    const counter = await this.counter();
    const summary =
      memories.length === 0
        ? { object: guess }
        : await this.deps.llm.generateObject(
            'classifier',
            sceneSummarySchema,
            [
              {
                role: 'system',
                content: `You are ${bot.name}. Summarise the scene that just ended from your own point of view in a few sentences (summary), and say in one or two sentences how you now see ${you?.name ?? 'the user'} (edge_summary). Answer with JSON only.`,
              },
              {
                role: 'user',
                content: fitText(
                  `Place: ${place}\nHow you saw them before: ${prior}\nWhat you remember of the scene:\n${memories.map((memory) => `- ${memory.pov_summary}`).join('\n')}`,
                  this.settings.classifier_budget - 300,
                  counter,
                ),
              },
            ],
            {
              fallback: guess,
              context: guess as unknown as Record<string, unknown>,
              cacheKey: `chat-scene-summary/${sceneId}`,
              ...(options.signal ? { signal: options.signal } : {}),
            },
          );
    const turn = options.turnId ? { turn_id: options.turnId } : {};
    const at = chat.state.clock;
    const newContainerId = signal.container_change && signal.new_container.trim() !== '' ? createId('ctr') : undefined;
    const containerId = newContainerId ?? chat.state.containerId ?? container?.container_id ?? '';
    const events: ChatEvent[] = [
      {
        type: 'scene_summarized',
        data: {
          chat_id: chatId,
          scene_id: sceneId,
          owner_id: chat.bot_id,
          summary: summary.object.summary,
          edge_summary: summary.object.edge_summary,
          memory_ids: memories.map((memory) => memory.memory_id),
          ...turn,
        },
      },
      { type: 'scene_closed', data: { chat_id: chatId, scene_id: sceneId, ended_at: at, reason: signal.reason, ...turn } },
    ];
    if (newContainerId)
      events.push({
        type: 'container_created',
        data: {
          chat_id: chatId,
          container_id: newContainerId,
          name: signal.new_container.trim(),
          type: 'place',
          properties: { moving: false, public: false, audible_range: 'room' },
          ...turn,
        },
      });
    events.push({
      type: 'scene_opened',
      data: {
        chat_id: chatId,
        scene_id: createId('scn'),
        container_id: containerId,
        started_at: at,
        participants: ['you', chat.bot_id],
        ...turn,
      },
    });
    await this.deps.store.append(chatStreamId(chatId), 'stream-exists', events);
    return events;
  }

  /** Leases post-turn jobs until the signal aborts; a pass in progress then gets a grace period or is released. */
  async runWorker(signal: AbortSignal): Promise<void> {
    await runJobWorker<PostTurnJob>(
      {
        queue: this.deps.queue,
        name: postTurnQueue,
        logger: this.deps.logger,
        metrics: this.deps.metrics,
        concurrency: 2,
        leaseMs: 120_000,
        handle: async (job, jobSignal) => ((await this.runPasses(job.payload, jobSignal)).length > 0 ? 'written' : 'skipped'),
      },
      signal,
    );
  }

  // ---------- rewind, regenerate, reset ----------

  /** The chat's logged events plus its bot's resets: what the timeline is folded from. */
  private async logged(chat: ChatRow): Promise<LoggedChatEvent[]> {
    const [events, bot] = await Promise.all([
      this.deps.store.readStream(chatStreamId(chat.chat_id)),
      this.deps.store.readStream(botStreamId(chat.bot_id)),
    ]);
    return [...events, ...bot.filter((event) => event.type === 'bot_reset')];
  }

  /** The events in effect in a chat (for tests and tools). */
  async effective(chatId: string): Promise<LoggedChatEvent[]> {
    const chat = await this.requireChat(chatId);
    return effectiveEvents(await this.logged(chat), chatId);
  }

  /** What "rewind to here" on a message would take out of effect. */
  async rewindPreview(chatId: string, turnId: string): Promise<RewindPreview> {
    const chat = await this.requireChat(chatId);
    const logged = await this.logged(chat);
    const effective = effectiveEvents(logged, chatId);
    const toVersion = rewindCut(effective, turnId);
    if (toVersion === undefined) throw new NotFoundError(`no finished message ${turnId} in this chat`, { turnId });
    const impact = impactOf(effective, previewRewind(logged, chatId, toVersion, chat.version + 1));
    return { chatId, toTurnId: turnId, toVersion, impact };
  }

  /** Rewinds the chat to a message: pre-rewind snapshot, then `chat_rewound` (the read models are re-projected). */
  async rewind(chatId: string, turnId: string): Promise<RewindPreview> {
    const chat = await this.requireChat(chatId);
    const preview = await this.rewindPreview(chatId, turnId);
    if (Object.values(preview.impact).every((count) => count === 0)) throw new ValidationError('nothing comes after this message');
    let snapshot: { stream_id: string; version: number } | null = null;
    if (this.deps.snapshots) {
      const streamId = preRewindSnapshotStream(chatId);
      await this.deps.snapshots.save(streamId, chat.version, await this.read.dump(chatId));
      await this.deps.snapshots.prune(streamId, this.settings.pre_rewind_snapshots_keep);
      snapshot = { stream_id: streamId, version: chat.version };
    }
    const events = this.decide(
      {
        type: 'rewind',
        chatId,
        toVersion: preview.toVersion,
        toTurnId: turnId,
        impact: preview.impact,
        snapshot,
        at: this.now(),
      },
      chat.state,
    );
    await this.deps.store.append(chatStreamId(chatId), chat.version, events);
    return preview;
  }

  /** The latest rewind, while it can be undone. */
  async undoable(chatId: string): Promise<{ version: number; remainingMs: number; toTurnId: string } | undefined> {
    await this.requireChat(chatId);
    const events = await this.deps.store.readStream(chatStreamId(chatId));
    return undoableRewind(events, this.deps.clock.now(), this.settings.rewind_undo_seconds * 1000);
  }

  async undoRewind(chatId: string): Promise<void> {
    const chat = await this.requireChat(chatId);
    const undoable = await this.undoable(chatId);
    const events = this.decide({ type: 'undo_rewind', chatId, rewindVersion: undoable?.version, at: this.now() }, chat.state);
    await this.deps.store.append(chatStreamId(chatId), chat.version, events);
  }

  /**
   * Regenerates the latest reply, optionally after editing your turn it answers: `user_turn_edit` (when the text
   * changed), `assistant_turn_superseded` (the old reply stays as a variant; what it derived is retracted) and a new
   * reply streamed like any other.
   */
  async regenerate(chatId: string, replyId?: string, editedText?: string): Promise<{ replyId: string; edited: boolean }> {
    if (editedText !== undefined && editedText.length > 8_000) throw new ValidationError('a turn is at most 8,000 characters');
    const chat = await this.requireChat(chatId);
    const oldReplyId = replyId ?? chat.state.lastReplyId ?? '';
    const userTurnId = chat.state.lastUserTurnId ?? '';
    const user = await this.read.message(userTurnId);
    const edited = editedText !== undefined && user !== undefined && editedText.trim() !== user.text.trim();
    const text = edited ? editedText : (user?.text ?? '');
    const prepared = await this.prepareTurn(chat, text, { exclude: [userTurnId, oldReplyId] });
    const newReplyId = createId('r');
    const events = this.decide(
      {
        type: 'regenerate',
        chatId,
        replyId: oldReplyId,
        newReplyId,
        ...(edited && user
          ? { edit: { text, segments: prepared.segments, priorText: user.text, priorSegments: user.segments ?? [] } }
          : {}),
        ledger: prepared.ledger,
        retrieved: prepared.retrieved,
        at: this.now(),
      },
      chat.state,
    );
    await this.deps.store.append(chatStreamId(chatId), chat.version, events);
    this.startGeneration(chatId, newReplyId, prepared.messages, prepared.context);
    return { replyId: newReplyId, edited };
  }

  /**
   * Resets a bot after you typed its name: every chat with it goes back to its kickoff; its memories, edge changes,
   * scenes, turns and clock changes are retracted (`bot_reset` on `bot-<id>`). Identity and kickoff stay.
   */
  async resetBot(botId: string, typedName: string): Promise<{ chats: number }> {
    const bot = await this.requireBot(botId);
    if (typedName.trim() !== bot.name.trim()) throw new ValidationError(`type the bot's name exactly (${bot.name}) to reset it`);
    const chats = (await this.read.chats()).filter((chat) => chat.bot_id === botId);
    if (chats.some((chat) => chat.state.streamingTurnId !== null))
      throw new AppError('duplicate', 'a reply is still streaming in a chat with this bot; stop it first', {
        details: { rule: 'reply_streaming' },
      });
    const entries = [];
    for (const chat of chats)
      entries.push({
        chat_id: chat.chat_id,
        keep_through_version: kickoffVersion(await this.deps.store.readStream<RecordedEvent>(chatStreamId(chat.chat_id))),
      });
    await this.deps.store.append(botStreamId(botId), 'stream-exists', [
      { type: 'bot_reset', data: { bot_id: botId, chats: entries, at: this.now() } } satisfies ChatEvent,
    ]);
    return { chats: entries.length };
  }

  // ---------- character cards ----------

  /** Imports a Character Card V2/V3 (a PNG with `ccv3` / `chara`, JSON bytes, or a parsed JSON object) as a new bot. */
  async importCard(file: Buffer | unknown): Promise<{ botId: string; name: string }> {
    let card: Card;
    try {
      card = Buffer.isBuffer(file) ? readCardFile(file) : parseCard(file);
    } catch (error) {
      if (error instanceof CardError) throw new ValidationError(`character card: ${error.message}`);
      throw error;
    }
    const bot = botFromCard(card);
    const botId = await this.authorBot(bot);
    return { botId, name: bot.name };
  }

  /** The village's NPCs that can be opened as characters (empty without a village). */
  villagers(): Array<{ id: string; name: string; age: number; occupation: string }> {
    return this.deps.villagers?.list() ?? [];
  }

  /**
   * Opens a village NPC as a character: its Character Card (persona from the catalog, origin `village:<npc id>` in
   * `extensions.koivulahti`) goes through the card import; the NPC's village memories are searched on every turn.
   */
  async importVillager(npcId: string): Promise<{ botId: string; name: string }> {
    if (!this.deps.villagers) throw new NotFoundError('no village is running in this process');
    return this.importCard(this.deps.villagers.card(npcId));
  }

  /** The bot as a V3 card (its fields over the card it was imported from). */
  async exportCard(botId: string): Promise<Card> {
    const bot = await this.requireBot(botId);
    let card: Card | null = null;
    try {
      card = bot.card ? parseCard(bot.card) : null;
    } catch {
      card = null;
    }
    return cardFromBot({ ...bot, card });
  }

  async exportCardPng(botId: string): Promise<Buffer> {
    return writeCardPng(await this.exportCard(botId));
  }

  // ---------- read-model snapshots ----------

  private requireSnapshots(): SnapshotStore {
    if (!this.deps.snapshots) throw new AppError('internal', 'no snapshot store configured');
    return this.deps.snapshots;
  }

  /** Snapshots every chat read model at the log's head (keeps `snapshots_keep`). */
  async snapshotReadModels(): Promise<number> {
    return (await snapshotReadModels(this.deps.database, this.requireSnapshots(), this.settings.snapshots_keep)).position;
  }

  /** Takes a snapshot when `snapshot_every_events` chat events or `snapshot_every_minutes` (with any event) have passed. */
  async maybeSnapshot(): Promise<boolean> {
    const lag = await snapshotLag(this.deps.database, this.requireSnapshots(), this.settings.snapshot_every_events);
    if (lag.eventsSince === 0) return false;
    const old = lag.createdAt === undefined || this.deps.clock.now() - lag.createdAt >= this.settings.snapshot_every_minutes * 60_000;
    if (lag.eventsSince < this.settings.snapshot_every_events && !old) return false;
    await this.snapshotReadModels();
    return true;
  }

  /** Rebuilds the chat read models from the newest snapshot plus the tail, or from the whole log. */
  rebuildReadModels(options: { fromSnapshot: boolean }): Promise<{ from: number; replayed: number }> {
    return rebuildReadModels(this.deps.database, this.requireSnapshots(), options);
  }

  /** Cold start: the read models are empty while the log holds chat events (a restored or fresh database). */
  async coldStartIfNeeded(): Promise<{ from: number; replayed: number } | undefined> {
    if (!this.deps.snapshots || (await this.read.bots()).length > 0 || (await this.read.you())) return undefined;
    const logged = await this.deps.store.readAll({ filter: { types: ['bot_authored', 'you_authored'] }, limit: 1 });
    if (logged.length === 0) return undefined;
    const result = await this.rebuildReadModels({ fromSnapshot: true });
    this.deps.logger.info(result, 'chat read models rebuilt on a cold start');
    return result;
  }

  /** Checks every minute whether a read-model snapshot is due, until the signal aborts. */
  async runSnapshots(signal: AbortSignal, everyMs = 60_000): Promise<void> {
    if (!this.deps.snapshots) return;
    while (!signal.aborted) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, everyMs);
        signal.addEventListener(
          'abort',
          () => {
            clearTimeout(timer);
            resolve();
          },
          { once: true },
        );
      });
      if (signal.aborted) return;
      await this.maybeSnapshot().catch((error: unknown) =>
        this.deps.logger.warn({ error: (error as Error).message }, 'chat read-model snapshot failed'),
      );
    }
  }

  // ---------- drawer edits ----------

  /** Changes one field in the drawer: `manual_edit` with the prior value. Returns false when nothing changed. */
  async manualEdit(chatId: string, target: ManualEditTarget, raw: string): Promise<boolean> {
    const chat = await this.requireChat(chatId);
    let prior: string | number | string[] | null;
    let value: string | number | string[];
    const number = (low: number, high: number) => {
      const parsed = Number(raw);
      if (raw.trim() === '' || !Number.isInteger(parsed) || parsed < low || parsed > high)
        throw new ValidationError(`${target.field} must be a whole number from ${low} to ${high}`);
      return parsed;
    };
    const textValue = (max: number) => {
      const trimmed = raw.trim();
      if (trimmed.length > max) throw new ValidationError(`${target.field} is at most ${max} characters`);
      return trimmed;
    };
    if (target.kind === 'activity') {
      const row = (await this.read.activity(chatId)).find((entry) => entry.entity_id === target.entity_id);
      if (!row) throw new NotFoundError(`no activity for ${target.entity_id}`);
      prior = target.field === 'verb' ? row.action.verb : target.field === 'holding' ? row.holding : row[target.field];
      value =
        target.field === 'holding'
          ? textValue(500)
              .split(',')
              .map((item) => item.trim())
              .filter(Boolean)
          : textValue(200);
    } else if (target.kind === 'edge') {
      const row = (await this.read.edges(['you', chat.bot_id])).find(
        (edge) => edge.source_id === target.source_id && edge.target_id === target.target_id,
      );
      if (!row) throw new NotFoundError(`no relationship ${target.source_id} -> ${target.target_id}`);
      prior = row[target.field];
      value = target.field === 'summary' ? textValue(2000) : number(0, 100);
    } else {
      const row = await this.read.memory(target.memory_id);
      if (row?.chat_id !== chatId) throw new NotFoundError(`no memory ${target.memory_id} in this chat`);
      prior = row[target.field];
      value = target.field === 'significance' ? number(0, 3) : textValue(2000);
      if (value === '') throw new ValidationError('a memory needs some text');
    }
    if (JSON.stringify(prior) === JSON.stringify(value)) return false;
    await this.deps.store.append(chatStreamId(chatId), 'stream-exists', [
      { type: 'manual_edit', data: { chat_id: chatId, target, prior, value, at: this.now() } } satisfies ChatEvent,
    ]);
    return true;
  }

  /** Pins or unpins a memory from the drawer (`memory_pin_changed`, not automatic); pinning respects `pin_cap`. */
  async setPin(chatId: string, memoryId: string, pinned: boolean): Promise<boolean> {
    const chat = await this.requireChat(chatId);
    const memory = await this.read.memory(memoryId);
    if (memory?.chat_id !== chatId) throw new NotFoundError(`no memory ${memoryId} in this chat`);
    if (memory.pinned === pinned) return false;
    if (pinned && (await this.read.pinned(chat.bot_id)).length >= this.settings.pin_cap)
      throw new ValidationError(`${this.settings.pin_cap} memories are pinned already (chat.pin_cap); unpin one first`);
    await this.deps.store.append(chatStreamId(chatId), 'stream-exists', [
      {
        type: 'memory_pin_changed',
        data: { chat_id: chatId, memory_id: memoryId, owner_id: chat.bot_id, pinned, auto: false, reason: 'drawer' },
      } satisfies ChatEvent,
    ]);
    return true;
  }

  // ---------- helpers ----------

  private decide(command: Parameters<typeof decide>[0], state: ChatState | undefined): ChatEvent[] {
    try {
      return decide(command, state ?? initialChatState());
    } catch (error) {
      if (error instanceof ChatRuleError) {
        if (error.rule === 'chat_missing') throw new NotFoundError(error.message);
        if (error.rule === 'empty_turn') throw new ValidationError(error.message);
        if (error.rule === 'nothing_to_undo' || error.rule === 'not_latest_reply') throw new ValidationError(error.message);
        throw new AppError('duplicate', error.message, { details: { rule: error.rule } });
      }
      throw error;
    }
  }

  async requireChat(chatId: string): Promise<ChatRow> {
    const chat = await this.read.chat(chatId);
    if (!chat) throw new NotFoundError(`no chat ${chatId}`, { chatId });
    return chat;
  }

  async requireBot(botId: string) {
    const bot = await this.read.bot(botId);
    if (!bot) throw new NotFoundError(`no bot ${botId}`, { botId });
    return bot;
  }

  private async counter(): Promise<CountTokens> {
    this.countTokens ??= await loadTokenCounter();
    return this.countTokens;
  }
}

/** The memory a turn leaves in the bot's mind (Phase 1: the exchange, shortened; scene close rewrites it later). */
export function memorySummary(youName: string, userText: string, replyText: string): string {
  const cut = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1).trimEnd()}…`);
  return `${youName}: ${cut(userText.replace(/\s+/g, ' ').trim(), 160)} — I replied: ${cut(replyText.replace(/\s+/g, ' ').trim(), 240)}`;
}

/** What the offline narrator writes: a few stock beats, picked by the prompt's hash, naming who is there. */
function offlineNarration(
  botName: string,
  youName: string,
  segments: ReturnType<typeof parseTurn>,
  turns: number,
): Record<string, unknown> {
  const said = segments.find((segment) => segment.kind === 'dialogue')?.text ?? '';
  const echo = said.length > 60 ? `${said.slice(0, 57)}…` : said;
  return {
    seed: turns,
    bot: botName,
    you: youName,
    echo,
    template: [
      `*{bot} looks up and meets {you}'s eyes.* "${echo ? `{echo}` : 'Go on'}… I was hoping you would say that." *A small smile.* (offline narrator: no model configured)`,
      `*{bot} tilts their head, considering.* "Tell me more, {you}." *They lean in, listening.* (offline narrator: no model configured)`,
      `*{bot} laughs softly and sets down what they were holding.* "You always know how to surprise me." (offline narrator: no model configured)`,
    ],
  };
}
