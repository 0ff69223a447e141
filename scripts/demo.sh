#!/usr/bin/env bash
# The demo, on a fresh machine or a developer's: installs pnpm and the dependencies, builds everything, and runs the
# original's 4-stage example on a real cluster on this machine: a master and two workers speaking MMOP/1 over tcp
# loopback, nodes started through the control client, 10,000 inputs, every output checked. Arguments pass through
# (--inputs N, --nodes N, --http HOST:PORT to watch it on the master's dashboard).
set -euo pipefail
source "$(dirname "$0")/lib/setup.sh"
prepare_checkout
log "building"
pnpm run build >/dev/null
node examples/four-stage/dist/demo.js "$@"
