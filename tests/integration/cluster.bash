# cluster.bash - simulated hosts for the cluster tests: an underlay switch,
# an etcd host and N berthd hosts, each a network namespace of its own.
# Nothing is made in the machine's own namespace: the veth pairs are born in
# the switch's namespace with their peer placed straight into the host's.
#
#   $CL-sw: bridge sw0 ──┬── $CL-infra eth0 10.200.0.2   etcd :2379
#                        ├── $CL-h1    eth0 10.200.0.11  berthd (unix socket $TMP/h1/exec/berth.sock)
#                        └── $CL-hN    eth0 10.200.0.1N  berthd
#
# Load after helpers.bash; call cluster_up N in setup and cluster_down in
# teardown.

CL_NET=10.200.0
ETCD_EP=$CL_NET.2:2379

# cl_ns NAME: a namespace with lo up and an eth0 on the switch at address $2
cl_host_ns() {
	local ns=$1 ip=$2 port=p-${1##*-}
	ip netns add "$ns"
	ip -n "$ns" link set lo up
	ip -n "$CL-sw" link add "$port" type veth peer name eth0 netns "$ns"
	ip -n "$CL-sw" link set "$port" master sw0 up
	ip -n "$ns" addr add "$ip/24" dev eth0
	ip -n "$ns" link set eth0 up
}

# etcd_start: etcd in $CL-infra on its data directory (kept across restarts)
etcd_start() {
	local i
	nsenter --net="/run/netns/$CL-infra" etcd --name infra --data-dir "$TMP/etcd" \
		--listen-client-urls "http://$ETCD_EP,http://127.0.0.1:2379" \
		--advertise-client-urls "http://$ETCD_EP" \
		--listen-peer-urls http://127.0.0.1:2380 \
		--initial-advertise-peer-urls http://127.0.0.1:2380 \
		--initial-cluster infra=http://127.0.0.1:2380 --initial-cluster-state new \
		--initial-cluster-token "$CL" --heartbeat-interval 10 --election-timeout 100 \
		--logger zap --log-outputs stderr </dev/null >>"$TMP/etcd.log" 2>&1 &
	ETCD_PID=$!
	for i in $(seq 1 100); do
		ip netns exec "$CL-infra" curl -sf --max-time 1 "http://$ETCD_EP/health" 2>/dev/null |
			grep -q true && return 0
		sleep 0.05
	done
	echo "etcd did not start:"; tail -20 "$TMP/etcd.log"; return 1
}

etcd_stop() {
	[ -n "${ETCD_PID:-}" ] || return 0
	kill -TERM "$ETCD_PID" 2>/dev/null
	wait "$ETCD_PID" 2>/dev/null || true
	ETCD_PID=
}

# etcdctl ARGS...: etcd's own client, from the etcd host
etcdctl() {
	ip netns exec "$CL-infra" env ETCDCTL_API=3 /usr/bin/etcdctl --endpoints "http://$ETCD_EP" "$@"
}

# host_start N [ARGS...]: berthd on host N
host_start() {
	local n=$1 d=$TMP/h$1 i
	shift
	mkdir -p "$d"
	nsenter --net="/run/netns/$CL-h$n" "$BERTH_BIN/berthd" --root "$d/root" --exec-root "$d/exec" \
		--cgroup-parent "$CL-h$n" --log-level debug --cluster-store "etcd://$ETCD_EP" \
		--cluster-advertise "$CL_NET.1$n" "$@" </dev/null >>"$d/berthd.log" 2>&1 &
	eval "HOST_PID_$n=$!"
	for i in $(seq 1 200); do
		curl -sf --max-time 1 --unix-socket "$d/exec/berth.sock" http://localhost/_ping \
			>/dev/null 2>&1 && return 0
		sleep 0.05
	done
	echo "berthd on h$n did not answer:"; tail -20 "$d/berthd.log"; return 1
}

# host_stop N [SIGNAL]
host_stop() {
	local pid
	pid=$(eval echo "\${HOST_PID_$1:-}")
	[ -n "$pid" ] || return 0
	kill "-${2:-TERM}" "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null || true
	eval "HOST_PID_$1="
}

# on N CMD...: CMD against host N's berthd (berth, docker, api use it)
on() {
	local n=$1
	shift
	BERTH_HOST="unix://$TMP/h$n/exec/berth.sock" DOCKER_HOST="unix://$TMP/h$n/exec/berth.sock" \
		SOCK="$TMP/h$n/exec/berth.sock" "$@"
}

# cluster_up N: the switch, etcd and N hosts with berthd
cluster_up() {
	local n=$1 i
	CL=bcl-$$-${BATS_TEST_NUMBER:-0}
	TMP=$(mktemp -d /tmp/berth-cluster.XXXXXX)
	export DOCKER_CONFIG=$TMP/docker-config
	CL_HOSTS=$n
	ip netns add "$CL-sw"
	ip -n "$CL-sw" link add sw0 type bridge
	ip -n "$CL-sw" link set sw0 up
	cl_host_ns "$CL-infra" "$CL_NET.2"
	etcd_start
	for i in $(seq 1 "$n"); do
		cl_host_ns "$CL-h$i" "$CL_NET.1$i"
		host_start "$i"
	done
}

# cluster_down: everything cluster_up made; 1 if a sanitizer spoke
cluster_down() {
	local bad=0 i f id p
	for i in $(seq 1 "${CL_HOSTS:-0}"); do
		# containers outlive berthd: removed through it while it runs
		if [ -n "$(eval echo "\${HOST_PID_$i:-}")" ]; then
			for id in $(curl -s --unix-socket "$TMP/h$i/exec/berth.sock" \
				"http://localhost/containers/json?all=1" |
				python3 -c 'import json,sys; print(" ".join(c["Id"] for c in json.load(sys.stdin)))' 2>/dev/null); do
				curl -s --unix-socket "$TMP/h$i/exec/berth.sock" -X DELETE \
					"http://localhost/containers/$id?force=1" >/dev/null
			done
		fi
		host_stop "$i"
		# what a killed host left: its containers' processes, berth-dns
		for f in /sys/fs/cgroup/*/"$CL-h$i"/*/cgroup.procs /sys/fs/cgroup/"$CL-h$i"/*/cgroup.procs; do
			[ -f "$f" ] && xargs -r kill -KILL <"$f" 2>/dev/null
		done
		p=$(cat "$TMP/h$i/exec/dns.pid" 2>/dev/null || true)
		[ -n "$p" ] && [ "$(cat "/proc/$p/comm" 2>/dev/null)" = berth-dns ] && kill -KILL "$p"
		f=$TMP/h$i/berthd.log
		if [ -f "$f" ] && grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:' "$f"; then
			echo "# sanitizer report in $f:" >&3
			sed 's/^/# /' "$f" | tail -40 >&3
			bad=1
		fi
		for f in "$TMP/h$i/exec/netns/"* "$TMP/h$i/exec/overlay/"*; do
			[ -e "$f" ] && umount "$f" 2>/dev/null
		done
		ip netns del "$CL-h$i" 2>/dev/null
		sleep 0.1
		for f in /sys/fs/cgroup/*/"$CL-h$i" /sys/fs/cgroup/"$CL-h$i"; do
			[ -d "$f" ] && find "$f" -depth -type d -exec rmdir {} + 2>/dev/null
		done
	done
	etcd_stop
	ip netns del "$CL-infra" 2>/dev/null
	ip netns del "$CL-sw" 2>/dev/null
	[ -n "${TMP:-}" ] && rm -rf "$TMP"
	return $bad
}
