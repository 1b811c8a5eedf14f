/** What every gateway operation works with: the backends, the call recorder, the retry policy and the replay cache. */
import type { Logger } from '../../core/logger.js';
import type { Backends } from './backends.js';
import type { CallRecorder } from './call-recording.js';
import type { ObjectCache } from './object-cache.js';
import type { RetryPolicy } from './retries.js';

export interface GatewayContext {
  backends: Backends;
  recorder: CallRecorder;
  retries: RetryPolicy;
  cache: ObjectCache;
  logger: Logger;
}
