/**
 * What every gateway operation works with: the backends and their budgets, the call recorder, the retry policy and
 * the replay cache.
 */
import type { Logger } from '../../core/logger.js';
import type { Backends } from './backends.js';
import type { Budgets } from './budgets.js';
import type { CallRecorder } from './call-recording.js';
import type { ObjectCache } from './object-cache.js';
import type { RetryPolicy } from './retries.js';

export interface GatewayContext {
  backends: Backends;
  budgets: Budgets;
  recorder: CallRecorder;
  retries: RetryPolicy;
  cache: ObjectCache;
  logger: Logger;
}
