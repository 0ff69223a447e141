#!/usr/bin/env bash
# The whole test suite, on a fresh machine or a developer's: installs pnpm, the dependencies, RabbitMQ, Prometheus and
# Chromium as needed, builds, lints and type-checks every package, then runs every test, the release dry run
# (docs/releasing.md) and the short chaos run (`pnpm chaos --short`). The tests start one RabbitMQ of their own and
# stop it afterwards (or use MONOMYTH_AMQP_URL). Running it twice in a row works.
# The install test (packaging/test/install.test.ts) packs the built packages and installs them into a fresh npm project in
# the temp dir: npm takes their third-party dependencies from its cache or, the first time, from the registry.
set -euo pipefail
source "$(dirname "$0")/lib/setup.sh"
prepare_checkout
ensure_rabbitmq
ensure_pyzmq
ensure_prometheus
ensure_chromium

log "building"
pnpm run build
log "linting and type-checking"
pnpm run lint
pnpm run typecheck
log "testing"
pnpm test
log "release dry run (nothing is published)"
pnpm release:dry-run
# The chaos run kills its own broker, so it needs RabbitMQ installed here even when the tests use MONOMYTH_AMQP_URL.
if [ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || command -v rabbitmq-server >/dev/null 2>&1; then
  ensure_pika
  log "chaos run (short)"
  pnpm --filter @monomyth/chaos test
  pnpm chaos --short
else
  log "skipping the chaos run: it starts (and kills) a RabbitMQ of its own, and rabbitmq-server is not installed"
fi
