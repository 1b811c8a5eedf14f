import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../core/clock.js';
import { openDatabase, runMigrations, storeMigrations } from '../../../store/index.js';
import { tipsMigrations } from '../../read-model/migrations.js';
import { decryptToken, encryptToken, generateVaultKey, keyIdOf, parseVaultKeys, TokenVault, VaultError } from './vault.js';

const k1 = generateVaultKey('k1');
const k2 = generateVaultKey('k2');
const keys = parseVaultKeys(k1) as NonNullable<ReturnType<typeof parseVaultKeys>>;

describe('token vault', () => {
  it('given a token, when encrypted, then it is stored as v1:kid:iv:ct:tag without the plaintext and decrypts back', () => {
    const stored = encryptToken(keys, 'alice', 'todoist', 'secret-token-123');
    expect(stored).toMatch(/^v1:k1:[\w-]+:[\w-]+:[\w-]+$/);
    expect(stored).not.toContain('secret-token-123');
    expect(decryptToken(keys, 'alice', 'todoist', stored)).toBe('secret-token-123');
  });

  it('given a tampered ciphertext, tag or iv, when decrypted, then it fails without naming the token', () => {
    const stored = encryptToken(keys, 'alice', 'todoist', 'secret-token-123');
    const parts = stored.split(':');
    for (const index of [2, 3, 4]) {
      const bytes = Buffer.from(parts[index] as string, 'base64url');
      bytes[0] = (bytes[0] as number) ^ 1;
      const tampered = parts.map((part, at) => (at === index ? bytes.toString('base64url') : part)).join(':');
      expect(() => decryptToken(keys, 'alice', 'todoist', tampered)).toThrow(VaultError);
      try {
        decryptToken(keys, 'alice', 'todoist', tampered);
      } catch (error) {
        expect((error as Error).message).not.toContain('secret-token-123');
      }
    }
  });

  it('given a ciphertext of one user and provider, when decrypted as another (AAD), then it fails', () => {
    const stored = encryptToken(keys, 'alice', 'todoist', 'secret-token-123');
    expect(() => decryptToken(keys, 'bob', 'todoist', stored)).toThrow(VaultError);
    expect(() => decryptToken(keys, 'alice', 'google', stored)).toThrow(VaultError);
  });

  it('given bad key material, when parsed, then it is refused', () => {
    expect(() => parseVaultKeys('k1:c2hvcnQ=')).toThrow(/32 bytes/);
    expect(() => parseVaultKeys(`${k1},${k1}`)).toThrow(/twice/);
    expect(() => parseVaultKeys(k1, 'k9')).toThrow(/not among/);
    expect(parseVaultKeys('')).toBeUndefined();
  });

  it('given tokens under k1, when k2 becomes active and the vault rotates, then every token is re-encrypted under k2 and still decrypts', async () => {
    const database = await openDatabase({ sqlitePath: ':memory:' });
    await runMigrations(database, [...storeMigrations, ...tipsMigrations]);
    const clock = new ManualClock(1_800_000_000_000);
    const old = new TokenVault(database, parseVaultKeys(k1), clock);
    await old.put('alice', 'todoist', 'token-a');
    await old.put('bob', 'todoist', 'token-b');
    await old.put('bob', 'calendar', 'token-c');
    const before = await database.db.selectFrom('tips_tokens').select(['ciphertext']).execute();

    const rotated = new TokenVault(database, parseVaultKeys(`${k1},${k2}`, 'k2'), clock);
    expect(await rotated.rotate()).toEqual({ rotated: 3, keyId: 'k2' });

    const after = await database.db.selectFrom('tips_tokens').select(['ciphertext', 'key_id']).execute();
    expect(after.map((row) => keyIdOf(row.ciphertext))).toEqual(['k2', 'k2', 'k2']);
    expect(after.map((row) => row.key_id)).toEqual(['k2', 'k2', 'k2']);
    for (const row of after) expect(before.map((old) => old.ciphertext)).not.toContain(row.ciphertext);
    const onlyK2 = new TokenVault(database, parseVaultKeys(k2), clock);
    expect([await onlyK2.get('alice', 'todoist'), await onlyK2.get('bob', 'todoist'), await onlyK2.get('bob', 'calendar')]).toEqual([
      'token-a',
      'token-b',
      'token-c',
    ]);
    await database.destroy();
  });
});
