#!/usr/bin/env bash
# Builds the web console (console/, a static bundle: no CDN, works offline) and serves it on
# loopback. The chain endpoint is a setting in the page (default ws://127.0.0.1:9944, or
# ?rpc=ws://host:port in the address).
# Usage: scripts/console.sh [--port N] [--rpc ws://host:port] [--build-only]
set -euo pipefail
cd "$(dirname "$0")/.."

port=4173
rpc=""
serve=1
while [ $# -gt 0 ]; do
	case "$1" in
		--port) port="$2"; shift 2 ;;
		--rpc) rpc="$2"; shift 2 ;;
		--build-only) serve=0; shift ;;
		*) echo "unknown argument: $1 (expected --port N, --rpc URL, --build-only)" >&2; exit 2 ;;
	esac
done

bash scripts/setup.sh >/dev/null
(cd console && npm run --silent build)
[ "$serve" = 1 ] || exit 0

address="http://127.0.0.1:$port/"
[ -n "$rpc" ] && address="$address?rpc=$rpc"
cat <<MSG

  Crucible console
  Open:  $address
  Chain: ${rpc:-ws://127.0.0.1:9944 (change it at the top right of the page)}

MSG
cd console && exec ./node_modules/.bin/vite preview --port "$port" --strictPort
