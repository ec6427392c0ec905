#!/bin/bash
# dnsbench.sh [BUSYBOX_TAR] - the embedded DNS resolver beside its peers:
# lookup latency (p50, p99) and queries per second, measured with dnsperf
# (A queries for the names of containers on one network, every name once in
# a shuffled query file that dnsperf goes round), with 10 and with 1,000
# names: 10 containers, each with 99 network aliases for 1,000.
#
#   berth         $NS: berthd from BERTH_BIN, network dnsb, 10 busybox
#                 `sleep 3600`; dnsperf in the first one's sandbox
#                 (nsenter --net=<exec-root>/netns/<id>) -> 127.0.0.11:53
#   aardvark-dns  $NS-av: podman's resolver on a config directory with the
#                 network dnsb (gateway 10.89.0.1, containers 10.89.0.2-11);
#                 dnsperf from the first container's address, 10.89.0.2 (it
#                 looks names up by the asker's address) -> 10.89.0.1:53
#   dnsmasq       $NS-dm: the same names in an --addn-hosts file -> 127.0.0.11:53
#
# Every address is on the lo of a namespace made here; nothing touches the
# machine's own namespace, and everything is removed on exit.  Same machine,
# same query file, same load for all three: latency at DNS_RATE queries per
# second (1000; open loop, at most 10 in flight) for DNS_TIME seconds (5),
# each query's time from dnsperf -v; qps with DNS_OUTSTANDING (100) queries
# in flight for DNS_TIME seconds, one dnsperf thread.  DNS_NAMES (10,1000):
# the name counts, multiples of 10.
#
# Without BERTH_BIN, or when berthd or its resolver does not answer, berth's
# rows say "skipped (reason)" and the peers are measured still.  Prints
# figures, never fails on a timing; exits non-zero when an installed peer
# could not be measured or berthd left something behind.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
NS=berth-dnsb-$$
AV=$NS-av DM=$NS-dm
CTRS=10
TIME=${DNS_TIME:-5} RATE=${DNS_RATE:-1000} OUTSTANDING=${DNS_OUTSTANDING:-100}
IFS=, read -r -a LEVELS <<<"${DNS_NAMES:-10,1000}"
TMP=$(mktemp -d /tmp/berth-dnsb.XXXXXX)
ROWS=$TMP/rows
failed=()
peer_pids=() # resolvers of the peers now running
bpid=        # berthd
bstarted=0   # berth_stop has something to check
why=         # why berth's part stopped

for t in dnsperf dig; do
	if ! command -v $t >/dev/null; then
		echo "$t is not installed (Debian: apt-get install dnsperf dnsutils): DNS benchmark skipped"
		rm -rf "$TMP"
		exit 0
	fi
done

stop_pid() {
	local p=$1 i
	kill -TERM "$p" 2>/dev/null || return 0
	for i in $(seq 1 40); do
		kill -0 "$p" 2>/dev/null || return 0
		sleep 0.05
	done
	kill -KILL "$p" 2>/dev/null || true
}

stop_peers() {
	local p
	for p in "${peer_pids[@]}"; do stop_pid "$p"; done
	peer_pids=()
}

# bapi METHOD PATH: a request to berthd, quiet
bapi() {
	curl -s --max-time 30 --unix-socket "$SOCK" -X "$1" "http://localhost$2"
}

# berth_stop: remove its containers (they outlive berthd), stop it, then
# report what it left: sandboxes, mounts, processes, cgroups (as run.sh).
berth_stop() {
	local dir=$TMP/b id d left=0
	if [ -n "$bpid" ] && [ -S "$SOCK" ]; then
		for id in $(bapi GET "/containers/json?all=1" |
			python3 -c 'import json,sys; print(" ".join(c["Id"] for c in json.load(sys.stdin)))' 2>/dev/null); do
			bapi DELETE "/containers/$id?force=1" >/dev/null
		done
	fi
	if [ -n "$bpid" ]; then
		if kill -TERM "$bpid" 2>/dev/null; then wait "$bpid" 2>/dev/null || true; fi
		bpid=
	fi
	# berth-dns lives in berthd's namespace, and exits once berthd is gone
	# and no sandbox is left: a moment's grace
	for d in $(seq 1 40); do
		[ -n "$(ip netns pids "$NS" 2>/dev/null)" ] || break
		sleep 0.05
	done
	if [ -d "$dir/exec/netns" ] && [ -n "$(ls -A "$dir/exec/netns")" ]; then
		echo "LEFT by berthd: sandbox netns files: $(ls "$dir/exec/netns" | cut -c1-12 | tr '\n' ' ')"
		left=1
	fi
	for d in $(findmnt -rno TARGET | grep -F "$dir/" | sort -r); do
		echo "LEFT by berthd: mount $d (unmounting)"
		umount -l "$d" || true
		left=1
	done
	# shims, containers and berth-dns carry our directory in their command line
	for d in /proc/[0-9]*; do
		if grep -qF "$dir/" "$d/cmdline" 2>/dev/null; then
			echo "LEFT by berthd: process ${d#/proc/}: $(tr '\0' ' ' <"$d/cmdline" | cut -c1-120) (killing)"
			kill -KILL "${d#/proc/}" 2>/dev/null || true
			left=1
		fi
	done
	# what is still in berthd's namespace after the grace above
	for d in $(ip netns pids "$NS" 2>/dev/null); do
		echo "LEFT by berthd: process $d in its namespace: $(tr '\0' ' ' <"/proc/$d/cmdline" 2>/dev/null | cut -c1-120) (killing)"
		kill -KILL "$d" 2>/dev/null || true
		left=1
	done
	for d in /sys/fs/cgroup/*/"$NS" /sys/fs/cgroup/"$NS"; do
		[ -d "$d" ] || continue
		if [ -n "$(find "$d" -mindepth 1 -type d 2>/dev/null)" ]; then
			echo "LEFT by berthd: cgroups $(find "$d" -mindepth 1 -type d | tr '\n' ' ') (killing their processes)"
			find "$d" -name cgroup.procs -exec cat {} + 2>/dev/null | sort -u | xargs -r kill -KILL 2>/dev/null || true
			sleep 0.2
			left=1
		fi
		find "$d" -depth -type d -exec rmdir {} + 2>/dev/null || true
	done
	if [ -s "$dir/berthd.log" ]; then
		echo "berthd log, warnings and errors: $(wc -l <"$dir/berthd.log") lines; the first 10:"
		head -10 "$dir/berthd.log" | sed 's/^/  /'
	fi
	[ $left = 0 ] || failed+=("leftovers of berthd")
	bstarted=0
}

cleanup() {
	local rc=$? n d
	# a second INT or TERM (timeout(1) signals the child, then the whole
	# group) would end the cleanup half-way
	trap '' INT TERM
	stop_peers
	[ "$bstarted" = 0 ] || berth_stop
	for n in "$NS" "$AV" "$DM"; do ip netns del "$n" 2>/dev/null || true; done
	for d in $(findmnt -rno TARGET | grep -F "$TMP/" | sort -r); do umount -l "$d" || true; done
	rm -rf "$TMP"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# names N: "INDEX NAME" for N names on 10 containers: container i is
# dnsb-c<i>, with N/10-1 aliases dnsb-c<i>-a<j>
names() {
	local n=$1 i j
	for i in $(seq 0 $((CTRS - 1))); do
		echo "$i dnsb-c$i"
		for j in $(seq 1 $((n / CTRS - 1))); do echo "$i dnsb-c$i-a$j"; done
	done
}

# queries N FILE: every name once, in a fixed shuffled order, A queries
queries() {
	names "$1" | awk '{print $2 " A"}' | shuf --random-source=<(yes) >"$2"
}

# answers WANT DIG-ARGS...: dig, through the command prefix in $ASK, gives
# every name of WANT ("name address" lines, sorted) its address and nothing
# else.  Waits up to 5 s for a first answer; else prints what is wrong.
answers() {
	local want=$1 first got=$TMP/got t0=$SECONDS
	shift
	first=$(awk 'NR == 1 {print $1}' "$want")
	while :; do
		"${ASK[@]}" dig +short +time=1 +tries=1 "$@" "$first" >"$got" 2>&1 || true
		grep -q '^[0-9][0-9.]*$' "$got" && break
		[ $((SECONDS - t0)) -lt 5 ] || { echo "$first: $(head -1 "$got")"; return 1; }
		sleep 0.1
	done
	awk '{print $1}' "$want" >"$TMP/batch"
	"${ASK[@]}" timeout 60 dig +time=1 +tries=1 +noall +answer "$@" -f "$TMP/batch" 2>/dev/null |
		awk '$4 == "A" {sub(/\.$/, "", $1); print $1, $5}' | LC_ALL=C sort >"$got" || true
	LC_ALL=C comm -3 "$want" "$got" >"$TMP/diff"
	[ -s "$TMP/diff" ] || return 0
	echo "$(LC_ALL=C comm -23 "$want" "$got" | wc -l) of $(wc -l <"$want") names not answered" \
		"with their address, $(LC_ALL=C comm -13 "$want" "$got" | wc -l) answers not expected;" \
		"first difference: $(head -1 "$TMP/diff" | tr '\t' ' ')"
	return 1
}

# expect N IP...: "name address" lines, sorted, container i having the i-th IP
expect() {
	local n=$1
	shift
	names "$n" | awk -v ips="$*" 'BEGIN {split(ips, ip, " ")} {print $2, ip[$1 + 1]}' | LC_ALL=C sort
}

# measure SERVER N QFILE CMD...: CMD runs dnsperf with the server's options;
# one row in $ROWS: names, server, p50 ms, p99 ms, qps, notes
measure() {
	local server=$1 n=$2 q=$3 lat=$TMP/lat.out tput=$TMP/qps.out p50 p99 cnt qps notes
	shift 3
	if ! "$@" -d "$q" -l "$TIME" -Q "$RATE" -q 10 -v >"$lat" 2>&1 ||
		! "$@" -d "$q" -l "$TIME" -q "$OUTSTANDING" >"$tput" 2>&1; then
		echo "dnsperf failed for $server with $n names:"
		tail -5 "$lat" "$tput" 2>/dev/null | sed 's/^/  /'
		return 1
	fi
	read -r cnt p50 p99 < <(awk '$1 == ">" && NF == 5 {print $5}' "$lat" | sort -g |
		awk '{a[NR] = $1} END {if (NR) printf "%d %.3f %.3f\n", NR, a[int((NR + 1) / 2)] * 1000, a[int(NR * 0.99 + 0.5)] * 1000; else print "0 - -"}')
	qps=$(awk '/Queries per second:/ {printf "%.0f", $4}' "$tput")
	# anything but a full set of NOERROR answers is said beside the figures
	notes=$(cat "$lat" "$tput" | awk '
		/Queries lost:/ && $3 > 0 {lost += $3}
		/Response codes:/ {sub(/.*codes: */, ""); n = split($0, f, /, /)
			for (i = 1; i <= n; i++) {split(f[i], w, " "); if (w[1] != "NOERROR") bad[w[1]] += w[2]}}
		END {s = ""; if (lost) s = "lost " lost
			for (k in bad) s = s (s == "" ? "" : ", ") k " " bad[k]
			print s}')
	[ "$cnt" != 0 ] || notes="no latency samples${notes:+, $notes}"
	printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$n" "$server" "$p50" "$p99" "${qps:--}" "$notes" >>"$ROWS"
}

note_row() { # SERVER N TEXT: a row without figures
	printf '%s\t%s\t-\t-\t-\t%s\n' "$2" "$1" "$3" >>"$ROWS"
}

# --- dnsmasq ---------------------------------------------------------------
dnsmasq_bench() {
	local n=$1 q=$2 label dir=$TMP/dm-$1 p got
	label="dnsmasq $(dnsmasq --version | awk 'NR == 1 {print $3}')"
	mkdir -p "$dir"
	# one line per container: its address, its name and aliases
	names "$n" | awk '{l[$1] = l[$1] " " $2} END {for (i in l) printf "10.89.0.%d%s\n", i + 2, l[i]}' >"$dir/hosts"
	ip netns exec "$DM" dnsmasq -k -C /dev/null --no-resolv --no-hosts --addn-hosts="$dir/hosts" \
		--listen-address=127.0.0.11 --bind-interfaces -p 53 --cache-size=10000 --user=root \
		--pid-file="$dir/pid" --log-facility="$dir/log" </dev/null >>"$dir/log" 2>&1 &
	p=$!
	peer_pids+=("$p")
	ASK=(ip netns exec "$DM")
	expect "$n" "${PEER_IPS[@]}" >"$dir/want"
	if ! got=$(answers "$dir/want" @127.0.0.11); then
		echo "FAILED: dnsmasq with $n names: $got; its log:"
		sed 's/^/  /' "$dir/log" | tail -10
		stop_peers
		return 1
	fi
	measure "$label" "$n" "$q" ip netns exec "$DM" dnsperf -s 127.0.0.11 || { stop_peers; return 1; }
	stop_peers
}

# --- aardvark-dns ----------------------------------------------------------
aardvark_bench() {
	local n=$1 q=$2 bin=$3 label dir=$TMP/av-$1 got
	label="aardvark-dns $("$bin" --version 2>/dev/null | awk '{print $2}')"
	mkdir -p "$dir/config"
	# the network file: its bind (gateway) address, then a line per
	# container: id, IPv4 addresses, IPv6 addresses (none), names
	{
		echo 10.89.0.1
		names "$n" | awk '{l[$1] = l[$1] (l[$1] == "" ? "" : ",") $2}
			END {for (i = 0; i in l; i++) printf "%064x 10.89.0.%d  %s\n", i + 1, i + 2, l[i]}'
	} >"$dir/config/dnsb"
	# `run` forks the server, which writes aardvark.pid before it binds
	if ! ip netns exec "$AV" "$bin" --config "$dir/config" -p 53 run >"$dir/log" 2>&1 ||
		[ ! -s "$dir/config/aardvark.pid" ]; then
		echo "FAILED: aardvark-dns did not start; its output:"
		sed 's/^/  /' "$dir/log" | tail -10
		return 1
	fi
	peer_pids+=("$(cat "$dir/config/aardvark.pid")")
	ASK=(ip netns exec "$AV")
	expect "$n" "${PEER_IPS[@]}" >"$dir/want"
	if ! got=$(answers "$dir/want" -b 10.89.0.2 @10.89.0.1); then
		echo "FAILED: aardvark-dns with $n names: $got"
		sed 's/^/  /' "$dir/log" | tail -10
		stop_peers
		return 1
	fi
	measure "$label" "$n" "$q" ip netns exec "$AV" dnsperf -s 10.89.0.1 -a 10.89.0.2 || { stop_peers; return 1; }
	stop_peers
}

# --- berth -----------------------------------------------------------------
# Each step says in $why what went wrong; the caller prints it.
berth_start() {
	local dir=$TMP/b i
	[ -n "${BERTH_BIN:-}" ] || { why="BERTH_BIN is not set"; return 1; }
	[ -x "$BERTH_BIN/berthd" ] || { why="no $BERTH_BIN/berthd"; return 1; }
	mkdir -p "$dir"
	EXEC=$dir/exec SOCK=$dir/exec/berth.sock
	export BERTH_HOST=unix://$SOCK
	# a session of its own: a ^C or a timeout(1) for the whole group leaves
	# berthd up for the cleanup, which removes its containers through it
	setsid nsenter --net="/run/netns/$NS" "$BERTH_BIN/berthd" --root "$dir/root" --exec-root "$EXEC" \
		--cgroup-parent "$NS" --log-level warn >"$dir/berthd.log" 2>&1 &
	bpid=$! bstarted=1
	for i in $(seq 1 100); do
		curl -sf --unix-socket "$SOCK" http://localhost/_ping >/dev/null && break
		kill -0 "$bpid" 2>/dev/null || { why="berthd exited: $(tail -1 "$dir/berthd.log")"; bpid=; return 1; }
		[ "$i" = 100 ] && { why="berthd did not answer"; return 1; }
		sleep 0.05
	done
	if [ -z "$BUSYBOX_TAR" ]; then
		BUSYBOX_TAR=$TMP/busybox.tar
		"$here/../../scripts/mk-busybox-rootfs.sh" "$BUSYBOX_TAR" >/dev/null 2>&1 ||
			{ why="mk-busybox-rootfs.sh failed"; return 1; }
	fi
	"$BERTH_BIN/berth" import "$BUSYBOX_TAR" busybox:latest >/dev/null 2>"$TMP/err" ||
		{ why="berth import: $(tail -1 "$TMP/err")"; return 1; }
	"$BERTH_BIN/berth" network create dnsb >/dev/null 2>"$TMP/err" ||
		{ why="berth network create: $(tail -1 "$TMP/err")"; return 1; }
}

berth_bench() {
	local n=$1 q=$2 i id first='' sb got name
	local -a args ips
	for i in $(seq 0 $((CTRS - 1))); do
		args=()
		while read -r _ name; do
			[ "$name" = "dnsb-c$i" ] || args+=(--network-alias "$name")
		done < <(names "$n" | awk -v i="$i" '$1 == i')
		id=$("$BERTH_BIN/berth" run -d --name "dnsb-c$i" --network dnsb "${args[@]}" \
			busybox sleep 3600 2>"$TMP/err") ||
			{ why="berth run dnsb-c$i: $(tail -1 "$TMP/err")"; return 1; }
		[ -n "$first" ] || first=$id
	done
	ips=()
	for i in $(seq 0 $((CTRS - 1))); do
		ips+=("$("$BERTH_BIN/berth" inspect -f '{{.NetworkSettings.Networks.dnsb.IPAddress}}' \
			"dnsb-c$i" 2>"$TMP/err")") || { why="berth inspect: $(tail -1 "$TMP/err")"; return 1; }
	done
	sb=$EXEC/netns/$first
	[ -e "$sb" ] || { why="no sandbox at $sb"; return 1; }
	ASK=(nsenter --net="$sb")
	expect "$n" "${ips[@]}" >"$TMP/want"
	got=$(answers "$TMP/want" @127.0.0.11) ||
		{ why="127.0.0.11 in a sandbox: $got"; return 1; }
	measure berth-dns "$n" "$q" nsenter --net="$sb" dnsperf -s 127.0.0.11 ||
		{ why="dnsperf failed"; return 1; }
	for i in $(seq 0 $((CTRS - 1))); do
		"$BERTH_BIN/berth" rm -f "dnsb-c$i" >/dev/null 2>"$TMP/err" ||
			{ why="berth rm -f dnsb-c$i: $(tail -1 "$TMP/err")"; return 1; }
	done
}

BUSYBOX_TAR=${1:-}
for n in "$NS" "$AV" "$DM"; do
	ip netns add "$n"
	ip -n "$n" link set lo up
done
ip -n "$DM" addr add 127.0.0.11/8 dev lo
ip -n "$AV" addr add 10.89.0.1/32 dev lo
ip -n "$AV" addr add 10.89.0.2/32 dev lo
: >"$ROWS"
# the peers' containers: 10.89.0.2 to .11
mapfile -t PEER_IPS < <(seq -f "10.89.0.%g" 2 $((CTRS + 1)))
aardvark=$(command -v aardvark-dns || true)
for b in /usr/lib/podman/aardvark-dns /usr/libexec/podman/aardvark-dns; do
	[ -n "$aardvark" ] || [ ! -x "$b" ] || aardvark=$b
done

echo "== embedded DNS: A queries over UDP, $CTRS containers, $(nproc) CPUs shared by dnsperf and the server"
echo "latency: dnsperf -Q $RATE -q 10 -l $TIME -v (each query's time); qps: dnsperf -q $OUTSTANDING -l $TIME"
berth_ok=0
if berth_start; then berth_ok=1; else echo "berth: skipped ($why)"; fi
for n in "${LEVELS[@]}"; do
	queries "$n" "$TMP/q$n"
	if [ $berth_ok = 1 ]; then
		if ! berth_bench "$n" "$TMP/q$n"; then
			echo "berth: skipped ($why)"
			note_row berth-dns "$n" "skipped ($why)"
			berth_ok=0
		fi
	else
		note_row berth-dns "$n" "skipped (${why:-an earlier failure})"
	fi
	if [ -n "$aardvark" ]; then
		aardvark_bench "$n" "$TMP/q$n" "$aardvark" ||
			{ failed+=("aardvark-dns $n"); note_row aardvark-dns "$n" "FAILED (above)"; }
	else
		note_row aardvark-dns "$n" "skipped (not installed: apt-get install aardvark-dns)"
	fi
	if command -v dnsmasq >/dev/null; then
		dnsmasq_bench "$n" "$TMP/q$n" ||
			{ failed+=("dnsmasq $n"); note_row dnsmasq "$n" "FAILED (above)"; }
	else
		note_row dnsmasq "$n" "skipped (not installed: apt-get install dnsmasq-base)"
	fi
done
[ "$bstarted" = 0 ] || berth_stop

printf '%-20s %6s %8s %8s %9s\n' server names "p50 ms" "p99 ms" qps
sort -s -t "$(printf '\t')" -k1,1n "$ROWS" | while IFS=$'\t' read -r n server p50 p99 qps notes; do
	if [ "$p50" = - ] && [ "$qps" = - ]; then
		printf '%-20s %6s  %s\n' "$server" "$n" "$notes"
	else
		printf '%-20s %6s %8s %8s %9s%s\n' "$server" "$n" "$p50" "$p99" "$qps" "${notes:+  ($notes)}"
	fi
done
if [ ${#failed[@]} -gt 0 ]; then
	echo "errors (not timings): ${failed[*]}"
	exit 1
fi
