#!/usr/bin/env bash
# The benchmarks a newcomer can rerun (`make bench`); each prints its own figures.
#
#   scripts/bench.sh          faces, frames, voices (proctoring engine) and the control API
#                             (a short run: 50 clients, SQLite and PostgreSQL)
#   scripts/bench.sh --all    the same, then the live agent benchmarks (latency through
#                             the real server, capacity per worker): they take minutes
#
# Faces and voices are the real files of ../shared/data (set SHARED_DATA to use another
# folder with the same layout: faces/ with photos, voices/manifest.csv). The README's
# tables were printed by these commands; docs/benchmarks-*.md say how to read them.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SHARED_DATA="${SHARED_DATA:-$ROOT/../shared/data}"
API_SECONDS="${API_SECONDS:-5}"
ALL=0

usage() { sed -n '2,11p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

for arg in "$@"; do
  case "$arg" in
    --all) ALL=1 ;;
    -h | --help) usage; exit 0 ;;
    *) printf 'bench.sh: unknown argument %s\n' "$arg" >&2; usage >&2; exit 2 ;;
  esac
done

say() { printf '\n\033[1;34m[bench]\033[0m %s\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

[ -d "$SHARED_DATA/faces" ] || { echo "bench.sh: no faces in $SHARED_DATA (set SHARED_DATA)" >&2; exit 1; }
[ -f "$SHARED_DATA/voices/manifest.csv" ] || { echo "bench.sh: no $SHARED_DATA/voices/manifest.csv" >&2; exit 1; }

cd "$ROOT"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/proctorai-bench.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

say "faces: is this the enrolled candidate? (clean and webcam-degraded pairs, ours vs seeds)"
run uv run proctorai bench degrade --faces "$SHARED_DATA/faces" --out "$WORK/faces"
for pairs in pairs_degraded pairs_clean; do
  for method in ours seed; do
    run uv run proctorai bench faces --pairs "$WORK/faces/$pairs.csv" --method "$method"
  done
done

say "frames: frames per second per core, ours vs seeds"
run uv run proctorai bench frames --faces "$SHARED_DATA/faces"

say "voices: is this the enrolled speaker? (3-second segments, ours vs seeds)"
for method in ge2e seed; do
  run uv run proctorai bench voices --manifest "$SHARED_DATA/voices/manifest.csv" \
    --segment-seconds 3 --method "$method"
done

say "control API: interviews and events per second, 50 concurrent clients, SQLite and PostgreSQL"
run uv run proctorai bench api --clients 50 --seconds "$API_SECONDS" --db both

if [ "$ALL" -eq 1 ]; then
  say "live proctoring: anomaly latency through the real livekit-server (minutes)"
  run uv run proctorai bench latency --cycles 6
  say "live proctoring: concurrent candidates per worker (minutes)"
  run uv run proctorai bench capacity
else
  say "skipped the live agent benchmarks (minutes each): run scripts/bench.sh --all"
fi
