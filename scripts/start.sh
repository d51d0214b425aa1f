#!/usr/bin/env bash
# The README's start command: installs what a fresh Debian 12 + Node 20 machine lacks (npm
# packages, and rtpengine, the media plane), then runs `voiplab serve` on its embedded defaults: ./data/voiplab.yaml (written on
# first run with random passwords and an admin token, printed once), SQLite store in ./data.
# Extra arguments go to `voiplab serve` (e.g. --config FILE --data DIR).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v rtpengine >/dev/null 2>&1; then
  echo "start: installing the Debian package rtpengine-daemon (the media plane)"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq rtpengine-daemon
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "start: npm ci"
  npm ci --no-audit --no-fund
fi
exec node bin/voiplab.js serve "$@"
