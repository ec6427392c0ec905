#!/bin/bash
# overlaybench.sh BUSYBOX_TAR - the overlay across simulated hosts
# (tests/integration/cluster.bash: a switch namespace, an etcd host, berthd
# hosts), against the underlay it rides on:
#
#   - ping RTT (median of 50) and iperf3 TCP throughput: host to host on
#     the underlay, host to host over a VXLAN device made by hand (VNI 42,
#     UDP port 4790, 198.18.0.0/30, MTU 1450: the kernel's VXLAN without
#     berth), container to container over berth's overlay;
#   - start to reachable: `docker run -d --ip` on h1 (and, apart, an API
#     start of a container created before) until a container on h2 gets an
#     answer to a ping (one `ping -c1` after the other; the prober's ARP
#     retransmit is set to 10 ms so that the kernel's 1 s default does not
#     hide the propagation), median and p99, beside the time the command
#     or the reply took;
#   - etcd requests per container create, start, stop (t=0) and rm on h1
#     (API calls), from etcd's own counters (grpc_server_handled_total,
#     unary calls of every host, lease keep-alives left out), the watch
#     messages and the bytes etcd sent;
#   - API latency (medians): overlay network create (one etcd transaction)
#     beside a bridge network create, `run --rm true` on the overlay beside
#     a bridge network, connect to the overlay;
#   - scale: 2, 4, 8 hosts (hosts added to the same cluster), each
#     running 50 containers on one overlay network: the create+start time
#     of the containers the new hosts start, FDB and neighbour entries on
#     the VXLAN device in each host's overlay namespace, the keys under
#     /berth/v1/ in etcd, how long the hosts took to agree, etcd requests
#     and bytes per container; then what removing every container and the
#     network left in etcd and in overlay namespaces.
#
# Figures, not verdicts.  Environment: ROUNDS (20, API rounds), IPERF_TIME
# (5), IPERF_RUNS (1, median of), OV_START_ROUNDS (20), OV_ETCD_CTRS (20),
# OV_SCALE_HOSTS (2,4,8; 0 skips), OV_SCALE_CTRS (50), OV_LOGS (a directory
# that receives the berthd and etcd logs before cleanup).
set -euo pipefail
: "${BERTH_BIN:?set BERTH_BIN}"
BUSYBOX_TAR=${1:?usage: overlaybench.sh BUSYBOX_TAR}
here=$(cd "$(dirname "$0")" && pwd)
ROUNDS=${ROUNDS:-20}
IPERF_TIME=${IPERF_TIME:-5}
IPERF_RUNS=${IPERF_RUNS:-1}
OV_START_ROUNDS=${OV_START_ROUNDS:-20}
OV_ETCD_CTRS=${OV_ETCD_CTRS:-20}
OV_SCALE_HOSTS=${OV_SCALE_HOSTS:-2,4,8}
OV_SCALE_CTRS=${OV_SCALE_CTRS:-50}
DOCKER_CLI=${DOCKER_CLI:-/usr/local/bin/docker}
docker() { "$DOCKER_CLI" "$@"; }
berth() { "$BERTH_BIN/berth" "$@"; }
# shellcheck source-path=SCRIPTDIR source=../integration/cluster.bash disable=SC1091
. "$here/../integration/cluster.bash"
exec 3>&2 # cluster_down reports on fd 3, as in bats

[ "$OV_START_ROUNDS" -le 50 ] || { echo "OV_START_ROUNDS: at most 50" >&2; exit 2; }

# save_logs: the logs into $OV_LOGS (when set) before cluster_down removes them
save_logs() {
	[ -n "${OV_LOGS:-}" ] && [ -n "${TMP:-}" ] || return 0
	local i
	mkdir -p "$OV_LOGS"
	cp "$TMP/etcd.log" "$OV_LOGS/" 2>/dev/null || true
	for i in $(seq 1 "${CL_HOSTS:-0}"); do
		cp "$TMP/h$i/berthd.log" "$OV_LOGS/berthd-h$i.log" 2>/dev/null || true
	done
}
trap 'save_logs; cluster_down || true' EXIT
cluster_up 2

median() { sort -n | awk '{a[NR]=$1} END {if (NR) printf "%.2f", (NR % 2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2); else print "-"}'; }
# p99: nearest rank; with fewer than 100 samples, the largest
p99() { sort -n | awk '{a[NR]=$1} END {if (!NR) {print "-"; exit} i=int(NR*0.99); if (i < NR*0.99) i++; printf "%.2f", a[i]}'; }
# ms CMD...: wall time of CMD in ms (its output dropped; its errors said)
ms() {
	local t0 t1
	t0=$(date +%s%N)
	if ! "$@" >/dev/null 2>"$TMP/ms.err"; then
		echo "FAILED: $*: $(cat "$TMP/ms.err")" >&2
		return 1
	fi
	t1=$(date +%s%N)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", (b - a) / 1e6 }'
}
# post N PATH BODY / del N PATH: one API call to host N; prints its time
# in ms as curl measured it (request to last byte, no process start-up)
post() {
	curl -sSf -o /dev/null -w '%{time_total}\n' --unix-socket "$TMP/h$1/exec/berth.sock" \
		-X POST -H 'Content-Type: application/json' -d "$3" "http://localhost$2" |
		awk '{ printf "%.3f\n", $1 * 1000 }'
}
del() {
	curl -sSf -o /dev/null -w '%{time_total}\n' --unix-socket "$TMP/h$1/exec/berth.sock" \
		-X DELETE "http://localhost$2" | awk '{ printf "%.3f\n", $1 * 1000 }'
}
# ctr_body NETWORK: a busybox `sleep 3600` on NETWORK, as the docker CLI sends it
ctr_body() {
	printf '{"Image":"busybox","Cmd":["sleep","3600"],"HostConfig":{"NetworkMode":"%s"},' "$1"
	printf '"NetworkingConfig":{"EndpointsConfig":{"%s":{}}}}' "$1"
}

for h in 1 2; do on "$h" docker import "$BUSYBOX_TAR" busybox:latest >/dev/null; done
on 1 docker network create -d overlay --attachable --subnet 10.99.0.0/24 ov >/dev/null
for _ in $(seq 1 50); do on 2 docker network inspect ov >/dev/null 2>&1 && break; sleep 0.1; done
on 1 docker run -d --name ca --network ov busybox sleep 3600 >/dev/null
on 2 docker run -d --name cb --network ov busybox sleep 3600 >/dev/null
ipb=$(on 2 docker inspect -f '{{.NetworkSettings.Networks.ov.IPAddress}}' cb)
keya=$(on 1 docker inspect -f '{{.NetworkSettings.SandboxKey}}' ca)
keyb=$(on 2 docker inspect -f '{{.NetworkSettings.SandboxKey}}' cb)

# raw VXLAN between the two host namespaces, beside berth's (VNI >= 4096,
# port 4789): 198.18.0.0/15 is set aside for benchmarks (RFC 2544)
RAW_VNI=42 RAW_PORT=4790 RAW_NET=198.18.0
for n in 1 2; do
	ip -n "$CL-h$n" link add vxbench mtu 1450 type vxlan id "$RAW_VNI" \
		local "$CL_NET.1$n" remote "$CL_NET.1$((3 - n))" dstport "$RAW_PORT" dev eth0
	ip -n "$CL-h$n" addr add "$RAW_NET.$n/30" dev vxbench
	ip -n "$CL-h$n" link set vxbench up
done

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
r_rtt=$(rtt "/run/netns/$CL-h1" "$RAW_NET.2")
o_rtt=$(rtt "$keya" "$ipb")
# the three paths taken in turn, IPERF_RUNS times, so that a noisy moment
# of the shared machine does not fall on one path only
for _ in $(seq 1 "$IPERF_RUNS"); do
	tput "/run/netns/$CL-h2" "/run/netns/$CL-h1" "$CL_NET.12" >>"$TMP/bw_u"
	tput "/run/netns/$CL-h2" "/run/netns/$CL-h1" "$RAW_NET.2" >>"$TMP/bw_r"
	tput "$keyb" "$keya" "$ipb" >>"$TMP/bw_o"
done
printf '%-38s %10s %12s\n' "path" "RTT ms" "TCP Gbit/s"
printf '%-38s %10s %12s\n' "underlay h1 -> h2 (eth0)" "$u_rtt" "$(median <"$TMP/bw_u")"
printf '%-38s %10s %12s\n' "raw VXLAN h1 -> h2 (by hand, MTU 1450)" "$r_rtt" "$(median <"$TMP/bw_r")"
printf '%-38s %10s %12s\n' "overlay ca (h1) -> cb (h2), berth" "$o_rtt" "$(median <"$TMP/bw_o")"
if [ "$IPERF_RUNS" -gt 1 ]; then echo "(TCP: median of $IPERF_RUNS runs of ${IPERF_TIME} s)"; fi
for n in 1 2; do ip -n "$CL-h$n" link del vxbench; done

echo "== start to reachable on h2, $OV_START_ROUNDS rounds: a ping from cb (h2) to the address of a container started on h1"
# cb asks for the new address again 10 ms after an unanswered ARP (the
# kernel's default is 1 s); every ping -c1 after a failed one sends a new
# ARP request at once
nsenter --net="$keyb" sysctl -qw net.ipv4.neigh.eth0.retrans_time_ms=10
# reach TAG ADDR CMD...: CMD in the background from now; ping ADDR from cb
# until it answers (10 s at most).  Appends to $TMP/TAG.ret the ms CMD took,
# to $TMP/TAG.reach the ms until the first answer (or "miss" to TAG.miss)
reach() {
	local tag=$1 addr=$2 t0 bg ans='' line
	shift 2
	t0=$(date +%s%N)
	{
		"$@" >/dev/null
		date +%s%N >"$TMP/ret.t"
	} &
	bg=$!
	while [ "$(date +%s%N)" -lt $((t0 + 10000000000)) ]; do
		line=$(nsenter --net="$keyb" ping -D -n -c1 -W 0.05 "$addr" 2>/dev/null | grep -m1 'bytes from' || true)
		if [ -n "$line" ]; then
			ans=${line%%]*} ans=${ans#[}
			break
		fi
	done
	wait "$bg"
	awk -v a="$t0" -v b="$(cat "$TMP/ret.t")" 'BEGIN { printf "%.3f\n", (b - a) / 1e6 }' >>"$TMP/$tag.ret"
	if [ -n "$ans" ]; then
		awk -v a="$t0" -v b="$ans" 'BEGIN { printf "%.3f\n", (b - a / 1e9) * 1000 }' >>"$TMP/$tag.reach"
	else
		echo miss >>"$TMP/$tag.miss"
	fi
}
# start SOCK ID: the start request alone, through the API
start() { curl -sf -X POST --unix-socket "$1" "http://localhost/containers/$2/start"; }
for i in $(seq 1 "$OV_START_ROUNDS"); do
	# a new address every time: cb's neighbour entry for an old one would
	# name the MAC of a container that is gone
	reach cli "10.99.0.$((100 + i))" on 1 docker run -d --name "w$i" --network ov \
		--ip "10.99.0.$((100 + i))" busybox sleep 3600
	on 1 docker rm -f "w$i" >/dev/null
	post 1 "/containers/create?name=a$i" "{\"Image\":\"busybox\",\"Cmd\":[\"sleep\",\"3600\"],
		\"HostConfig\":{\"NetworkMode\":\"ov\"},\"NetworkingConfig\":{\"EndpointsConfig\":{\"ov\":
		{\"IPAMConfig\":{\"IPv4Address\":\"10.99.0.$((150 + i))\"}}}}}" >/dev/null
	reach api "10.99.0.$((150 + i))" start "$TMP/h1/exec/berth.sock" "a$i"
	del 1 "/containers/a$i?force=1" >/dev/null
done
row() { printf '%-52s %8s ms  p99 %8s ms\n' "$1" "$(median <"$2")" "$(p99 <"$2")"; }
row "docker run -d: the command returned" "$TMP/cli.ret"
row "docker run -d: first answer on h2" "$TMP/cli.reach"
row "API start (created before): the reply" "$TMP/api.ret"
row "API start (created before): first answer on h2" "$TMP/api.reach"
for t in cli api; do
	[ ! -s "$TMP/$t.miss" ] || echo "($t: $(wc -l <"$TMP/$t.miss") of $OV_START_ROUNDS rounds got no answer within 10 s)"
done

echo "== etcd requests per container operation on h1 ($OV_ETCD_CTRS containers on the overlay, 2 hosts)"
# etcd_counts FILE: "method count" for the unary gRPC calls etcd handled
# (every host's; the JSON gateway is a gRPC client too), "watch-msgs N"
# for the messages etcd sent on watch streams and "sent-bytes N" for all
# it sent to its clients (replies, watch events, keep-alives)
etcd_counts() {
	ip netns exec "$CL-infra" curl -sf "http://$ETCD_EP/metrics" | awk '
		/^grpc_server_handled_total\{/ && /grpc_type="unary"/ {
			match($0, /grpc_method="[^"]*"/); n[substr($0, RSTART + 13, RLENGTH - 14)] += $NF }
		/^grpc_server_msg_sent_total\{/ && /grpc_method="Watch"/ && /etcdserverpb/ { n["watch-msgs"] += $NF }
		/^etcd_network_client_grpc_sent_bytes_total / { n["sent-bytes"] += $NF }
		END { for (m in n) print m, n[m] }' >"$1"
}
# etcd_delta OP BEFORE AFTER N: one row, per operation
etcd_delta() {
	awk -v op="$1" -v n="$4" '
		FNR == NR { b[$1] = $2; next }
		{ d = $2 - b[$1]; if ($1 == "watch-msgs") w = d; else if ($1 == "sent-bytes") kb = d / 1024
		  else { t += d; if ($1 ~ /^Lease/) l += d
		  else if ($1 == "Range" || $1 == "Txn" || $1 == "Put" || $1 == "DeleteRange") c[$1] = d; else o += d } }
		END { printf "%-8s %7.2f %7.2f %7.2f %7.2f %7.2f %7.2f %8.2f %11.2f %8.2f\n", op, c["Range"] / n,
			c["Txn"] / n, c["Put"] / n, c["DeleteRange"] / n, l / n, o / n, t / n, w / n, kb / n }' "$2" "$3"
}
printf '%-8s %7s %7s %7s %7s %7s %7s %8s %11s %8s\n' op Range Txn Put DelRng Lease other total "watch msgs" "KB sent"
body=$(ctr_body ov)
etcd_counts "$TMP/m0"
for i in $(seq 1 "$OV_ETCD_CTRS"); do post 1 "/containers/create?name=e$i" "$body" >/dev/null; done
etcd_counts "$TMP/m1"
for i in $(seq 1 "$OV_ETCD_CTRS"); do post 1 "/containers/e$i/start" "" >/dev/null; done
etcd_counts "$TMP/m2"
for i in $(seq 1 "$OV_ETCD_CTRS"); do post 1 "/containers/e$i/stop?t=0" "" >/dev/null; done
etcd_counts "$TMP/m3"
for i in $(seq 1 "$OV_ETCD_CTRS"); do del 1 "/containers/e$i" >/dev/null; done
etcd_counts "$TMP/m4"
etcd_delta create "$TMP/m0" "$TMP/m1" "$OV_ETCD_CTRS"
etcd_delta start "$TMP/m1" "$TMP/m2" "$OV_ETCD_CTRS"
etcd_delta stop "$TMP/m2" "$TMP/m3" "$OV_ETCD_CTRS"
etcd_delta rm "$TMP/m3" "$TMP/m4" "$OV_ETCD_CTRS"
echo "(per operation: gRPC unary calls etcd handled, from every host; Lease: grants and revokes, keep-alive streams"
echo " left out; watch msgs: messages etcd sent on the hosts' watch streams; KB sent: all etcd sent to its clients)"

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

# --- scale: hosts added to the cluster, OV_SCALE_CTRS containers each ---
IFS=, read -ra sizes <<<"$OV_SCALE_HOSTS"
[ "${sizes[0]:-0}" -ge 2 ] || exit 0
echo "== scale: $OV_SCALE_CTRS containers per host on one overlay network (hosts added in turn; busybox sleep 3600)"
# vx_find H: the VXLAN device in H's overlay namespace of the network
# $netid, into vxdev[H] (once; run it outside a command substitution)
declare -A vxdev
vx_find() {
	local f=$TMP/h$1/exec/overlay/${netid:0:12}
	[ -z "${vxdev[$1]:-}" ] && [ -e "$f" ] || return 0
	vxdev[$1]=$(nsenter --net="$f" ip -o link show type vxlan | awk -F': ' '{ sub(/@.*/, "", $2); print $2; exit }')
}
# ov_count H fdb|neigh: the forwarding (with a remote) or neighbour entries on it
ov_count() {
	local f=$TMP/h$1/exec/overlay/${netid:0:12}
	vx_find "$1"
	if [ -z "${vxdev[$1]:-}" ]; then
		echo 0
	elif [ "$2" = fdb ]; then
		nsenter --net="$f" bridge fdb show dev "${vxdev[$1]}" | grep -c ' dst ' || true
	else
		nsenter --net="$f" ip neigh show dev "${vxdev[$1]}" | grep -c lladdr || true
	fi
}
on 1 docker network create -d overlay --attachable --subnet 10.98.0.0/20 scale >/dev/null
netid=$(on 1 docker network inspect -f '{{.Id}}' scale)
body=$(ctr_body scale)
# range: "lo-hi" of the numbers on stdin, or the one number
range() { sort -n | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf (lo == hi ? "%d" : "%d-%d"), lo, hi }'; }
printf '%-5s %5s %9s %9s %10s %8s %7s %9s %8s %8s %8s\n' hosts ctrs "etcd keys" FDB/host neigh/host "agree ms" "look ms" \
	"start ms" "p99 ms" "etcd req" "etcd KB"
started=0
for size in "${sizes[@]}"; do
	[ "$size" -gt "$started" ] || continue
	for h in $(seq "$((CL_HOSTS + 1))" "$size"); do
		CL_HOSTS=$h # cluster_down takes it from here
		cl_host_ns "$CL-h$h" "$CL_NET.1$h"
		host_start "$h"
		on "$h" docker import "$BUSYBOX_TAR" busybox:latest >/dev/null
	done
	: >"$TMP/scale_start"
	per=
	etcd_counts "$TMP/sm0"
	for h in $(seq "$((started + 1))" "$size"); do
		for _ in $(seq 1 100); do on "$h" docker network inspect scale >/dev/null 2>&1 && break; sleep 0.05; done
		: >"$TMP/scale_h"
		for k in $(seq 1 "$OV_SCALE_CTRS"); do
			c=$(post "$h" "/containers/create?name=s$h-$k" "$body")
			s=$(post "$h" "/containers/s$h-$k/start" "")
			awk -v a="$c" -v b="$s" 'BEGIN { printf "%.3f\n", a + b }' | tee -a "$TMP/scale_start" >>"$TMP/scale_h"
		done
		per="$per h$h $(median <"$TMP/scale_h")"
	done
	etcd_counts "$TMP/sm1"
	# etcd requests and KB sent per container (create + start) of this step
	read -r req kb < <(awk -v n="$(((size - started) * OV_SCALE_CTRS))" '
		FNR == NR { b[$1] = $2; next }
		$1 == "sent-bytes" { kb = ($2 - b[$1]) / 1024; next }
		$1 != "watch-msgs" && $1 !~ /^Lease/ { t += $2 - b[$1] }
		END { printf "%.2f %.1f\n", t / n, kb / n }' "$TMP/sm0" "$TMP/sm1")
	started=$size
	# until every host has a forwarding entry for every container of the
	# others (one look: an `nsenter bridge fdb show` per host)
	want=$(((size - 1) * OV_SCALE_CTRS))
	t0=$(date +%s%N)
	while :; do
		t1=$(date +%s%N)
		: >"$TMP/fdb"
		for h in $(seq 1 "$size"); do ov_count "$h" fdb >>"$TMP/fdb"; done
		t2=$(date +%s%N)
		awk -v w="$want" '$1 != w { bad = 1 } END { exit bad }' "$TMP/fdb" && break
		[ "$t2" -lt $((t0 + 30000000000)) ] || break
		sleep 0.05
	done
	agree=$(awk -v a="$t0" -v b="$t2" 'BEGIN { printf "%.0f", (b - a) / 1e6 }')
	look=$(awk -v a="$t1" -v b="$t2" 'BEGIN { printf "%.0f", (b - a) / 1e6 }')
	awk -v w="$want" '$1 != w { bad = 1 } END { exit bad }' "$TMP/fdb" || agree="no"
	: >"$TMP/fdb" && : >"$TMP/neigh"
	for h in $(seq 1 "$size"); do
		ov_count "$h" fdb >>"$TMP/fdb"
		ov_count "$h" neigh >>"$TMP/neigh"
	done
	keys=$(etcdctl get --prefix /berth/v1/ --keys-only | grep -c . || true)
	printf '%-5s %5s %9s %9s %10s %8s %7s %9s %8s %8s %8s\n' "$size" "$((size * OV_SCALE_CTRS))" "$keys" \
		"$(range <"$TMP/fdb")" "$(range <"$TMP/neigh")" "$agree" "$look" \
		"$(median <"$TMP/scale_start")" "$(p99 <"$TMP/scale_start")" "$req" "$kb"
	echo "      median start ms of each new host:$per"
done
echo "(FDB/neigh: entries on each host's VXLAN device, $(((started - 1) * OV_SCALE_CTRS)) expected at the end: the other hosts' containers;"
echo " start ms: create + start through the API, the new hosts' containers only; agree ms: from the last start's reply"
echo " to the end of the first look at every host's FDB that found every entry (\"no\": not within 30 s); look ms: one such look;"
echo " etcd req, KB: unary calls (lease calls left out) and KB etcd sent, per container the new hosts started)"
# remove them all, then see what the cluster store still holds for the network
for h in $(seq 1 "$started"); do
	for k in $(seq 1 "$OV_SCALE_CTRS"); do del "$h" "/containers/s$h-$k?force=1" >>"$TMP/scale_rm"; done
done
vni=$(on 1 docker network inspect -f '{{index .Options "com.docker.network.driver.overlay.vxlanid_list"}}' scale)
on 1 docker network rm scale >/dev/null
left_keys=$(etcdctl get --prefix /berth/v1/ --keys-only |
	grep -c -e "$netid" -e /netnames/scale -e /subnets/10.98.0.0_20 -e "/vnis/$vni\$" || true)
# the other hosts hear of the removal through the watch: 5 s for them
for _ in $(seq 1 50); do
	left_ns=0
	for h in $(seq 1 "$started"); do [ ! -e "$TMP/h$h/exec/overlay/${netid:0:12}" ] || left_ns=$((left_ns + 1)); done
	[ "$left_ns" -gt 0 ] || break
	sleep 0.1
done
echo "rm -f of the $((started * OV_SCALE_CTRS)) containers: median $(median <"$TMP/scale_rm") ms; then network rm:" \
	"$left_keys keys of the network left in etcd, $left_ns overlay namespaces left"
