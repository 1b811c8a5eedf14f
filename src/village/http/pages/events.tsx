/** The event timeline page: everything that happened in the village, newest first, with its impact. */
import type { Happening } from '../../domain/events.js';
import type { EventRow, RunRow } from '../../read-model/queries.js';
import type { VillageWorld } from '../../services/context.js';
import { formatSimTime, ImpactBadge } from './components.js';
import { VillageFrame } from './frame.js';

function eventTitle(world: VillageWorld, event: EventRow): string {
  return world.index.types.get(event.type)?.name.fi ?? event.type;
}

function Participants({ world, event }: { world: VillageWorld; event: EventRow }) {
  return (
    <span class="participants">
      {event.actors.map((id, position) => (
        <span key={id}>
          {position > 0 ? ', ' : ''}
          <a href={`/village/npcs/${id}`}>{world.npcName(id)}</a>
        </span>
      ))}
      {event.targets.length > 0 ? ' → ' : ''}
      {event.targets.map((id, position) => (
        <span key={id}>
          {position > 0 ? ', ' : ''}
          <a href={`/village/npcs/${id}`}>{world.npcName(id)}</a>
        </span>
      ))}
    </span>
  );
}

export function EventsPage(props: {
  world: VillageWorld;
  run: RunRow | undefined;
  running: boolean;
  events: EventRow[];
  nextCursor: string | undefined;
}) {
  const { world } = props;
  return (
    <VillageFrame title="Tapahtumat" world={world} run={props.run} running={props.running}>
      <h1>Tapahtumat</h1>
      <p class="lead-text">
        Kaikki mitä kylässä tapahtui, uusin ensin. Merkki kertoo vaikuttavuuden: CHAT ≥ 0.25, FEED ≥ 0.40, NEWS ≥ 0.65.
      </p>
      <ol class="timeline">
        {props.events.map((event) => {
          const data = event.data as Happening;
          const rendered = data.renders.filter((decision) => decision.outcome === 'render').map((decision) => decision.channel);
          return (
            <li key={event.position} class={`timeline-item category-${event.category}`}>
              <span class="timeline-time">{formatSimTime(event.simTime)}</span>
              <ImpactBadge impact={event.impact} />
              <div class="timeline-body">
                <strong>{eventTitle(world, event)}</strong> <span class="muted">· {world.placeName(event.place)}</span>
                <div>
                  <Participants world={world} event={event} />
                </div>
                {data.topic ? <div class="muted">Aihe: {data.topic.fi}</div> : null}
                {rendered.length > 0 ? (
                  <div class="channels">
                    {rendered.map((channel) => (
                      <span key={channel} class={`channel-chip chip-${channel.toLowerCase()}`}>
                        {channel}
                      </span>
                    ))}
                  </div>
                ) : null}
              </div>
            </li>
          );
        })}
      </ol>
      {props.events.length === 0 ? <p class="empty">Ei vielä tapahtumia.</p> : null}
      {props.nextCursor ? (
        <a class="older" href={`/village/events?before=${props.nextCursor}`}>
          Vanhemmat →
        </a>
      ) : null}
    </VillageFrame>
  );
}
