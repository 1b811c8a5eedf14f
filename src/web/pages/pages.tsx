/**
 * The shell's own pages: `/` (what Koivulahti is), a placeholder landing page per product (replaced as each product
 * lands) and `/admin` with live system facts. HTML routes are left out of the OpenAPI document.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { WebContext } from '../context.js';
import { Layout } from '../jsx/layout.js';
import { sendPage } from '../jsx/render.js';

export interface PageOptions {
  /** How many SSE streams are open, for the admin page. */
  liveConnections(): number;
  /** Seconds this process has been running. */
  uptimeSeconds?(): number;
  /** Products that serve their own landing page; no placeholder is registered for them. */
  productsWithPages?: readonly string[];
}

const products = [
  {
    name: 'Village',
    href: '/village',
    summary:
      'A seeded simulation of a small Finnish village. Villagers live their days; events with enough impact are written up as feed posts, group chat messages and local news articles. Read along, or start, stop, replay and moderate it.',
  },
  {
    name: 'Chat',
    href: '/chat',
    summary:
      'A roleplay engine. Author a character, confirm a kickoff scene and play it: replies stream into every open tab, each chat keeps its own in-fiction clock and the bot its own memory, and any turn can be rewound or regenerated.',
  },
  {
    name: 'Tips',
    href: '/tips',
    summary:
      'One well-timed tip on a black page. Connect tasks, calendar, habits and mood, react to the tip you get, and the policy learns from it. Consent, export and deletion are first-class.',
  },
] as const;

function HomePage() {
  return (
    <Layout title="Koivulahti" active="home">
      <section class="intro">
        <h1>Koivulahti</h1>
        <p class="lead">
          Three products on one event-sourced core. Every change is an event in one append-only log, so what you see can be replayed,
          rewound and audited.
        </p>
      </section>
      <ul class="cards">
        {products.map((product) => (
          <li class="card" key={product.href}>
            <h2>
              <a href={product.href}>{product.name}</a>
            </h2>
            <p>{product.summary}</p>
            <a class="more" href={product.href}>
              Open {product.name} →
            </a>
          </li>
        ))}
      </ul>
    </Layout>
  );
}

interface PlaceholderProps {
  section: 'village' | 'chat' | 'tips';
  title: string;
  promise: string;
  features: readonly string[];
}

function PlaceholderPage({ section, title, promise, features }: PlaceholderProps) {
  return (
    <Layout title={title} active={section}>
      <h1>
        {title} <span class="badge">not built yet</span>
      </h1>
      <p class="lead">{promise}</p>
      <h2>What it will do</h2>
      <ul class="features">
        {features.map((feature) => (
          <li key={feature}>{feature}</li>
        ))}
      </ul>
      <p class="notice">Nothing on this page works yet. It is replaced when {title} is built.</p>
    </Layout>
  );
}

const placeholders: readonly PlaceholderProps[] = [
  {
    section: 'village',
    title: 'Village',
    promise: 'Koivulahti, a small Finnish village, simulated day by day from a seed.',
    features: [
      'Villagers follow their routines, meet, and change how they feel about each other.',
      'Events with enough impact become feed posts, group chat messages and news articles.',
      'Admins start, stop, replay and moderate a run; the same seed always gives the same village.',
    ],
  },
  {
    section: 'chat',
    title: 'Chat',
    promise: 'A roleplay engine for characters you author, with scenes you play turn by turn.',
    features: [
      'Replies stream into every open tab, and generation goes on when a tab closes.',
      'Each chat has its own in-fiction clock; the bot keeps memories and you can see why it recalled them.',
      'Rewind, regenerate or reset any turn without losing history.',
    ],
  },
  {
    section: 'tips',
    title: 'Tips',
    promise: 'One well-timed tip at a time, chosen from your tasks, calendar, habits and mood.',
    features: [
      'React with done, helpful, not now or dismiss; the policy learns from it.',
      'New policies are evaluated offline before they serve a single tip.',
      'You choose what it may use, and can export or delete everything.',
    ],
  },
];

interface AdminFacts {
  version: string;
  storeKind: string;
  busKind: string;
  headPosition: number;
  uptime: string;
  liveConnections: number;
}

function AdminPage({ facts }: { facts: AdminFacts }) {
  const rows: Array<[string, string]> = [
    ['Version', facts.version],
    ['Event store', facts.storeKind],
    ['Bus', facts.busKind],
    ['Event log head position', String(facts.headPosition)],
    ['Uptime', facts.uptime],
    ['Open live streams', String(facts.liveConnections)],
  ];
  return (
    <Layout title="Admin" active="admin">
      <h1>Admin</h1>
      <p class="lead">System facts of this process, read when the page was rendered.</p>
      <dl class="facts">
        {rows.map(([term, value]) => (
          <div key={term}>
            <dt>{term}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
      <p>
        API: <a href="/docs">/docs</a> (Swagger UI), <a href="/openapi.json">/openapi.json</a>, <a href="/health">/health</a>.
      </p>
    </Layout>
  );
}

/** `3725` -> `1 h 2 min 5 s`; the two largest units only. */
export function formatDuration(totalSeconds: number): string {
  const seconds = Math.max(0, Math.floor(totalSeconds));
  const parts: Array<[number, string]> = [
    [Math.floor(seconds / 86_400), 'd'],
    [Math.floor((seconds % 86_400) / 3_600), 'h'],
    [Math.floor((seconds % 3_600) / 60), 'min'],
    [seconds % 60, 's'],
  ];
  const first = parts.findIndex(([value]) => value > 0);
  if (first === -1) return '0 s';
  return parts
    .slice(first, first + 2)
    .filter(([value]) => value > 0)
    .map(([value, unit]) => `${value} ${unit}`)
    .join(' ');
}

export function pageRoutes(context: WebContext, options: PageOptions): FastifyPluginAsyncZod {
  const uptimeSeconds = options.uptimeSeconds ?? (() => process.uptime());
  return async (app) => {
    const hidden = { schema: { hide: true } };
    const open = { schema: { hide: true }, config: { access: 'public' as const } };
    app.get('/', open, async (_request, reply) => sendPage(reply, <HomePage />));
    for (const placeholder of placeholders) {
      if (options.productsWithPages?.includes(placeholder.section)) continue;
      app.get(`/${placeholder.section}`, open, async (_request, reply) => sendPage(reply, <PlaceholderPage {...placeholder} />));
    }
    app.get('/admin', { ...hidden, config: { access: 'admin' as const } }, async (_request, reply) => {
      const facts: AdminFacts = {
        version: context.version,
        storeKind: context.storeKind,
        busKind: context.busKind,
        headPosition: await context.store.headPosition(),
        uptime: formatDuration(uptimeSeconds()),
        liveConnections: options.liveConnections(),
      };
      return sendPage(reply, <AdminPage facts={facts} />);
    });
  };
}
