#!/usr/bin/env bash
# The README's test command: installs what a fresh Debian 12 + Node 20 machine lacks, then runs
# the type check, the linter and every test (unit, and integration against real peers on 127.0.0.1).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh

npm run typecheck
npm run lint
npm test
