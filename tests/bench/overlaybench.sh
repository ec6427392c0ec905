#!/bin/bash
# overlaybench.sh BUSYBOX_TAR - the overlay across two simulated hosts
# (tests/integration/cluster.bash: a switch namespace, an etcd host, two
# berthd hosts), against the underlay it rides on:
#
#   - ping RTT (median of 50) and iperf3 TCP throughput: host to host on
#     the underlay, container to container over VXLAN;
#   - API latency (medians): overlay network create (one etcd transaction)
#     beside a bridge network create, `run --rm true` on the overlay beside
#     a bridge network, connect to the overlay.
#
# Figures, not verdicts.  Environment: ROUNDS (20), IPERF_TIME (5).
set -euo pipefail
: "${BERTH_BIN:?set BERTH_BIN}"
BUSYBOX_TAR=${1:?usage: overlaybench.sh BUSYBOX_TAR}
here=$(cd "$(dirname "$0")" && pwd)
ROUNDS=${ROUNDS:-20}
IPERF_TIME=${IPERF_TIME:-5}
DOCKER_CLI=${DOCKER_CLI:-/usr/local/bin/docker}
docker() { "$DOCKER_CLI" "$@"; }
berth() { "$BERTH_BIN/berth" "$@"; }
# shellcheck source=../integration/cluster.bash
. "$here/../integration/cluster.bash"
exec 3>&2 # cluster_down reports on fd 3, as in bats

trap 'cluster_down || true' EXIT
cluster_up 2

median() { sort -n | awk '{a[NR]=$1} END {if (NR) printf "%.2f", (NR % 2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2); else print "-"}'; }
# ms CMD...: wall time of CMD in ms (its output dropped)
ms() {
	local t0 t1
	t0=$(date +%s%N)
	"$@" >/dev/null 2>&1
	t1=$(date +%s%N)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", (b - a) / 1e6 }'
}
# post N PATH BODY / del N PATH: one API call to host N; prints its time
# in ms as curl measured it (request to last byte, no process start-up)
post() {
	curl -sf -o /dev/null -w '%{time_total}\n' --unix-socket "$TMP/h$1/exec/berth.sock" \
		-X POST -H 'Content-Type: application/json' -d "$3" "http://localhost$2" |
		awk '{ printf "%.3f\n", $1 * 1000 }'
}
del() {
	curl -sf -o /dev/null -w '%{time_total}\n' --unix-socket "$TMP/h$1/exec/berth.sock" \
		-X DELETE "http://localhost$2" | awk '{ printf "%.3f\n", $1 * 1000 }'
}

for h in 1 2; do on "$h" docker import "$BUSYBOX_TAR" busybox:latest >/dev/null; done
on 1 docker network create -d overlay --attachable --subnet 10.99.0.0/24 ov >/dev/null
for _ in $(seq 1 50); do on 2 docker network inspect ov >/dev/null 2>&1 && break; sleep 0.1; done
on 1 docker run -d --name ca --network ov busybox sleep 3600 >/dev/null
on 2 docker run -d --name cb --network ov busybox sleep 3600 >/dev/null
ipb=$(on 2 docker inspect -f '{{.NetworkSettings.Networks.ov.IPAddress}}' cb)
keya=$(on 1 docker inspect -f '{{.NetworkSettings.SandboxKey}}' ca)
keyb=$(on 2 docker inspect -f '{{.NetworkSettings.SandboxKey}}' cb)

echo "== overlay data path: 2 hosts, VXLAN over a veth/bridge underlay, 2 cores shared"
rtt() { # rtt NETNS-FILE ADDR: median RTT in ms of 50 pings
	nsenter --net="$1" ping -c 50 -i 0.02 -q "$2" | awk -F/ '/rtt/ {print $5}'
}
tput() { # tput SERVER-NETNS CLIENT-NETNS ADDR: iperf3 Gbit/s
	local pid r
	nsenter --net="$1" iperf3 -s -1 >/dev/null 2>&1 &
	pid=$!
	sleep 0.3
	r=$(nsenter --net="$2" iperf3 -c "$3" -t "$IPERF_TIME" -J 2>/dev/null |
		python3 -c 'import json,sys; print("%.2f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e9))' || echo "-")
	wait "$pid" 2>/dev/null || true
	echo "$r"
}
u_rtt=$(rtt "/run/netns/$CL-h1" "$CL_NET.12")
o_rtt=$(rtt "$keya" "$ipb")
u_bw=$(tput "/run/netns/$CL-h2" "/run/netns/$CL-h1" "$CL_NET.12")
o_bw=$(tput "$keyb" "$keya" "$ipb")
printf '%-34s %10s %12s\n' "path" "RTT ms" "TCP Gbit/s"
printf '%-34s %10s %12s\n' "underlay h1 -> h2 (eth0)" "$u_rtt" "$u_bw"
printf '%-34s %10s %12s\n' "overlay ca (h1) -> cb (h2), VXLAN" "$o_rtt" "$o_bw"

echo "== API latency, medians of $ROUNDS (h1)"
for i in $(seq 1 "$ROUNDS"); do
	post 1 /networks/create "{\"Name\":\"o$i\",\"Driver\":\"overlay\"}" >>"$TMP/ov_create"
	post 1 /networks/create "{\"Name\":\"b$i\"}" >>"$TMP/br_create"
done
for i in $(seq 1 "$ROUNDS"); do
	del 1 "/networks/o$i" >>"$TMP/ov_rm"
	del 1 "/networks/b$i" >/dev/null
done
on 1 docker network create lab >/dev/null
for i in $(seq 1 "$ROUNDS"); do
	ms on 1 docker run --rm --network ov busybox true >>"$TMP/ov_run"
	ms on 1 docker run --rm --network lab busybox true >>"$TMP/br_run"
done
on 1 docker run -d --name probe --network lab busybox sleep 3600 >/dev/null
for i in $(seq 1 "$ROUNDS"); do
	post 1 /networks/ov/connect '{"Container":"probe"}' >>"$TMP/ov_connect"
	post 1 /networks/ov/disconnect '{"Container":"probe"}' >/dev/null
done
echo "(API calls timed by curl from request to reply; the runs through the docker CLI, its start-up included)"
printf '%-44s %8s ms\n' "network create -d overlay (etcd txn)" "$(median <"$TMP/ov_create")"
printf '%-44s %8s ms\n' "network create (bridge)" "$(median <"$TMP/br_create")"
printf '%-44s %8s ms\n' "network rm (overlay)" "$(median <"$TMP/ov_rm")"
printf '%-44s %8s ms\n' "docker run --rm true on the overlay" "$(median <"$TMP/ov_run")"
printf '%-44s %8s ms\n' "docker run --rm true on a bridge network" "$(median <"$TMP/br_run")"
printf '%-44s %8s ms\n' "network connect to the overlay" "$(median <"$TMP/ov_connect")"
