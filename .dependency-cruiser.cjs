/**
 * Import rules of docs/ARCHITECTURE.md: core <- store, messaging, llm <- village, chat, tips <- web, cli.
 * Paths are matched with an optional prefix so the fixtures under test/lint/fixtures/ obey the same rules.
 */
const root = '(?:^|/)src/';
const products = '(village|chat|tips)';
/** Our own source (here or in the lint fixtures), not a package's `src/`. */
const productTree = '^(?:test/lint/fixtures/)?src/';
const ioModules = [
  '^(node:)?(fs|fs/promises|net|tls|http|https|http2|dgram|dns|child_process|cluster|worker_threads|readline|os|process)$',
  '(^|/)node_modules/(better-sqlite3|pg|pg-pool|kysely|@nats-io/[^/]+|ai|@ai-sdk/[^/]+|node-llama-cpp|fastify|pino|undici|openai)/',
  `${root}(store|messaging|llm|web)/`,
  `${root}cli\\.ts$`,
];

module.exports = {
  forbidden: [
    {
      name: 'domain-is-pure',
      comment: 'Code under a domain/ folder is pure and deterministic: no file system, network, database, bus or LLM imports.',
      severity: 'error',
      from: { path: '/domain/' },
      to: { path: ioModules },
    },
    {
      name: 'core-depends-on-nothing',
      comment: "src/core is the bottom layer; core/config.ts composes the products' config sections (leaves, see below).",
      severity: 'error',
      from: { path: `${root}core/` },
      to: {
        path: `${root}(store|messaging|llm|village|chat|tips|web)/|${root}cli\\.ts$|${root}server\\.ts$|${root}runtime\\.ts$`,
        pathNot: `${root}${products}/config\\.ts$`,
      },
    },
    {
      name: 'product-config-is-a-leaf',
      comment: "A product's config.ts (its config section, composed by core/config.ts) imports nothing of ours.",
      severity: 'error',
      from: { path: `${root}${products}/config\\.ts$` },
      to: { path: `${root}`, pathNot: 'node_modules' },
    },
    {
      name: 'infrastructure-below-products',
      comment: 'store, messaging and llm serve the products and must not know them.',
      severity: 'error',
      from: { path: `${root}(store|messaging|llm)/` },
      to: { path: `${root}(${products.slice(1, -1)}|web)/|${root}cli\\.ts$|${root}server\\.ts$|${root}runtime\\.ts$` },
    },
    {
      name: 'products-below-web',
      comment: 'Products expose route plugins; they never import the web shell or the CLI.',
      severity: 'error',
      from: { path: `${root}${products}/` },
      to: { path: `${root}cli\\.ts$|${root}server\\.ts$` },
    },
    {
      name: 'products-use-each-other-through-index',
      comment: "A product imports another product only through that product's index.ts.",
      severity: 'error',
      from: { path: `${root}(village|chat|tips)/` },
      to: {
        path: `${root}(village|chat|tips)/.+`,
        pathNot: [`${root}$1/`, `${root}(village|chat|tips)/index\\.tsx?$`],
      },
    },
    {
      name: 'web-is-a-kit-for-product-http',
      comment: 'A product uses the web kit (layout, SSE helpers, the ProductModule contract) only from its http/ folder and index.ts.',
      severity: 'error',
      from: { path: `${root}${products}/`, pathNot: `${root}${products}/(http/|index\\.tsx?$)` },
      to: { path: `${root}web/` },
    },
    {
      name: 'web-knows-no-product',
      comment: 'The web shell never imports a product; server.ts registers product routes as plugins.',
      severity: 'error',
      from: { path: `${root}web/` },
      to: { path: `${root}(village|chat|tips)/|${root}cli\\.ts$|${root}server\\.ts$` },
    },
    {
      name: 'product-http-uses-its-own-rooms',
      comment:
        "A product's http/ imports only its own services/, read-model/, domain/ and config.ts, the web kit and core: not " +
        'store, messaging or llm directly (services do that), not another product, not its other sub-rooms. Test harnesses ' +
        'under http/ (testing.ts, testing/) wire real components and are exempt.',
      severity: 'error',
      from: { path: `${root}${products}/http/`, pathNot: `${root}${products}/http/testing(/|\\.tsx?$)` },
      to: {
        path: `${productTree}`,
        pathNot: [`${root}$1/(http|services|read-model|domain)/`, `${root}$1/config\\.ts$`, `${root}(web|core)/`],
      },
    },
    {
      name: 'domain-imports-only-domain-and-core',
      comment: "A product's domain/ imports only its own domain/ and core (and pure libraries, see domain-is-pure).",
      severity: 'error',
      from: { path: `${root}${products}/domain/` },
      to: { path: `${productTree}`, pathNot: [`${root}$1/domain/`, `${root}core/`] },
    },
    {
      name: 'read-model-below-services-and-http',
      comment: "A product's read-model/ (projections, queries, migrations) never imports its services/ or http/.",
      severity: 'error',
      from: { path: `${root}${products}/read-model/` },
      to: { path: `${root}$1/(http|services)/` },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '\\.test\\.tsx?$' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.tsx', '.js', '.mjs', '.cjs', '.json', '.d.ts'],
    },
  },
};
