# One image recipe for every service, chosen by a build argument (compose passes it):
#   docker build --build-arg SERVICE=order -t flash-deal-order .
# Build from the repository root. SERVICE is one of auth, gateway, order, product.

FROM oven/bun:1.4.5 AS deps
WORKDIR /app
# Every workspace manifest, so the frozen lockfile matches the whole workspace.
COPY package.json bun.lock bunfig.toml ./
# Fixes applied to dependencies at install (`bun patch`): see patches/.
COPY patches ./patches
COPY packages/db/package.json packages/db/
COPY packages/kit/package.json packages/kit/
COPY packages/contracts/package.json packages/contracts/
COPY packages/testing/package.json packages/testing/
COPY services/auth/package.json services/auth/
COPY services/gateway/package.json services/gateway/
COPY services/order/package.json services/order/
COPY services/product/package.json services/product/
COPY tests/system/package.json tests/system/
RUN bun install --frozen-lockfile --production

# `docker compose --profile upstash`: the Upstash REST API emulator, a gateway devDependency that
# puts the HTTP API of @upstash/redis in front of a plain Redis. Dev only: the default target is
# `runtime` (the last stage), which never contains it.
FROM deps AS upstash-emulator
RUN bun install --frozen-lockfile
USER bun
EXPOSE 8079
CMD ["bun", "services/gateway/node_modules/@humanwhocodes/upstash-redis-server/dist/server.js"]

FROM oven/bun:1.4.5-slim AS runtime
ARG SERVICE
RUN test -n "$SERVICE" || { echo "build with --build-arg SERVICE=auth|gateway|order|product" >&2; exit 1; }
WORKDIR /app
ENV NODE_ENV=production SERVICE=${SERVICE}
# The whole tree from deps: workspaces keep their own node_modules, linked into the root store.
COPY --from=deps /app ./
COPY tsconfig.json ./
COPY packages ./packages
COPY db ./db
COPY services/${SERVICE} ./services/${SERVICE}
# auth generates its dev signing key here on first start (a named volume in compose keeps it).
RUN mkdir -p /app/.state/keys && chown bun:bun /app/.state/keys
USER bun
# exec: bun replaces the shell and receives SIGTERM itself (compose also runs an init).
CMD ["sh", "-c", "exec bun services/$SERVICE/src/main.ts"]
