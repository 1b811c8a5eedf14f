import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CatalogError, defaultCatalogDirectory, loadCatalog } from './catalog-loader.js';

describe('the default Koivulahti catalog', () => {
  const { catalog, hash } = loadCatalog();

  it('meets the content floor of issue 4', () => {
    expect(catalog.world).toMatchObject({ id: 'koivulahti', language: 'fi', timezone: 'Europe/Helsinki', tickMinutes: 15 });
    expect(catalog.places.length).toBeGreaterThanOrEqual(10);
    for (const place of [
      'place_kahvio',
      'place_kauppa',
      'place_koulu',
      'place_kirjasto',
      'place_satama',
      'place_kunnantalo',
      'place_kirkko',
      'place_sauna',
      'place_tori',
      'place_urheilukentta',
    ])
      expect(catalog.places.map((entry) => entry.id)).toContain(place);
    expect(catalog.places.some((place) => place.kind === 'home')).toBe(true);
    expect(catalog.npcs.length).toBeGreaterThanOrEqual(16);
    expect(catalog.npcs.map((npc) => npc.id)).toEqual(expect.arrayContaining(['npc_sanni', 'npc_leena']));
    expect(catalog.relationships.length).toBeGreaterThanOrEqual(60);
    expect(catalog.eventTypes.length).toBeGreaterThanOrEqual(24);
    expect(new Set(catalog.eventTypes.map((type) => type.category))).toEqual(
      new Set(['everyday', 'conflict', 'community', 'life', 'town']),
    );
    expect(catalog.kickoff.events.length).toBeGreaterThan(0);
    expect(catalog.channels.thresholds).toEqual({ FEED: 0.4, CHAT: 0.25, NEWS: 0.65 });
    expect(catalog.channels.newspaper.name).toBe('Koivulahden Sanomat');
    expect(catalog.npcs.find((npc) => npc.id === catalog.channels.newspaper.reporter)?.roles).toContain('reporter');
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('gives every NPC goals and both routines, and every default channel a Finnish and an English template', () => {
    for (const npc of catalog.npcs) {
      expect(catalog.goals.some((goal) => goal.npc === npc.id)).toBe(true);
      expect(Object.keys(npc.routine.weekday).length).toBeGreaterThan(2);
      expect(Object.keys(npc.routine.weekend).length).toBeGreaterThan(2);
    }
    for (const type of catalog.eventTypes)
      for (const channel of type.channels) {
        expect(type.templates[channel]?.fi).toBeTruthy();
        expect(type.templates[channel]?.en).toBeTruthy();
      }
  });
});

describe('a broken catalog', () => {
  let directory: string;
  beforeEach(() => {
    directory = mkdtempSync(join(tmpdir(), 'koivulahti-catalog-'));
    cpSync(defaultCatalogDirectory, directory, { recursive: true });
  });
  afterEach(() => rmSync(directory, { recursive: true, force: true }));

  const edit = (file: string, change: (value: never) => void) => {
    const path = join(directory, file);
    const value = JSON.parse(readFileSync(path, 'utf8'));
    change(value as never);
    writeFileSync(path, JSON.stringify(value));
  };
  const messages = () => {
    try {
      loadCatalog(directory);
    } catch (error) {
      expect(error).toBeInstanceOf(CatalogError);
      return (error as CatalogError).issues.map((issue) => `${issue.file}: ${issue.path}: ${issue.message}`);
    }
    throw new Error('the catalog loaded');
  };

  it('names the file and path of an edge to a missing NPC', () => {
    edit('relationships.json', (edges: { to: string }[]) => {
      (edges[12] as { to: string }).to = 'npc_matti';
    });
    expect(messages()).toContain('relationships.json: $[12].to: unknown NPC "npc_matti"');
  });

  it('names a routine that goes to an unknown place', () => {
    edit('npcs.json', (npcs: { routine: { weekday: Record<string, unknown> } }[]) => {
      (npcs[2] as { routine: { weekday: Record<string, unknown> } }).routine.weekday['7'] = 'place_baari';
    });
    expect(messages()).toContain('npcs.json: $[2].routine.weekday["7"]: unknown place "place_baari"');
  });

  it('names a follow-up probability above 1', () => {
    edit('event-types.json', (types: { followUps: { probability: number }[] }[]) => {
      (types[2]?.followUps[0] as { probability: number }).probability = 1.5;
    });
    expect(messages()).toContain('event-types.json: $[2].followUps[0].probability: probability must be at most 1');
  });

  it('names a duplicate id', () => {
    edit('places.json', (places: { id: string }[]) => {
      (places[3] as { id: string }).id = 'place_kahvio';
    });
    expect(messages()).toEqual(expect.arrayContaining(['places.json: $[3].id: duplicate id "place_kahvio"']));
  });

  it('names unknown allowed places and follow-ups naming unknown event types', () => {
    edit('event-types.json', (types: { places: string[]; followUps: { type: string }[] }[]) => {
      (types[0] as { places: string[] }).places.push('place_baari', '@forest');
      (types[2]?.followUps[0] as { type: string }).type = 'bar_fight';
    });
    expect(messages()).toEqual(
      expect.arrayContaining([
        'event-types.json: $[0].places[3]: unknown place "place_baari"',
        'event-types.json: $[0].places[4]: unknown place kind "@forest" (one of @home, @public, @work, @outdoor)',
        'event-types.json: $[2].followUps[0].type: unknown event type "bar_fight"',
      ]),
    );
  });

  it('names a kick-off time off the tick grid and a home that is not a home', () => {
    edit('kickoff.json', (kickoff: { events: { at: string }[] }) => {
      (kickoff.events[1] as { at: string }).at = '07:20';
    });
    edit('npcs.json', (npcs: { home: string }[]) => {
      (npcs[4] as { home: string }).home = 'place_tori';
    });
    expect(messages()).toEqual(
      expect.arrayContaining([
        'kickoff.json: $.events[1].at: "07:20" is not a time of day on a 15-minute tick',
        'npcs.json: $[4].home: "place_tori" is not a home (its kind is outdoor)',
      ]),
    );
  });

  it('reports a file that is not JSON, a missing file and a misspelt field', () => {
    writeFileSync(join(directory, 'goals.json'), '[{');
    rmSync(join(directory, 'kickoff.json'));
    edit('world.json', (world: Record<string, unknown>) => {
      world.tickMinuts = 15;
    });
    const found = messages();
    expect(found.some((message) => message.startsWith('goals.json: $: not valid JSON'))).toBe(true);
    expect(found).toContain('kickoff.json: $: cannot read: ENOENT');
    expect(found.some((message) => message.startsWith('world.json: $: Unrecognized key'))).toBe(true);
  });
});
