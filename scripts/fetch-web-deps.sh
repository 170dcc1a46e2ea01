#!/usr/bin/env bash
# Front-end packages from the npm registry, fetched once into the user cache (idempotent):
# uPlot (the dashboard's chart, embedded into the binary at build time) and playwright-core (the
# browser test's driver). Prints nothing when everything is already there.
set -euo pipefail

cache="${LA3D_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/la3d}"
vendor="$cache/web/vendor"
uplot_version=1.6.32
playwright_version=1.65.1

if [ ! -f "$vendor/uPlot-$uplot_version.iife.min.js" ]; then
  mkdir -p "$vendor" "$cache/npm"
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  tarball="$cache/npm/uplot-$uplot_version.tgz"
  if [ ! -f "$tarball" ]; then
    (cd "$tmp" && npm pack --silent "uplot@$uplot_version" >/dev/null)
    mv "$tmp/uplot-$uplot_version.tgz" "$tarball"
  fi
  tar -xzf "$tarball" -C "$tmp" package/dist/uPlot.iife.min.js package/dist/uPlot.min.css package/LICENSE
  cp "$tmp/package/dist/uPlot.min.css" "$vendor/uPlot-$uplot_version.min.css"
  cp "$tmp/package/LICENSE" "$vendor/uPlot-$uplot_version.LICENSE"
  cp "$tmp/package/dist/uPlot.iife.min.js" "$vendor/uPlot-$uplot_version.iife.min.js"
fi

node_dir="$cache/node"
if [ ! -f "$node_dir/node_modules/playwright-core/package.json" ] ||
   ! grep -q "\"version\": \"$playwright_version\"" "$node_dir/node_modules/playwright-core/package.json"; then
  mkdir -p "$node_dir"
  npm install --silent --no-audit --no-fund --prefix "$node_dir" "playwright-core@$playwright_version" >/dev/null
fi
