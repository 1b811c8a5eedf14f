/** The key-value store conformance suite, run against every adapter by messaging.test.ts. */
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../core/errors.js';
import { eventually, type Harness, type SuiteOptions, useHarnesses } from './conformance-harness.js';
import type { KvStore } from './ports.js';

// ---------- Key-value store ----------

export type KvStoreFactory = () => Promise<Harness<KvStore>>;

export function describeKvStoreConformance(name: string, factory: KvStoreFactory, options: SuiteOptions = {}): void {
  describe.skipIf(options.skip)(`kv store conformance: ${name}`, () => {
    const open = useHarnesses(factory);
    kvStoreReadWriteCases(open);
    kvStoreExpiryCases(open);
  });
}

function kvStoreReadWriteCases(open: (options: unknown) => Promise<Harness<KvStore>>): void {
  it('given a key, when put twice, then get returns the latest value and the revision increased', async () => {
    const { port: kv } = await open(undefined);
    expect(await kv.get('run.flag')).toBeUndefined();
    const first = await kv.put('run.flag', { running: true });
    expect(first).toBeGreaterThan(0);
    expect(await kv.get('run.flag')).toEqual({ key: 'run.flag', value: { running: true }, revision: first });

    const second = await kv.put('run.flag', { running: false });
    expect(second).toBeGreaterThan(first);
    expect(await kv.get('run.flag')).toEqual({ key: 'run.flag', value: { running: false }, revision: second });
  });

  it('given values of every JSON type and keys with unusual characters, when read back, then they are unchanged', async () => {
    const { port: kv } = await open(undefined);
    const values: [string, unknown][] = [
      ['llm-cache/3f2a', 'a plain string'],
      ['numbers', 42],
      ['list', [1, 'two', { three: 3 }]],
      ['nothing', null],
      ['Käyttäjä 42: äänet', { ok: true }],
      ['=looks-encoded', 'raw'],
      ['dots..and.', 'odd'],
    ];
    for (const [key, value] of values) await kv.put(key, value);
    for (const [key, value] of values) expect(await kv.get(key)).toMatchObject({ key, value });
    await expect(kv.put('', 1)).rejects.toBeInstanceOf(ValidationError);
  });

  it('given compare-and-set, when the expected revision matches it writes, when it does not it reports undefined', async () => {
    const { port: kv } = await open(undefined);
    const created = await kv.compareAndSet('lease.engine', null, { owner: 'a' });
    expect(created).toBeGreaterThan(0);
    expect(await kv.compareAndSet('lease.engine', null, { owner: 'b' })).toBeUndefined();

    const updated = await kv.compareAndSet('lease.engine', created as number, { owner: 'a', renewed: true });
    expect(updated).toBeGreaterThan(created as number);
    expect(await kv.compareAndSet('lease.engine', created as number, { owner: 'c' })).toBeUndefined();
    expect(await kv.compareAndSet('never.written', 1, { owner: 'd' })).toBeUndefined();
    expect(await kv.get('never.written')).toBeUndefined();
    expect(await kv.get('lease.engine')).toEqual({ key: 'lease.engine', value: { owner: 'a', renewed: true }, revision: updated });
  });
}

function kvStoreExpiryCases(open: (options: unknown) => Promise<Harness<KvStore>>): void {
  it('given 8 writers racing with compare-and-set, when they all expect the same revision, then exactly one wins', async () => {
    const { port: kv } = await open(undefined);
    const writers = Array.from({ length: 8 }, (_, index) => index);

    const creations = await Promise.all(writers.map((index) => kv.compareAndSet('lease.race', null, { writer: index })));
    const creators = writers.filter((index) => creations[index] !== undefined);
    expect(creators).toHaveLength(1);
    const afterCreate = await kv.get('lease.race');
    expect(afterCreate).toEqual({ key: 'lease.race', value: { writer: creators[0] }, revision: creations[creators[0] as number] });

    const revision = afterCreate?.revision as number;
    const updates = await Promise.all(writers.map((index) => kv.compareAndSet('lease.race', revision, { writer: index, round: 2 })));
    const updaters = writers.filter((index) => updates[index] !== undefined);
    expect(updaters).toHaveLength(1);
    expect((await kv.get('lease.race'))?.value).toEqual({ writer: updaters[0], round: 2 });
  });

  it('given a key with a TTL, when it expires, then it reads as absent and compare-and-set with null takes it over', async () => {
    const { port: kv } = await open(undefined);
    const shortLived = await kv.put('lock.render', { owner: 'a' }, { ttlMs: 150 });
    const lasting = await kv.put('lock.other', { owner: 'b' }, { ttlMs: 60_000 });
    expect(await kv.get('lock.render')).toMatchObject({ value: { owner: 'a' } });
    expect(await kv.compareAndSet('lock.render', null, { owner: 'b' })).toBeUndefined();

    await eventually(async () => (await kv.get('lock.render')) === undefined, 'the key to expire');
    expect(await kv.compareAndSet('lock.render', shortLived, { owner: 'late' })).toBeUndefined();
    const takenOver = await kv.compareAndSet('lock.render', null, { owner: 'b' }, { ttlMs: 60_000 });
    expect(takenOver).toBeGreaterThan(shortLived);
    expect(await kv.get('lock.render')).toEqual({ key: 'lock.render', value: { owner: 'b' }, revision: takenOver });
    expect(await kv.get('lock.other')).toMatchObject({ revision: lasting });
  });

  it('given a deleted key, when read or compared, then it is absent and old revisions cannot write it', async () => {
    const { port: kv } = await open(undefined);
    const before = await kv.put('chat.7.draft', 'text');
    await kv.delete('chat.7.draft');
    await kv.delete('chat.7.draft');
    await kv.delete('never.existed');
    expect(await kv.get('chat.7.draft')).toBeUndefined();
    expect(await kv.compareAndSet('chat.7.draft', before, 'stale write')).toBeUndefined();

    const recreated = await kv.compareAndSet('chat.7.draft', null, 'new text');
    expect(recreated).toBeGreaterThan(before);
    expect(await kv.get('chat.7.draft')).toEqual({ key: 'chat.7.draft', value: 'new text', revision: recreated });
  });
}
