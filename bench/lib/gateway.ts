/**
 * Shared set-up for benchmarks that go through the LLM gateway against the simulated backend: the render-sized
 * backend profile and a gateway on a SQLite file (cache and call log), configured as a deployment would be.
 * `llm-gateway` uses both; `village-render` uses `renderProfile` with the gateway `openRuntime` builds.
 */
import { join } from 'node:path';
import { systemClock } from '../../src/core/clock.js';
import { parseConfig } from '../../src/core/config.js';
import { silentLogger } from '../../src/core/logger.js';
import { createLlmGateway, type LlmGateway, llmMigrations } from '../../src/llm/index.js';
import { openDatabase, runMigrations, type StoreDatabase } from '../../src/store/index.js';
import type { BackendProfile } from '../llm-backend/timing.js';

/** An 8-slot llama.cpp-class server with a 7-8B model: ~1,000 prompt tok/s and ~25 tok/s decode per slot. */
export const renderProfile: BackendProfile = {
  slots: 8,
  promptTokensPerSecond: 1_000,
  decodeTokensPerSecond: 25,
  firstTokenMs: 20,
  completionTokens: 120,
  prefixCacheDiscount: 1,
  model: 'bench-sim-8b',
};

export interface GatewayHandle {
  gateway: LlmGateway;
  close(): Promise<void>;
}

/** A gateway whose every alias points at `baseUrl` (json_schema output, concurrency = slots, cache on). */
export async function openBenchGateway(baseUrl: string, directory: string, name: string, concurrency = 8): Promise<GatewayHandle> {
  const database: StoreDatabase = await openDatabase({ sqlitePath: join(directory, `${name}.db`) });
  await runMigrations(database, llmMigrations);
  const config = parseConfig({
    fileText: [
      '[llm]',
      'provider = "openai-compatible"',
      `base_url = "${baseUrl}"`,
      'model = "bench-model"',
      'structured_outputs = "json_schema"',
      `concurrency = ${concurrency}`,
      'timeout_ms = 600000',
      'max_retries = 0',
      'cache = "on"',
    ].join('\n'),
    environment: {},
  });
  const gateway = createLlmGateway({ config, database, logger: silentLogger, clock: systemClock });
  return {
    gateway,
    async close() {
      await gateway.close();
      await database.destroy();
    },
  };
}
