/**
 * The village catalog: zod schemas of each catalog file, the assembled `Catalog` type, and the cross-reference checks
 * that zod cannot express (an edge naming a missing NPC, a routine naming an unknown place, ...). Pure: no file access.
 */
import { z } from 'zod';

export const channels = ['FEED', 'CHAT', 'NEWS'] as const;
export type Channel = (typeof channels)[number];
export const languages = ['fi', 'en'] as const;
export type Language = (typeof languages)[number];

const identifier = z.string().regex(/^[a-z][a-z0-9_]*$/, 'must be lower_snake_case starting with a letter');
const unit = z.number().min(0).max(1);
const signedUnit = z.number().min(-1).max(1);
const probability = z.number().min(0, 'probability must be at least 0').max(1, 'probability must be at most 1');
const bilingual = z.strictObject({ fi: z.string().min(1), en: z.string().min(1) });

export const worldSchema = z.strictObject({
  id: identifier,
  name: z.string().min(1),
  language: z.enum(languages),
  timezone: z.literal('Europe/Helsinki'),
  /** Local wall-clock start, `YYYY-MM-DDTHH:MM`. */
  start: z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/, 'must be a local time YYYY-MM-DDTHH:MM'),
  tickMinutes: z.number().int().min(1).max(60),
  description: bilingual,
});

export const placeKinds = ['home', 'public', 'work', 'outdoor'] as const;
export const placeSchema = z.strictObject({
  id: identifier,
  name: z.string().min(1),
  kind: z.enum(placeKinds),
  /** How visible what happens here is, 0 (a kitchen) to 1 (the market square). */
  publicness: unit,
  description: bilingual,
});

/** Hour of day (`"0"`..`"23"`) -> a place id, or several to choose from; each block lasts until the next listed hour. */
const routineSchema = z
  .record(z.string().regex(/^(?:[0-9]|1[0-9]|2[0-3])$/, 'routine hours are "0".."23"'), z.union([identifier, z.array(identifier).min(1)]))
  .refine((routine) => '0' in routine, { message: 'a routine must say where the day starts (hour "0")' });

export const npcSchema = z.strictObject({
  id: identifier,
  name: z.string().min(1),
  age: z.number().int().min(0).max(120),
  occupation: bilingual,
  /** Role keys used by preconditions and the director, e.g. `reporter`, `official`. */
  roles: z.array(identifier).default([]),
  home: identifier,
  work: identifier.optional(),
  traits: z.array(identifier).min(1),
  values: z.array(identifier).min(1),
  speechStyle: bilingual,
  /** Public standing, 0 (unknown) to 1 (everyone knows and listens). */
  status: unit,
  mood: signedUnit.default(0.1),
  routine: z.strictObject({ weekday: routineSchema, weekend: routineSchema }),
});

export const relationshipSchema = z.strictObject({
  from: identifier,
  to: identifier,
  affinity: signedUnit,
  trust: unit,
  respect: unit,
  tags: z.array(identifier).default([]),
});

export const goalSchema = z.strictObject({
  id: identifier,
  npc: identifier,
  description: bilingual,
  /** Event types whose occurrence (with the NPC as an actor) moves the goal forward. */
  advancedBy: z.array(identifier).min(1),
  /** When set, only events that involve this NPC count. */
  with: identifier.optional(),
  step: z.number().min(0.01).max(1).default(0.2),
});

const countSchema = z
  .strictObject({ min: z.number().int().min(0), max: z.number().int().min(0) })
  .refine((count) => count.min <= count.max, {
    message: 'min must not exceed max',
  });

const who = z.enum(['actor', 'target']);
const bounds = { min: z.number().optional(), max: z.number().optional() };

export const preconditionSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('time_of_day'), from: z.number().int().min(0).max(23), to: z.number().int().min(1).max(24) }),
  z.strictObject({ kind: z.literal('day_kind'), is: z.enum(['weekday', 'weekend']) }),
  z.strictObject({ kind: z.literal('weather'), in: z.array(identifier).min(1) }),
  z.strictObject({ kind: z.literal('relationship'), field: z.enum(['affinity', 'trust', 'respect']), ...bounds }),
  z.strictObject({ kind: z.literal('relationship_tag'), tag: identifier, present: z.boolean().default(true) }),
  z.strictObject({ kind: z.literal('trait'), who, trait: identifier, present: z.boolean().default(true) }),
  z.strictObject({ kind: z.literal('role'), who, role: identifier, present: z.boolean().default(true) }),
  z.strictObject({ kind: z.literal('mood'), who, ...bounds }),
  z.strictObject({ kind: z.literal('energy'), who, ...bounds }),
  z.strictObject({ kind: z.literal('reputation'), who, ...bounds }),
  z.strictObject({ kind: z.literal('age'), who, ...bounds }),
  z.strictObject({ kind: z.literal('occupancy'), ...bounds }),
  z.strictObject({ kind: z.literal('tension'), ...bounds }),
  z.strictObject({
    kind: z.literal('recent_memory'),
    eventType: identifier,
    withinHours: z.number().positive(),
    present: z.boolean().default(true),
  }),
]);
export type Precondition = z.infer<typeof preconditionSchema>;
export type PreconditionKind = Precondition['kind'];

const party = z.enum(['actors', 'targets', 'all']);
export const effectSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('relationship'),
    /** `actors->targets` changes how actors see targets; `mutual` both ways; `among_actors` between co-actors. */
    direction: z.enum(['actors_to_targets', 'targets_to_actors', 'mutual', 'among_actors']),
    affinity: signedUnit.default(0),
    trust: signedUnit.default(0),
    respect: signedUnit.default(0),
    addTag: identifier.optional(),
    removeTag: identifier.optional(),
  }),
  z.strictObject({ kind: z.literal('mood'), who: party, delta: signedUnit }),
  z.strictObject({ kind: z.literal('energy'), who: party, delta: signedUnit }),
  z.strictObject({ kind: z.literal('reputation'), who: party, delta: signedUnit }),
]);
export type EffectSpec = z.infer<typeof effectSchema>;

export const followUpSchema = z.strictObject({
  type: identifier,
  probability,
  /** Delay in sim-minutes before the follow-up happens. */
  delayMinutes: z.strictObject({ min: z.number().int().min(0), max: z.number().int().min(0) }),
  /** Who acts in the follow-up: the same actors, the targets answering back, or both together. */
  cast: z.enum(['same', 'reversed', 'together']),
});

const templatesSchema = z.partialRecord(z.enum(channels), bilingual);

export const eventCategories = ['everyday', 'conflict', 'community', 'life', 'town'] as const;
export const eventTypeSchema = z.strictObject({
  id: identifier,
  category: z.enum(eventCategories),
  name: bilingual,
  actors: countSchema,
  targets: countSchema,
  /** Place ids; or place kinds prefixed with `@`, e.g. `@home`. */
  places: z.array(z.string().min(1)).min(1),
  preconditions: z.array(preconditionSchema).default([]),
  severity: unit,
  publicness: unit,
  /** Whether participants feel good (+1) or bad (-1) about it; drives memories and choice. */
  valence: signedUnit,
  /** Relative frequency when chosen by an NPC; 0 = only scheduled (follow-up, kick-off or director). */
  weight: z.number().min(0),
  /** Sim-hours before the same actor and target may repeat it; defaults to the engine's variety window. */
  cooldownHours: z.number().min(0).optional(),
  /** Trait -> multiplier on the weight when the initiating NPC has the trait. */
  traitAffinity: z.record(identifier, z.number().min(0)).default({}),
  effects: z.array(effectSchema).default([]),
  channels: z.array(z.enum(channels)).default([]),
  followUps: z.array(followUpSchema).default([]),
  topics: z.array(bilingual).default([]),
  templates: templatesSchema,
});
export type EventType = z.infer<typeof eventTypeSchema>;

export const kickoffEntrySchema = z.strictObject({
  /** Local time on day 1, `HH:MM`, on a tick boundary. */
  at: z.string().regex(/^\d{2}:\d{2}$/, 'must be HH:MM'),
  type: identifier,
  actors: z.array(identifier).min(1),
  targets: z.array(identifier).default([]),
  place: identifier,
  topic: bilingual.optional(),
});
export const kickoffSchema = z.strictObject({ description: bilingual, events: z.array(kickoffEntrySchema) });

export const channelsSchema = z.strictObject({
  thresholds: z.strictObject({ FEED: unit, CHAT: unit, NEWS: unit }),
  dailyBudgets: z.strictObject({ FEED: z.number().int().min(0), CHAT: z.number().int().min(0), NEWS: z.number().int().min(0) }),
  styles: z.strictObject({ FEED: bilingual, CHAT: bilingual, NEWS: bilingual }),
  newspaper: z.strictObject({ name: z.string().min(1), reporter: identifier, editor: identifier.optional(), motto: bilingual }),
});

export const weatherSchema = z.strictObject({
  id: identifier,
  name: bilingual,
  weight: z.number().min(0),
  /** Mood change for everyone when the day starts with this weather. */
  mood: signedUnit,
});

export const worldFileSchema = worldSchema.extend({ weather: z.array(weatherSchema).min(1) });

/** One file name per catalog part; the loader reads exactly these. */
export const catalogFiles = {
  world: 'world.json',
  places: 'places.json',
  npcs: 'npcs.json',
  relationships: 'relationships.json',
  goals: 'goals.json',
  eventTypes: 'event-types.json',
  kickoff: 'kickoff.json',
  channels: 'channels.json',
} as const;
export type CatalogPart = keyof typeof catalogFiles;

export const catalogPartSchemas = {
  world: worldFileSchema,
  places: z.array(placeSchema).min(1),
  npcs: z.array(npcSchema).min(1),
  relationships: z.array(relationshipSchema),
  goals: z.array(goalSchema),
  eventTypes: z.array(eventTypeSchema).min(1),
  kickoff: kickoffSchema,
  channels: channelsSchema,
} as const;

export interface Catalog {
  world: z.infer<typeof worldFileSchema>;
  places: z.infer<typeof placeSchema>[];
  npcs: z.infer<typeof npcSchema>[];
  relationships: z.infer<typeof relationshipSchema>[];
  goals: z.infer<typeof goalSchema>[];
  eventTypes: EventType[];
  kickoff: z.infer<typeof kickoffSchema>;
  channels: z.infer<typeof channelsSchema>;
}
export type Place = Catalog['places'][number];
export type Npc = Catalog['npcs'][number];
export type RelationshipSeed = Catalog['relationships'][number];
export type Goal = Catalog['goals'][number];

export interface CatalogIssue {
  file: string;
  /** JSON path inside the file, e.g. `$[12].to`. */
  path: string;
  message: string;
}

export function formatIssue(issue: CatalogIssue): string {
  return `${issue.file}: ${issue.path}: ${issue.message}`;
}

/** `['a', 0, 'b c']` -> `$.a[0]["b c"]`. */
export function jsonPath(segments: readonly PropertyKey[]): string {
  let path = '$';
  for (const segment of segments) {
    if (typeof segment === 'number') path += `[${segment}]`;
    else if (typeof segment === 'string' && /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(segment)) path += `.${segment}`;
    else path += `[${JSON.stringify(String(segment))}]`;
  }
  return path;
}

/** Validates one part; returns the parsed value or the issues, each naming the file and JSON path. */
export function parseCatalogPart<Part extends CatalogPart>(
  part: Part,
  raw: unknown,
): { value: z.infer<(typeof catalogPartSchemas)[Part]>; issues: [] } | { value: undefined; issues: CatalogIssue[] } {
  const result = catalogPartSchemas[part].safeParse(raw);
  if (result.success) return { value: result.data as z.infer<(typeof catalogPartSchemas)[Part]>, issues: [] };
  return {
    value: undefined,
    issues: result.error.issues.map((issue) => ({ file: catalogFiles[part], path: jsonPath(issue.path), message: issue.message })),
  };
}
