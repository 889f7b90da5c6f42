#!/usr/bin/env bash
# Installs the system packages the test suite drives for real (redis-server,
# netcat, chromium, tmux, curl, python3), from Debian's packages, when they are
# missing.
# Safe to run again: it does nothing when everything is there.
set -euo pipefail
need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v nc.openbsd >/dev/null 2>&1 || need+=(netcat-openbsd)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
# Chinese text in the chat page's screenshots (tests/adapters/web/page_test.ts).
[ -n "$(fc-list :lang=zh 2>/dev/null || true)" ] || need+=(fonts-wqy-microhei)
command -v tmux >/dev/null 2>&1 || need+=(tmux)
command -v ps >/dev/null 2>&1 || need+=(procps) # serve: is the console in the background?
command -v curl >/dev/null 2>&1 || need+=(curl)
command -v prlimit >/dev/null 2>&1 || need+=(util-linux) # serve reads its descriptor limit
# The minimal clients of docs/protocol.md (tests/adapters/udp/loss_test.ts).
command -v python3 >/dev/null 2>&1 || need+=(python3)
command -v gcc >/dev/null 2>&1 || need+=(gcc) # bench/loadgen.c (tests/bench_smoke_test.ts)
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" != 0 ]; then
  echo "deps: missing ${need[*]}; install them (apt-get install ${need[*]}) or run as root" >&2
  exit 1
fi
echo "deps: installing ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
