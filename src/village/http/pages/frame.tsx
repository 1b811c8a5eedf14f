/**
 * The frame every village page shares (header with the live sim clock, navigation) and the people list. Live pages
 * open `/stream?topics=villagelive`; workers publish post fragments and the clock on `live.villagelive`.
 */
import type { ComponentChildren } from 'preact';
import { Layout } from '../../../web/jsx/layout.js';
import type { RunRow } from '../../read-model/queries.js';
import type { VillageWorld } from '../../services/context.js';
import { Avatar, SimClock } from './components.js';

export const liveTopic = 'villagelive';

export function VillageFrame({
  title,
  world,
  run,
  running,
  children,
  live = false,
  ownHeading = true,
}: {
  title: string;
  world: VillageWorld;
  run: RunRow | undefined;
  running: boolean;
  children?: ComponentChildren;
  live?: boolean;
  /** The page has its own h1; otherwise the village name is the page's h1. */
  ownHeading?: boolean;
}) {
  const about = world.catalog.catalog.world;
  const liveAttributes = live ? { 'hx-ext': 'sse', 'sse-connect': `/stream?topics=${liveTopic}` } : {};
  return (
    <Layout title={title} active="village">
      <link rel="stylesheet" href="/village/static/village.css" />
      <div class="village" {...liveAttributes}>
        <header class="village-head">
          <div class="village-title">
            {ownHeading ? (
              <a class="village-name" href="/village">
                {about.name}
              </a>
            ) : (
              <h1 class="village-h1">
                <a class="village-name" href="/village">
                  {about.name}
                </a>
              </h1>
            )}
            <span class="village-tagline">{about.description.fi}</span>
          </div>
          <div class="clock-slot" {...(live ? { 'sse-swap': 'clock' } : {})}>
            <SimClock run={run} running={running} world={world} />
          </div>
        </header>
        <nav class="village-nav" aria-label="Village">
          <a href="/village">Etusivu</a>
          <a href="/village/events">Tapahtumat</a>
          <a href="/village/npcs">Kyläläiset</a>
          <a href="/village/admin">Hallinta</a>
        </nav>
        {children}
      </div>
    </Layout>
  );
}

export function People({ world }: { world: VillageWorld }) {
  return (
    <ul class="people">
      {world.catalog.catalog.npcs.map((npc) => (
        <li key={npc.id}>
          <a href={`/village/npcs/${npc.id}`}>
            <Avatar id={npc.id} name={npc.name} size="sm" />
            <span>
              <span class="person-name">{npc.name}</span>
              <span class="person-role">{npc.occupation.fi}</span>
            </span>
          </a>
        </li>
      ))}
    </ul>
  );
}
