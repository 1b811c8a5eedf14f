/**
 * The token vault: provider tokens encrypted with AES-256-GCM, stored as `v1:<kid>:<iv>:<ct>:<tag>` (base64url parts)
 * with AAD = `<user>|<provider>`, so a ciphertext moved to another user or provider fails to decrypt. Keys come from
 * configuration as `kid:base64key` pairs; the active key encrypts, every listed key decrypts, and `rotate()`
 * re-encrypts every stored token with the active key. Plaintext tokens are never logged, never exported and never
 * part of an error message.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Clock } from '../../../core/clock.js';
import { AppError, ValidationError } from '../../../core/errors.js';
import type { StoreDatabase } from '../../../store/index.js';

export class VaultError extends AppError {
  constructor(message: string) {
    super('internal', message);
    this.name = 'VaultError';
  }
}

export interface VaultKeys {
  active: string;
  keys: ReadonlyMap<string, Buffer>;
}

const kidPattern = /^[A-Za-z0-9_-]{1,32}$/;

/** Parses `kid:base64key[,kid:base64key...]`; each key must be 32 bytes. The active key defaults to the first. */
export function parseVaultKeys(text: string, active?: string): VaultKeys | undefined {
  const entries = text
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  if (entries.length === 0) return undefined;
  const keys = new Map<string, Buffer>();
  for (const entry of entries) {
    const separator = entry.indexOf(':');
    const kid = entry.slice(0, separator);
    if (separator < 1 || !kidPattern.test(kid)) throw new ValidationError('token key ids must be 1-32 of A-Z a-z 0-9 _ -');
    const key = Buffer.from(entry.slice(separator + 1), 'base64');
    if (key.length !== 32) throw new ValidationError(`token key ${kid} must be 32 bytes (base64), got ${key.length}`);
    if (keys.has(kid)) throw new ValidationError(`token key ${kid} is listed twice`);
    keys.set(kid, key);
  }
  const chosen = active || (entries[0] as string).slice(0, (entries[0] as string).indexOf(':'));
  if (!keys.has(chosen)) throw new ValidationError(`the active token key ${chosen} is not among the configured keys`);
  return { active: chosen, keys };
}

/** A fresh `kid:base64key` pair for configuration. */
export function generateVaultKey(kid: string, random: (size: number) => Buffer = randomBytes): string {
  if (!kidPattern.test(kid)) throw new ValidationError('token key ids must be 1-32 of A-Z a-z 0-9 _ -');
  return `${kid}:${random(32).toString('base64')}`;
}

const aadOf = (userId: string, provider: string) => Buffer.from(`${userId}|${provider}`, 'utf8');

export function encryptToken(keys: VaultKeys, userId: string, provider: string, token: string, iv: Buffer = randomBytes(12)): string {
  const key = keys.keys.get(keys.active) as Buffer;
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(aadOf(userId, provider));
  const ciphertext = Buffer.concat([cipher.update(token, 'utf8'), cipher.final()]);
  const tag = cipher.getAuthTag();
  return ['v1', keys.active, iv.toString('base64url'), ciphertext.toString('base64url'), tag.toString('base64url')].join(':');
}

/** The key id of a stored value. */
export function keyIdOf(stored: string): string {
  return stored.split(':')[1] ?? '';
}

export function decryptToken(keys: VaultKeys, userId: string, provider: string, stored: string): string {
  const parts = stored.split(':');
  if (parts.length !== 5 || parts[0] !== 'v1') throw new VaultError('stored token is not in the v1:kid:iv:ct:tag format');
  const [, kid, iv, ciphertext, tag] = parts as [string, string, string, string, string];
  const key = keys.keys.get(kid);
  if (!key) throw new VaultError(`stored token uses the unknown key ${kid}`);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(aadOf(userId, provider));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
  } catch {
    // Never the token or the key in the message.
    throw new VaultError(`stored ${provider} token of ${userId} failed authentication (tampered, or the wrong key)`);
  }
}

export interface TokenRow {
  user_id: string;
  provider: string;
  ciphertext: string;
  key_id: string;
  scope: string;
  created_at: number;
  updated_at: number;
}

type Tables = { tips_tokens: TokenRow };

/** The `tips_tokens` table through the vault. */
export class TokenVault {
  private readonly db: Kysely<Tables>;

  constructor(
    database: StoreDatabase,
    private readonly keys: VaultKeys | undefined,
    private readonly clock: Clock,
  ) {
    this.db = database.db as Kysely<Tables>;
  }

  get configured(): boolean {
    return this.keys !== undefined;
  }

  private requireKeys(): VaultKeys {
    if (!this.keys) throw new AppError('config_invalid', 'no token keys are configured ([tips] token_keys / TIPS_TOKEN_KEYS)');
    return this.keys;
  }

  async put(userId: string, provider: string, token: string, scope = ''): Promise<void> {
    const keys = this.requireKeys();
    const now = this.clock.now();
    const ciphertext = encryptToken(keys, userId, provider, token);
    await this.db
      .insertInto('tips_tokens')
      .values({ user_id: userId, provider, ciphertext, key_id: keys.active, scope, created_at: now, updated_at: now })
      .onConflict((conflict) =>
        conflict.columns(['user_id', 'provider']).doUpdateSet({ ciphertext, key_id: keys.active, scope, updated_at: now }),
      )
      .execute();
  }

  async get(userId: string, provider: string): Promise<string | undefined> {
    const row = await this.db
      .selectFrom('tips_tokens')
      .select(['ciphertext'])
      .where('user_id', '=', userId)
      .where('provider', '=', provider)
      .executeTakeFirst();
    return row === undefined ? undefined : decryptToken(this.requireKeys(), userId, provider, row.ciphertext);
  }

  /** Which providers hold a token for the user, without the tokens. */
  async list(userId: string): Promise<Array<{ provider: string; keyId: string; scope: string; createdAt: number; updatedAt: number }>> {
    const rows = await this.db.selectFrom('tips_tokens').selectAll().where('user_id', '=', userId).orderBy('provider').execute();
    return rows.map((row) => ({
      provider: row.provider,
      keyId: row.key_id,
      scope: row.scope,
      createdAt: Number(row.created_at),
      updatedAt: Number(row.updated_at),
    }));
  }

  async remove(userId: string, provider?: string): Promise<number> {
    let query = this.db.deleteFrom('tips_tokens').where('user_id', '=', userId);
    if (provider !== undefined) query = query.where('provider', '=', provider);
    const result = await query.executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /** Re-encrypts every stored token with the active key (fresh IVs); returns how many. */
  async rotate(): Promise<{ rotated: number; keyId: string }> {
    const keys = this.requireKeys();
    const rows = await this.db.selectFrom('tips_tokens').selectAll().execute();
    let rotated = 0;
    for (const row of rows) {
      const token = decryptToken(keys, row.user_id, row.provider, row.ciphertext);
      await this.db
        .updateTable('tips_tokens')
        .set({ ciphertext: encryptToken(keys, row.user_id, row.provider, token), key_id: keys.active, updated_at: this.clock.now() })
        .where('user_id', '=', row.user_id)
        .where('provider', '=', row.provider)
        .where('ciphertext', '=', row.ciphertext)
        .execute();
      rotated++;
    }
    return { rotated, keyId: keys.active };
  }
}
