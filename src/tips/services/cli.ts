/**
 * `koivulahti tips <subcommand>`: off-policy evaluation and promotion, token-key rotation and generation, export and
 * deletion. The top-level CLI opens (and migrates) the configured database and hands it here.
 */
import { writeFileSync } from 'node:fs';
import { type Clock, systemClock } from '../../core/clock.js';
import type { Config } from '../../core/config.js';
import { ValidationError } from '../../core/errors.js';
import { EventStore, type StoreDatabase } from '../../store/index.js';
import { tipsUpcasters } from '../domain/events.js';
import { formatEvaluation, policyNames } from '../domain/shadow.js';
import { decisionLogProjection } from '../read-model/decision-log.js';
import { generateVaultKey } from './privacy/vault.js';
import { TipsService } from './tips-service.js';

export const tipsSubcommands = ['evaluate', 'promote', 'rotate-keys', 'keygen', 'export', 'delete'] as const;

export const tipsUsage = `  tips evaluate --policy NAME [--user ID]   IPS, SNIPS, DR and Switch-DR with 95 % intervals vs the serving policy
                                           (policies: ${policyNames.join(', ')})
  tips promote --policy NAME [--override --reason TEXT] [--user ID]
                                           promote when the lower bound beats the incumbent; an override is recorded
  tips rotate-keys                         re-encrypt every stored token with [tips] token_active_key
  tips keygen --kid ID                     print a new token key (kid:base64) for [tips] token_keys
  tips export [--user ID] [--out FILE]     everything about the user as JSON
  tips delete --user ID                    revoke the user's tokens and remove every row of the user`;

export interface TipsCommandInput {
  subcommand: string | undefined;
  values: Record<string, string | boolean | undefined>;
  config: Config;
  /** Opens the migrated configured database (not needed by keygen). */
  openDatabase: () => Promise<StoreDatabase>;
  print: (line: string) => void;
  clock?: Clock;
}

const text = (value: string | boolean | undefined) => (typeof value === 'string' ? value : undefined);

export async function runTipsCommand(input: TipsCommandInput): Promise<void> {
  const { subcommand, values, config, print } = input;
  if (subcommand === undefined || !(tipsSubcommands as readonly string[]).includes(subcommand))
    throw new ValidationError(`tips needs a subcommand: ${tipsSubcommands.join(', ')}`);
  if (subcommand === 'keygen') {
    print(generateVaultKey(text(values.kid) ?? 'k1'));
    return;
  }
  const userId = text(values.user) ?? config.tips.user_id;
  if (subcommand === 'delete' && text(values.user) === undefined) throw new ValidationError('tips delete needs --user ID (explicitly)');
  const database = await input.openDatabase();
  const clock = input.clock ?? systemClock;
  const store = new EventStore(database, { clock, inlineProjections: [decisionLogProjection], upcasters: tipsUpcasters });
  const service = new TipsService({ config: config.tips, store, database, clock, userId });
  try {
    switch (subcommand) {
      case 'evaluate': {
        const policy = text(values.policy);
        if (policy === undefined) throw new ValidationError(`tips evaluate needs --policy NAME (${policyNames.join(', ')})`);
        print(formatEvaluation(await service.evaluate(policy)));
        return;
      }
      case 'promote': {
        const policy = text(values.policy);
        if (policy === undefined) throw new ValidationError(`tips promote needs --policy NAME (${policyNames.join(', ')})`);
        const result = await service.promote(policy, { override: values.override === true, reason: text(values.reason) });
        print(formatEvaluation(result.evaluation));
        print(
          result.promoted
            ? `Promoted ${policy}${result.verdict.promote ? '' : ' by override'}: ${result.verdict.reason}`
            : `Not promoted: ${result.verdict.reason}. Use --override --reason TEXT to promote anyway (recorded).`,
        );
        return;
      }
      case 'rotate-keys': {
        const { rotated, keyId } = await service.rotateTokenKeys();
        print(`Re-encrypted ${rotated} token(s) with key ${keyId}.`);
        return;
      }
      case 'export': {
        const json = JSON.stringify(await service.exportData(), null, 2);
        const out = text(values.out);
        if (out === undefined) print(json);
        else {
          writeFileSync(out, `${json}\n`, { mode: 0o600 });
          print(`Wrote the export of ${userId} to ${out}.`);
        }
        return;
      }
      case 'delete': {
        print(JSON.stringify(await service.deleteAccount(), null, 2));
        return;
      }
    }
  } finally {
    await store.close();
    await database.destroy();
  }
}
