#!/usr/bin/env bash
# Idempotent set-up: installs only what is missing, so `make test` and `make demo`
# work on a fresh machine and cost a few seconds on a prepared one.
#
#   Debian packages: chromium (browser tests), espeak-ng (offline interviewer's voice),
#                    postgresql (tests run on PostgreSQL too), ffmpeg, poppler-utils
#   uv + Python deps: `uv sync --frozen` from uv.lock
#   npm deps:         `npm ci` when package.json exists
#   livekit-server:   one on PATH, else `go install` at a pinned tag into .tools/bin
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS_BIN="$ROOT/.tools/bin"
LIVEKIT_MODULE="github.com/livekit/livekit-server/cmd/server"
LIVEKIT_VERSION="v1.13.5"
GO_MIN_MINOR=26   # livekit-server v1.13.x needs Go 1.26+
DEBIAN_PACKAGES=(chromium espeak-ng postgresql ffmpeg poppler-utils fonts-dejavu-core)

say() { printf '\033[1;34m[setup]\033[0m %s\n' "$*"; }
die() { printf '\033[1;31m[setup] %s\033[0m\n' "$*" >&2; exit 1; }

install_debian_packages() {
  local missing=()
  for pkg in "${DEBIAN_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  say "installing Debian packages: ${missing[*]}"
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || die "need root (or sudo) to install: ${missing[*]}"
    sudo="sudo"
  fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

install_uv() {
  command -v uv >/dev/null && return 0
  say "installing uv"
  python3 -m pip install --quiet --user uv || python3 -m pip install --quiet uv
  export PATH="$HOME/.local/bin:$PATH"
  command -v uv >/dev/null || die "uv was installed but is not on PATH; add ~/.local/bin to PATH"
}

install_python_deps() {
  say "syncing Python dependencies (uv.lock)"
  (cd "$ROOT" && uv sync --frozen --quiet)
}

install_npm_deps() {
  [ -f "$ROOT/package.json" ] || return 0
  if [ ! -d "$ROOT/node_modules" ] || [ "$ROOT/package-lock.json" -nt "$ROOT/node_modules/.package-lock.json" ]; then
    say "installing npm dependencies"
    # --ignore-scripts: the pages' packages need no install scripts (swagger-ui-dist's
    # analytics dependency would run one)
    (cd "$ROOT" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
  fi
}

install_livekit_server() {
  if command -v livekit-server >/dev/null; then return 0; fi
  if [ -x "$TOOLS_BIN/livekit-server" ]; then return 0; fi
  command -v go >/dev/null || die "livekit-server is not on PATH and Go is not installed: install Go 1.$GO_MIN_MINOR+ (or put livekit-server on PATH)"
  local version minor
  version="$(go env GOVERSION)"            # e.g. go1.26.8
  minor="$(echo "$version" | sed -E 's/^go1\.([0-9]+).*/\1/')"
  if ! [[ "$minor" =~ ^[0-9]+$ ]] || [ "$minor" -lt "$GO_MIN_MINOR" ]; then
    die "livekit-server $LIVEKIT_VERSION needs Go 1.$GO_MIN_MINOR or newer; this machine has $version. Upgrade Go, or put a livekit-server binary on PATH."
  fi
  say "building livekit-server $LIVEKIT_VERSION with $version (a few minutes, once)"
  mkdir -p "$TOOLS_BIN"
  GOBIN="$TOOLS_BIN" GOFLAGS=-mod=mod go install "$LIVEKIT_MODULE@$LIVEKIT_VERSION"
  mv "$TOOLS_BIN/server" "$TOOLS_BIN/livekit-server"
}

install_debian_packages
install_uv
# npm first: the project's own wheel (built editable by uv sync) carries the pages' npm
# files (pyproject's force-include), so they must exist before it is built
install_npm_deps
install_python_deps
install_livekit_server
say "ready"
