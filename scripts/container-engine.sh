#!/usr/bin/env bash
# A container engine and an image registry on loopback, in a directory of their own, for the
# container runner's tests and the e2e suite (and for trying containers on a dev chain):
#
#   scripts/container-engine.sh start DIR      podman's Docker-compatible API on DIR/podman.sock,
#                                              a registry on 127.0.0.1:<free port>; prints
#                                              `socket=… registry=…`
#   scripts/container-engine.sh image DIR NAME builds the busybox test image (sh, httpd), pushes
#                                              it as REGISTRY/NAME:latest; prints its digest
#   scripts/container-engine.sh stop DIR       stops both and removes what they stored
#
# Podman runs with runc and explicit ulimits (this kind of sandbox has hybrid cgroups, which
# crun refuses, and no CAP_SYS_RESOURCE), vfs storage under DIR, and trusts only the loopback
# registry without TLS. scripts/setup.sh installs podman, runc, docker-registry, iptables and
# busybox-static.
set -euo pipefail
cmd=${1:?usage: container-engine.sh start|image|stop DIR [NAME]}
dir=${2:?a directory}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

podman_() {
	CONTAINERS_CONF="$dir/containers.conf" CONTAINERS_REGISTRIES_CONF="$dir/registries.conf" \
		podman --root "$dir/storage" --runroot "$dir/run" --storage-driver vfs \
		--events-backend file "$@"
}

case "$cmd" in
start)
	for tool in podman runc docker-registry busybox; do
		command -v "$tool" >/dev/null || { echo "container-engine: $tool is missing (scripts/setup.sh installs it)" >&2; exit 2; }
	done
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	cat >"$dir/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
[engine]
runtime = "runc"
CONF
	cat >"$dir/registries.conf" <<CONF
unqualified-search-registries = []
[[registry]]
location = "127.0.0.1:$port"
insecure = true
CONF
	cat >"$dir/registry.yml" <<CONF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $dir/registry
http:
  addr: 127.0.0.1:$port
CONF
	docker-registry serve "$dir/registry.yml" >"$dir/registry.log" 2>&1 &
	echo $! >"$dir/registry.pid"
	# From inside DIR: conmon writes files such as `oom` into its working directory.
	(cd "$dir" && CONTAINERS_CONF="$dir/containers.conf" CONTAINERS_REGISTRIES_CONF="$dir/registries.conf" \
		exec podman --root "$dir/storage" --runroot "$dir/run" --storage-driver vfs --events-backend file \
		system service --time=0 "unix://$dir/podman.sock" >"$dir/podman.log" 2>&1) &
	echo $! >"$dir/podman.pid"
	echo "127.0.0.1:$port" >"$dir/registry.addr"
	for _ in $(seq 1 100); do
		if [ -S "$dir/podman.sock" ] && curl -sf "http://127.0.0.1:$port/v2/" >/dev/null 2>&1; then
			echo "socket=unix://$dir/podman.sock registry=127.0.0.1:$port"
			exit 0
		fi
		sleep 0.1
	done
	echo "container-engine: the engine or the registry did not start (see $dir/*.log)" >&2
	exit 1
	;;
image)
	name=${3:?an image name}
	registry=$(cat "$dir/registry.addr")
	root="$dir/image-$name"
	rm -rf "$root" && mkdir -p "$root/bin" "$root/www" "$root/out"
	cp "$(command -v busybox)" "$root/bin/busybox"
	for applet in sh httpd sleep echo cat ls env wget head dd; do ln -sf busybox "$root/bin/$applet"; done
	echo "hello from $name" >"$root/www/index.html"
	tar -C "$root" -cf "$dir/$name.tar" .
	podman_ import --change 'CMD ["/bin/sh"]' "$dir/$name.tar" "localhost/$name:latest" >/dev/null 2>&1
	podman_ push --tls-verify=false --digestfile "$dir/$name.digest" "localhost/$name:latest" "$registry/$name:latest" >/dev/null 2>&1
	cat "$dir/$name.digest"; echo
	;;
stop)
	if [ -S "$dir/podman.sock" ] || [ -d "$dir/storage" ]; then
		podman_ rm -af -t 0 >/dev/null 2>&1 || true
	fi
	for pidfile in "$dir/podman.pid" "$dir/registry.pid"; do
		[ -f "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null || true
	done
	# Whatever else still serves this directory (its pid files gone with the directory, say).
	pkill -f "unix://$dir/podman.sock" 2>/dev/null || true
	pkill -f "docker-registry serve $dir/registry.yml" 2>/dev/null || true
	sleep 0.2
	rm -rf "$dir"
	;;
*)
	echo "usage: container-engine.sh start|image|stop DIR [NAME]" >&2
	exit 2
	;;
esac
