/** The admin page (run facts, controls, moderation queue, recent posts, dead letters) and its login form. */
import type { PostRow, RunRow } from '../../read-model/queries.js';
import type { VillageWorld } from '../../services/context.js';
import type { LastReplay, RunStatus } from '../../services/runs.js';
import { formatSimTime, PostActions, Section, weatherLabel } from './components.js';
import { VillageFrame } from './frame.js';

function AdminPostRow({ post, world }: { post: PostRow; world: VillageWorld }) {
  return (
    <tr id={`admin-post-${post.id}`} data-post-id={String(post.id)}>
      <td>{post.id}</td>
      <td>
        <span class={`channel-chip chip-${post.channel.toLowerCase()}`}>{post.channel}</span>
      </td>
      <td>{world.npcName(post.authorId)}</td>
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

export function AdminPage(props: {
  world: VillageWorld;
  run: RunRow | undefined;
  status: RunStatus;
  queue: PostRow[];
  recent: PostRow[];
  lastReplay: LastReplay | undefined;
}) {
  const { world, status } = props;
  const facts: Array<[string, string]> = [
    ['Tila', status.running ? 'käynnissä' : 'pysäytetty'],
    ['Simulaation aika', formatSimTime(status.sim_ts, true)],
    ['Siemen', status.seed === null ? '–' : String(status.seed)],
    ['Nopeus', `${status.speed}×`],
    ['Päivä / sää', `${status.day} · ${weatherLabel(world, status.weather) || '–'}`],
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
    <VillageFrame title="Village admin" world={world} run={props.run} running={status.running}>
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
                <AdminPostRow key={post.id} post={post} world={world} />
              ))}
            </tbody>
          </table>
        )}
      </Section>
      <Section title="Uusimmat julkaisut">
        <table class="admin-table" id="recent-posts">
          <tbody>
            {props.recent.map((post) => (
              <AdminPostRow key={post.id} post={post} world={world} />
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

export function LoginPage({ world, failed }: { world: VillageWorld; failed: boolean }) {
  return (
    <VillageFrame title="Village admin" world={world} run={undefined} running={false}>
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
