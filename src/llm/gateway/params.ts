/** A call's model parameters: the caller's override the alias's, except stop sequences, which add up. */
import type { ModelParams } from '../provider.js';

export function mergeParams(alias: ModelParams, call: ModelParams | undefined): ModelParams {
  const merged = { ...alias, ...call };
  const stop = [...new Set([...(alias.stop ?? []), ...(call?.stop ?? [])])];
  if (stop.length > 0) merged.stop = stop;
  else delete merged.stop;
  return merged;
}
