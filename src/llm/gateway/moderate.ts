/**
 * moderate: the configured blocklist, then the classifier alias when one is configured (and is not the offline
 * writer). A classifier that fails leaves the verdict to the blocklist.
 */
import type { LlmAliasName } from '../aliases.js';
import { isLlmError } from '../errors.js';
import { type ModerationResult, moderationMessages, moderationVerdictSchema } from '../moderation.js';
import type { GatewayContext } from './context.js';
import { generateObject } from './generate-object.js';

export interface ModerateOptions {
  signal?: AbortSignal;
}

export interface ModerationContext extends GatewayContext {
  matchBlocklist: (text: string) => string[];
  classifierAlias: LlmAliasName | undefined;
}

export async function moderate(context: ModerationContext, text: string, options: ModerateOptions = {}): Promise<ModerationResult> {
  const reasons = context.matchBlocklist(text);
  const classifierAlias = context.classifierAlias;
  if (classifierAlias === undefined || context.backends.describe(classifierAlias).offline)
    return { allowed: reasons.length === 0, reasons, classifier: 'skipped' };
  try {
    const verdict = await generateObject(context, classifierAlias, moderationVerdictSchema, moderationMessages(text), {
      fallback: { allowed: true, reasons: [] },
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    if (verdict.fellBack) return { allowed: reasons.length === 0, reasons, classifier: 'unavailable' };
    if (!verdict.object.allowed)
      reasons.push(
        ...(verdict.object.reasons.length > 0 ? verdict.object.reasons : ['unspecified']).map((reason) => `classifier: ${reason}`),
      );
    return { allowed: reasons.length === 0, reasons, classifier: verdict.object.allowed ? 'allowed' : 'blocked' };
  } catch (error) {
    if (isLlmError(error) && error.code === 'llm_aborted') throw error;
    // Fail open to the blocklist: a classifier outage must not stop the village; admins can still hide posts.
    context.logger.warn({ alias: classifierAlias, code: isLlmError(error) ? error.code : 'internal' }, 'moderation classifier unavailable');
    return { allowed: reasons.length === 0, reasons, classifier: 'unavailable' };
  }
}
