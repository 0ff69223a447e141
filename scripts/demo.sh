#!/usr/bin/env bash
# The demo, on a fresh machine or a developer's: installs pnpm and the dependencies, builds everything, and runs the
# original's 4-stage example on a real cluster on this machine: a master and two workers speaking MMOP/1 over tcp
# loopback, nodes started through the control client, 10,000 inputs, every output checked. Arguments pass through
# (--inputs N, --nodes N).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/setup.sh
export TURBO_TELEMETRY_DISABLED=1

ensure_pnpm
install_dependencies
log "building"
pnpm run build >/dev/null
node examples/four-stage/dist/demo.js "$@"
