/** The villagers' pages: the people list and one villager (mood, relationships, memories, posts). */
import type { EventRow, RunRow } from '../../read-model/queries.js';
import type { VillageWorld } from '../../services/context.js';
import type { NpcProfile } from '../../services/villagers.js';
import { Avatar, Bar, ChatMessage, FeedPost, formatSimTime, NewsArticle, Section } from './components.js';
import { People, VillageFrame } from './frame.js';

export function PeoplePage(props: { world: VillageWorld; run: RunRow | undefined; running: boolean }) {
  return (
    <VillageFrame title="Kyläläiset" world={props.world} run={props.run} running={props.running}>
      <h1>Kyläläiset</h1>
      <People world={props.world} />
    </VillageFrame>
  );
}

export interface MemoryView {
  eventId: string;
  importance: number;
  valence: number;
  event: EventRow | undefined;
  typeName: string;
}

export function NpcDetails(props: { world: VillageWorld; profile: NpcProfile; memories: MemoryView[] }) {
  const { world } = props;
  const { npc, npcState } = props.profile;
  const relationships = [...props.profile.relationships].sort((left, right) => right.edge.affinity - left.edge.affinity);
  return (
    <div class="npc">
      <header class="npc-head">
        <Avatar id={npc.id} name={npc.name} size="lg" />
        <div>
          <h1>{npc.name}</h1>
          <p class="npc-role">
            {npc.age} v · {npc.occupation.fi}
            {npcState ? ` · nyt: ${world.placeName(npcState.location)}` : ''}
          </p>
          <p class="traits">
            {npc.traits.map((trait) => (
              <span class="tag" key={trait}>
                {trait}
              </span>
            ))}
          </p>
          <blockquote class="speech">{npc.speechStyle.fi}</blockquote>
        </div>
      </header>
      <div class="npc-grid">
        <Section title="Vointi">
          {npcState ? (
            <div class="bars">
              <Bar label="mieliala" value={npcState.mood} min={-1} max={1} />
              <Bar label="energia" value={npcState.energy} />
              <Bar label="maine" value={npcState.reputation} />
            </div>
          ) : (
            <p class="muted">Ajo ei ole vielä alkanut.</p>
          )}
        </Section>
        <Section title="Suhteet">
          <ul class="relationships">
            {relationships.map(({ other, edge }) => (
              <li key={other.id}>
                <a href={`/village/npcs/${other.id}`} class="relationship-name">
                  <Avatar id={other.id} name={other.name} size="sm" />
                  {other.name}
                </a>
                <div class="bars">
                  <Bar label="kiintymys" value={edge.affinity} min={-1} max={1} />
                  <Bar label="luottamus" value={edge.trust} />
                  <Bar label="arvostus" value={edge.respect} />
                </div>
                {edge.tags.length > 0 ? (
                  <div class="traits">
                    {edge.tags.map((tag) => (
                      <span class="tag" key={tag}>
                        {tag}
                      </span>
                    ))}
                  </div>
                ) : null}
              </li>
            ))}
          </ul>
          {relationships.length === 0 ? <p class="muted">Ei tunnettuja suhteita.</p> : null}
        </Section>
      </div>
      <Section title="Muistot">
        <ol class="memories">
          {props.memories.map((memory) => (
            <li key={memory.eventId}>
              <span class={`valence ${memory.valence < 0 ? 'negative' : 'positive'}`}>{memory.valence < 0 ? '−' : '+'}</span>
              <strong>{memory.typeName}</strong>
              {memory.event ? (
                <span class="muted">
                  {' '}
                  · {formatSimTime(memory.event.simTime)} · {world.placeName(memory.event.place)}
                </span>
              ) : null}
              <span class="importance">tärkeys {memory.importance.toFixed(2)}</span>
            </li>
          ))}
        </ol>
        {props.memories.length === 0 ? <p class="muted">Ei vielä muistoja.</p> : null}
      </Section>
      <Section title="Julkaisut">
        <ol class="posts feed-list">
          {props.profile.posts.map((post) =>
            post.channel === 'NEWS' ? (
              <NewsArticle key={post.id} post={post} world={world} />
            ) : post.channel === 'CHAT' ? (
              <ChatMessage key={post.id} post={post} world={world} />
            ) : (
              <FeedPost key={post.id} post={post} world={world} />
            ),
          )}
        </ol>
        {props.profile.posts.length === 0 ? <p class="muted">Ei julkaisuja.</p> : null}
      </Section>
    </div>
  );
}
