#!/usr/bin/env bash
# Runs the dashboard's browser test: `la3d serve` on a generated clip, then dashboard-e2e.cjs.
# Usage: scripts/dashboard-e2e.sh [BUILD_DIR]   (needs chromium, and fetch-web-deps.sh run)
set -euo pipefail
build="${1:-build}"
cache="${LA3D_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/la3d}"
work=$(mktemp -d)
server=""
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# Moving content so that frames and motion scores change.
ffmpeg -nostdin -v error -f lavfi -i testsrc2=size=320x240:rate=25 -frames:v 100 \
  -c:v libx264 -pix_fmt yuv420p "$work/clip.mp4"
"$build/la3d" serve --source "$work/clip.mp4" --port 0 --head motion --window 4 \
  2>"$work/serve.log" &
server=$!
for _ in $(seq 100); do
  port=$(sed -n 's|.*http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$work/serve.log")
  [ -n "$port" ] && break
  kill -0 "$server" 2>/dev/null || { cat "$work/serve.log" >&2; exit 1; }
  sleep 0.1
done
[ -n "${port:-}" ] || { echo "dashboard e2e: the server did not start" >&2; exit 1; }
NODE_PATH="$cache/node/node_modules" node "$(dirname "$0")/dashboard-e2e.cjs" \
  "http://127.0.0.1:$port/" "$build/dashboard-e2e.png"
