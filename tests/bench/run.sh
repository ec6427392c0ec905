#!/bin/bash
# run.sh - the benchmarks (make bench).  Every berthd runs in a network
# namespace this script makes; every peer is another namespace linked to it
# with a veth; everything is removed on exit.  Prints figures, never fails on
# a timing; exits non-zero when a benchmark hit an error or left something.
#
#   part 1  root ns: netbench.py, ctrbench.py ──unix socket──▶ $NS: berthd #1
#           (then crun-floor.sh in $NS)
#   part 2  root ns: bridgebench.py, tperf.py ──unix socket──▶ $NS-br: berthd #2
#
#           $NS-out 198.51.100.1 ──veth── 198.51.100.2 $NS-br (default via .1)
#           $NS-va 192.0.2.1 ──veth── 192.0.2.2 $NS-vb     (bare pair, iperf3 floor)
#           $NS-fl: kernel-floor (bridges kfbr0, kfbr1; libnl, no berthd)
#   part 3  dnsbench.sh: the embedded DNS resolver beside aardvark-dns and
#           dnsmasq (its own namespaces and berthd #3)
#   part 4  overlaybench.sh: an overlay across two simulated hosts and etcd
#           (tests/integration/cluster.bash) against its underlay
#   part 5  pluginbench.sh: connect/disconnect through a remote network
#           plugin (tests/plugins/netplugin.py) beside a bridge network
#   part 6  regbench.sh: docker push and pull of a 100 MiB image with a
#           local docker-registry, beside curl moving the same blobs
#
# Environment (defaults): ROUNDS (50 network rounds, 30 lifecycles), LEVELS
# (1,100,500 ctrbench), CONNECT_LEVELS (1,100,500), CONNECT_ROUNDS (30),
# PORT_LEVELS (0,1,100), PORT_ROUNDS (20), NET_LEVELS (1,50), FLOOR_ROUNDS
# (200), IPERF_TIME (5 s), IPERF_RUNS (3), PEERS (berthd: the shared
# peer-bench workload against berthd alone; all: beside dockerd and podman
# through run-peers.sh when they are installed; 0: skip); DNS_TIME (5 s),
# DNS_RATE (1000 qps), DNS_OUTSTANDING (100), DNS_NAMES (10,1000): dnsbench.sh;
# BENCH_N (5 runs), BIG_MB (100): regbench.sh.
set -euo pipefail
: "${BERTH_BIN:?set BERTH_BIN}"
here=$(cd "$(dirname "$0")" && pwd)
NS=berth-bench-$$
BR=$NS-br OUT=$NS-out VA=$NS-va VB=$NS-vb FL=$NS-fl
TMP=$(mktemp -d /tmp/berth-bench.XXXXXX)
failed=()
pid=

# start_berthd NETNS DIR: berthd in NETNS with root and exec-root under DIR
start_berthd() {
	local ns=$1 dir=$2
	mkdir -p "$dir"
	# a pool large enough for 600 networks
	nsenter --net="/run/netns/$ns" "$BERTH_BIN/berthd" --root "$dir/root" --exec-root "$dir/exec" \
		--cgroup-parent "$ns" --default-address-pool base=10.0.0.0/8,size=24 --log-level warn \
		>"$dir/berthd.log" 2>&1 &
	pid=$!
	SOCK=$dir/exec/berth.sock
	for _ in $(seq 1 100); do
		curl -sf --unix-socket "$SOCK" http://localhost/_ping >/dev/null && return 0
		sleep 0.05
	done
	echo "berthd in $ns did not answer; its log:"
	cat "$dir/berthd.log"
	return 1
}

# stop_berthd NETNS DIR: remove its containers (they outlive berthd), stop
# it, then report what it left: sandboxes, mounts, processes, cgroups, and
# the warnings and errors of its log.
stop_berthd() {
	local ns=$1 dir=$2 id d left
	if [ -n "$pid" ] && [ -S "$dir/exec/berth.sock" ]; then
		for id in $(curl -s --max-time 30 --unix-socket "$dir/exec/berth.sock" \
			"http://localhost/containers/json?all=1" |
			python3 -c 'import json,sys; print(" ".join(c["Id"] for c in json.load(sys.stdin)))' 2>/dev/null); do
			echo "leftover container $id: removing"
			curl -s --max-time 30 --unix-socket "$dir/exec/berth.sock" -X DELETE \
				"http://localhost/containers/$id?force=1" >/dev/null
		done
	fi
	if [ -n "$pid" ]; then
		if kill -TERM "$pid" 2>/dev/null; then wait "$pid" 2>/dev/null || true; fi
		pid=
	fi
	left=0
	if [ -d "$dir/exec/netns" ] && [ -n "$(ls -A "$dir/exec/netns")" ]; then
		echo "LEFT by berthd in $ns: sandbox netns files: $(ls "$dir/exec/netns" | cut -c1-12 | tr '\n' ' ')"
		left=1
	fi
	for d in $(findmnt -rno TARGET | grep -F "$dir/" | sort -r); do
		echo "LEFT by berthd in $ns: mount $d (unmounting)"
		umount -l "$d" || true
		left=1
	done
	# shims and containers carry our directory in their command line
	for d in /proc/[0-9]*; do
		if grep -qF "$dir/" "$d/cmdline" 2>/dev/null; then
			echo "LEFT by berthd in $ns: process ${d#/proc/}: $(tr '\0' ' ' <"$d/cmdline" | cut -c1-120) (killing)"
			kill -KILL "${d#/proc/}" 2>/dev/null || true
			left=1
		fi
	done
	for d in /sys/fs/cgroup/*/"$ns" /sys/fs/cgroup/"$ns"; do
		[ -d "$d" ] || continue
		if [ -n "$(find "$d" -mindepth 1 -type d 2>/dev/null)" ]; then
			echo "LEFT by berthd in $ns: cgroups $(find "$d" -mindepth 1 -type d | tr '\n' ' ')"
			left=1
		fi
		find "$d" -depth -type d -exec rmdir {} + 2>/dev/null || true
	done
	if [ -f "$dir/berthd.log" ] && [ -s "$dir/berthd.log" ]; then
		echo "berthd log ($ns), warnings and errors: $(wc -l <"$dir/berthd.log") lines; the first 20:"
		head -20 "$dir/berthd.log" | sed 's/^/  /'
	fi
	[ $left = 0 ] || failed+=("leftovers of berthd in $ns")
}

cleanup() {
	local rc=$?
	[ -n "$pid" ] && stop_berthd "${cur_ns:-$NS}" "${cur_dir:-$TMP/d1}"
	for n in "$NS" "$BR" "$OUT" "$VA" "$VB" "$FL"; do
		ip netns del "$n" 2>/dev/null || true
	done
	for d in $(findmnt -rno TARGET | grep -F "$TMP/" | sort -r); do umount -l "$d" || true; done
	rm -rf "$TMP"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# run NAME CMD...: a benchmark; its failure is recorded and the others go on
run() {
	local name=$1
	shift
	"$@" || { echo "FAILED: $name (exit $?)"; failed+=("$name"); }
}

for n in "$NS" "$BR" "$OUT" "$VA" "$VB" "$FL"; do
	ip netns add "$n"
	ip -n "$n" link set lo up
done
"$here/../../scripts/mk-busybox-rootfs.sh" "$TMP/busybox.tar" >/dev/null

# --- part 1: network API and containers (berthd #1) ----------------------
cur_ns=$NS cur_dir=$TMP/d1
start_berthd "$NS" "$TMP/d1"
echo "== network API ($(nproc) CPUs, $(uname -r))"
run netbench python3 "$here/netbench.py" "$SOCK" "$pid" "${ROUNDS:-50}"

echo "== containers"
run ctrbench python3 "$here/ctrbench.py" "$SOCK" "$pid" "$TMP/d1/exec" "$TMP/busybox.tar"
# crun-floor.sh says how to install crun when it is missing
run crun-floor nsenter --net="/run/netns/$NS" "$here/crun-floor.sh" "$TMP/busybox.tar" "${ROUNDS:-30}"
stop_berthd "$NS" "$TMP/d1"

# --- part 2: the bridge data path (berthd #2, fresh, with an outside) -----
ip -n "$BR" link add up0 type veth peer name down0 netns "$OUT"
ip -n "$BR" addr add 198.51.100.2/24 dev up0
ip -n "$BR" link set up0 up
ip -n "$OUT" addr add 198.51.100.1/24 dev down0
ip -n "$OUT" link set down0 up
ip -n "$BR" route add default via 198.51.100.1
cur_ns=$BR cur_dir=$TMP/d2
start_berthd "$BR" "$TMP/d2"
echo "== bridge data path (berthd in $BR, $(nproc) CPUs)"
run bridgebench python3 "$here/bridgebench.py" "$SOCK" "$pid" "$BR" "$TMP/busybox.tar" "$TMP/bridge.json"

echo "== kernel floor: the same kernel work in one process through libnl-route-3 (no berthd)"
ip -n "$FL" link add kfbr0 type bridge
ip -n "$FL" link add kfbr1 type bridge
ip -n "$FL" addr add 10.99.0.1/16 dev kfbr0
ip -n "$FL" addr add 10.98.0.1/16 dev kfbr1
ip -n "$FL" link set kfbr0 up
ip -n "$FL" link set kfbr1 up
mkdir -p "$TMP/floor"
# shellcheck disable=SC2046
if cc -O2 -o "$TMP/kernel-floor" "$here/kernel-floor.c" $(pkg-config --cflags --libs libnl-3.0 libnl-route-3.0); then
	# a private mount namespace: a floor that dies leaves no bind mount
	run kernel-floor unshare -m --propagation private nsenter --net="/run/netns/$FL" \
		"$TMP/kernel-floor" kfbr0 kfbr1 "$TMP/floor" "${FLOOR_ROUNDS:-200}" "$TMP/floor.json"
else
	failed+=("kernel-floor (build)")
fi
if [ -s "$TMP/bridge.json" ] && [ -s "$TMP/floor.json" ]; then
	python3 - "$TMP/bridge.json" "$TMP/floor.json" <<'PY'
import json, sys
b, f = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
life = b.get("lifecycle", {})
kern = f["netns_add"] + f["join"] + f["netns_del"]
for k, name in (("bridge", "default bridge"), ("user", "user network")):
    if k in life and "none" in life:
        d = life[k] - life["none"]
        print(f"above the floor: lifecycle on the {name} costs {d:+.2f} ms over --network none; "
              f"the kernel work (netns add + join + netns del) {kern:.2f} ms: berth adds {d - kern:+.2f} ms")
for op in ("connect", "disconnect"):
    for lvl, v in sorted(b.get(op, {}).items(), key=lambda kv: int(kv[0])):
        print(f"above the floor: {op} with {lvl} running p50 {v:.2f} ms, kernel {f[op]:.2f} ms: "
              f"berth adds {v - f[op]:+.2f} ms ({v / f[op]:.1f}x)")
print("(a veth's deletion waits for RCU grace periods, 20-35 ms here depending on the load of the\n"
      " moment: disconnect is kernel-bound, and measured at another moment it may come out under the floor)")
PY
fi

echo "== TCP throughput (iperf3)"
if command -v iperf3 >/dev/null; then
	ip -n "$VA" link add v0 type veth peer name v1 netns "$VB"
	ip -n "$VA" addr add 192.0.2.1/24 dev v0
	ip -n "$VB" addr add 192.0.2.2/24 dev v1
	ip -n "$VA" link set v0 up
	ip -n "$VB" link set v1 up
	run throughput python3 "$here/tperf.py" "$SOCK" "$BR" "$OUT" "$VA" "$VB" "$TMP/busybox.tar"
else
	echo "iperf3 is not installed (Debian: apt-get install iperf3): throughput skipped"
fi

# The shared Docker-API workload (api-bench.py); beside dockerd and podman
# only with PEERS=all and both installed (run-peers.sh starts them in
# namespaces of their own).
peers=${PEER_BENCH_DIR:-$here/../../../shared/tools/peer-bench}
case ${PEERS:-berthd} in
0 | no) ;;
*)
	echo "== peer-bench workload (${PEERS:-berthd})"
	if [ ! -f "$peers/api-bench.py" ]; then
		echo "peer-bench not found at $peers (set PEER_BENCH_DIR): skipped"
	elif [ "${PEERS:-}" = all ] && [ -x /usr/sbin/dockerd ] && command -v podman >/dev/null; then
		run peers "$peers/run-peers.sh" all --sock "$SOCK" --label berthd --pid "$pid" --netns "/run/netns/$BR"
	else
		[ "${PEERS:-}" = all ] && echo "dockerd or podman is not installed: berthd alone"
		if ! python3 "$peers/api-bench.py" --sock "$SOCK" --label berthd --pid "$pid" \
			--netns "/run/netns/$BR" --pid-tree --rounds "${PEER_ROUNDS:-10}" \
			--scale "${PEER_SCALE:-0,50,150}" --ports "${PEER_PORTS:-0,1,10,50}" \
			--out "$TMP/peers.json" 2>"$TMP/peers.log"; then
			echo "FAILED: peers; the end of api-bench's log:"
			tail -20 "$TMP/peers.log"
			failed+=(peers)
		fi
	fi
	;;
esac

before=$(ip -n "$BR" -o link show | wc -l)
stop_berthd "$BR" "$TMP/d2"
echo "== after the run: $before links in $BR (lo, up0 and the bridges berthd keeps)"

# --- part 3: name lookups (dnsbench.sh makes its namespaces and berthd) ----
run dnsbench "$here/dnsbench.sh" "$TMP/busybox.tar"

# --- part 4: the overlay (overlaybench.sh makes its hosts, etcd, berthds) ----
run overlaybench "$here/overlaybench.sh" "$TMP/busybox.tar"

# --- part 5: connect/disconnect through a remote network plugin ----------
run pluginbench "$here/pluginbench.sh" "$TMP/busybox.tar"

# --- part 6: pull and push with a local registry ----------------------------
run regbench "$here/regbench.sh" "$TMP/busybox.tar"
if [ ${#failed[@]} -gt 0 ]; then
	echo "errors (not timings): ${failed[*]}"
	exit 1
fi
