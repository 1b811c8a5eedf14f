# syntax=docker/dockerfile:1
# Koivulahti: one image for every role (api, engine, worker, or all three with `start`) and for `migrate`.
#   docker build -t koivulahti .
#   docker run --rm -p 8080:8080 -e KOIVULAHTI_ADMIN_TOKEN=... koivulahti            # start: everything in one process
#   docker run --rm -e DATABASE_URL=... -e NATS_URL=... koivulahti migrate
# See docs/deployment.md for the distributed topology and docker-compose.yml.

# ---- build: install every dependency, compile TypeScript, then drop the dev dependencies ----
FROM node:24-bookworm-slim AS build
# better-sqlite3 downloads a prebuilt binary; python3, make and g++ let node-gyp compile it when none fits.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# Dependencies first, so this layer is reused until the lockfile changes. --ignore-scripts skips `prepare` (the
# build, whose sources are not copied yet); better-sqlite3's install script (its native binary) is run on its own.
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund \
 && npm rebuild better-sqlite3
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
# tsc into dist/, scripts/build-client.mjs transpiles the browser modules (src/*/http/client), then
# scripts/copy-assets.mjs copies the CSS and the village catalog JSON into dist/ beside the code.
RUN npm run build \
 && test -f dist/cli.js \
 && test -f dist/chat/http/client/chat-client.js \
 && test -f dist/village/catalog/koivulahti/world.json \
 && npm prune --omit=dev --no-audit --no-fund

# ---- runtime: compiled code, production dependencies, non-root ----
FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production \
    PORT=8080
WORKDIR /app
# package.json: the version shown by --version and /health is read from it.
COPY --from=build --chown=root:root /app/package.json ./package.json
COPY --from=build --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/dist ./dist
# ./data holds the SQLite file, backups and an optional config.toml (mount a volume there for the embedded mode);
# it is the only path the program writes to. With DATABASE_URL and NATS_URL set, the container keeps no state.
RUN mkdir -p /app/data && chown node:node /app/data
USER node
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "dist/cli.js"]
CMD ["start", "--host", "0.0.0.0"]
