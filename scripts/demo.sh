#!/usr/bin/env bash
# The demo, on a fresh machine or a developer's: installs pnpm and the dependencies, builds everything, and runs the
# MMOP example: a master's ROUTER and a worker's DEALER exchanging the registration handshake over tcp loopback.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/setup.sh
export TURBO_TELEMETRY_DISABLED=1

ensure_pnpm
install_dependencies
log "building"
pnpm run build >/dev/null
pnpm --filter @monomyth/example-mmop-handshake start
