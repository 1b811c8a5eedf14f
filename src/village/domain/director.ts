/**
 * The director keeps the story moving: a tension curve the village is nudged towards (quiet mornings, livelier
 * evenings, a week that builds up), the weather of each day and day-level town events.
 */
import type { CatalogIndex } from './context.js';
import type { PendingHappening } from './events.js';
import type { LocalTime } from './sim-time.js';
import type { VillageState } from './state.js';
import type { Randomness } from './tick-frame.js';

/** Where tension should be at this local time: 0.15 at night up to ~0.55 on a Friday evening. */
export function targetTension(local: Pick<LocalTime, 'hour' | 'weekday'>): number {
  const dayOfWeek = (local.weekday + 6) % 7; // Monday 0 .. Sunday 6
  const weekArc = dayOfWeek <= 4 ? dayOfWeek / 4 : (6 - dayOfWeek) / 2;
  const dayArc = local.hour < 7 ? 0 : Math.sin((Math.PI * Math.min(local.hour - 7, 16)) / 16);
  return 0.15 + 0.2 * weekArc + 0.2 * dayArc;
}

/** Multiplier on an event type's weight that pulls tension towards the target. */
export function directorFactor(category: string, valence: number, tension: number, target: number): number {
  const gap = target - tension;
  const stirring = category === 'conflict' || valence < 0;
  if (stirring) return gap > 0 ? 1 + 3 * gap : Math.max(0.3, 1 + 2 * gap);
  return gap < 0 ? 1 - 2 * gap : 1;
}

/** Tomorrow's weather: weighted by the catalog, yesterday's weather twice as likely to persist. */
export function chooseWeather(index: CatalogIndex, previous: string | undefined, rng: Randomness): string {
  const weather = index.catalog.world.weather;
  const chosen = rng.weightedIndex(weather.map((entry) => entry.weight * (entry.id === previous ? 2 : 1)));
  return weather[Math.max(0, chosen)]?.id ?? previous ?? 'cloudy';
}

/** Town events for a new day: a storm brings storm damage; otherwise a council notice or an outage now and then. */
export function planInjections(
  index: CatalogIndex,
  state: VillageState,
  weather: string,
  firstTickOfDay: number,
  /** Local minute of the day at `firstTickOfDay` (0 unless the run starts mid-day). */
  firstMinuteOfDay: number,
  rng: Randomness,
): PendingHappening[] {
  const town = index.catalog.eventTypes.filter((type) => type.category === 'town');
  const candidates = town.filter((type) => {
    const weatherRule = type.preconditions.find((precondition) => precondition.kind === 'weather');
    return weatherRule === undefined || (weatherRule.kind === 'weather' && weatherRule.in.includes(weather));
  });
  const stormy = candidates.filter((type) => type.preconditions.some((precondition) => precondition.kind === 'weather'));
  const pool = stormy.length > 0 && rng.chance(0.8) ? stormy : rng.chance(index.settings.townEventChance) ? candidates : [];
  if (pool.length === 0) return [];
  const type = rng.pick(pool);
  const actors = index.npcs.filter((_npc, position) => {
    const roleRule = type.preconditions.find((precondition) => precondition.kind === 'role');
    return roleRule === undefined || (roleRule.kind === 'role' && index.npcRoles[position]?.has(roleRule.role) === true);
  });
  if (actors.length === 0) return [];
  const actor = rng.pick(actors).id;
  const minute = rng.int(8 * 60, 17 * 60 + 59);
  const dueTick = firstTickOfDay + Math.max(0, Math.floor((minute - firstMinuteOfDay) / index.catalog.world.tickMinutes));
  return [
    {
      id: `pending_${state.sequence + 1}_director`,
      dueTick,
      type: type.id,
      actors: [actor],
      targets: [],
      origin: 'director',
      depth: 0,
    },
  ];
}
