/** The village home page: FEED / CHAT / NEWS tabs (live over SSE, readable without JavaScript) and the people. */
import type { Channel } from '../../domain/catalog-schema.js';
import type { PostRow, RunRow } from '../../read-model/queries.js';
import type { VillageWorld } from '../../services/context.js';
import { ChatMessage, FeedPost, NewsArticle, Section } from './components.js';
import { People, VillageFrame } from './frame.js';

export const tabs: ReadonlyArray<{ id: 'feed' | 'chat' | 'news'; channel: Channel; label: string; hint: string }> = [
  { id: 'feed', channel: 'FEED', label: 'Feed', hint: 'Kyläläisten päivitykset' },
  { id: 'chat', channel: 'CHAT', label: 'Kylächat', hint: 'Ryhmächatin viestit' },
  { id: 'news', channel: 'NEWS', label: 'Koivulahden Sanomat', hint: 'Paikallislehden uutiset' },
];

export type Tab = (typeof tabs)[number];

export function HomePage(props: {
  world: VillageWorld;
  run: RunRow | undefined;
  running: boolean;
  tab: (typeof tabs)[number];
  posts: PostRow[];
  nextCursor: string | undefined;
  firstPage: boolean;
  offline: boolean;
}) {
  const { world, tab, posts } = props;
  const listClass = tab.channel === 'NEWS' ? 'posts news-list' : tab.channel === 'CHAT' ? 'posts chat-list' : 'posts feed-list';
  return (
    <VillageFrame title="Village" world={world} run={props.run} running={props.running} live ownHeading={false}>
      <div class="village-columns">
        <section class="stream" aria-label={tab.label}>
          <nav class="tabs" aria-label="Channels">
            {tabs.map((entry) => (
              <a
                key={entry.id}
                href={`/village?tab=${entry.id}`}
                class={`tab tab-${entry.id}`}
                aria-current={entry.id === tab.id ? 'page' : undefined}
              >
                {entry.label}
              </a>
            ))}
          </nav>
          {tab.channel === 'NEWS' ? (
            <div class="masthead">
              <span class="paper-name">{world.catalog.catalog.channels.newspaper.name}</span>
              <span class="paper-motto">{world.catalog.catalog.channels.newspaper.motto.fi}</span>
            </div>
          ) : (
            <p class="tab-hint">{tab.hint}</p>
          )}
          {/* Only the first page takes live posts: an older page would show them out of order. */}
          <ol class={listClass} id="posts" {...(props.firstPage ? { 'sse-swap': `post-${tab.channel}`, 'hx-swap': 'afterbegin' } : {})}>
            {posts.map((post, position) =>
              post.channel === 'NEWS' ? (
                <NewsArticle key={post.id} post={post} world={world} lead={position === 0 && props.firstPage} />
              ) : post.channel === 'CHAT' ? (
                <ChatMessage key={post.id} post={post} world={world} />
              ) : (
                <FeedPost key={post.id} post={post} world={world} />
              ),
            )}
          </ol>
          {posts.length === 0 ? (
            <p class="empty">Ei vielä julkaisuja tällä kanavalla. Kylä herää – uudet julkaisut ilmestyvät tähän itsestään.</p>
          ) : null}
          {props.nextCursor ? (
            <a class="older" href={`/village?tab=${tab.id}&before=${props.nextCursor}`}>
              Vanhemmat →
            </a>
          ) : null}
        </section>
        <aside class="sidebar">
          <Section title="Kyläläiset">
            <People world={world} />
          </Section>
          {props.offline ? (
            <p class="offline-note">
              Kielimallia ei ole määritetty: tekstit kirjoittaa offline-kirjoittaja valmiista suomenkielisistä pohjista.
            </p>
          ) : null}
        </aside>
      </div>
    </VillageFrame>
  );
}
