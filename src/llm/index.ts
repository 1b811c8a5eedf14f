/** The LLM gateway's public surface (DESIGN §3). Products call the gateway; nothing else talks to a model. */
export { type LlmAliasName, llmAliasNames, type ResolvedAlias, resolveAliases, type StructuredOutputs } from './aliases.js';
export { type CacheMode, computeCacheKey } from './cache.js';
export type { CallOperation, CallRecord, FailureRecord } from './call-log.js';
export { abortError, isLlmError, LlmError, type LlmErrorCode } from './errors.js';
export {
  type AliasDescription,
  type AliasStats,
  type BackendStats,
  createLlmGateway,
  type EmbedResult,
  type GenerateObjectOptions,
  type GenerateObjectResult,
  type LlmGateway,
  type LlmGatewayOptions,
  type LlmStats,
  type LocalProviderFactoryWithSettings,
  type StreamTextOptions,
  type TextStreamPart,
} from './gateway/index.js';
export { llmMigrations } from './migrations.js';
export { type ModerationResult, moderationVerdictSchema } from './moderation.js';
export type * from './provider.js';
export { createOfflineProvider, offlineModel } from './providers/offline-provider.js';
export { createOpenAICompatibleProvider, type OpenAICompatibleProviderOptions } from './providers/openai-compatible-provider.js';
export { createMockProvider, type MockProvider, type MockReply } from './testing/mock-provider.js';
