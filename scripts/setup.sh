#!/usr/bin/env bash
# Installs what a fresh Debian machine lacks to build, run and test Crucible. Idempotent: each
# step checks first, so scripts/dev.sh and scripts/test.sh call it on every run.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[setup] %s\n' "$*"; }

# --- System packages: protoc (libp2p/litep2p protobufs), clang (C code in crypto crates), a C
# compiler (the CUDA kernels' C test harness), pkg-config; the container engine of the tests.
need_apt=()
command -v protoc >/dev/null 2>&1 || need_apt+=(protobuf-compiler)
command -v clang >/dev/null 2>&1 || need_apt+=(clang)
command -v cc >/dev/null 2>&1 || need_apt+=(gcc)
dpkg -s libclang-dev >/dev/null 2>&1 || need_apt+=(libclang-dev)
command -v pkg-config >/dev/null 2>&1 || need_apt+=(pkg-config)
# The container runner's tests (scripts/container-engine.sh): Podman's Docker-compatible API
# with runc (crun refuses hybrid cgroups), iptables (published ports, the runner's firewall),
# a registry on loopback, and busybox-static for a test image made without any download.
command -v podman >/dev/null 2>&1 || need_apt+=(podman)
command -v runc >/dev/null 2>&1 || need_apt+=(runc)
command -v iptables >/dev/null 2>&1 || need_apt+=(iptables)
command -v docker-registry >/dev/null 2>&1 || need_apt+=(docker-registry)
dpkg -s busybox-static >/dev/null 2>&1 || need_apt+=(busybox-static)
command -v curl >/dev/null 2>&1 || need_apt+=(curl)
# The console's browser tests: Debian's Chromium (driven by playwright-core, no browser download)
# and a font for its screenshots.
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
dpkg -s fonts-dejavu-core >/dev/null 2>&1 || need_apt+=(fonts-dejavu-core)
if [ ${#need_apt[@]} -gt 0 ]; then
	log "apt: installing ${need_apt[*]}"
	SUDO=""
	[ "$(id -u)" -eq 0 ] || SUDO="sudo"
	export DEBIAN_FRONTEND=noninteractive
	$SUDO apt-get update -qq
	$SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}"
fi

# --- Rust: the wasm target the runtime is built for, and rust-src (wasm-builder needs it).
if ! command -v rustup >/dev/null 2>&1; then
	echo "rustup is required (https://rustup.rs)" >&2
	exit 1
fi
installed_targets=$(rustup target list --installed)
echo "$installed_targets" | grep -qx wasm32v1-none || { log "rustup: adding wasm32v1-none"; rustup target add wasm32v1-none; }
echo "$installed_targets" | grep -qx wasm32-unknown-unknown || { log "rustup: adding wasm32-unknown-unknown"; rustup target add wasm32-unknown-unknown; }
rustup component list --installed | grep -q '^rust-src' || { log "rustup: adding rust-src"; rustup component add rust-src; }
rustup component list --installed | grep -q '^clippy' || rustup component add clippy
rustup component list --installed | grep -q '^rustfmt' || rustup component add rustfmt
# Formatting follows polkadot-sdk's rustfmt.toml, some of whose options are nightly-only.
if ! rustup run nightly rustfmt --version >/dev/null 2>&1; then
	log "rustup: installing nightly rustfmt"
	rustup toolchain install nightly --profile minimal --component rustfmt
fi

# --- Node.js packages of the e2e suite and of the console, exactly as locked.
for dir in scripts/e2e console; do
	[ -f "$dir/package-lock.json" ] || continue
	if ! command -v npm >/dev/null 2>&1; then
		echo "node.js and npm are required for the e2e suite and the console" >&2
		exit 1
	fi
	stamp="$dir/node_modules/.crucible-lock-stamp"
	if [ ! -f "$stamp" ] || ! cmp -s "$dir/package-lock.json" "$stamp"; then
		log "npm ci in $dir"
		(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
		cp "$dir/package-lock.json" "$stamp"
	fi
done
log "ok"
