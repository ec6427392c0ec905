#!/bin/bash
# run.sh - the benchmarks (make bench): berthd in a namespace of its own,
# the network API benchmark against it, then everything removed.
#
#   root ns: netbench.py ──unix socket──▶ berth-bench ns: berthd
set -euo pipefail
: "${BERTH_BIN:?set BERTH_BIN}"
NS=berth-bench-$$
TMP=$(mktemp -d /tmp/berth-bench.XXXXXX)
SOCK=$TMP/exec/berth.sock
pid=

cleanup() {
	[ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	ip netns del "$NS" 2>/dev/null || true
	rm -rf "$TMP"
}
trap cleanup EXIT

ip netns add "$NS"
ip -n "$NS" link set lo up
# a pool large enough for 600 networks
nsenter --net="/run/netns/$NS" "$BERTH_BIN/berthd" --root "$TMP/root" --exec-root "$TMP/exec" \
	--default-address-pool base=10.0.0.0/8,size=24 --log-level warn >"$TMP/berthd.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
	curl -sf --unix-socket "$SOCK" http://localhost/_ping >/dev/null && break
	sleep 0.05
done
here=$(cd "$(dirname "$0")" && pwd)
echo "== network API ($(nproc) CPUs, $(uname -r))"
python3 "$here/netbench.py" "$SOCK" "$pid" "${ROUNDS:-50}"

echo "== containers"
"$here/../../scripts/mk-busybox-rootfs.sh" "$TMP/busybox.tar" >/dev/null
python3 "$here/ctrbench.py" "$SOCK" "$pid" "$TMP/exec" "$TMP/busybox.tar"
command -v crun >/dev/null || apt-get install -y -qq crun >/dev/null 2>&1 || true
nsenter --net="/run/netns/$NS" "$here/crun-floor.sh" "$TMP/busybox.tar" "${ROUNDS:-30}"
