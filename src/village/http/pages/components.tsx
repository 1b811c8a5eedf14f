/**
 * The village's shared JSX pieces: post cards for FEED / CHAT / NEWS, the sim clock, impact badges. Everything an LLM
 * wrote is passed as a child or attribute, which preact-render-to-string escapes; no raw HTML anywhere.
 */
import type { ComponentChildren } from 'preact';
import { renderToString } from 'preact-render-to-string';
import { clamp } from '../../../core/math.js';
import type { PostRow, RunRow } from '../../read-model/queries.js';
import type { VillageWorld } from '../../services/context.js';

const weekdays = ['su', 'ma', 'ti', 'ke', 'to', 'pe', 'la'];

/** `2026-05-04T07:15:00+03:00` -> `ma 4.5. klo 07.15` (the sim's local wall time, as written in the event). */
export function formatSimTime(simTime: string | null | undefined, withYear = false): string {
  if (!simTime) return '–';
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(simTime);
  if (!match) return simTime;
  const [, year, month, day, hour, minute] = match;
  const weekday = weekdays[new Date(Date.UTC(Number(year), Number(month) - 1, Number(day))).getUTCDay()] ?? '';
  return `${weekday} ${Number(day)}.${Number(month)}.${withYear ? year : ''} klo ${hour}.${minute}`;
}

export function initials(name: string): string {
  return name
    .split(/\s+/)
    .filter((part) => part !== '')
    .slice(0, 2)
    .map((part) => part[0]?.toUpperCase() ?? '')
    .join('');
}

/** A stable hue per author so avatars are told apart at a glance. */
function hue(id: string): number {
  let hash = 0;
  for (const character of id) hash = (hash * 31 + (character.codePointAt(0) ?? 0)) % 360;
  return hash;
}

export function Avatar({ id, name, size = 'md' }: { id: string; name: string; size?: 'sm' | 'md' | 'lg' }) {
  return (
    <span class={`avatar avatar-${size}`} style={{ background: `hsl(${hue(id)} 45% 42%)` }} aria-hidden="true">
      {initials(name)}
    </span>
  );
}

const weatherIcons: Record<string, string> = { sunny: '☀', cloudy: '☁', rain: '☂', storm: '☇', cold_snap: '❄' };

export function weatherLabel(world: VillageWorld, weather: string | null): string {
  if (!weather) return '';
  const entry = world.catalog.catalog.world.weather.find((candidate) => candidate.id === weather);
  return `${weatherIcons[weather] ?? ''} ${entry?.name.fi ?? weather}`.trim();
}

export function SimClock({ run, running, world }: { run: RunRow | undefined; running: boolean; world: VillageWorld }) {
  return (
    <span class="sim-clock" id="sim-clock">
      <span class={`run-state ${running ? 'on' : 'off'}`}>{running ? 'käynnissä' : 'pysäytetty'}</span>
      <span class="clock-time">{run ? formatSimTime(run.simTime, true) : 'ei käynnissä olevaa ajoa'}</span>
      {run && run.day > 0 ? <span class="clock-day">päivä {run.day}</span> : null}
      {run?.weather ? <span class="clock-weather">{weatherLabel(world, run.weather)}</span> : null}
    </span>
  );
}

export function ToneBadge({ tone }: { tone: string }) {
  return <span class={`tone tone-${tone}`}>{tone}</span>;
}

export function ModelNote({ post }: { post: PostRow }) {
  if (post.model === 'offline') return <span class="model-note">offline-kirjoittaja</span>;
  if (post.fellBack) return <span class="model-note">varateksti</span>;
  return null;
}

export function PostActions({ post, admin }: { post: PostRow; admin: boolean }) {
  if (!admin) return null;
  return (
    <form class="inline-actions" method="post" action={`/admin/moderation/${post.status === 'visible' ? 'hide' : 'restore'}`}>
      <input type="hidden" name="post_id" value={String(post.id)} />
      <input type="hidden" name="reason" value={post.status === 'visible' ? 'hidden by admin' : 'restored by admin'} />
      <button type="submit" class="link-button">
        {post.status === 'visible' ? 'Piilota' : 'Palauta'}
      </button>
    </form>
  );
}

export interface PostProps {
  post: PostRow;
  world: VillageWorld;
  /** Arrived over the live stream: highlighted briefly. */
  live?: boolean;
}

export function FeedPost({ post, world, live = false }: PostProps) {
  const name = world.npcName(post.authorId);
  return (
    <li class={`post feed-post${live ? ' live' : ''}`} id={`post-${post.id}`} data-post-id={String(post.id)} data-channel="FEED">
      <Avatar id={post.authorId} name={name} />
      <div class="post-body">
        <div class="post-meta">
          <a class="author" href={`/village/npcs/${post.authorId}`}>
            {name}
          </a>
          <span class="when">{formatSimTime(post.simTime)}</span>
          <ToneBadge tone={post.tone} />
        </div>
        <p class="post-text">{post.text}</p>
        <div class="post-foot">
          {post.tags.map((tag) => (
            <span class="tag" key={tag}>
              #{tag}
            </span>
          ))}
          <ModelNote post={post} />
        </div>
      </div>
    </li>
  );
}

export function ChatMessage({ post, world, live = false }: PostProps) {
  const name = world.npcName(post.authorId);
  return (
    <li class={`post chat-message${live ? ' live' : ''}`} id={`post-${post.id}`} data-post-id={String(post.id)} data-channel="CHAT">
      <Avatar id={post.authorId} name={name} size="sm" />
      <div class="bubble">
        <div class="post-meta">
          <a class="author" href={`/village/npcs/${post.authorId}`}>
            {name}
          </a>
          <span class="when">{formatSimTime(post.simTime)}</span>
        </div>
        <p class="post-text">{post.text}</p>
        <div class="post-foot">
          {post.place ? <span class="chat-group">{world.placeName(post.place)}</span> : null}
          <ModelNote post={post} />
        </div>
      </div>
    </li>
  );
}

/** A news article: the first line is the headline, the rest are paragraphs. */
export function NewsArticle({ post, world, lead = false, live = false }: PostProps & { lead?: boolean }) {
  const [headline = '', ...rest] = post.text.split(/\n+/).filter((line) => line.trim() !== '');
  const paragraphs = rest.length > 0 ? rest : [];
  const reporter = world.npcName(post.authorId);
  return (
    <li
      class={`post news-article${lead ? ' lead-article' : ''}${live ? ' live' : ''}`}
      id={`post-${post.id}`}
      data-post-id={String(post.id)}
      data-channel="NEWS"
    >
      <article>
        <h3 class="headline">{headline}</h3>
        <div class="byline">
          <a href={`/village/npcs/${post.authorId}`}>{reporter}</a> · {world.catalog.catalog.channels.newspaper.name} ·{' '}
          {formatSimTime(post.simTime)}
        </div>
        {paragraphs.map((paragraph, position) => (
          <p key={position}>{paragraph}</p>
        ))}
        <div class="post-foot">
          <ModelNote post={post} />
        </div>
      </article>
    </li>
  );
}

export function PostItem({ post, world, live = false }: PostProps) {
  if (post.channel === 'NEWS') return <NewsArticle post={post} world={world} live={live} />;
  if (post.channel === 'CHAT') return <ChatMessage post={post} world={world} live={live} />;
  return <FeedPost post={post} world={world} live={live} />;
}

/** The HTML fragment a live view swaps in for a new post. */
export function renderPostFragment(post: PostRow, world: VillageWorld): string {
  return renderToString(<PostItem post={post} world={world} live />);
}

export function renderClockFragment(run: RunRow, running: boolean, world: VillageWorld): string {
  return renderToString(<SimClock run={run} running={running} world={world} />);
}

export function ImpactBadge({ impact }: { impact: number }) {
  const level = impact >= 0.65 ? 'high' : impact >= 0.4 ? 'mid' : impact >= 0.25 ? 'low' : 'min';
  return (
    <span class={`impact impact-${level}`} title="impact score">
      {impact.toFixed(2)}
    </span>
  );
}

export function Bar({ value, min = 0, max = 1, label }: { value: number; min?: number; max?: number; label: string }) {
  const percent = Math.round(((value - min) / (max - min)) * 100);
  const clamped = clamp(percent, 0, 100);
  return (
    <span class="meter-row">
      <span class="meter-label">{label}</span>
      <span class="meter" aria-hidden="true">
        <span class={`meter-fill${value < 0 ? ' negative' : ''}`} style={{ width: `${clamped}%` }} />
      </span>
      <span class="meter-value">{value.toFixed(2)}</span>
    </span>
  );
}

export function Section({ title, children }: { title: string; children?: ComponentChildren }) {
  return (
    <section class="panel">
      <h2>{title}</h2>
      {children}
    </section>
  );
}
