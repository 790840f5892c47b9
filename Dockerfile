# The production image of the accounts processor: the three apps and the operator command, built
# (npm run build) and run by node alone, with only the production dependencies, as a non-root user.
#
#   docker build -t accounts-processor:1.0.0 .
#   docker run --rm -e DATABASE_URL=... -e REDIS_URL=... -p 3000:3000 accounts-processor:1.0.0   # the API
#   docker run --rm ... accounts-processor:1.0.0 node --enable-source-maps dist/worker/main.js
#   docker run --rm ... accounts-processor:1.0.0 node --enable-source-maps dist/ctl/main.js migrate
#
# The runtime stage's contents come from infra/docker/assemble-runtime.sh, which CI runs too (npm run
# test:built): it starts the API, the worker and the scheduler from such a folder and checks /health.
# tests/infra checks that every COPY source below exists. docs/deployment.md has the whole procedure.

ARG NODE_IMAGE=node:20-bookworm-slim

# ---- build: every dependency, the bundles, then the runtime folder ---------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /src
# The manifests first: the npm ci layer is reused until a dependency changes.
COPY package.json package-lock.json ./
COPY apps/api/package.json apps/api/
COPY apps/worker/package.json apps/worker/
COPY apps/scheduler/package.json apps/scheduler/
COPY apps/ctl/package.json apps/ctl/
COPY packages/db/package.json packages/db/
COPY packages/devstack/package.json packages/devstack/
COPY packages/domain/package.json packages/domain/
COPY packages/backups/package.json packages/backups/
COPY packages/client/package.json packages/client/
COPY packages/queue/package.json packages/queue/
COPY packages/runtime/package.json packages/runtime/
COPY packages/webhooks/package.json packages/webhooks/
COPY tests/package.json tests/
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY apps/ apps/
COPY packages/ packages/
COPY infra/build/ infra/build/
COPY infra/docker/ infra/docker/
RUN npm run build && sh infra/docker/assemble-runtime.sh /src /runtime

# ---- runtime: node, pg_dump/pg_restore, the bundles and the production node_modules ---------------
FROM ${NODE_IMAGE} AS runtime
# The scheduler's backups and `ctl backup/restore` need pg_dump and pg_restore of at least the
# server's major version (PostgreSQL 16 in infra/k8s): from the PostgreSQL project's Debian repository.
# Its physical backups and `ctl restore --to` run pgBackRest (the same repository's package).
ARG PG_MAJOR=16
RUN set -eux; \
    apt-get update; \
    apt-get install -y --no-install-recommends ca-certificates curl; \
    install -d /usr/share/postgresql-common/pgdg; \
    curl -fsSL -o /usr/share/postgresql-common/pgdg/apt.postgresql.org.asc \
      https://www.postgresql.org/media/keys/ACCC4CF8.asc; \
    echo "deb [signed-by=/usr/share/postgresql-common/pgdg/apt.postgresql.org.asc] https://apt.postgresql.org/pub/repos/apt bookworm-pgdg main" \
      > /etc/apt/sources.list.d/pgdg.list; \
    apt-get update; \
    apt-get install -y --no-install-recommends "postgresql-client-${PG_MAJOR}" pgbackrest; \
    apt-get purge -y curl; \
    apt-get autoremove -y; \
    rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    PG_BIN_DIR=/usr/lib/postgresql/${PG_MAJOR}/bin
WORKDIR /app
# Owned by root and read-only to the app's user: the running process cannot change its own code.
COPY --from=build /runtime/ /app/
# The same numeric user and group as the manifests' securityContext (runAsNonRoot needs a number).
RUN groupadd --system --gid 10001 accounts \
    && useradd --system --uid 10001 --gid accounts --home-dir /app --no-create-home accounts
USER 10001:10001
EXPOSE 3000 9101 9102
# The API; the worker, the scheduler and ctl are the same image with another command.
CMD ["node", "--enable-source-maps", "dist/api/main.js"]
