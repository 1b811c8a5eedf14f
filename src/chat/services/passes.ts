/**
 * Post-turn passes, off the reply's critical path (job queue `chat-post-turn`, any number of workers): state update
 * (edges both ways), the turn's memory, significance (auto-pin), time passage and the scene signal. A hard scene
 * signal, or the drawer's button, closes the scene: the bot's per-POV summary, then the next scene.
 */

import { ValidationError } from '../../core/errors.js';
import { createId } from '../../core/ids.js';
import { runJobWorker } from '../../messaging/index.js';
import type { ChatEvent } from '../domain/events.js';
import { chatStreamId } from '../domain/events.js';
import { memorySummary, postTurnEvents, sceneCloseEvents } from '../domain/pass-events.js';
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
import type { PromptMessage } from '../domain/prompt.js';
import { fitText } from '../domain/prompt.js';
import { turnForModel } from '../domain/turn-parse.js';
import type { BotRow, MemoryRow } from '../read-model/queries.js';
import type { ChatDeps } from './context.js';
import { type PostTurnJob, postTurnQueue } from './generations.js';

export type PassesDeps = Pick<ChatDeps, 'store' | 'read' | 'llm' | 'queue' | 'logger' | 'metrics' | 'settings' | 'tokens'>;

const drawerClose: SceneSignal = { close: true, container_change: false, new_container: '', reason: 'closed from the drawer' };

export class PostTurnPasses {
  constructor(private readonly deps: PassesDeps) {}

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

  /** State update, memory write, significance (auto-pin) and time passage for one reply; idempotent per reply. */
  async runPasses(job: PostTurnJob, signal?: AbortSignal): Promise<ChatEvent[]> {
    const read = this.deps.read;
    if (await read.hasMemoryForTurn(job.turn_id)) return [];
    const chat = await read.requireChat(job.chat_id);
    const [reply, user, bot, you] = await Promise.all([
      read.message(job.turn_id),
      read.message(job.user_turn_id),
      read.requireBot(chat.bot_id),
      read.you(),
    ]);
    if (reply?.status !== 'done' || reply.superseded_by !== null) return [];
    const userText = user?.segments ? turnForModel(user.segments) : (user?.text ?? '');
    const youName = you?.name ?? 'You';
    const verdicts = await this.classify(job.turn_id, bot, you?.name, userText, reply.text, signal);
    const memoryId = `mem_${job.turn_id}`;
    const pin = decideAutoPin(memoryId, verdicts.significance, await read.pinCandidates(chat.bot_id), this.deps.settings.pin_cap);
    const events = postTurnEvents({
      chatId: chat.chat_id,
      botId: chat.bot_id,
      turnId: job.turn_id,
      sceneId: chat.state.activeSceneId,
      at: chat.state.clock,
      memoryText: memorySummary(youName, userText, reply.text),
      state: verdicts.state,
      significance: verdicts.significance,
      minutes: verdicts.minutes,
      pin,
      pinCap: this.deps.settings.pin_cap,
    });
    await this.deps.store.append(chatStreamId(chat.chat_id), 'stream-exists', events);
    if (verdicts.scene.close && chat.state.activeSceneId)
      events.push(...(await this.closeScene(chat.chat_id, verdicts.scene, { turnId: job.turn_id, ...(signal ? { signal } : {}) })));
    return events;
  }

  /**
   * Closes the open scene (the drawer's button, or a hard signal from the scene pass): the bot's per-POV summary of
   * the scene replaces its memories' terse text and updates its edge summary (`scene_summarized`), then
   * `scene_closed` and a new `scene_opened` (in a new place when the signal was a move).
   */
  async closeScene(
    chatId: string,
    sceneSignal: SceneSignal = drawerClose,
    options: { turnId?: string; signal?: AbortSignal } = {},
  ): Promise<ChatEvent[]> {
    const read = this.deps.read;
    const chat = await read.requireChat(chatId);
    const sceneId = chat.state.activeSceneId;
    if (!sceneId) throw new ValidationError('no scene is open');
    const [bot, you, containers, edges, memories] = await Promise.all([
      read.requireBot(chat.bot_id),
      read.you(),
      read.containers(chatId),
      read.edges(['you', chat.bot_id]),
      read.sceneMemories(sceneId, chat.bot_id),
    ]);
    const container = containers.find((candidate) => candidate.container_id === chat.state.containerId) ?? containers[0];
    const place = container?.name ?? 'the scene';
    const prior = edges.find((edge) => edge.source_id === chat.bot_id && edge.target_id === 'you')?.summary ?? '';
    const summary = await this.summarizeScene(sceneId, bot, you?.name, place, prior, memories, options.signal);
    const events = sceneCloseEvents({
      chatId,
      botId: chat.bot_id,
      sceneId,
      turnId: options.turnId,
      at: chat.state.clock,
      summary,
      memoryIds: memories.map((memory) => memory.memory_id),
      signal: sceneSignal,
      containerId: chat.state.containerId ?? container?.container_id ?? '',
      newSceneId: createId('scn'),
      newContainerId: createId('ctr'),
    });
    await this.deps.store.append(chatStreamId(chatId), 'stream-exists', events);
    return events;
  }

  /** The four classifier passes over the exchange, each with its deterministic guess as the fallback. */
  private async classify(
    turnId: string,
    bot: BotRow,
    youName: string | undefined,
    userText: string,
    replyText: string,
    signal?: AbortSignal,
  ) {
    const counter = await this.deps.tokens.counter();
    const budget = this.deps.settings.classifier_budget - 400;
    const exchange = `${youName ?? 'You'}: ${fitText(userText, Math.floor(budget / 3), counter)}\n${bot.name}: ${fitText(replyText, Math.floor((budget * 2) / 3), counter)}`;
    const ask = (instruction: string): PromptMessage[] => [
      { role: 'system', content: `${instruction} Answer with JSON only.` },
      { role: 'user', content: exchange },
    ];
    const options = <T>(guess: T, pass: string) => ({
      fallback: guess,
      context: guess as Record<string, unknown>,
      cacheKey: `chat-pass/${pass}/${turnId}`,
      ...(signal ? { signal } : {}),
    });
    const llm = this.deps.llm;
    const [state, significance, time, scene] = await Promise.all([
      llm.generateObject(
        'classifier',
        stateUpdateSchema,
        ask(
          `How did this exchange change how ${bot.name} feels about ${youName ?? 'the user'} and the other way round? Deltas -10..10 for affinity and trust, and any new facts learned.`,
        ),
        options(heuristicStateUpdate(userText, replyText), 'state'),
      ),
      llm.generateObject(
        'classifier',
        significanceSchema,
        ask(`How significant is this exchange for ${bot.name}'s memory: 0 trivial, 1 ordinary, 2 notable, 3 life-changing?`),
        options({ significance: heuristicSignificance(userText, replyText), reason: 'keyword estimate' }, 'significance'),
      ),
      llm.generateObject(
        'classifier',
        timePassageSchema,
        ask('How many minutes of in-fiction time did this exchange take?'),
        options({ minutes: heuristicMinutes(userText, replyText) }, 'time'),
      ),
      llm.generateObject(
        'classifier',
        sceneSignalSchema,
        ask(
          'Does this exchange end the scene on a hard signal: the people move to another place (container_change, with new_container naming it), or someone clearly says goodbye or "we are done here"? Set close only for such a signal.',
        ),
        options(heuristicSceneSignal(userText, replyText), 'scene'),
      ),
    ]);
    return { state: state.object, significance: significance.object.significance, minutes: time.object.minutes, scene: scene.object };
  }

  /** The bot's own summary of the scene and of how it now sees you (the deterministic one without memories or a model). */
  private async summarizeScene(
    sceneId: string,
    bot: BotRow,
    youName: string | undefined,
    place: string,
    prior: string,
    memories: MemoryRow[],
    signal?: AbortSignal,
  ) {
    const guess = heuristicSceneSummary(
      place,
      memories.map((memory) => memory.pov_summary),
      prior,
    );
    if (memories.length === 0) return guess;
    const counter = await this.deps.tokens.counter();
    const remembered = memories.map((memory) => `- ${memory.pov_summary}`).join('\n');
    const result = await this.deps.llm.generateObject(
      'classifier',
      sceneSummarySchema,
      [
        {
          role: 'system',
          content: `You are ${bot.name}. Summarise the scene that just ended from your own point of view in a few sentences (summary), and say in one or two sentences how you now see ${youName ?? 'the user'} (edge_summary). Answer with JSON only.`,
        },
        {
          role: 'user',
          content: fitText(
            `Place: ${place}\nHow you saw them before: ${prior}\nWhat you remember of the scene:\n${remembered}`,
            this.deps.settings.classifier_budget - 300,
            counter,
          ),
        },
      ],
      {
        fallback: guess,
        context: guess as unknown as Record<string, unknown>,
        cacheKey: `chat-scene-summary/${sceneId}`,
        ...(signal ? { signal } : {}),
      },
    );
    return result.object;
  }
}
