#!/usr/bin/env bash
# What `pnpm release` would do, without publishing anything (for CI and before a release):
#   1. the versions the pending changesets give, applied with `changeset version` in a throwaway git worktree of HEAD
#      (never this working tree), checked to be one version across the published packages;
#   2. a build, then `pnpm publish -r --dry-run`: each published package packed as the registry would get it, with its
#      file list, and nothing sent.
# Needs the registry to be reachable (pnpm asks it which versions exist), no login.
set -euo pipefail
cd "$(dirname "$0")/.."
export TURBO_TELEMETRY_DISABLED=1
root=$(pwd)

worktree=$(mktemp -d "${TMPDIR:-/tmp}/monomyth-release-XXXXXX")
cleanup() {
  git -C "$root" worktree remove --force "$worktree" >/dev/null 2>&1 || rm -rf "$worktree"
}
trap cleanup EXIT
git worktree add --detach "$worktree" HEAD >/dev/null
(
  cd "$worktree"
  pnpm install --offline --frozen-lockfile --reporter=silent
  pnpm changeset version
  # One line per published package: name and version after `changeset version`.
  node --input-type=module -e '
    import { readFileSync, readdirSync, existsSync } from "node:fs";
    const versions = new Map();
    for (const group of ["packages", "apps"])
      for (const dir of readdirSync(group)) {
        const file = `${group}/${dir}/package.json`;
        if (!existsSync(file)) continue;
        const pkg = JSON.parse(readFileSync(file, "utf8"));
        if (pkg.private) continue;
        versions.set(pkg.name, pkg.version);
        console.log(`${pkg.name}@${pkg.version}`);
      }
    if (new Set(versions.values()).size !== 1) {
      console.error("the published packages would not share one version: see .changeset/config.json (fixed)");
      process.exit(1);
    }'
)

pnpm run build
pnpm publish --recursive --dry-run --no-git-checks
