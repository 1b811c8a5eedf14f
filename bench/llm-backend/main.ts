/**
 * Runs the simulated backend on its own, so its timers do not share an event loop with the code under test.
 *   npx tsx bench/llm-backend/main.ts [--slots 8] [--prompt-tps 1000] [--decode-tps 25] [--first-token-ms 20]
 *     [--completion-tokens 120] [--prefix-cache 1] [--port 0]
 * Prints `{"url": ...}` on stdout (and sends it over IPC when forked); `GET <url without /v1>/bench/stats` for figures.
 * Stops on SIGINT/SIGTERM, or when the parent that forked it goes away.
 */
import { parseArgs } from 'node:util';
import { startSimulatedBackend } from './server.js';
import type { BackendProfile } from './timing.js';

const { values } = parseArgs({
  options: {
    profile: { type: 'string' },
    slots: { type: 'string' },
    'prompt-tps': { type: 'string' },
    'decode-tps': { type: 'string' },
    'first-token-ms': { type: 'string' },
    'completion-tokens': { type: 'string' },
    'prefix-cache': { type: 'string' },
    model: { type: 'string' },
    port: { type: 'string', default: '0' },
  },
});

const profile: Partial<BackendProfile> = values.profile ? (JSON.parse(values.profile) as Partial<BackendProfile>) : {};
const numeric: Array<[string | undefined, keyof BackendProfile]> = [
  [values.slots, 'slots'],
  [values['prompt-tps'], 'promptTokensPerSecond'],
  [values['decode-tps'], 'decodeTokensPerSecond'],
  [values['first-token-ms'], 'firstTokenMs'],
  [values['completion-tokens'], 'completionTokens'],
  [values['prefix-cache'], 'prefixCacheDiscount'],
];
for (const [value, key] of numeric) if (value !== undefined) (profile as Record<string, number>)[key] = Number(value);
if (values.model) profile.model = values.model;

const backend = await startSimulatedBackend({ profile, port: Number(values.port) });
const stop = () => {
  void backend.close().finally(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
if (process.send) {
  process.on('disconnect', stop);
  process.send({ type: 'ready', url: backend.url });
} else {
  console.log(JSON.stringify({ url: backend.url, profile: backend.profile }));
}
