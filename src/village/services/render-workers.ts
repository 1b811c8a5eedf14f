/**
 * Render workers: lease a render job, write its post with the `writer` alias (offline fallback), check it at the
 * engine boundary and with moderation, and append `post_published` or `post_rejected`. Idempotent per
 * (run, source event, channel, author): the read model's unique key refuses a second publication.
 */
import { type JobWorkerOptions, runJobWorker, settleJob } from '../../messaging/index.js';
import type { LeasedJob } from '../../messaging/ports.js';
import { VersionConflictError } from '../../store/index.js';
import { contentStreamId, type PostPublished, type PostRejected } from '../domain/events.js';
import { boundaryProblems, type GeneratedPost, generatedPostSchema } from '../domain/posts.js';
import { channelLimits, safely, type VillageContext } from './context.js';
import { buildMessages, fallbackPost, offlineContext } from './render/prompt.js';
import { type RenderJobPayload, renderIdempotencyKey, renderQueue } from './render/render-job.js';

export type JobOutcome = 'published' | 'rejected' | 'duplicate';

/** What RenderWorkers uses of the shared context. */
export type RenderContext = Pick<VillageContext, 'config' | 'llm' | 'logger' | 'metrics' | 'queries' | 'queue' | 'store' | 'hooks'>;

export class RenderWorkers {
  constructor(private readonly context: RenderContext) {}

  private workerOptions(): JobWorkerOptions<RenderJobPayload> {
    return {
      queue: this.context.queue,
      name: renderQueue,
      logger: this.context.logger,
      metrics: this.context.metrics,
      handle: (job, signal) => this.render(job.payload, signal),
    };
  }

  /** Leases and renders jobs with `concurrency` loops until the signal aborts; in-flight jobs finish (or are released). */
  async run(signal: AbortSignal, concurrency = this.context.config.render_workers): Promise<void> {
    await runJobWorker({ ...this.workerOptions(), concurrency }, signal);
  }

  /** Processes one leased job and acks or nacks it (the worker loop's step; tests drive it directly). */
  async handle(job: LeasedJob<RenderJobPayload>, signal?: AbortSignal): Promise<JobOutcome | 'failed'> {
    return (await settleJob(this.workerOptions(), job, signal)).outcome as JobOutcome | 'failed';
  }

  /** The writer model posts come from, and whether it is the offline writer (the pages say so). */
  writer(): { model: string; offline: boolean } {
    const description = this.context.llm.describe('writer');
    return { model: description.model, offline: description.offline };
  }

  private findPost(job: RenderJobPayload) {
    return this.context.queries.findPost(job.runId, job.source_event_id, job.channel, job.author_id);
  }

  /** Writes the post of one job: idempotent (an existing post for the job's key is left as it is). */
  async render(job: RenderJobPayload, signal?: AbortSignal): Promise<JobOutcome> {
    const { llm, store, hooks } = this.context;
    if (await this.findPost(job)) return 'duplicate';
    const result = await llm.generateObject('writer', generatedPostSchema, buildMessages(job), {
      cacheKey: renderIdempotencyKey(job.runId, job.source_event_id, job.channel, job.author_id),
      fallback: () => fallbackPost(job),
      context: offlineContext(job),
      ...(signal ? { signal } : {}),
    });
    const problems = await this.problemsOf(job, result.object, signal);
    const data = publication(job, result.object, { model: result.model, fellBack: result.fellBack });
    try {
      if (problems.length > 0) {
        const rejected: PostRejected = { ...data, reasons: problems };
        await store.append(contentStreamId(job.runId), 'any', [{ type: 'post_rejected', data: rejected }]);
        return 'rejected';
      }
      await store.append(contentStreamId(job.runId), 'any', [{ type: 'post_published', data }]);
    } catch (error) {
      // Not a retry: the unique (run, source event, channel, author) key says another delivery got there first.
      if (error instanceof VersionConflictError && (await this.findPost(job))) return 'duplicate';
      throw error;
    }
    const row = await this.findPost(job);
    const onPost = hooks.onPost;
    if (row && onPost) await safely(this.context, () => onPost(row), 'post hook');
    return 'published';
  }

  /** Engine-boundary problems, then (only for a post that passes them) the moderation verdict's reasons. */
  private async problemsOf(job: RenderJobPayload, post: GeneratedPost, signal: AbortSignal | undefined): Promise<string[]> {
    const target = { channel: job.channel, authorId: job.author_id, sourceEventId: job.source_event_id };
    const problems = boundaryProblems(post, target, channelLimits(this.context.config));
    if (problems.length > 0) return problems;
    const verdict = await this.context.llm.moderate(post.text, signal ? { signal } : {});
    return verdict.allowed ? [] : verdict.reasons.map((reason) => `moderation: ${reason}`);
  }
}

function publication(job: RenderJobPayload, post: GeneratedPost, writer: { model: string; fellBack: boolean }): PostPublished {
  return {
    runId: job.runId,
    channel: job.channel,
    authorId: job.author_id,
    sourceEventId: job.source_event_id,
    tone: post.tone,
    text: post.text,
    tags: post.tags,
    safetyNotes: post.safety_notes ?? null,
    model: writer.model,
    fellBack: writer.fellBack,
    simTime: job.sim_time,
    place: job.prompt_context.event.place.id,
  };
}
