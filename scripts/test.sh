#!/usr/bin/env bash
# The whole test suite, on a fresh machine or a developer's: installs pnpm, the dependencies and RabbitMQ as needed,
# builds, lints and type-checks every package, then runs every test. The tests start one RabbitMQ of their own and stop
# it afterwards (or use MONOMYTH_AMQP_URL). Running it twice in a row works.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/setup.sh
export TURBO_TELEMETRY_DISABLED=1

ensure_pnpm
install_dependencies
ensure_rabbitmq

log "building"
pnpm run build
log "linting and type-checking"
pnpm run lint
pnpm run typecheck
log "testing"
pnpm test
