#!/usr/bin/env bats
# etcd.bats - core/etcd.c, the etcd v3 client over the JSON gateway, against
# a real etcd 3.4: values with newlines and quotes, prefixes, deletes,
# create-if-absent, compare-and-swap, two processes allocating from one pool,
# leases (keepalive, expiry, revoke), watches (order, previous values, etcd
# stopped and started again, compacted history), unreachable, silent and
# several endpoints, and bad endpoint strings.  The client is driven by
# tools/etcd-check.c, linked against $BERTH_BIN/libberth.a.
#
#   $NS (one per test)                            $NS-bh (one test only)
#   ┌─────────────────────────────────────────┐   ┌──────────────────────┐
#   │ etcd on 127.0.0.1:2379, data $TMP/data  │   │ bh1, no address:     │
#   │ etcd-check, etcdctl (the clients)       │   │ whatever reaches it  │
#   │ bh0 10.99.0.1/24 ─ 10.99.0.2 (permanent │───│ is dropped (a silent │
#   │ neighbour entry)                        │   │ etcd host)           │
#   └─────────────────────────────────────────┘   └──────────────────────┘

bats_require_minimum_version 1.5.0

BERTH_BIN=${BERTH_BIN:?set BERTH_BIN}
BERTH_SRC=$(cd "$(dirname "$BATS_TEST_FILENAME")/../.." && pwd)
EP=etcd://127.0.0.1:2379

setup_file() {
	local san=() pkgs="libnl-3.0 libnl-route-3.0 libmnl libnftnl libcap jansson libevent
		libevent_pthreads libcurl libarchive libcrypto ldns"
	if ! command -v etcd >/dev/null || ! command -v etcdctl >/dev/null; then
		echo "etcd is not installed: apt-get install etcd-server etcd-client" >&2
		return 1
	fi
	# a sanitizer build of the library needs the sanitizers' runtime
	if nm -A "$BERTH_BIN/libberth.a" 2>/dev/null | grep -q __asan_report; then
		# shellcheck disable=SC2054 # one flag with commas
		san=(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
	fi
	# shellcheck disable=SC2046,SC2086 # pkg-config's flags are words
	cc -std=gnu11 -D_GNU_SOURCE -O1 -g -Wall -Wextra -Werror "${san[@]}" -I"$BERTH_SRC" \
		$(pkg-config --cflags jansson libcurl) -o "$BATS_FILE_TMPDIR/etcd-check" \
		"$BERTH_SRC/tests/integration/tools/etcd-check.c" "$BERTH_BIN/libberth.a" \
		$(pkg-config --libs $pkgs) -lhttp_parser -lpthread
}

setup() {
	NS=berth-etcd-$$-${BATS_TEST_NUMBER}
	TMP=$(mktemp -d /tmp/berth-etcd.XXXXXX)
	EC=$BATS_FILE_TMPDIR/etcd-check
	# sanitizer reports go to files that teardown looks for
	export ASAN_OPTIONS=log_path=$TMP/san:detect_leaks=1
	export UBSAN_OPTIONS=log_path=$TMP/san:print_stacktrace=1
	ip netns add "$NS"
	ip -n "$NS" link set lo up
	etcd_start
}

teardown() {
	local bad=0 pid f
	for pid in ${BG_PIDS:-}; do kill -TERM "$pid" 2>/dev/null || true; done
	for pid in ${BG_PIDS:-}; do wait "$pid" 2>/dev/null || true; done
	etcd_stop
	for f in "$TMP"/san*; do
		[ -e "$f" ] || continue
		echo "# sanitizer report in $f:" >&3
		sed 's/^/# /' "$f" | head -60 >&3
		bad=1
	done
	ip netns del "$NS" 2>/dev/null || true
	ip netns del "$NS-bh" 2>/dev/null || true
	rm -rf "$TMP"
	return $bad
}

# in_ns CMD...: run CMD in the test's namespace.
in_ns() {
	nsenter --net="/run/netns/$NS" "$@"
}

# ec ARGS...: the driver against the test's etcd; ec_at ENDPOINTS ARGS...
ec() {
	in_ns "$EC" "$EP" "$@"
}

ec_at() {
	in_ns "$EC" "$@"
}

ctl() {
	in_ns etcdctl --endpoints http://127.0.0.1:2379 "$@"
}

# bg FILE ENDPOINTS ARGS...: the driver in the background, its output in
# FILE; LAST_PID is the driver itself (nsenter execs it), so that a signal
# reaches it.
bg() {
	local out=$1
	shift
	nsenter --net="/run/netns/$NS" "$EC" "$@" >"$out" 2>&1 </dev/null 3>&- &
	LAST_PID=$!
	BG_PIDS="${BG_PIDS:-} $LAST_PID"
}

# etcd_start: etcd in $NS on its data dir (kept across restarts); wait until healthy.
etcd_start() {
	nsenter --net="/run/netns/$NS" etcd --name t --data-dir "$TMP/data" \
		--listen-client-urls http://127.0.0.1:2379 \
		--advertise-client-urls http://127.0.0.1:2379 \
		--listen-peer-urls http://127.0.0.1:2380 \
		--initial-advertise-peer-urls http://127.0.0.1:2380 \
		--initial-cluster t=http://127.0.0.1:2380 --initial-cluster-state new \
		--initial-cluster-token "$NS" --heartbeat-interval 10 --election-timeout 100 \
		--logger zap --log-outputs stderr >>"$TMP/etcd.log" 2>&1 </dev/null 3>&- &
	ETCD_PID=$!
	for _ in $(seq 1 100); do
		in_ns curl -sf --max-time 1 http://127.0.0.1:2379/health 2>/dev/null |
			grep -q '"health":"true"' && return 0
		kill -0 "$ETCD_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "etcd did not start:"
	tail -20 "$TMP/etcd.log"
	return 1
}

# etcd_stop [SIGNAL]: stop the etcd this test started (TERM by default).
etcd_stop() {
	[ -n "${ETCD_PID:-}" ] || return 0
	if [ "$(cat "/proc/$ETCD_PID/comm" 2>/dev/null)" = etcd ]; then
		kill "-${1:-TERM}" "$ETCD_PID" 2>/dev/null || true
	fi
	wait "$ETCD_PID" 2>/dev/null || true
	ETCD_PID=
}

# wait_for FILE PATTERN [TRIES]: poll until a line of FILE matches (TRIES
# times 50 ms, 5 s by default).
wait_for() {
	for _ in $(seq 1 "${3:-100}"); do
		grep -qE -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	echo "no line matching '$2' in $1:"
	cat "$1"
	return 1
}

# relay_start: a TCP relay 127.0.0.1:3379 -> etcd, so that a watch's
# connection can be cut while etcd keeps running.
relay_start() {
	nsenter --net="/run/netns/$NS" python3 -c '
import socket, threading
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", 3379))
ls.listen(16)
print("listening", flush=True)
def pipe(a, b):
    try:
        while True:
            d = a.recv(65536)
            if not d:
                break
            b.sendall(d)
    except OSError:
        pass
    for s in (a, b):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
while True:
    c, _ = ls.accept()
    u = socket.create_connection(("127.0.0.1", 2379))
    for x, y in ((c, u), (u, c)):
        threading.Thread(target=pipe, args=(x, y), daemon=True).start()
' >"$TMP/relay.out" 2>&1 </dev/null 3>&- &
	RELAY_PID=$!
	BG_PIDS="${BG_PIDS:-} $RELAY_PID"
	wait_for "$TMP/relay.out" listening
}

now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

# rev_of: the revision in "rev N" (what put prints).
rev_of() {
	echo "${1#rev }"
}

@test "values with newlines, quotes and backslashes round-trip through put, get, prefix and delete" {
	local v=$'two\nlines "quoted" back\\slash\ttab\n' w=$'{"json": "value"}\r\n'
	ec put /t/a "$v"
	ec get /t/a >"$TMP/out"
	printf '%s' "$v" | cmp - "$TMP/out"
	# etcdctl reads what we wrote, we read what etcdctl wrote
	[ "$(ctl get /t/a --print-value-only)" = "${v%$'\n'}" ]
	ctl put /t/b -- "$w"
	ec get /t/b >"$TMP/out"
	printf '%s' "$w" | cmp - "$TMP/out"

	# an empty value is a value (etcd leaves it out of its replies)
	ec put /t/c ""
	run -0 ec stat /t/c
	[[ $output == *" version=1 lease=0 len=0" ]]
	run -0 ec get /t/c
	[ -z "$output" ]

	# a second put bumps the version and the mod revision, not the create one
	run -0 ec stat /t/a
	local before=$output
	ec put /t/a "$v"
	run -0 ec stat /t/a
	[[ $output == "${before%% *}"* && $output == *" version=2 "* ]]

	# prefixes: key order, escaped values, and /tx is not under /t/
	ec put /tx outside
	run -0 ec prefix /t/
	[[ ${lines[0]} =~ ^rev\ [0-9]+\ count\ 3$ ]]
	[ "${lines[1]}" = '/t/a two\nlines\x20\"quoted\"\x20back\\slash\x09tab\n' ]
	[ "${lines[2]}" = '/t/b {\"json\":\x20\"value\"}\x0d\n' ]
	[ "${lines[3]}" = '/t/c ' ]

	run -3 ec get /t/missing
	[ -z "$output" ]
	run -0 ec del /t/a
	[ "$output" = "deleted 1" ]
	run -0 ec del /t/a
	[ "$output" = "deleted 0" ]
	run -0 ec delprefix /t/
	[ "$output" = "deleted 2" ]
	run -0 ec prefix /t/
	[[ $output =~ ^rev\ [0-9]+\ count\ 0$ ]]
	run -0 ec get /tx
	[ "$output" = outside ]
	run -1 ec delprefix ""
	[ "$output" = "etcd-check: refusing to delete every key in etcd" ]
}

@test "create writes only an absent key and returns the one that exists" {
	run -0 ec create /k/a first
	[ "$output" = created ]
	run -0 ec stat /k/a
	local mod=${output#*mod=}
	mod=${mod%% *}
	run -0 ec create /k/a second
	[ "$output" = "exists mod=$mod value=first" ]
	run -0 ec get /k/a
	[ "$output" = first ]
	ec del /k/a
	run -0 ec create /k/a third
	[ "$output" = created ]
}

@test "compare-and-swap and delete-if refuse a stale mod revision" {
	local r1 r2 r3
	r1=$(rev_of "$(ec put /k/a v1)")
	r2=$(rev_of "$(ec put /k/a v2)")
	run -0 ec cas /k/a v3 "$r1"
	[ "$output" = conflict ]
	run -0 ec get /k/a
	[ "$output" = v2 ]
	run -0 ec cas /k/a v3 "$r2"
	[ "$output" = ok ]
	run -0 ec stat /k/a
	r3=${output#*mod=}
	r3=${r3%% *}
	[ "$r3" -gt "$r2" ]
	run -0 ec delif /k/a "$r2"
	[ "$output" = conflict ]
	run -0 ec get /k/a
	[ "$output" = v3 ]
	run -0 ec delif /k/a "$r3"
	[ "$output" = ok ]
	run -3 ec get /k/a
	# revision 0: only while the key is absent
	run -0 ec cas /k/b v 0
	[ "$output" = ok ]
	run -0 ec cas /k/b w 0
	[ "$output" = conflict ]
}

@test "two processes taking 50 values each from a pool of 100 never share one" {
	local a b
	bg "$TMP/a" "$EP" alloc /pool/ 100 50
	a=$LAST_PID
	bg "$TMP/b" "$EP" alloc /pool/ 100 50
	b=$LAST_PID
	wait "$a"
	wait "$b"
	[ "$(wc -l <"$TMP/a")" -eq 50 ]
	[ "$(wc -l <"$TMP/b")" -eq 50 ]
	# together: every value once
	diff <(cat "$TMP/a" "$TMP/b" | sort -n) <(seq 1 100)
	# etcd agrees: each /pool/<i> names the owner whose record says i
	ec prefix /pool/ >"$TMP/pool"
	ec prefix /owners/pool/ >"$TMP/owners"
	grep -q ' count 100$' "$TMP/pool"
	grep -q ' count 100$' "$TMP/owners"
	diff <(tail -n +2 "$TMP/pool" | sed 's|^/pool/||' | sort) \
		<(tail -n +2 "$TMP/owners" | sed 's|^/owners/pool/||' | awk '{print $2, $1}' | sort)
	# the pool is full now
	run -1 ec alloc /pool/ 100 1
	[ "$output" = "etcd-check: the pool is exhausted" ]
}

@test "a lease keeps its key while it is kept alive; expired, the key is gone" {
	local id t0
	# TTL 1 s, refreshed every 333 ms for 3 s
	bg "$TMP/lease" "$EP" lease 1 3 /l/k
	wait_for "$TMP/lease" '^lease '
	id=$(sed -n 's/^lease //p' "$TMP/lease")
	sleep 2
	[ "$(ctl get /l/k --print-value-only)" = held ]
	wait "$LAST_PID"
	grep -qx 'ttl 1' "$TMP/lease"
	# no more keepalives: etcd deletes the key within about a second
	t0=$(now_ms)
	for _ in $(seq 1 60); do
		run ec get /l/k
		[ "$status" -eq 3 ] && break
		sleep 0.05
	done
	[ "$status" -eq 3 ]
	[ $(($(now_ms) - t0)) -lt 4500 ]
	# an expired lease: keepalive and put say so, revoke is a no-op
	run -1 ec keepalive "$id"
	[[ $output == "etcd-check: etcd: lease "*" has expired" ]]
	run -1 ec put /l/k v "$id"
	[ "$output" = "etcd-check: etcd: requested lease not found" ]
	run -0 ec revoke "$id"

	# revoking a live lease deletes its keys at once
	id=$(ec grant 30)
	ec put /l/r v "$id"
	run -0 ec stat /l/r
	[[ $output == *" lease=$id "* ]]
	run -0 ec keepalive "$id"
	[ "$output" = "ttl 30" ]
	run -0 ec revoke "$id"
	run -3 ec get /l/r
}

@test "a watch sees PUT and DELETE events in order, with previous values, and stops at once" {
	local r1 r2 r3 r4
	bg "$TMP/watch" "$EP" watch /w/ 30 0 prev
	wait_for "$TMP/watch" '^CONNECTED'
	r1=$(rev_of "$(ec put /w/a 1)")
	r2=$(rev_of "$(ec put /w/a $'two\nlines')")
	ec put /elsewhere x
	ec del /w/a
	r4=$(rev_of "$(ec put /w/b 3)")
	r3=$((r4 - 1))
	wait_for "$TMP/watch" '^PUT /w/b'
	kill -TERM "$LAST_PID"
	wait "$LAST_PID"
	run -0 cat "$TMP/watch"
	[[ ${lines[0]} == "CONNECTED rev="* ]]
	[ "${lines[1]}" = "PUT /w/a mod=$r1 value=1" ]
	[ "${lines[2]}" = "PUT /w/a mod=$r2 value=two\\nlines prev=1" ]
	[ "${lines[3]}" = "DELETE /w/a mod=$r3 prev=two\\nlines" ]
	[ "${lines[4]}" = "PUT /w/b mod=$r4 value=3" ]
	[[ ${lines[5]} =~ ^stopped\ in\ ([0-9]+)\ ms$ ]]
	[ "${BASH_REMATCH[1]}" -lt 2000 ]
	[ "${#lines[@]}" -eq 6 ]
}

@test "a watch survives etcd stopping and starting again and resumes where it was" {
	bg "$TMP/watch" "$EP" watch /w/ 60
	wait_for "$TMP/watch" '^CONNECTED'
	ec put /w/a 1
	wait_for "$TMP/watch" '^PUT /w/a'
	etcd_stop TERM
	wait_for "$TMP/watch" '^DISCONNECTED etcd at 127.0.0.1:2379 '
	etcd_start
	# written before the watch is back: it comes from etcd's history
	ec put /w/b 2
	ec put /w/c 3
	wait_for "$TMP/watch" '^PUT /w/c'
	# a crash this time: the connection just drops
	etcd_stop KILL
	etcd_start
	ec put /w/d 4
	wait_for "$TMP/watch" '^PUT /w/d'
	kill -TERM "$LAST_PID"
	wait "$LAST_PID"
	run -0 grep -v '^stopped' "$TMP/watch"
	[[ ${lines[0]} == CONNECTED* ]]
	[[ ${lines[1]} == "PUT /w/a "* ]]
	[[ ${lines[2]} == "DISCONNECTED etcd at 127.0.0.1:2379 ended the watch" ]]
	# once a DISCONNECTED per outage; the events once each, in order
	diff <(grep -E '^(PUT|CONNECTED|DISCONNECTED)' "$TMP/watch" | cut -d' ' -f1,2 |
		sed 's/^\(CONNECTED\|DISCONNECTED\) .*/\1/') - <<-EOF
		CONNECTED
		PUT /w/a
		DISCONNECTED
		CONNECTED
		PUT /w/b
		PUT /w/c
		DISCONNECTED
		CONNECTED
		PUT /w/d
	EOF
}

@test "a watch whose connection was cut gets the changes it missed" {
	local rb rc
	relay_start
	bg "$TMP/watch" etcd://127.0.0.1:3379 watch /w/ 60
	wait_for "$TMP/watch" '^CONNECTED'
	ec put /w/a 1
	wait_for "$TMP/watch" '^PUT /w/a'
	# etcd stays up; only the watch's connection goes
	kill -TERM "$RELAY_PID"
	wait "$RELAY_PID" || true
	wait_for "$TMP/watch" '^DISCONNECTED'
	rb=$(rev_of "$(ec put /w/b 2)")
	ec del /w/a
	rc=$(rev_of "$(ec put /w/c 3)")
	relay_start
	wait_for "$TMP/watch" '^PUT /w/c'
	kill -TERM "$LAST_PID"
	wait "$LAST_PID"
	run -0 grep -v '^stopped' "$TMP/watch"
	[[ ${lines[0]} == CONNECTED* ]]
	[[ ${lines[1]} == "PUT /w/a "* ]]
	[[ ${lines[2]} == "DISCONNECTED "* ]]
	# back after the writes: they come from etcd's history
	[ "${lines[3]}" = "CONNECTED rev=$rc" ]
	[ "${lines[4]}" = "PUT /w/b mod=$rb value=2" ]
	[ "${lines[5]}" = "DELETE /w/a mod=$((rb + 1))" ]
	[ "${lines[6]}" = "PUT /w/c mod=$rc value=3" ]
	[ "${#lines[@]}" -eq 7 ]
}

@test "a watch from a compacted revision reports a resync with every key, then follows" {
	local r1 r3
	r1=$(rev_of "$(ec put /c/a 1)")
	ec put /c/b 2
	r3=$(rev_of "$(ec put /c/a 3)")
	ctl compact "$r3"
	bg "$TMP/watch" "$EP" watch /c/ 30 "$r1"
	wait_for "$TMP/watch" '^RESYNC'
	ec del /c/b
	ec put /c/d 4
	wait_for "$TMP/watch" '^PUT /c/d'
	kill -TERM "$LAST_PID"
	wait "$LAST_PID"
	run -0 grep -v '^stopped' "$TMP/watch"
	# the history before r3 is gone: no event from it, the state instead
	[ "${lines[0]}" = "CONNECTED rev=$r3" ]
	[ "${lines[1]}" = "RESYNC rev=$r3 count=2 /c/a /c/b" ]
	[ "${lines[2]}" = "DELETE /c/b mod=$((r3 + 1))" ]
	[ "${lines[3]}" = "PUT /c/d mod=$((r3 + 2)) value=4" ]
	[ "${#lines[@]}" -eq 4 ]
}

@test "an unreachable etcd is a clear error within 3 s; the next endpoint is tried" {
	local t0 t
	# nothing listens: refused at once
	t0=$(now_ms)
	run -1 ec_at etcd://127.0.0.1:1 get /x
	[ "$output" = "etcd-check: etcd at 127.0.0.1:1 is unreachable: Connection refused" ]
	[ $(($(now_ms) - t0)) -lt 3000 ]

	# a host that never answers: the connect timeout (2 s)
	ip netns add "$NS-bh"
	ip -n "$NS" link add bh0 type veth peer name bh1 netns "$NS-bh"
	ip -n "$NS" addr add 10.99.0.1/24 dev bh0
	ip -n "$NS" link set bh0 up
	ip -n "$NS-bh" link set bh1 up
	ip -n "$NS" neigh add 10.99.0.2 lladdr 02:00:00:00:00:02 dev bh0 nud permanent
	t0=$(now_ms)
	run -1 ec_at etcd://10.99.0.2:2379 get /x
	t=$(($(now_ms) - t0))
	[ "$output" = "etcd-check: etcd at 10.99.0.2:2379 is unreachable: no answer to connect within 2 s" ]
	[ "$t" -ge 1900 ]
	[ "$t" -lt 4500 ]

	# several endpoints: the next one takes the request
	run -0 ec_at etcd://10.99.0.2:2379,127.0.0.1:2379 put /x via-second
	run -0 ec_at etcd://127.0.0.1:1,127.0.0.1:2379 get /x
	[ "$output" = via-second ]
	run -1 ec_at etcd://127.0.0.1:1,10.99.0.2:2379 get /x
	[ "$output" = "etcd-check: etcd at 127.0.0.1:1 is unreachable: Connection refused; etcd at 10.99.0.2:2379 is unreachable: no answer to connect within 2 s" ]

	# a watch fails over too, and stops at once while connecting
	bg "$TMP/watch" etcd://10.99.0.2:2379,127.0.0.1:2379 watch /x 30
	wait_for "$TMP/watch" '^CONNECTED'
	kill -TERM "$LAST_PID"
	wait "$LAST_PID"
	run -0 ec_at etcd://10.99.0.2:2379 watch /x 1
	[[ $output =~ ^stopped\ in\ ([0-9]+)\ ms$ ]]
	[ "${BASH_REMATCH[1]}" -lt 2000 ]

	# etcd stopped
	etcd_stop
	run -1 ec get /x
	[ "$output" = "etcd-check: etcd at 127.0.0.1:2379 is unreachable: Connection refused" ]
}

@test "an etcd that takes the connection but never answers times out after 5 s" {
	local t0 t
	# listens, never accepts: the kernel completes the handshake anyway
	nsenter --net="/run/netns/$NS" python3 -c '
import socket, time
s = socket.socket()
s.bind(("127.0.0.1", 2999))
s.listen(8)
print("listening", flush=True)
time.sleep(60)' >"$TMP/silent" 2>&1 </dev/null 3>&- &
	BG_PIDS="${BG_PIDS:-} $!"
	wait_for "$TMP/silent" listening
	t0=$(now_ms)
	run -1 ec_at etcd://127.0.0.1:2999 put /x y
	t=$(($(now_ms) - t0))
	[ "$output" = "etcd-check: etcd at 127.0.0.1:2999 did not answer within 5 s" ]
	[ "$t" -ge 4900 ]
	[ "$t" -lt 9000 ]
	# a request that was sent is not sent again elsewhere: it may have been applied
	run -1 ec_at etcd://127.0.0.1:2999,127.0.0.1:2379 put /x y
	[ "$output" = "etcd-check: etcd at 127.0.0.1:2999 did not answer within 5 s" ]
	# a watch that gets no confirmation moves on to the next endpoint
	bg "$TMP/watch" etcd://127.0.0.1:2999,127.0.0.1:2379 watch /x 30
	wait_for "$TMP/watch" '^CONNECTED' 200
	kill -TERM "$LAST_PID"
	wait "$LAST_PID"
	run -0 cat "$TMP/watch"
	[ "${lines[0]}" = "DISCONNECTED etcd at 127.0.0.1:2999 did not answer within 5 s" ]
	[[ ${lines[1]} == "CONNECTED rev="* ]]
}

@test "a bad endpoint string is refused, naming it" {
	local bad
	for bad in "" "etcd://" "etcd://host:port" "etcd://h:0" "etcd://h:65536" "https://h:2379" \
		"unix:///run/etcd.sock" "etcd://h:2379/v3" "etcd://a:1,,b:2" "etcd://a b:1" \
		"etcd://[zz]:1"; do
		run -1 ec_at "$bad" get /x
		[[ $output == "etcd-check: invalid etcd endpoint \""* ]]
		[[ $output == *"\"$bad\""* ]]
	done
	run -1 ec_at "etcd://h:99999" get /x
	[ "$output" = 'etcd-check: invalid etcd endpoint "etcd://h:99999": the port is not between 1 and 65535 (expected etcd://HOST:PORT)' ]
	run -1 ec_at "etcd://a:1,ftp://b" get /x
	[ "$output" = 'etcd-check: invalid etcd endpoint "ftp://b" in "etcd://a:1,ftp://b": only etcd:// and http:// are supported (expected etcd://HOST:PORT, several separated by commas)' ]
	# accepted spellings
	ec_at http://127.0.0.1:2379 put /x 1
	ec_at 127.0.0.1:2379/ get /x
	ec_at etcd://127.0.0.1 get /x
	ec_at "etcd://[::1]:1,127.0.0.1:2379" get /x
}
