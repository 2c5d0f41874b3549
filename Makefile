# flash-deal — the two commands are `make dev` (run the whole stack) and `make test` (every test).
# Everything else here is a step of those two, runnable on its own.

SHELL := /bin/bash
.DEFAULT_GOAL := help

BUN_VERSION := 1.4.5
TOOLS_DIR   := $(CURDIR)/.tools
BUN         := $(TOOLS_DIR)/node_modules/.bin/bun
VENV        := $(CURDIR)/.venv
export PATH := $(TOOLS_DIR)/node_modules/.bin:$(PATH)

# Local infrastructure of `make dev` (override any of these in the environment).
export FLASH_STATE_DIR ?= $(CURDIR)/.state/dev
export PGPORT          ?= 5432
export PGUSER          ?= flashdeal
export PGPASSWORD      ?= flashdeal
export PGDATABASE      ?= flashdeal
export REDIS_PORT      ?= 6379
export KAFKA_PORT      ?= 9092
export KAFKA_CONTROLLER_PORT ?= 9093
# TOPOLOGY=cluster (`TOPOLOGY=cluster make dev`): the Redis Cluster and the three Kafka brokers
# that infra/local starts on these ports, and two gateways, relays and consumers (scripts/stack.ts).
ifeq ($(TOPOLOGY),cluster)
# three_nodes PORT: 127.0.0.1:PORT,127.0.0.1:PORT+1,127.0.0.1:PORT+2
three_nodes = $(shell p=$(1); echo 127.0.0.1:$$p,127.0.0.1:$$((p + 1)),127.0.0.1:$$((p + 2)))
export TOPOLOGY
export REDIS_CLUSTER_PORT ?= 7000
export KAFKA_CLUSTER_PORT ?= 9192
export REDIS_CLUSTER_NODES ?= $(call three_nodes,$(REDIS_CLUSTER_PORT))
export KAFKA_BROKERS ?= $(call three_nodes,$(KAFKA_CLUSTER_PORT))
endif
export DATABASE_URL    ?= postgres://$(PGUSER):$(PGPASSWORD)@127.0.0.1:$(PGPORT)/$(PGDATABASE)
export REDIS_URL       ?= redis://127.0.0.1:$(REDIS_PORT)
export KAFKA_BROKERS   ?= 127.0.0.1:$(KAFKA_PORT)

.PHONY: help
help: ## List the targets
	@grep -hE '^[a-z][a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{ printf "  make %-16s %s\n", $$1, $$2 }'

# ---------------------------------------------------------------------------------------------
# The two commands

.PHONY: dev
dev: deps infra-up db-migrate topics seed ## Install what is missing, start infra and every service (Ctrl-C stops the services)
	@$(BUN) scripts/stack.ts --watch

.PHONY: test
test: deps venv ## Everything: lint, types, compose, unit + integration + E2E on a stack of its own
	@bash scripts/test.sh

.PHONY: test-cluster
test-cluster: deps ## The cluster topology (Redis Cluster 3+3, three Kafka brokers): a spike and node kills, own infra
	@bash scripts/test-cluster.sh

# ---------------------------------------------------------------------------------------------
# Tools

$(BUN):
	@echo "==> installing bun $(BUN_VERSION) from the npm registry into .tools/"
	@npm install --prefix $(TOOLS_DIR) --no-save --no-audit --no-fund --loglevel=error bun@$(BUN_VERSION)
	@$(BUN) --version

node_modules/.installed: $(BUN) package.json bun.lock packages/*/package.json services/*/package.json tests/system/package.json $(wildcard patches/*.patch)
	@echo "==> bun install"
	@$(BUN) install --frozen-lockfile
	@touch $@

.PHONY: deps
deps: node_modules/.installed ## Install Bun (pinned) and the workspace dependencies

$(VENV)/.installed: tests/requirements.txt
	@echo "==> python virtualenv for Tavern and schemathesis (.venv)"
	@python3 -m venv $(VENV)
	@$(VENV)/bin/pip install --quiet --disable-pip-version-check -r tests/requirements.txt
	@touch $@

.PHONY: venv
venv: $(VENV)/.installed ## Install Tavern and schemathesis (pinned) into .venv

# ---------------------------------------------------------------------------------------------
# Local infrastructure (no Docker): Postgres, Redis, Kafka on loopback

.PHONY: infra-up infra-down infra-status
infra-up: ## Install (when missing) and start Postgres, Redis and Kafka for dev
	@bash infra/local/up.sh

infra-down: ## Stop the dev Postgres, Redis and Kafka (data is kept in .state/dev)
	@bash infra/local/down.sh

infra-status: ## Show whether each dev infrastructure piece runs
	@bash infra/local/status.sh

# ---------------------------------------------------------------------------------------------
# Data

.PHONY: db-migrate db-gen topics seed
db-migrate: ## Apply the versioned migrations in db/migrations to $$DATABASE_URL with goose (idempotent)
	@bash scripts/db-migrate.sh

db-gen: deps ## Regenerate both outputs of db/query.sql: generated.ts (TS) and the Go package (sqlc); needs the dev Postgres
	@bash scripts/db-gen.sh

topics: deps ## Create the Kafka topics (idempotent)
	@$(BUN) services/order/src/cli/create-topics.ts

seed: deps ## Seed the dev admin from ADMIN_EMAIL / ADMIN_PASSWORD
	@$(BUN) services/auth/src/cli/seed-admin.ts

# ---------------------------------------------------------------------------------------------
# Checks

.PHONY: lint format typecheck compose-check e2e fuzz api asyncapi
lint: deps ## Format and lint check (Biome)
	@$(BUN) run lint

format: deps ## Apply Biome's formatting and safe fixes
	@$(BUN) run format

typecheck: deps ## TypeScript, strict
	@$(BUN) run typecheck

compose-check: ## Validate docker-compose.yml with the real compose parser
	@bash infra/compose/check.sh

e2e: venv ## Run the Tavern scenarios against a running stack (make dev)
	@cd tests && $(VENV)/bin/pytest

fuzz: venv ## schemathesis, every check, many examples, on every document of a running `make dev` (FUZZ_EXAMPLES, FUZZ_MAX_TIME)
	@FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-200} FUZZ_MAX_TIME=$${FUZZ_MAX_TIME:-300} bash tests/fuzz/run.sh

api: deps ## Write api/*.yaml from the running services' OpenAPI documents
	@$(BUN) scripts/openapi.ts

asyncapi: deps ## Write api/order-events.asyncapi.yaml from the event schemas in packages/contracts
	@$(BUN) scripts/asyncapi.ts

# ---------------------------------------------------------------------------------------------
# Docker

.PHONY: up down
up: ## docker compose up --build -d (needs a Docker engine)
	docker compose up --build -d

down: ## docker compose down
	docker compose down

# ---------------------------------------------------------------------------------------------
# Observability without Docker: a local OpenTelemetry Collector (OTLP in, debug + file out)

.PHONY: otelcol observe
otelcol: ## Build the pinned OpenTelemetry Collector once (collector builder, cached in ~/.cache/flash-deal)
	@bash infra/otel/install.sh >/dev/null

observe: ## Run the local collector: OTLP 127.0.0.1:4318 (HTTP) / :4317 (gRPC), spans to .state/otel/traces.json
	@OTELCOL="$$(bash infra/otel/install.sh)" && mkdir -p .state/otel && \
	  echo "==> collector on 127.0.0.1:4318 (HTTP) and :4317 (gRPC); spans also in .state/otel/traces.json" && \
	  echo "    run services with OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 (Ctrl-C stops it)" && \
	  exec "$$OTELCOL" --config infra/otel/collector.yaml

# ---------------------------------------------------------------------------------------------
# Load

.PHONY: k6-smoke bench bench-login bench-product bench-purchase bench-idle
bench: deps ## Every benchmark on this box, ratios side by side: product reads (cache on/off), the purchase spike
	@$(MAKE) --no-print-directory bench-product
	@$(MAKE) --no-print-directory bench-purchase

k6-smoke: ## A 10 s k6 smoke run against the gateway of a running `make dev`
	@K6="$$(bash infra/k6/install.sh)" && K6_AUTO_EXTENSION_RESOLUTION=false "$$K6" run -e GATEWAY_URL=$${GATEWAY_URL:-http://127.0.0.1:8080} infra/k6/smoke.js

bench-login: ## Logins per second (argon2id) through the gateway of a running `AUTH_RATE_PER_ADDRESS=0 make dev` (the per-address limit would refuse most)
	@K6="$$(bash infra/k6/install.sh)" && K6_AUTO_EXTENSION_RESOLUTION=false "$$K6" run -e GATEWAY_URL=$${GATEWAY_URL:-http://127.0.0.1:8080} infra/k6/login.js

bench-product: deps ## Hot product reads: TypeScript and Go, cache on and off, taking turns, beside the ceiling; req/s, p50/p99, server CPU per read (needs `make infra-up`)
	@bash scripts/bench/product.sh

bench-purchase: deps ## Purchase spike: async vs sync vs an Elysia hello, CPU per operation, a correctness check (own infrastructure in .state/bench)
	@bash scripts/bench/purchase.sh

bench-idle: deps ## What the whole stack costs doing nothing: CPU per process over 15 s, from /proc (own infrastructure in .state/bench)
	@bash scripts/bench/idle.sh
