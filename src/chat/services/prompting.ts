/**
 * What a reply is written from: the turn parsed, the bot's memories retrieved (and a villager's village memories),
 * the scene, the relationship and the recent dialogue, assembled into a prompt within the budgets. Used by a new turn
 * and by a regenerate.
 */
import { villagerNpcId } from '../domain/cards.js';
import type { PromptLedger, RetrievedMemory, TurnSegment } from '../domain/events.js';
import { assemblePrompt, type PromptInput, type PromptMessage } from '../domain/prompt.js';
import { type MemoryCandidate, rankMemories, searchTerms, villageCandidates } from '../domain/retrieval.js';
import { parseTurn, turnForModel } from '../domain/turn-parse.js';
import type { ActivityRow, BotRow, ChatRow, ContainerRow, EdgeRow, MessageRow, YouRow } from '../read-model/queries.js';
import type { ChatDeps } from './context.js';

export type PromptingDeps = Pick<ChatDeps, 'read' | 'settings' | 'tokens' | 'villagers' | 'logger'>;

/** How many of a villager's newest village memories are searched per turn. */
export const villageMemoryLimit = 64;

export interface PreparedTurn {
  segments: TurnSegment[];
  messages: PromptMessage[];
  ledger: PromptLedger;
  retrieved: RetrievedMemory[];
  /** What the offline narrator writes from when no model is configured. */
  context: Record<string, unknown>;
}

interface TurnScene {
  bot: BotRow;
  you: YouRow | undefined;
  activity: ActivityRow[];
  containers: ContainerRow[];
  edges: EdgeRow[];
  history: { messages: MessageRow[]; older: number };
}

export class Prompting {
  constructor(private readonly deps: PromptingDeps) {}

  /** Everything the reply prompt needs, assembled within the budgets; `exclude` leaves out turns being replaced. */
  async prepareTurn(chat: ChatRow, text: string, options: { exclude?: readonly string[] } = {}): Promise<PreparedTurn> {
    const exclude = new Set(options.exclude ?? []);
    const counter = await this.deps.tokens.counter();
    const segments = parseTurn(text, this.deps.settings.ooc_marker);
    const modelTurn = turnForModel(segments) || '*waits for you to go on*';
    const scene = await this.scene(chat);
    const retrieved = (await this.retrieve(chat.bot_id, modelTurn)).filter(
      (memory) => ![...exclude].some((turnId) => memory.memory_id === `mem_${turnId}`),
    );
    const { messages, ledger } = assemblePrompt(this.promptInput(chat, scene, retrieved, modelTurn, exclude), counter);
    const context = offlineNarration(scene.bot.name, scene.you?.name ?? 'You', segments, chat.state.turns);
    return { segments, messages, ledger, retrieved, context };
  }

  /**
   * Top-k memories of the bot it witnessed, by text match, recency and significance, pinned ones always in. A bot made
   * from a villager also searches that NPC's village memories, fetched now through the village (`source: 'village'`).
   */
  async retrieve(botId: string, text: string): Promise<RetrievedMemory[]> {
    const terms = searchTerms(text);
    const [matches, pinned, village] = await Promise.all([
      this.deps.read.searchMemories(botId, 'host', terms),
      this.deps.read.pinnedCandidates(botId, 'host'),
      this.villageMemories(botId, terms),
    ]);
    const pinnedIds = new Set(pinned.map((memory) => memory.memory_id));
    return rankMemories(
      [...pinned, ...matches.filter((memory) => !pinnedIds.has(memory.memory_id)), ...village],
      this.deps.settings.retrieval_k,
    );
  }

  private async scene(chat: ChatRow): Promise<TurnScene> {
    const read = this.deps.read;
    const [bot, you, activity, containers, edges, history] = await Promise.all([
      read.requireBot(chat.bot_id),
      read.you(),
      read.activity(chat.chat_id),
      read.containers(chat.chat_id),
      read.edges(['you', chat.bot_id]),
      read.messages(chat.chat_id, this.deps.settings.history_window),
    ]);
    return { bot, you, activity, containers, edges, history };
  }

  private promptInput(
    chat: ChatRow,
    scene: TurnScene,
    memories: RetrievedMemory[],
    turn: string,
    exclude: ReadonlySet<string>,
  ): PromptInput {
    const { bot, you } = scene;
    const settings = this.deps.settings;
    const youName = you?.name ?? 'You';
    const names = new Map([
      ['you', youName],
      [chat.bot_id, bot.name],
    ]);
    const container = scene.containers.find((candidate) => candidate.container_id === chat.state.containerId) ?? scene.containers[0];
    const edge = scene.edges.find((candidate) => candidate.source_id === chat.bot_id && candidate.target_id === 'you');
    const done = scene.history.messages.filter(
      (message) => message.status === 'done' && message.text !== '' && message.superseded_by === null && !exclude.has(message.turn_id),
    );
    return {
      bot: { name: bot.name, persona: bot.persona, traits: bot.traits, voice_samples: bot.voice_samples, backstory: bot.backstory },
      you: { name: youName, pronouns: you?.pronouns ?? '', persona: you?.persona ?? '' },
      scene: {
        clock: chat.state.clock,
        weather: chat.state.weather,
        container: container ? `${container.name} (${container.type})` : 'unknown',
        activities: scene.activity.map((entry) => ({
          name: names.get(entry.entity_id) ?? entry.entity_id,
          posture: entry.posture,
          verb: entry.action.verb,
          attention: entry.attention,
          holding: entry.holding,
        })),
      },
      edge: edge ? { affinity: edge.affinity, trust: edge.trust, summary: edge.summary, knowledge: edge.knowledge } : null,
      memories,
      history: done.map((message) => ({
        role: message.role,
        text: message.role === 'user' && message.segments ? turnForModel(message.segments) || message.text : message.text,
      })),
      unloadedHistory: scene.history.older,
      turn,
      // A soft budget above the hard one would let `nice` parts crowd out `should` ones: cap it.
      budget: { hard: settings.narrative_budget_hard, soft: Math.min(settings.narrative_budget_soft, settings.narrative_budget_hard) },
    };
  }

  /** A villager bot's village memories as candidates; the chat goes on without them when the village cannot answer. */
  private async villageMemories(botId: string, terms: readonly string[]): Promise<MemoryCandidate[]> {
    const villagers = this.deps.villagers;
    if (!villagers || terms.length === 0) return [];
    const npcId = villagerNpcId((await this.deps.read.bot(botId))?.card);
    if (!npcId) return [];
    try {
      return villageCandidates(npcId, await villagers.memories(npcId, villageMemoryLimit), terms);
    } catch (error) {
      this.deps.logger.warn({ botId, npcId, error: (error as Error).message }, 'chat: village memories unavailable');
      return [];
    }
  }
}

/** What the offline narrator writes: a few stock beats, picked by the prompt's hash, naming who is there. */
function offlineNarration(botName: string, youName: string, segments: readonly TurnSegment[], turns: number): Record<string, unknown> {
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
