#!/usr/bin/env bash
# The whole test suite, on a fresh machine or a developer's: installs pnpm, the dependencies and RabbitMQ as needed,
# builds, lints and type-checks every package, then runs every test and the short chaos run (`pnpm chaos --short`). The
# tests start one RabbitMQ of their own and stop it afterwards (or use MONOMYTH_AMQP_URL). Running it twice in a row works.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/setup.sh
export TURBO_TELEMETRY_DISABLED=1

ensure_pnpm
install_dependencies
ensure_rabbitmq
ensure_pyzmq

log "building"
pnpm run build
log "linting and type-checking"
pnpm run lint
pnpm run typecheck
log "testing"
pnpm test
# The chaos run kills its own broker, so it needs RabbitMQ installed here even when the tests use MONOMYTH_AMQP_URL.
if [ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || command -v rabbitmq-server >/dev/null 2>&1; then
  ensure_pika
  log "chaos run (short)"
  pnpm --filter @monomyth/chaos test
  # Every scenario but broker-kill-quorum: on a single RabbitMQ 3.10 node SIGKILLed under load, its quorum queues at
  # times stay unusable for over a minute after the restart (about one run in three; see docs/chaos.md). That is an open
  # problem, tracked there, not a figure CI can gate on yet; `pnpm chaos` runs it.
  pnpm chaos --short broker-kill-classic worker-kill-loop master-kill poison poison-classic stall pause
else
  log "skipping the chaos run: it starts (and kills) a RabbitMQ of its own, and rabbitmq-server is not installed"
fi
