/** Moderation: an admin flags, hides or restores a post (each an event on the run's content stream); the queue. */
import { NotFoundError } from '../../core/errors.js';
import { contentStreamId, type ModerationAction, type ModerationEventType } from '../domain/events.js';
import type { PostRow } from '../read-model/queries.js';
import type { VillageContext } from './context.js';

export type ModerationVerb = 'flag' | 'hide' | 'restore';

const eventOf: Record<ModerationVerb, ModerationEventType> = { flag: 'post_flagged', hide: 'post_hidden', restore: 'post_restored' };

/** What ModerationService uses of the shared context. */
export type ModerationContext = Pick<VillageContext, 'queries' | 'store'>;

export class ModerationService {
  constructor(private readonly context: ModerationContext) {}

  async moderate(action: ModerationVerb, postId: number, reason: string | null): Promise<PostRow> {
    const { queries, store } = this.context;
    const post = await queries.getPost(postId);
    if (!post) throw new NotFoundError(`no post ${postId}`);
    const data: ModerationAction = { postId, reason, by: 'admin' };
    await store.append(contentStreamId(post.runId), 'any', [{ type: eventOf[action], data }]);
    const updated = await queries.getPost(postId);
    if (!updated) throw new NotFoundError(`no post ${postId}`);
    return updated;
  }

  /** Posts needing an admin's eye: hidden, rejected at the boundary, or flagged. Newest first. */
  queue(limit = 100): Promise<PostRow[]> {
    return this.context.queries.moderationQueue(limit);
  }
}
