# One image recipe for every service, chosen by a build argument (compose passes it):
#   docker build --build-arg SERVICE=order -t flash-deal-order .
# Build from the repository root. SERVICE is one of auth, gateway, order, product.
# The product service has a second implementation in Go (Strategy B): build arg PRODUCT_IMPL=go
# (compose passes ${PRODUCT_IMPL}) makes the final image the small non-root Go one instead.

ARG PRODUCT_IMPL=ts

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
COPY services/payment-sandbox/package.json services/payment-sandbox/
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

# The Go product service: a static binary (the same db/query.sql through sqlc, the same Lua
# scripts and OpenAPI document, embedded), on a distroless base running as a non-root user.
FROM golang:1.26-bookworm AS product-go-build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY api ./api
COPY packages/contracts/lua ./packages/contracts/lua
COPY services/product/go ./services/product/go
RUN CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o /out/product ./services/product/go/cmd/product

FROM gcr.io/distroless/static-debian12:nonroot AS product-go
COPY --from=product-go-build /out/product /usr/local/bin/product
USER nonroot
EXPOSE 8082
# No shell or Bun in this image: the binary probes its own /health/ready.
HEALTHCHECK --interval=5s --timeout=3s --retries=12 --start-period=10s CMD ["/usr/local/bin/product", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/product"]

# `migrate` (compose's one-shot job): goose, pinned as in infra/go-tools/install.sh, with the
# versioned migrations of db/migrations.
FROM golang:1.26-bookworm AS migrate-build
RUN CGO_ENABLED=0 GOBIN=/out go install \
    -tags "no_clickhouse no_libsql no_mssql no_mysql no_sqlite3 no_vertica no_ydb" \
    github.com/pressly/goose/v3/cmd/goose@v3.30.1

FROM gcr.io/distroless/static-debian12:nonroot AS migrate
COPY --from=migrate-build /out/goose /usr/local/bin/goose
COPY db/migrations /migrations
ENV GOOSE_DRIVER=postgres GOOSE_MIGRATION_DIR=/migrations
USER nonroot
ENTRYPOINT ["/usr/local/bin/goose", "-table", "goose_db_version"]
CMD ["up"]

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
# compose's healthchecks override this; it is what the TypeScript product image answers with.
HEALTHCHECK --interval=5s --timeout=3s --retries=12 --start-period=10s CMD ["bun", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT ?? 8082) + '/health/ready').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

# The image that is built: the TypeScript runtime above, or (PRODUCT_IMPL=go) the Go product one.
FROM runtime AS impl-ts
FROM product-go AS impl-go
FROM impl-${PRODUCT_IMPL} AS final
