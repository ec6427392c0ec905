# helpers.bash - shared by the bats files: a network namespace per test file
# with berthd running inside it on private directories, and helpers to talk
# to it.  Nothing here touches the machine's own network namespace: links,
# addresses and routes are made only inside namespaces made here, and
# everything is removed in teardown (also when a test fails).
#
#   root namespace                      $NS (made by berth_setup)
#   ┌──────────────────────┐            ┌──────────────────────────────┐
#   │ bats, berth, docker  │ unix sock  │ berthd --root $ROOT          │
#   │ CLI, python SDK      │──────────▶ │   bridges berth0, br-...     │
#   └──────────────────────┘            └──────────────────────────────┘

BERTH_BIN=${BERTH_BIN:?set BERTH_BIN}
BERTH_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DOCKER_CLI=${DOCKER_CLI:-/usr/local/bin/docker}

# busybox_build: the busybox root file system tarball (from Debian's
# busybox-static), once per file: call it from setup_file.
busybox_build() {
	export BUSYBOX_TAR=$BATS_FILE_TMPDIR/busybox.tar
	"$BERTH_SRC/scripts/mk-busybox-rootfs.sh" "$BUSYBOX_TAR"
}

# berth_setup [NAME]: a fresh namespace and directories for this test.
berth_setup() {
	local name=${1:-t}
	NS=berth-${name}-$$-${BATS_TEST_NUMBER:-0}
	TMP=$(mktemp -d "/tmp/berth-${name}.XXXXXX")
	ROOT=$TMP/root
	EXEC=$TMP/exec
	SOCK=$EXEC/berth.sock
	LOG=$TMP/berthd.log
	export BERTH_HOST=unix://$SOCK
	export DOCKER_HOST=unix://$SOCK
	export DOCKER_CONFIG=$TMP/docker-config
	ip netns add "$NS"
	ip -n "$NS" link set lo up
}

# berth_teardown: stop the daemon, check its log for sanitizer reports,
# delete the namespace and the directories.
berth_teardown() {
	local bad=0 id f
	# containers outlive berthd (their shims do): remove them first
	if [ -n "${BERTHD_PID:-}" ] && [ -S "${SOCK:-}" ]; then
		for id in $(curl -s --unix-socket "$SOCK" "http://localhost/containers/json?all=1" |
			python3 -c 'import json,sys; print(" ".join(c["Id"] for c in json.load(sys.stdin)))' 2>/dev/null); do
			curl -s --unix-socket "$SOCK" -X DELETE "http://localhost/containers/$id?force=1" >/dev/null
		done
	fi
	berthd_stop || true
	# berth-dns goes by itself once berthd hung up and no sandbox is left;
	# one a test left behind (berthd killed) is stopped here
	local dpid
	dpid=$(cat "${EXEC:-/nonexistent}/dns.pid" 2>/dev/null || true)
	if [ -n "$dpid" ] && [ "$(cat "/proc/$dpid/comm" 2>/dev/null)" = berth-dns ]; then
		kill -TERM "$dpid" 2>/dev/null && sleep 0.2
	fi
	for f in "$LOG" "${EXEC:-/nonexistent}/dns.log"; do
		if [ -f "$f" ] && grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:' "$f"; then
			echo "# sanitizer report in $f:" >&3
			sed 's/^/# /' "$f" | tail -40 >&3
			bad=1
		fi
	done
	# containers' cgroups: berth-shim removes them; what is left is a leak
	for d in /sys/fs/cgroup/*/"${NS:-none}" /sys/fs/cgroup/"${NS:-none}"; do
		[ -d "$d" ] || continue
		if [ -n "$(find "$d" -mindepth 1 -type d 2>/dev/null)" ]; then
			echo "# cgroups left under $d:" >&3
			find "$d" -mindepth 1 -type d | sed 's/^/# /' >&3
			bad=1
		fi
		find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
	done
	# sandboxes a crashed daemon left: their namespaces are bind mounts
	if [ -n "${EXEC:-}" ] && [ -d "$EXEC/netns" ]; then
		for f in "$EXEC"/netns/*; do [ -e "$f" ] && umount "$f" 2>/dev/null; done
	fi
	[ -n "${NS:-}" ] && ip netns del "$NS" 2>/dev/null
	[ -n "${TMP:-}" ] && rm -rf "$TMP"
	return $bad
}

# in_ns CMD...: run CMD inside the test's namespace.
in_ns() {
	nsenter --net="/run/netns/$NS" "$@"
}

# berthd_start [ARGS...]: start berthd in the namespace; wait until it answers.
berthd_start() {
	nsenter --net="/run/netns/$NS" "$BERTH_BIN/berthd" --root "$ROOT" --exec-root "$EXEC" \
		--cgroup-parent "$NS" --log-level debug "$@" >>"$LOG" 2>&1 &
	BERTHD_PID=$!
	wait_for_daemon
}

wait_for_daemon() {
	local i
	for i in $(seq 1 200); do
		if curl -sf --max-time 1 --unix-socket "$SOCK" http://localhost/_ping >/dev/null 2>&1; then
			return 0
		fi
		kill -0 "$BERTHD_PID" 2>/dev/null || { echo "berthd exited:"; tail -20 "$LOG"; return 1; }
		sleep 0.05
	done
	echo "berthd did not answer:"; tail -20 "$LOG"; return 1
}

# berthd_stop: SIGTERM and wait; its exit status is returned.
berthd_stop() {
	[ -n "${BERTHD_PID:-}" ] || return 0
	local rc=0
	kill -TERM "$BERTHD_PID" 2>/dev/null || true
	wait "$BERTHD_PID" || rc=$?
	BERTHD_PID=
	return $rc
}

# berthd_kill9: crash the daemon.
berthd_kill9() {
	kill -KILL "$BERTHD_PID"
	wait "$BERTHD_PID" 2>/dev/null || true
	BERTHD_PID=
}

berth() {
	"$BERTH_BIN/berth" "$@"
}

docker() {
	"$DOCKER_CLI" "$@"
}

# api METHOD PATH [BODY]: raw request; prints the body then "HTTP <status>".
api() {
	local method=$1 path=$2 body=${3:-}
	if [ -n "$body" ]; then
		curl -s --unix-socket "$SOCK" -X "$method" -H 'Content-Type: application/json' \
			-d "$body" -w '\nHTTP %{http_code}' "http://localhost$path"
	else
		curl -s --unix-socket "$SOCK" -X "$method" -w '\nHTTP %{http_code}' \
			"http://localhost$path"
	fi
}

# links in the namespace, as JSON
ns_links() {
	ip -n "$NS" -j link show "$@"
}

ns_link_count() {
	ip -n "$NS" -o link show | wc -l
}
