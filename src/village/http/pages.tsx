/**
 * The village's pages: home with FEED / CHAT / NEWS tabs (live over SSE, readable without JavaScript), NPC pages,
 * the event timeline and the admin page. Live updates: the page opens `/stream?topics=villagelive`; workers publish
 * rendered post fragments (`post-FEED`, `post-CHAT`, `post-NEWS`) and the clock (`clock`) on `live.villagelive`.
 */
import { readFile } from 'node:fs/promises';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { ComponentChildren } from 'preact';
import { z } from 'zod';
import { NotFoundError } from '../../core/errors.js';
import { Layout } from '../../web/jsx/layout.js';
import { sendPage } from '../../web/jsx/render.js';
import type { Channel } from '../domain/catalog-schema.js';
import type { Happening } from '../domain/events.js';
import { relationshipKey } from '../domain/state.js';
import type { EventRow, PostRow, RunRow } from '../read-model/queries.js';
import type { VillageService } from '../village-service.js';
import { decodeBefore, decodeEventCursor, encodeEventCursor, encodePostCursor, runStatus } from './api.js';
import {
  Avatar,
  Bar,
  ChatMessage,
  FeedPost,
  formatSimTime,
  ImpactBadge,
  NewsArticle,
  PostActions,
  Section,
  SimClock,
  weatherLabel,
} from './components.js';
import { adminCookie, isAdmin, readRateLimit } from './guards.js';

export const liveTopic = 'villagelive';

const tabs: ReadonlyArray<{ id: 'feed' | 'chat' | 'news'; channel: Channel; label: string; hint: string }> = [
  { id: 'feed', channel: 'FEED', label: 'Feed', hint: 'Kyläläisten päivitykset' },
  { id: 'chat', channel: 'CHAT', label: 'Kylächat', hint: 'Ryhmächatin viestit' },
  { id: 'news', channel: 'NEWS', label: 'Koivulahden Sanomat', hint: 'Paikallislehden uutiset' },
];

const pageSize = 30;

function VillageFrame({
  title,
  service,
  run,
  running,
  children,
  live = false,
  ownHeading = true,
}: {
  title: string;
  service: VillageService;
  run: RunRow | undefined;
  running: boolean;
  children?: ComponentChildren;
  live?: boolean;
  /** The page has its own h1; otherwise the village name is the page's h1. */
  ownHeading?: boolean;
}) {
  const world = service.catalog.catalog.world;
  const liveAttributes = live ? { 'hx-ext': 'sse', 'sse-connect': `/stream?topics=${liveTopic}` } : {};
  return (
    <Layout title={title} active="village">
      <link rel="stylesheet" href="/village/static/village.css" />
      <div class="village" {...liveAttributes}>
        <header class="village-head">
          <div class="village-title">
            {ownHeading ? (
              <a class="village-name" href="/village">
                {world.name}
              </a>
            ) : (
              <h1 class="village-h1">
                <a class="village-name" href="/village">
                  {world.name}
                </a>
              </h1>
            )}
            <span class="village-tagline">{world.description.fi}</span>
          </div>
          <div class="clock-slot" {...(live ? { 'sse-swap': 'clock' } : {})}>
            <SimClock run={run} running={running} service={service} />
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

function People({ service }: { service: VillageService }) {
  return (
    <ul class="people">
      {service.catalog.catalog.npcs.map((npc) => (
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

function HomePage(props: {
  service: VillageService;
  run: RunRow | undefined;
  running: boolean;
  tab: (typeof tabs)[number];
  posts: PostRow[];
  nextCursor: string | undefined;
  firstPage: boolean;
  offline: boolean;
}) {
  const { service, tab, posts } = props;
  const listClass = tab.channel === 'NEWS' ? 'posts news-list' : tab.channel === 'CHAT' ? 'posts chat-list' : 'posts feed-list';
  return (
    <VillageFrame title="Village" service={service} run={props.run} running={props.running} live ownHeading={false}>
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
              <span class="paper-name">{service.catalog.catalog.channels.newspaper.name}</span>
              <span class="paper-motto">{service.catalog.catalog.channels.newspaper.motto.fi}</span>
            </div>
          ) : (
            <p class="tab-hint">{tab.hint}</p>
          )}
          {/* Only the first page takes live posts: an older page would show them out of order. */}
          <ol class={listClass} id="posts" {...(props.firstPage ? { 'sse-swap': `post-${tab.channel}`, 'hx-swap': 'afterbegin' } : {})}>
            {posts.map((post, position) =>
              post.channel === 'NEWS' ? (
                <NewsArticle key={post.id} post={post} service={service} lead={position === 0 && props.firstPage} />
              ) : post.channel === 'CHAT' ? (
                <ChatMessage key={post.id} post={post} service={service} />
              ) : (
                <FeedPost key={post.id} post={post} service={service} />
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
            <People service={service} />
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

function eventTitle(service: VillageService, event: EventRow): string {
  return service.index.types.get(event.type)?.name.fi ?? event.type;
}

function Participants({ service, event }: { service: VillageService; event: EventRow }) {
  return (
    <span class="participants">
      {event.actors.map((id, position) => (
        <span key={id}>
          {position > 0 ? ', ' : ''}
          <a href={`/village/npcs/${id}`}>{service.npcName(id)}</a>
        </span>
      ))}
      {event.targets.length > 0 ? ' → ' : ''}
      {event.targets.map((id, position) => (
        <span key={id}>
          {position > 0 ? ', ' : ''}
          <a href={`/village/npcs/${id}`}>{service.npcName(id)}</a>
        </span>
      ))}
    </span>
  );
}

function EventsPage(props: {
  service: VillageService;
  run: RunRow | undefined;
  running: boolean;
  events: EventRow[];
  nextCursor: string | undefined;
}) {
  const { service } = props;
  return (
    <VillageFrame title="Tapahtumat" service={service} run={props.run} running={props.running}>
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
                <strong>{eventTitle(service, event)}</strong> <span class="muted">· {service.placeName(event.place)}</span>
                <div>
                  <Participants service={service} event={event} />
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

function PeoplePage(props: { service: VillageService; run: RunRow | undefined; running: boolean }) {
  return (
    <VillageFrame title="Kyläläiset" service={props.service} run={props.run} running={props.running}>
      <h1>Kyläläiset</h1>
      <People service={props.service} />
    </VillageFrame>
  );
}

interface MemoryView {
  eventId: string;
  importance: number;
  valence: number;
  event: EventRow | undefined;
  typeName: string;
}

function NpcDetails(props: {
  service: VillageService;
  npcId: string;
  memories: MemoryView[];
  posts: PostRow[];
  state?: import('../domain/state.js').VillageState | undefined;
}) {
  const { service, npcId } = props;
  const npc = service.catalog.catalog.npcs.find((entry) => entry.id === npcId);
  if (!npc) return null;
  const npcState = props.state?.npcs.find((entry) => entry.id === npcId);
  const relationships = service.catalog.catalog.npcs
    .filter((other) => other.id !== npcId)
    .map((other) => ({ other, edge: props.state?.relationships[relationshipKey(npcId, other.id)] }))
    .filter((entry) => entry.edge !== undefined)
    .sort((left, right) => (right.edge?.affinity ?? 0) - (left.edge?.affinity ?? 0));
  return (
    <div class="npc">
      <header class="npc-head">
        <Avatar id={npc.id} name={npc.name} size="lg" />
        <div>
          <h1>{npc.name}</h1>
          <p class="npc-role">
            {npc.age} v · {npc.occupation.fi}
            {npcState ? ` · nyt: ${service.placeName(npcState.location)}` : ''}
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
                  <Bar label="kiintymys" value={edge?.affinity ?? 0} min={-1} max={1} />
                  <Bar label="luottamus" value={edge?.trust ?? 0} />
                  <Bar label="arvostus" value={edge?.respect ?? 0} />
                </div>
                {edge && edge.tags.length > 0 ? (
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
                  · {formatSimTime(memory.event.simTime)} · {service.placeName(memory.event.place)}
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
          {props.posts.map((post) =>
            post.channel === 'NEWS' ? (
              <NewsArticle key={post.id} post={post} service={service} />
            ) : post.channel === 'CHAT' ? (
              <ChatMessage key={post.id} post={post} service={service} />
            ) : (
              <FeedPost key={post.id} post={post} service={service} />
            ),
          )}
        </ol>
        {props.posts.length === 0 ? <p class="muted">Ei julkaisuja.</p> : null}
      </Section>
    </div>
  );
}

type Status = Awaited<ReturnType<typeof runStatus>>;

function AdminPostRow({ post, service }: { post: PostRow; service: VillageService }) {
  return (
    <tr id={`admin-post-${post.id}`} data-post-id={String(post.id)}>
      <td>{post.id}</td>
      <td>
        <span class={`channel-chip chip-${post.channel.toLowerCase()}`}>{post.channel}</span>
      </td>
      <td>{service.npcName(post.authorId)}</td>
      <td class="admin-text">{post.text}</td>
      <td>
        <span class={`status status-${post.status}`}>{post.status}</span>
        {post.flags > 0 ? <span class="status status-flagged">liputettu ×{post.flags}</span> : null}
        {post.moderationNote ? <div class="muted small">{post.moderationNote}</div> : null}
      </td>
      <td class="actions">
        <PostActions post={post} admin />
        {post.status === 'visible' ? (
          <form class="inline-actions" method="post" action="/admin/moderation/flag">
            <input type="hidden" name="post_id" value={String(post.id)} />
            <input type="hidden" name="reason" value="flagged by admin" />
            <button type="submit" class="link-button">
              Liputa
            </button>
          </form>
        ) : null}
      </td>
    </tr>
  );
}

function AdminPage(props: {
  service: VillageService;
  run: RunRow | undefined;
  status: Status;
  queue: PostRow[];
  recent: PostRow[];
  lastReplay: Record<string, unknown> | undefined;
}) {
  const { service, status } = props;
  const facts: Array<[string, string]> = [
    ['Tila', status.running ? 'käynnissä' : 'pysäytetty'],
    ['Simulaation aika', formatSimTime(status.sim_ts, true)],
    ['Siemen', status.seed === null ? '–' : String(status.seed)],
    ['Nopeus', `${status.speed}×`],
    ['Päivä / sää', `${status.day} · ${weatherLabel(service, status.weather) || '–'}`],
    ['Jono (valmiina / työn alla / kuolleet)', `${status.queue.ready} / ${status.queue.leased} / ${status.queue.dead}`],
    ['Julkaisut FEED / CHAT / NEWS', `${status.posts.FEED} / ${status.posts.CHAT} / ${status.posts.NEWS}`],
    ['Piilotetut / hylätyt', `${status.posts.hidden} / ${status.posts.rejected}`],
    ['Kirjoittaja-malli', status.llm.offline ? 'offline-kirjoittaja' : status.llm.model],
    [
      'LLM-kutsut (välimuisti / vara / virheet)',
      `${status.llm.calls} (${status.llm.cache_hits} / ${status.llm.fell_back} / ${status.llm.failed})`,
    ],
  ];
  return (
    <VillageFrame title="Village admin" service={service} run={props.run} running={status.running}>
      <h1>Hallinta</h1>
      <p class="lead-text">Ajo {status.run_id}</p>
      <dl class="facts village-facts" id="run-facts">
        {facts.map(([term, value]) => (
          <div key={term}>
            <dt>{term}</dt>
            <dd data-fact={term}>{value}</dd>
          </div>
        ))}
      </dl>
      <div class="controls">
        <form method="post" action="/admin/run/start" class="control">
          <label>
            Siemen <input type="number" name="seed" min="0" value={status.seed === null ? '' : String(status.seed)} />
          </label>
          <button type="submit" class="primary">
            Käynnistä
          </button>
        </form>
        <form method="post" action="/admin/run/stop" class="control">
          <button type="submit">Pysäytä</button>
        </form>
        <form method="post" action="/admin/run/speed" class="control">
          <label>
            Nopeus <input type="number" name="speed" min="0.1" max="1000" step="0.1" value={String(status.speed)} />
          </label>
          <button type="submit">Aseta</button>
        </form>
        <form method="post" action="/admin/replay" class="control">
          <label>
            Toista siemen <input type="number" name="seed" min="0" value={status.seed === null ? '' : String(status.seed)} />
          </label>
          <label>
            alkaen <input type="text" name="from_sim_ts" placeholder="2026-05-05T12:00:00+03:00" />
          </label>
          <button type="submit">Toista</button>
        </form>
      </div>
      {props.lastReplay ? (
        <p class={`replay-result ${props.lastReplay.identical ? 'ok' : 'bad'}`}>
          Viimeisin toisto (siemen {String(props.lastReplay.seed)}):{' '}
          {props.lastReplay.identical ? 'tapahtumaloki identtinen' : 'ERO tapahtumalokissa'} – {String(props.lastReplay.compared)} /{' '}
          {String(props.lastReplay.recorded)} tapahtumaa verrattu.
        </p>
      ) : null}
      <Section title="Moderointijono">
        {props.queue.length === 0 ? (
          <p class="muted" id="moderation-empty">
            Jono on tyhjä.
          </p>
        ) : (
          <table class="admin-table" id="moderation-queue">
            <tbody>
              {props.queue.map((post) => (
                <AdminPostRow key={post.id} post={post} service={service} />
              ))}
            </tbody>
          </table>
        )}
      </Section>
      <Section title="Uusimmat julkaisut">
        <table class="admin-table" id="recent-posts">
          <tbody>
            {props.recent.map((post) => (
              <AdminPostRow key={post.id} post={post} service={service} />
            ))}
          </tbody>
        </table>
      </Section>
      <Section title="Epäonnistuneet työt">
        {status.dead_letters.length === 0 ? (
          <p class="muted">Ei kuolleita töitä.</p>
        ) : (
          <ul>
            {status.dead_letters.map((letter) => (
              <li key={letter.id}>
                {letter.key ?? letter.id}: {letter.last_error} ({letter.attempts} yritystä)
              </li>
            ))}
          </ul>
        )}
      </Section>
    </VillageFrame>
  );
}

function LoginPage({ service, failed }: { service: VillageService; failed: boolean }) {
  return (
    <VillageFrame title="Village admin" service={service} run={undefined} running={false}>
      <h1>Hallinta</h1>
      <p class="lead-text">Tämä palvelin vaatii ylläpitotunnuksen (server.admin_token).</p>
      {failed ? <p class="error">Väärä tunnus.</p> : null}
      <form method="post" action="/village/admin/login" class="control">
        <label>
          Tunnus <input type="password" name="token" autocomplete="current-password" />
        </label>
        <button type="submit" class="primary">
          Kirjaudu
        </button>
      </form>
    </VillageFrame>
  );
}

export function pageRoutes(service: VillageService, cssPath: URL): FastifyPluginAsyncZod {
  const { config, clock } = service.deps;
  return async (app) => {
    const css = await readFile(cssPath);
    const hidden = { hide: true } as const;
    const limited = readRateLimit(config.village.read_rate_per_minute, clock);

    app.get('/village/static/village.css', { schema: hidden }, async (_request, reply) =>
      reply.header('content-type', 'text/css; charset=utf-8').header('cache-control', 'no-cache').send(css),
    );

    const common = async () => {
      const control = await service.control();
      const run = await service.currentRun();
      return { run, running: control?.running ?? false };
    };

    app.get(
      '/village',
      {
        onRequest: limited,
        schema: {
          ...hidden,
          querystring: z.object({
            tab: z.enum(['feed', 'chat', 'news']).default('feed'),
            before: z
              .string()
              .refine((value) => decodeBefore(value) !== undefined, 'a cursor from the "older" link')
              .optional(),
          }),
        },
      },
      async (request, reply) => {
        const tab = tabs.find((entry) => entry.id === request.query.tab) ?? (tabs[0] as (typeof tabs)[number]);
        const decoded = request.query.before === undefined ? undefined : decodeBefore(request.query.before);
        const { run, running } = await common();
        const posts = await service.queries.listPosts({
          runId: await service.currentRunId(),
          channel: tab.channel,
          limit: pageSize,
          ...(decoded && 'cursor' in decoded ? { before: decoded.cursor } : {}),
          ...(decoded && 'simMs' in decoded ? { beforeSimMs: decoded.simMs } : {}),
        });
        const last = posts[posts.length - 1];
        const nextCursor = posts.length === pageSize && last ? encodePostCursor({ simMs: last.simMs, id: last.id }) : undefined;
        const { offline } = await service.writerDescription();
        return sendPage(
          reply,
          <HomePage
            service={service}
            run={run}
            running={running}
            tab={tab}
            posts={posts}
            nextCursor={nextCursor}
            firstPage={decoded === undefined}
            offline={offline}
          />,
        );
      },
    );

    app.get(
      '/village/events',
      {
        onRequest: limited,
        schema: {
          ...hidden,
          querystring: z.object({
            before: z
              .string()
              .refine((value) => decodeEventCursor(value) !== undefined, 'a cursor from the "older" link')
              .optional(),
          }),
        },
      },
      async (request, reply) => {
        const { run, running } = await common();
        const events = await service.queries.listEvents({
          runId: await service.currentRunId(),
          limit: 50,
          beforePosition: request.query.before === undefined ? undefined : decodeEventCursor(request.query.before),
        });
        const last = events[events.length - 1];
        const nextCursor = events.length === 50 && last ? encodeEventCursor(last.position) : undefined;
        return sendPage(reply, <EventsPage service={service} run={run} running={running} events={events} nextCursor={nextCursor} />);
      },
    );

    app.get('/village/npcs', { onRequest: limited, schema: hidden }, async (_request, reply) => {
      const { run, running } = await common();
      return sendPage(reply, <PeoplePage service={service} run={run} running={running} />);
    });

    app.get(
      '/village/npcs/:id',
      { onRequest: limited, schema: { ...hidden, params: z.object({ id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/) }) } },
      async (request, reply) => {
        const npc = service.catalog.catalog.npcs.find((entry) => entry.id === request.params.id);
        if (!npc) throw new NotFoundError(`no villager ${request.params.id}`);
        const { run, running } = await common();
        const runId = await service.currentRunId();
        const state = await service.runState(runId);
        const npcState = state?.npcs.find((entry) => entry.id === npc.id);
        const memories: MemoryView[] = [];
        for (const memory of [...(npcState?.memories ?? [])].sort((left, right) => right.tick - left.tick)) {
          memories.push({
            eventId: memory.eventId,
            importance: memory.importance,
            valence: memory.valence,
            event: await service.queries.getEvent(runId, memory.eventId),
            typeName: service.index.types.get(memory.type)?.name.fi ?? memory.type,
          });
        }
        const posts = await service.queries.listPosts({ runId, authorId: npc.id, limit: 20 });
        return sendPage(
          reply,
          <VillageFrame title={npc.name} service={service} run={run} running={running}>
            <NpcDetails service={service} npcId={npc.id} memories={memories} posts={posts} state={state} />
          </VillageFrame>,
        );
      },
    );

    app.get('/village/admin', { schema: hidden }, async (request, reply) => {
      if (!isAdmin(request, config)) return sendPage(reply, <LoginPage service={service} failed={false} />, 401);
      const status = await runStatus(service);
      const run = await service.currentRun();
      const queue = await service.queries.moderationQueue(50);
      const recent = (
        await service.queries.listPosts({ runId: status.run_id, limit: 15, statuses: ['visible', 'hidden', 'rejected'] })
      ).filter((post) => post.status === 'visible');
      const lastReplay = (await service.deps.kv.get<Record<string, unknown>>('village.last_replay'))?.value;
      return sendPage(
        reply,
        <AdminPage service={service} run={run} status={status} queue={queue} recent={recent} lastReplay={lastReplay} />,
      );
    });

    app.post(
      '/village/admin/login',
      { schema: { ...hidden, body: z.object({ token: z.string().max(500).default('') }) } },
      async (request, reply) => {
        const token = config.server.admin_token;
        if (token === undefined || request.body.token !== token) return sendPage(reply, <LoginPage service={service} failed />, 401);
        reply.header('set-cookie', `${adminCookie}=${encodeURIComponent(token)}; Path=/; HttpOnly; SameSite=Strict`);
        return reply.redirect('/village/admin', 303);
      },
    );
  };
}
