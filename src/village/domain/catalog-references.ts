/** Cross-file checks of a catalog: ids unique, every reference to a place, NPC, event type or weather known. */
import { type Catalog, type CatalogIssue, type CatalogPart, catalogFiles, jsonPath, placeKinds } from './catalog-schema.js';

type Report = (part: CatalogPart, segments: PropertyKey[], message: string) => void;

/** The ids known to the catalog and the checks of a reference against them; every problem goes to `report`. */
interface References {
  report: Report;
  placesById: Map<string, Catalog['places'][number]>;
  weatherIds: Set<string>;
  place(part: CatalogPart, segments: PropertyKey[], id: string): void;
  npc(part: CatalogPart, segments: PropertyKey[], id: string): void;
  type(part: CatalogPart, segments: PropertyKey[], id: string): void;
}

function uniqueIds(part: CatalogPart, items: readonly { id: string }[], report: Report): Set<string> {
  const ids = new Set<string>();
  items.forEach((item, index) => {
    if (ids.has(item.id)) report(part, [index, 'id'], `duplicate id "${item.id}"`);
    ids.add(item.id);
  });
  return ids;
}

function references(catalog: Catalog, report: Report): References {
  const placeIds = uniqueIds('places', catalog.places, report);
  const npcIds = uniqueIds('npcs', catalog.npcs, report);
  const typeIds = uniqueIds('eventTypes', catalog.eventTypes, report);
  uniqueIds('goals', catalog.goals, report);
  const weatherIds = new Set<string>();
  catalog.world.weather.forEach((weather, index) => {
    if (weatherIds.has(weather.id)) report('world', ['weather', index, 'id'], `duplicate id "${weather.id}"`);
    weatherIds.add(weather.id);
  });
  return {
    report,
    placesById: new Map(catalog.places.map((place) => [place.id, place])),
    weatherIds,
    place: (part, segments, id) => {
      if (!placeIds.has(id)) report(part, segments, `unknown place "${id}"`);
    },
    npc: (part, segments, id) => {
      if (!npcIds.has(id)) report(part, segments, `unknown NPC "${id}"`);
    },
    type: (part, segments, id) => {
      if (!typeIds.has(id)) report(part, segments, `unknown event type "${id}"`);
    },
  };
}

function checkNpcs(catalog: Catalog, check: References): void {
  catalog.npcs.forEach((npc, index) => {
    check.place('npcs', [index, 'home'], npc.home);
    const home = check.placesById.get(npc.home);
    if (home !== undefined && home.kind !== 'home')
      check.report('npcs', [index, 'home'], `"${npc.home}" is not a home (its kind is ${home.kind})`);
    if (npc.work !== undefined) check.place('npcs', [index, 'work'], npc.work);
    for (const dayKind of ['weekday', 'weekend'] as const) {
      for (const [hour, where] of Object.entries(npc.routine[dayKind])) {
        const places = typeof where === 'string' ? [where] : where;
        for (const [choice, place] of places.entries()) {
          const path = typeof where === 'string' ? [index, 'routine', dayKind, hour] : [index, 'routine', dayKind, hour, choice];
          check.place('npcs', path, place);
        }
      }
    }
  });
}

function checkRelationshipsAndGoals(catalog: Catalog, check: References): void {
  const edges = new Set<string>();
  catalog.relationships.forEach((edge, index) => {
    check.npc('relationships', [index, 'from'], edge.from);
    check.npc('relationships', [index, 'to'], edge.to);
    if (edge.from === edge.to) check.report('relationships', [index, 'to'], 'an NPC cannot have a relationship with itself');
    const key = `${edge.from}|${edge.to}`;
    if (edges.has(key)) check.report('relationships', [index], `duplicate edge ${edge.from} -> ${edge.to}`);
    edges.add(key);
  });
  catalog.goals.forEach((goal, index) => {
    check.npc('goals', [index, 'npc'], goal.npc);
    if (goal.with !== undefined) check.npc('goals', [index, 'with'], goal.with);
    for (const [position, type] of goal.advancedBy.entries()) check.type('goals', [index, 'advancedBy', position], type);
  });
}

function checkEventType(type: Catalog['eventTypes'][number], index: number, check: References): void {
  type.places.forEach((place, position) => {
    if (!place.startsWith('@')) check.place('eventTypes', [index, 'places', position], place);
    else if (!(placeKinds as readonly string[]).includes(place.slice(1)))
      check.report(
        'eventTypes',
        [index, 'places', position],
        `unknown place kind "${place}" (one of ${placeKinds.map((kind) => `@${kind}`).join(', ')})`,
      );
  });
  type.followUps.forEach((followUp, position) => {
    check.type('eventTypes', [index, 'followUps', position, 'type'], followUp.type);
    if (followUp.delayMinutes.min > followUp.delayMinutes.max)
      check.report('eventTypes', [index, 'followUps', position, 'delayMinutes'], 'min must not exceed max');
  });
  type.channels.forEach((channel, position) => {
    if (!type.templates[channel]) check.report('eventTypes', [index, 'channels', position], `no ${channel} template for a default channel`);
  });
  type.preconditions.forEach((precondition, position) => {
    if (precondition.kind === 'weather')
      precondition.in.forEach((weather, choice) => {
        if (!check.weatherIds.has(weather))
          check.report('eventTypes', [index, 'preconditions', position, 'in', choice], `unknown weather "${weather}"`);
      });
    if (precondition.kind === 'recent_memory')
      check.type('eventTypes', [index, 'preconditions', position, 'eventType'], precondition.eventType);
  });
}

function checkKickoffAndChannels(catalog: Catalog, check: References): void {
  const tickMinutes = catalog.world.tickMinutes;
  catalog.kickoff.events.forEach((entry, index) => {
    const minute = Number(entry.at.slice(0, 2)) * 60 + Number(entry.at.slice(3, 5));
    if (minute >= 24 * 60 || minute % tickMinutes !== 0)
      check.report('kickoff', ['events', index, 'at'], `"${entry.at}" is not a time of day on a ${tickMinutes}-minute tick`);
    check.type('kickoff', ['events', index, 'type'], entry.type);
    check.place('kickoff', ['events', index, 'place'], entry.place);
    for (const [position, actor] of entry.actors.entries()) check.npc('kickoff', ['events', index, 'actors', position], actor);
    for (const [position, target] of entry.targets.entries()) check.npc('kickoff', ['events', index, 'targets', position], target);
  });
  const { newspaper } = catalog.channels;
  check.npc('channels', ['newspaper', 'reporter'], newspaper.reporter);
  if (newspaper.editor !== undefined) check.npc('channels', ['newspaper', 'editor'], newspaper.editor);
}

/** Cross-file checks. Returns every problem found, not just the first. */
export function checkCatalogReferences(catalog: Catalog): CatalogIssue[] {
  const issues: CatalogIssue[] = [];
  const check = references(catalog, (part, segments, message) =>
    issues.push({ file: catalogFiles[part], path: jsonPath(segments), message }),
  );
  checkNpcs(catalog, check);
  checkRelationshipsAndGoals(catalog, check);
  for (const [index, type] of catalog.eventTypes.entries()) checkEventType(type, index, check);
  checkKickoffAndChannels(catalog, check);
  return issues;
}
