# Shared by scripts/test.sh and scripts/demo.sh: install what the project needs on a fresh machine, and nothing twice.
# Sourced, not run.

log() { printf '\033[1m[monomyth]\033[0m %s\n' "$*"; }

# What every script does first: work from the repository's root, with pnpm at its pinned version and the dependencies
# installed.
prepare_checkout() {
  cd "$(dirname "${BASH_SOURCE[0]}")/../.."
  export TURBO_TELEMETRY_DISABLED=1
  ensure_pnpm
  install_dependencies
}

# Whether Debian's packages can be installed from here (root, and apt-get).
can_apt_install() {
  [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1
}

# pnpm at the version pinned in package.json's packageManager field.
ensure_pnpm() {
  local wanted
  wanted=$(node -p "require('./package.json').packageManager.split('@')[1]")
  if command -v pnpm >/dev/null 2>&1 && [ "$(pnpm --version 2>/dev/null)" = "$wanted" ]; then
    return
  fi
  log "installing pnpm $wanted"
  if ! npm install --global --silent "pnpm@$wanted" >/dev/null 2>&1; then
    # No write access to npm's global prefix: corepack can still provide it (this registry serves no signatures).
    COREPACK_INTEGRITY_KEYS=0 corepack enable
    COREPACK_INTEGRITY_KEYS=0 corepack prepare "pnpm@$wanted" --activate
  fi
}

install_dependencies() {
  log "installing dependencies"
  pnpm install --frozen-lockfile --reporter=append-only
}

# RabbitMQ's server for the integration tests, from Debian's packages. The tests start their own broker from it (own
# ports and data, stopped afterwards); with MONOMYTH_AMQP_URL set they use that broker and nothing is installed.
ensure_rabbitmq() {
  if [ -n "${MONOMYTH_AMQP_URL:-}" ]; then
    log "using the RabbitMQ at MONOMYTH_AMQP_URL"
    return
  fi
  if [ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || command -v rabbitmq-server >/dev/null 2>&1; then
    return
  fi
  if can_apt_install; then
    log "installing rabbitmq-server from Debian's packages"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rabbitmq-server >/dev/null
    return
  fi
  cat >&2 <<'MSG'
[monomyth] RabbitMQ is not installed, and it cannot be installed from here (that needs root and apt-get).
[monomyth] Either install it yourself (Debian/Ubuntu: sudo apt-get install rabbitmq-server; the tests start their own
[monomyth] broker from it), or point the tests at a running broker:
[monomyth]     MONOMYTH_AMQP_URL=amqp://user:password@host:5672 ./scripts/test.sh
MSG
  exit 1
}

# A Python module for /usr/bin/python3 from its Debian package, installed if it is missing and can be installed; else
# a line saying what its absence costs. Usage: ensure_python_module MODULE PACKAGE WHAT_FAILS_WITHOUT_IT
ensure_python_module() {
  local module=$1 package=$2 without=$3
  if /usr/bin/python3 -c "import $module" >/dev/null 2>&1; then
    return
  fi
  if can_apt_install; then
    log "installing $package from Debian's packages"
    # The package lists may be missing or stale: update them only when the first attempt fails.
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$package" >/dev/null 2>&1; then
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$package" >/dev/null
    fi
    return
  fi
  log "$package is missing (sudo apt-get install $package): $without"
}

# Python's pika, for the chaos run's poison message (a header table larger than amqplib can encode). Without it only
# that scenario fails, saying so.
ensure_pika() {
  ensure_python_module pika python3-pika "the chaos run's poison scenario will fail"
}

# Python's pyzmq, for the tests that check CURVE certificates against another implementation (zmq.auth writes and reads
# ZeroMQ certificate files). Without it they are skipped, saying why.
ensure_pyzmq() {
  ensure_python_module zmq.auth python3-zmq "the CURVE certificate interop tests will be skipped"
}

# A Debian package that provides COMMAND, installed if COMMAND is missing and it can be installed; else the script stops
# saying how to install it (the tests that need it would fail). Usage: ensure_command COMMAND PACKAGE WHAT_NEEDS_IT
ensure_command() {
  local command=$1 package=$2 needs=$3
  if command -v "$command" >/dev/null 2>&1; then
    return
  fi
  if can_apt_install; then
    log "installing $package from Debian's packages ($needs)"
    # The package lists may be missing or stale: update them only when the first attempt fails. Without recommends:
    # the tests need the binary, not the exporters or fonts a desktop would want.
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$package" >/dev/null 2>&1; then
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$package" >/dev/null
    fi
    return
  fi
  printf '[monomyth] %s is not installed, and it cannot be installed from here (that needs root and apt-get).\n' "$command" >&2
  printf '[monomyth] Install it yourself (Debian/Ubuntu: sudo apt-get install %s): %s.\n' "$package" "$needs" >&2
  exit 1
}

# Prometheus's server, for the test that scrapes a running master and worker (apps/master/test/prometheus.test.ts).
# The package's service is not started by it; the test runs its own server on its own port and data directory.
ensure_prometheus() {
  ensure_command prometheus prometheus "the Prometheus scrape test runs a server of its own"
}

# Chromium, for the dashboard's browser test (apps/master/test/dashboard.test.ts, driven by playwright-core, which
# downloads no browser of its own).
ensure_chromium() {
  ensure_command chromium chromium "the dashboard browser test drives a headless Chromium"
}
