/**
 * The event naming rules of docs/naming.md (ADR 0012), checked over every product's list of event types and over the
 * events of the upgrade fixture (a database made by an older main) as today's event store hands them out, upcasters
 * applied: types snake_case, unprefixed and owned by exactly one product; one product per stream category; data keys
 * camelCase at every depth, except the listed maps keyed by data and documents of an outside format.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatEventTypes } from '../../src/chat/domain/events.js';
import { parseConfig } from '../../src/core/config.js';
import { silentLogger } from '../../src/core/logger.js';
import { openRuntime, type Runtime } from '../../src/runtime.js';
import type { RecordedEvent } from '../../src/store/index.js';
import { tipsEventTypes } from '../../src/tips/domain/events.js';
import { villageEventTypes } from '../../src/village/domain/events.js';

type Product = 'village' | 'chat' | 'tips';

const eventTypes: Record<Product, readonly string[]> = {
  village: villageEventTypes,
  chat: chatEventTypes,
  tips: tipsEventTypes,
};

/** Which product owns each stream category (docs/naming.md). */
const categoryOwners: Record<string, Product> = {
  world: 'village',
  village: 'village',
  you: 'chat',
  bot: 'chat',
  chat: 'chat',
  user: 'tips',
};

/** Objects whose keys are data, not names: their whole subtree keeps its keys. `path` is below `data`. */
const keptKeys: ReadonlyArray<{ type: string; path: string; reason: string }> = [
  { type: 'clock_advanced', path: 'moves', reason: 'a map from NPC id to place id' },
  { type: 'clock_advanced', path: 'blocks', reason: 'a map from NPC id to routine block' },
  { type: 'bot_authored', path: 'card', reason: "a Character Card V3 stored verbatim, with the spec's keys" },
];

/**
 * Products whose renames have not landed on main yet. Their violations are printed instead of failing the test, and
 * must stay of the kind named here. Remove the entry in the commit that lands the product's rename.
 */
const pendingRenames: Partial<Record<Product, { types?: true; dataKeys?: true; why: string }>> = {
  chat: { dataKeys: true, why: 'stored data keys are snake_case until its camelCase rename and upcaster land' },
};

/**
 * A type may start with a product's name only where that word is the thing the event is about: a chat (`chat_created`)
 * or, stored since the seed and covered by the village log hash, `village_event`.
 */
const entityFirstWords: Record<Product, readonly string[]> = { village: [], chat: ['chat'], tips: [] };
const storedWithProductName = new Set(['village_event']);

function productPrefix(product: Product, type: string): boolean {
  const first = type.split('_')[0] ?? '';
  return first in eventTypes && !entityFirstWords[product].includes(first) && !storedWithProductName.has(type);
}

const snakeCase = /^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$/;
const camelCase = /^[a-z][a-zA-Z0-9]*$/;

interface Violation {
  product: Product;
  kind: 'types' | 'dataKeys';
  text: string;
}

function ownerOf(type: string): Product[] {
  return (Object.keys(eventTypes) as Product[]).filter((product) => eventTypes[product].includes(type));
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Keys that are not camelCase, as `path.key`, skipping the listed subtrees. */
function badDataKeys(type: string, data: unknown): string[] {
  const kept = new Set(keptKeys.filter((entry) => entry.type === type).map((entry) => entry.path));
  const found: string[] = [];
  const walk = (value: unknown, path: string): void => {
    if (Array.isArray(value)) {
      for (const item of value) walk(item, `${path}[]`);
      return;
    }
    if (!isPlainObject(value)) return;
    for (const [key, nested] of Object.entries(value)) {
      const at = path === '' ? key : `${path}.${key}`;
      if (kept.has(at)) continue;
      if (!camelCase.test(key)) found.push(at);
      walk(nested, at);
    }
  };
  walk(data, '');
  return found;
}

/** Fails with the violations of products not pending; prints (and bounds the kind of) the pending ones. */
function judge(violations: Violation[], label: string, kind: Violation['kind']): void {
  const failing = violations.filter((violation) => !pendingRenames[violation.product]);
  const pending = violations.filter((violation) => pendingRenames[violation.product]);
  if (pending.length > 0) {
    const products = [...new Set(pending.map((violation) => violation.product))];
    console.warn(
      `event naming, ${label}: PENDING renames (${products.map((product) => `${product}: ${pendingRenames[product]?.why}`).join('; ')}):\n  ${[
        ...new Set(pending.map((violation) => `${violation.product}: ${violation.text}`)),
      ]
        .slice(0, 40)
        .join('\n  ')}`,
    );
  }
  for (const product of Object.keys(pendingRenames) as Product[])
    if (pendingRenames[product]?.[kind] && !violations.some((violation) => violation.product === product))
      console.warn(`event naming, ${label}: ${product} passes now; remove it from pendingRenames`);
  expect(pending.filter((violation) => !pendingRenames[violation.product]?.[violation.kind])).toEqual([]);
  expect([...new Set(failing.map((violation) => `${violation.product}: ${violation.text}`))]).toEqual([]);
}

describe('event type lists', () => {
  it('are snake_case and name no product', () => {
    const violations: Violation[] = [];
    for (const [product, types] of Object.entries(eventTypes) as Array<[Product, readonly string[]]>) {
      expect(types.length).toBeGreaterThan(0);
      for (const type of types) {
        if (!snakeCase.test(type)) violations.push({ product, kind: 'types', text: `${type} is not snake_case` });
        else if (productPrefix(product, type)) violations.push({ product, kind: 'types', text: `${type} starts with a product's name` });
      }
    }
    judge(violations, 'type lists', 'types');
  });

  it('are unique across products', () => {
    const all = Object.values(eventTypes).flat();
    const repeated = all.filter((type, index) => all.indexOf(type) !== index);
    expect(repeated).toEqual([]);
  });

  it('the checks catch what they are for', () => {
    expect(snakeCase.test('tips.tip_decided')).toBe(false);
    expect(snakeCase.test('tip_decided')).toBe(true);
    expect(badDataKeys('chat_created', { chat_id: 'c', nested: [{ turnId: 't', pov_summary: 's' }] })).toEqual([
      'chat_id',
      'nested[].pov_summary',
    ]);
    expect(badDataKeys('clock_advanced', { moves: { npc_sanni: 'place_kahvio' } })).toEqual([]);
    expect(badDataKeys('day_started', { moves: { npc_sanni: 'place_kahvio' } })).toEqual(['moves.npc_sanni']);
  });
});

describe('events of the upgrade fixture, read with today’s code', () => {
  const expected = JSON.parse(readFileSync(new URL('../upgrade/expected.json', import.meta.url), 'utf8')) as {
    madeBy: string;
    configText: string;
  };
  let scratch: string;
  let runtime: Runtime;
  let events: RecordedEvent[] = [];

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'koivulahti-naming-'));
    const copy = join(scratch, 'fixture.db');
    copyFileSync(new URL(`../upgrade/main-${expected.madeBy}.db`, import.meta.url), copy);
    const config = parseConfig({ fileText: `${expected.configText}\n[database]\nsqlite_path = ${JSON.stringify(copy)}\n` });
    runtime = await openRuntime(config, silentLogger);
    for (let batch = await runtime.store.readAll({ limit: 1_000 }); batch.length > 0; ) {
      events = events.concat(batch);
      batch = await runtime.store.readAll({ after: batch[batch.length - 1]?.position ?? 0, limit: 1_000 });
    }
  }, 60_000);

  afterAll(async () => {
    await runtime?.close();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('are all of a known type, owned by the product of their stream category', () => {
    expect(events.length).toBeGreaterThan(500);
    const unowned = new Set<string>();
    for (const event of events) {
      const category = event.streamId.slice(0, event.streamId.indexOf('-'));
      const product = categoryOwners[category];
      expect(product, `stream category of ${event.streamId}`).toBeDefined();
      const owners = ownerOf(event.type);
      // A stored type no product lists any more is a rename without an upcaster.
      if (owners.length === 0) unowned.add(`${event.type} (on ${category}-…)`);
      else expect(owners, `${event.type} on ${event.streamId}`).toEqual([product]);
    }
    expect([...unowned]).toEqual([]);
  });

  it('have camelCase data keys, except maps keyed by data and outside documents', () => {
    const violations: Violation[] = [];
    for (const event of events) {
      const product = categoryOwners[event.streamId.slice(0, event.streamId.indexOf('-'))];
      if (!product) continue;
      for (const key of badDataKeys(event.type, event.data))
        violations.push({ product, kind: 'dataKeys', text: `${event.type}: data.${key}` });
    }
    expect(events.some((event) => event.type === 'clock_advanced')).toBe(true);
    judge(violations, 'data keys', 'dataKeys');
  });
});
