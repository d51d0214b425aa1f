#!/usr/bin/env bash
# Installs what voiplab needs and a fresh machine lacks: npm packages (from package-lock.json)
# and the Debian packages of the real peers the tests talk to. Safe to run again: it skips what is there.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian package → a command it provides.
declare -A debian_packages=(
  [sip-tester]=sipp     # SIPp: the foreign SIP peer of the integration tests
  [baresip]=baresip     # a real desk phone (register, call, play and record tones)
  [sox]=sox             # makes the tone WAVs the phones play
  [openssl]=openssl     # throw-away certificates for TLS/WSS tests
  [rtpengine-daemon]=rtpengine  # the media plane: WebRTC <-> RTP bridge, play-media, DTMF, recording
  [chromium]=chromium   # the browser of the WebRTC end-to-end tests (driven by playwright-core)
)

missing=()
for pkg in "${!debian_packages[@]}"; do
  command -v "${debian_packages[$pkg]}" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing Debian packages: ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}"
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "install-deps: npm ci"
  npm ci --no-audit --no-fund
fi
