#!/bin/bash
# demo.sh - the lab demo (make demo).  A simulated host is a network
# namespace running its own berthd; the demo builds a small multi-network
# lab there, shows it with berth and with the real docker CLI, shows a bad
# request being refused, and removes everything it made.
#
#   root ns: berth / docker CLI ──unix socket──▶ ns berth-demo: berthd
#                                                   ├─ berth0   172.17.0.0/16 (default bridge)
#                                                   ├─ br-...   frontend (from the default pool)
#                                                   ├─ br-...   backend  10.10.0.0/24
#                                                   └─ lab0     lab      10.20.0.0/16 + fd00:20::/64
set -euo pipefail
: "${BERTH_BIN:=$(cd "$(dirname "$0")/.." && pwd)/build}"
DOCKER_CLI=${DOCKER_CLI:-/usr/local/bin/docker}
NS=berth-demo-$$
TMP=$(mktemp -d /tmp/berth-demo.XXXXXX)
SOCK=$TMP/exec/berth.sock
export BERTH_HOST=unix://$SOCK DOCKER_HOST=unix://$SOCK DOCKER_CONFIG=$TMP/docker
pid=

cleanup() {
	# containers outlive berthd (their shims do): remove them first
	if [ -n "$pid" ] && [ -S "$SOCK" ]; then
		"$BERTH_BIN/berth" ps -aq 2>/dev/null | xargs -r "$BERTH_BIN/berth" rm -f >/dev/null 2>&1
	fi
	if [ -n "$pid" ]; then kill -TERM "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true; fi
	ip netns del "$NS" 2>/dev/null || true
	for d in /sys/fs/cgroup/*/"$NS" /sys/fs/cgroup/"$NS"; do
		[ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
	done
	rm -rf "$TMP"
	echo "demo: cleaned up (namespace $NS and $TMP removed)"
}
trap cleanup EXIT

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }
berth() { "$BERTH_BIN/berth" "$@"; }

# berthd in the simulated host's namespace, on its own dirs; wait until it answers
start_berthd() {
	nsenter --net="/run/netns/$NS" "$BERTH_BIN/berthd" --root "$TMP/root" \
		--exec-root "$TMP/exec" --cgroup-parent "$NS" >>"$TMP/berthd.log" 2>&1 &
	pid=$!
	for _ in $(seq 1 100); do
		curl -sf --unix-socket "$SOCK" http://localhost/_ping >/dev/null && return 0
		sleep 0.05
	done
	echo "demo: berthd did not start:"; tail -20 "$TMP/berthd.log"; return 1
}

say "a simulated host: network namespace $NS with its own berthd"
ip netns add "$NS"
ip -n "$NS" link set lo up
start_berthd
run berth version

say "networks: one from the default pool, two with explicit subnets"
run berth network create --label lab=demo frontend
run berth network create --subnet 10.10.0.0/24 --gateway 10.10.0.254 --label lab=demo backend
run berth network create --subnet 10.20.0.0/16 --ip-range 10.20.5.0/24 \
	--ipv6 --subnet fd00:20::/64 -o com.docker.network.bridge.name=lab0 --internal lab
run berth network ls
run berth network ls --filter label=lab=demo --format '{{.Name}}\t{{.Driver}}\t{{.ID}}'

say "inspect, with berth and with the real docker CLI"
run berth network inspect -f '{{.Name}}: {{range .IPAM.Config}}{{.Subnet}} via {{.Gateway}}  {{end}}' frontend backend lab
if [ -x "$DOCKER_CLI" ]; then
	run "$DOCKER_CLI" network ls
	run "$DOCKER_CLI" network inspect backend
fi

say "the kernel objects behind them (inside $NS)"
run ip -n "$NS" -br addr show type bridge

say "bad input is refused and changes nothing"
run berth network create --subnet 10.10.0.128/25 overlapping || true
run berth network create backend || true
run berth network create --subnet 10.30.0.0/16 --gateway 10.31.0.1 outside || true
run berth network ls --format '{{.Name}}'

say "a restart keeps everything, without doubling a bridge"
kill -TERM "$pid"; wait "$pid" || true
start_berthd
run berth network ls
run ip -n "$NS" -br link show type bridge

say "containers: import busybox (built from Debian's busybox-static), run it"
"$(dirname "$0")/mk-busybox-rootfs.sh" "$TMP/busybox.tar"
run berth import "$TMP/busybox.tar" busybox:latest
run berth images
run berth run --rm --network none --hostname lab1 busybox sh -c \
	'echo "pid $$ on $(hostname)"; grep CapEff /proc/self/status; ip -o link | cut -d: -f2'
run berth run --network none busybox sh -c 'exit 3' || echo "(exit code $?)"

say "a named volume shared through --volumes-from, and exec"
run berth run --network none --name data -v labdata:/data busybox sh -c 'echo "written by data" > /data/note'
run berth run --rm --network none --volumes-from data busybox cat /data/note
run berth volume ls
run berth run -d --network none --name worker busybox sleep 300
# a second process in the running container
run berth exec worker sh -c 'echo "exec in $(hostname), pid 1 is $(cat /proc/1/comm)"'
run berth rm -f worker data

say "a container that outlives a daemon restart"
run berth run -d --init --network none --name keeper busybox sh -c 'while true; do date; sleep 1; done'
sleep 1.2
kill -TERM "$pid"; wait "$pid" || true
echo "berthd stopped; keeper's shim (pid $(cat "$TMP"/exec/containers/*/shim.pid | head -1)) keeps it running"
start_berthd
run berth ps
run berth logs --tail 2 keeper
run berth stop -t 1 keeper
run berth rm keeper
if [ -x "$DOCKER_CLI" ]; then
	run "$DOCKER_CLI" events --since 1 --until "$(($(date +%s) + 1))" --filter type=container \
		--format '{{.Action}} {{.Actor.Attributes.name}}'
fi
run berth volume prune -f

say "prune the lab"
run berth network prune -f
run berth network ls
