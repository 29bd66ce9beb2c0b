# The emulator as a container: `docker build -t cf-zt-risk-emulator . && docker run -p 4010:4010 cf-zt-risk-emulator`.
# Two stages: `build` compiles better-sqlite3 and bundles the TypeScript; the runtime stage is the base image plus
# production dependencies and compiled output only, run as the unprivileged user `node`.

FROM node:20-bookworm-slim AS build
# better-sqlite3 compiles from source wherever no prebuilt binary can be downloaded.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# Dependencies first, in their own layer: editing src/ does not recompile SQLite on the next build.
# --ignore-scripts defers the root `prepare` (the build needs src/, copied below); the one install script the
# runtime needs, better-sqlite3's, runs through `npm rebuild` (package.json's allowScripts approves it).
# `npm ls --all` fails this step when the tree is incomplete: npm 10 (the image's) can exit 0 after failed
# downloads ("Exit handler never called!"; seen here when the registry's TLS proxy was not trusted), and the
# half-empty node_modules would otherwise be cached as a good layer and fail every later build.
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund \
 && npm ls --all > /dev/null \
 && npm rebuild better-sqlite3
# esbuild reads tsconfig.json's compiler options (it runs from its platform package, no install script needed);
# tsc writes the package API's declarations from tsconfig.build.json.
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/build.js ./scripts/
COPY src ./src
# `prepare` is the build (scripts/build.js: esbuild bundles src/ into dist/, with the dashboard's files); then
# only production dependencies stay, and better-sqlite3 keeps its compiled addon without the sources and object
# files it was built from.
RUN npm run prepare \
 && npm prune --omit=dev --no-audit --no-fund \
 && cd node_modules/better-sqlite3 \
 && find build -mindepth 1 -maxdepth 1 ! -name Release -exec rm -rf {} + \
 && find build/Release -mindepth 1 -maxdepth 1 ! -name better_sqlite3.node -exec rm -rf {} + \
 && rm -rf deps src binding.gyp

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=4010 \
    DATABASE_PATH=/data/emulator.db
WORKDIR /app
# Code and dependencies belong to root and are read-only to the server; only /data is writable by it.
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json openapi.yaml ./
COPY migrations ./migrations
# A named volume mounted on /data starts with this directory's owner, so `node` can write to it.
RUN mkdir -p /data && chown node:node /data
VOLUME /data
USER node
EXPOSE 4010
# node, not curl (the slim base has none); dist/health/check.js reads HOST and PORT like the server does.
HEALTHCHECK --interval=5s --timeout=3s --start-period=10s --retries=3 CMD ["node", "dist/health/check.js"]
# node is PID 1 (the base image's entrypoint execs it): SIGTERM from `docker stop` reaches the server,
# which finishes in-flight requests, closes the database and exits 0.
CMD ["node", "dist/server.js"]
