import { describe, expect, it } from 'vitest';
import { Rng } from '../../core/rng.js';
import { loadCatalog } from '../services/catalog-loader.js';
import { buildCatalogIndex } from './context.js';
import { evolve, runTick } from './engine.js';
import type { Happening, VillageEvent } from './events.js';
import { createInitialState, relationshipKey, type VillageState } from './state.js';
import { defaultVillageSettings } from './village-settings.js';

const { catalog } = loadCatalog();
const index = buildCatalogIndex(catalog, defaultVillageSettings);

function happening(overrides: Partial<Happening>): VillageEvent {
  return {
    type: 'village_event',
    data: {
      id: 'ev_1',
      type: 'argument',
      category: 'conflict',
      tick: 10,
      simTime: '2026-05-04T02:30:00+03:00',
      place: 'place_tori',
      actors: ['npc_leena'],
      targets: ['npc_juhani'],
      severity: 0.4,
      publicness: 0.5,
      valence: -0.6,
      origin: 'routine',
      depth: 0,
      effects: [],
      followUps: [],
      impact: { score: 0.3, components: { severity: 0.4, publicness: 0.5, novelty: 1, conflict: 1, status: 0.9, cascade: 0.1 } },
      renders: [],
      ...overrides,
    },
  };
}

const npc = (state: VillageState, id: string) => state.npcs.find((entry) => entry.id === id) as VillageState['npcs'][number];

describe('effects', () => {
  it('given an edge near its floor, when a harsh argument lands, then affinity and trust are clamped to their ranges', () => {
    const state = createInitialState(catalog, defaultVillageSettings);
    const key = relationshipKey('npc_leena', 'npc_juhani');
    Object.assign(state.relationships[key] as object, { affinity: -0.97, trust: 0.02 });
    evolve(
      state,
      happening({ effects: [{ kind: 'relationship', from: 'npc_leena', to: 'npc_juhani', affinity: -0.1, trust: -0.05, respect: 0.9 }] }),
    );
    expect(state.relationships[key]).toMatchObject({ affinity: -1, trust: 0, respect: 1 });
  });

  it('given strangers, when they meet, then a neutral edge is created and changed, and tags are added and removed', () => {
    const state = createInitialState(catalog, defaultVillageSettings);
    const key = relationshipKey('npc_ville', 'npc_kaisa');
    expect(state.relationships[key]).toBeUndefined();
    evolve(
      state,
      happening({
        effects: [{ kind: 'relationship', from: 'npc_ville', to: 'npc_kaisa', affinity: 0.05, trust: 0, respect: 0.02, addTag: 'mentor' }],
      }),
    );
    expect(state.relationships[key]).toEqual({ affinity: 0.05, trust: 0.3, respect: 0.32, tags: ['mentor'] });
    evolve(
      state,
      happening({
        effects: [{ kind: 'relationship', from: 'npc_ville', to: 'npc_kaisa', affinity: 0, trust: 0, respect: 0, removeTag: 'mentor' }],
      }),
    );
    expect(state.relationships[key]?.tags).toEqual([]);
  });

  it('given moods, energies and reputations, when deltas push past the bounds, then they stay within [-1, 1] and [0, 1]', () => {
    const state = createInitialState(catalog, defaultVillageSettings);
    evolve(
      state,
      happening({
        effects: [
          { kind: 'mood', npc: 'npc_leena', delta: -1 },
          { kind: 'mood', npc: 'npc_leena', delta: -1 },
          { kind: 'energy', npc: 'npc_leena', delta: 0.5 },
          { kind: 'reputation', npc: 'npc_juhani', delta: -0.7 },
        ],
      }),
    );
    expect(npc(state, 'npc_leena')).toMatchObject({ mood: -1, energy: 1 });
    expect(npc(state, 'npc_juhani').reputation).toBe(0);
  });

  it('given a full memory, when a new memory arrives, then the least important one is forgotten', () => {
    const state = createInitialState(catalog, { memoryCapacity: 2 });
    const remember = (id: string, importance: number) =>
      evolve(state, happening({ id, effects: [{ kind: 'memory', npc: 'npc_leena', importance, valence: -0.6, with: ['npc_juhani'] }] }));
    remember('ev_a', 0.5);
    remember('ev_b', 0.2);
    remember('ev_c', 0.9);
    expect(npc(state, 'npc_leena').memories.map((memory) => memory.eventId)).toEqual(['ev_a', 'ev_c']);
  });

  it('given a goal, when progress passes 1, then it is capped at 1', () => {
    const state = createInitialState(catalog, defaultVillageSettings);
    for (let step = 0; step < 8; step++)
      evolve(
        state,
        happening({ id: `ev_${step}`, effects: [{ kind: 'goal', npc: 'npc_leena', goal: 'goal_leena_save_library', delta: 0.15 }] }),
      );
    expect(state.goals.goal_leena_save_library).toBe(1);
  });

  it('given the participants, when the event happens, then they are at its place and it is remembered for variety and novelty', () => {
    const state = createInitialState(catalog, defaultVillageSettings);
    evolve(
      state,
      happening({
        followUps: [
          { id: 'ev_1_f1', dueTick: 30, type: 'apology', actors: ['npc_leena'], targets: ['npc_juhani'], origin: 'follow_up', depth: 1 },
        ],
      }),
    );
    expect(npc(state, 'npc_leena').location).toBe('place_tori');
    expect(npc(state, 'npc_juhani').location).toBe('place_tori');
    expect(state.lastSeen['argument:npc_juhani,npc_leena']).toBe(10);
    expect(state.typeTicks.argument).toEqual([10]);
    expect(state.pending.map((pending) => pending.id)).toContain('ev_1_f1');
    expect(state.sequence).toBe(1);
  });

  it("given the kick-off argument, when its tick runs, then the type's effects are resolved for both directions within the jitter", () => {
    let state = createInitialState(catalog, defaultVillageSettings);
    const context = { index, rng: Rng.fromSeed(1) };
    const events: VillageEvent[] = [];
    for (let step = 0; step < 52; step++) {
      const result = runTick(state, context);
      state = result.state;
      events.push(...result.events);
    }
    const argument = events.find((event) => event.type === 'village_event' && event.data.pendingId === 'kickoff_4');
    expect(argument?.type).toBe('village_event');
    const data = (argument as { data: Happening }).data;
    expect(data).toMatchObject({
      type: 'argument',
      actors: ['npc_leena'],
      targets: ['npc_juhani'],
      place: 'place_kahvio',
      origin: 'kickoff',
    });
    expect(data.simTime).toBe('2026-05-04T12:15:00+03:00');
    const relationships = data.effects.filter((effect) => effect.kind === 'relationship');
    expect(relationships.map((effect) => `${effect.from}->${effect.to}`)).toEqual(['npc_leena->npc_juhani', 'npc_juhani->npc_leena']);
    for (const effect of relationships) {
      if (effect.kind !== 'relationship') continue;
      expect(effect.affinity).toBeGreaterThanOrEqual(-0.1);
      expect(effect.affinity).toBeLessThanOrEqual(-0.06);
    }
    expect(data.effects.filter((effect) => effect.kind === 'memory').map((effect) => effect.kind === 'memory' && effect.npc)).toEqual([
      'npc_leena',
      'npc_juhani',
    ]);
  });
});
