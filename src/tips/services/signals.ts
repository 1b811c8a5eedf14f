/** Signals: tasks, habits, check-ins, calendar entries, moods and contexts recorded on the user's stream. */
import { ValidationError } from '../../core/errors.js';
import { createId } from '../../core/ids.js';
import type { SignalInput } from '../domain/events.js';
import { isValidTimeZone } from '../domain/time.js';
import { type CommandContext, runCommand } from './commands.js';

/** Records the signals (a context's zone must be a known IANA zone); returns their new ids. */
export async function recordSignals(context: CommandContext, userId: string, inputs: readonly SignalInput[]): Promise<string[]> {
  if (inputs.length === 0) return [];
  for (const input of inputs)
    if (input.kind === 'context' && !isValidTimeZone(input.timezone)) throw new ValidationError(`unknown time zone ${input.timezone}`);
  const signals = inputs.map((input) => ({ signalId: createId('sig'), input }));
  await runCommand(context, userId, () => ({ type: 'record_signals', signals }));
  return signals.map((signal) => signal.signalId);
}
