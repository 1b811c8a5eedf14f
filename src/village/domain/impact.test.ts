import { describe, expect, it } from 'vitest';
import { loadCatalog } from '../services/catalog-loader.js';
import type { EventType } from './catalog-schema.js';
import { decideRenders, impactComponents, impactScore } from './impact.js';
import { defaultVillageSettings, settingsFromConfig } from './village-settings.js';

const { catalog } = loadCatalog();
const type = (id: string) => catalog.eventTypes.find((entry) => entry.id === id) as EventType;
const base = {
  severity: 0.2,
  publicness: 0.3,
  recentSameType: 0,
  category: 'everyday',
  valence: 0.3,
  status: 0.4,
  depth: 0,
  followUpProbability: 0,
};

describe('impact', () => {
  it('given a quiet everyday chat, when scored, then it stays below every channel threshold', () => {
    const components = impactComponents({ ...base, severity: 0.05, publicness: 0.3, recentSameType: 5 });
    expect(components).toEqual({ severity: 0.05, publicness: 0.3, novelty: 0.1667, conflict: 0, status: 0.4, cascade: 0 });
    expect(impactScore(components, defaultVillageSettings.impactWeights)).toBeLessThan(0.25);
  });

  it('given a public conflict among notable people, when scored, then it reaches NEWS', () => {
    const components = impactComponents({
      ...base,
      severity: 0.6,
      publicness: 0.85,
      category: 'conflict',
      valence: -0.5,
      status: 0.9,
      followUpProbability: 0.4,
    });
    expect(components.conflict).toBe(1);
    expect(components.cascade).toBe(0.2);
    expect(impactScore(components, defaultVillageSettings.impactWeights)).toBeGreaterThanOrEqual(0.65);
  });

  it('given repeats of a type, when scored, then novelty falls as 1/(1+n)', () => {
    expect([0, 1, 3].map((recentSameType) => impactComponents({ ...base, recentSameType }).novelty)).toEqual([1, 0.5, 0.25]);
  });

  it('given a follow-up deep in a cascade, when scored, then cascade grows with depth and is capped at 1', () => {
    expect(impactComponents({ ...base, depth: 1 }).cascade).toBe(0.5);
    expect(impactComponents({ ...base, depth: 3, followUpProbability: 1 }).cascade).toBe(1);
  });

  it('given a negative event outside the conflict category, when scored, then conflict grows with how negative it is', () => {
    expect(impactComponents({ ...base, valence: -0.6 }).conflict).toBe(0.3);
    expect(impactComponents({ ...base, valence: -1 }).conflict).toBe(0.5);
    expect(impactComponents({ ...base, valence: 0.6 }).conflict).toBe(0);
    expect(impactComponents({ ...base, category: 'conflict', valence: 0.2 }).conflict).toBe(1);
  });

  it('given two events that differ only in conflict, when scored, then the conflict raises the score by its weighted share', () => {
    const weights = defaultVillageSettings.impactWeights;
    const total = Object.values(weights).reduce((sum, weight) => sum + weight, 0);
    const calm = impactScore(impactComponents({ ...base, valence: 0 }), weights);
    const heated = impactScore(impactComponents({ ...base, category: 'conflict', valence: 0 }), weights);
    expect(heated).toBeGreaterThan(calm);
    expect(heated - calm).toBeCloseTo(weights.conflict / total, 4);
  });

  it('given the weights, when only one weight is set, then the score is that component (weights are normalised)', () => {
    const components = impactComponents({ ...base, severity: 0.7 });
    const weights = { severity: 2, publicness: 0, novelty: 0, conflict: 0, status: 0, cascade: 0 };
    expect(impactScore(components, weights)).toBe(0.7);
  });

  it('given the seed thresholds, when deciding renders, then each default channel renders at or above its threshold only', () => {
    const engagement = type('engagement');
    const cast = { actors: ['npc_mikko'], targets: ['npc_eeva'] };
    const used = { FEED: 0, CHAT: 0, NEWS: 0 };
    const outcomes = (score: number) =>
      Object.fromEntries(
        decideRenders(engagement, score, cast, catalog.channels, used).map((decision) => [decision.channel, decision.outcome]),
      );
    expect(outcomes(0.3)).toEqual({ FEED: 'below_threshold', NEWS: 'below_threshold', CHAT: 'render' });
    expect(outcomes(0.4)).toEqual({ FEED: 'render', NEWS: 'below_threshold', CHAT: 'render' });
    expect(outcomes(0.65)).toEqual({ FEED: 'render', NEWS: 'render', CHAT: 'render' });
  });

  it('given a spent daily budget, when an event qualifies, then it is over budget; authors follow the channel', () => {
    const decisions = decideRenders(type('engagement'), 0.9, { actors: ['npc_mikko'], targets: ['npc_eeva'] }, catalog.channels, {
      FEED: 0,
      CHAT: 60,
      NEWS: 3,
    });
    expect(decisions).toEqual([
      { channel: 'FEED', outcome: 'render', author: 'npc_mikko' },
      { channel: 'NEWS', outcome: 'over_budget', author: 'npc_aino' },
      { channel: 'CHAT', outcome: 'over_budget', author: 'npc_eeva' },
    ]);
  });
});

describe('engine settings from config', () => {
  it('given [village.engine] in snake_case, when read, then the weights and tunables apply and the rest keep defaults', () => {
    const settings = settingsFromConfig({ initiate_chance: 0.05, impact_weights: { severity: 0.5 } });
    expect(settings.initiateChance).toBe(0.05);
    expect(settings.impactWeights.severity).toBe(0.5);
    expect(settings.impactWeights.conflict).toBe(defaultVillageSettings.impactWeights.conflict);
  });

  it('given a bad value or an unknown key, then the error names the key as written in config.toml', () => {
    expect(() => settingsFromConfig({ impact_weights: { severity: 'high' } })).toThrow(/^village\.engine\.impact_weights\.severity: /);
    expect(() => settingsFromConfig({ initiate_chance: 2 })).toThrow(/^village\.engine\.initiate_chance: /);
    expect(() => settingsFromConfig({ initate_chance: 0.1 })).toThrow('village.engine.initate_chance: unknown key');
  });
});
