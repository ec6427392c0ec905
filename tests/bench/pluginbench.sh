#!/bin/bash
# pluginbench.sh BUSYBOX_TAR - network connect / disconnect of a running
# container through a remote network plugin (tests/plugins/netplugin.py:
# a bridge and a veth pair per endpoint, made with ip(8)), beside the same
# on a bridge network.  The plugin's own time (its replies.log elapsed_ms
# for CreateEndpoint + Join + EndpointOperInfo, Leave + DeleteEndpoint) is reported apart from
# berthd's round trip, as is the plugin's IPAM (RequestAddress,
# ReleaseAddress).  Everything runs in one namespace made here.
#
# Figures, not verdicts.  Environment: ROUNDS (30).
set -euo pipefail
: "${BERTH_BIN:?set BERTH_BIN}"
BUSYBOX_TAR=${1:?usage: pluginbench.sh BUSYBOX_TAR}
here=$(cd "$(dirname "$0")" && pwd)
ROUNDS=${ROUNDS:-30}
NS=berth-pbench-$$
TMP=$(mktemp -d /tmp/berth-pbench.XXXXXX)
SOCK=$TMP/exec/berth.sock
pid='' ppid_=''

cleanup() {
	set +e
	if [ -n "$pid" ] && [ -S "$SOCK" ]; then
		for id in $(curl -s --unix-socket "$SOCK" 'http://localhost/containers/json?all=1' |
			python3 -c 'import json,sys; print(" ".join(c["Id"] for c in json.load(sys.stdin)))'); do
			curl -s -X DELETE --unix-socket "$SOCK" "http://localhost/containers/$id?force=1" >/dev/null
		done
		kill -TERM "$pid"
		wait "$pid"
	fi
	[ -n "$ppid_" ] && kill -TERM "$ppid_" && wait "$ppid_"
	for f in "$TMP"/exec/netns/*; do [ -e "$f" ] && umount "$f"; done
	ip netns del "$NS" 2>/dev/null
	for d in /sys/fs/cgroup/*/"$NS" /sys/fs/cgroup/"$NS"; do
		[ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
	done
	rm -rf "$TMP"
}
trap cleanup EXIT

api() { # api METHOD PATH [BODY]: prints curl's total time in ms
	curl -sf -o /dev/null -w '%{time_total}\n' --unix-socket "$SOCK" -X "$1" \
		-H 'Content-Type: application/json' ${3:+-d "$3"} "http://localhost$2" |
		awk '{ printf "%.3f\n", $1 * 1000 }'
}
median() { sort -n | awk '{a[NR]=$1} END {if (NR) printf "%.2f", (NR % 2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2); else print "-"}'; }
p99() { sort -n | awk '{a[NR]=$1} END {if (NR) { i=int(NR*0.99+0.999); if (i>NR) i=NR; printf "%.2f", a[i] } else print "-"}'; }
# plugin_ms METHOD...: the plugin's elapsed_ms of each call of these
# methods since line $1 of replies.log, summed per round (calls come in
# the order given, one of each per round)
plugin_ms() {
	local from=$1
	shift
	tail -n +"$from" "$TMP/plugin/replies.log" | python3 -c '
import json, sys
want = sys.argv[1:]
cur, out = 0.0, []
for line in sys.stdin:
    r = json.loads(line)
    if r.get("method") in want:
        cur += r.get("elapsed_ms") or 0
        if r["method"] == want[-1]:
            out.append(cur); cur = 0.0
for v in out: print("%.3f" % v)' "$@"
}

ip netns add "$NS"
ip -n "$NS" link set lo up
mkdir -p "$TMP/plugins"
ip netns exec "$NS" /usr/bin/python3 "$here/../plugins/netplugin.py" --name tp \
	--sock "$TMP/plugins/tp.sock" --state-dir "$TMP/plugin" </dev/null >"$TMP/plugin.log" 2>&1 &
ppid_=$!
for _ in $(seq 1 100); do [ -s "$TMP/plugin/netplugin.pid" ] && break; sleep 0.05; done
nsenter --net="/run/netns/$NS" "$BERTH_BIN/berthd" --root "$TMP/root" --exec-root "$TMP/exec" \
	--cgroup-parent "$NS" --plugin-dir "$TMP/plugins" --log-level warn >"$TMP/berthd.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do curl -sf --unix-socket "$SOCK" http://localhost/_ping >/dev/null && break; sleep 0.05; done
DOCKER_HOST=unix://$SOCK "${DOCKER_CLI:-/usr/local/bin/docker}" import "$BUSYBOX_TAR" busybox:latest >/dev/null
api POST /networks/create '{"Name":"pn","Driver":"tp","IPAM":{"Driver":"tp"}}' >/dev/null
api POST /networks/create '{"Name":"pd","Driver":"tp"}' >/dev/null
api POST /networks/create '{"Name":"bn"}' >/dev/null
api POST '/containers/create?name=cc' '{"Image":"busybox","Cmd":["sleep","3600"]}' >/dev/null
api POST /containers/cc/start >/dev/null

echo "== connect / disconnect of a running container, ms (median / p99 of $ROUNDS)"
printf '%-44s %9s %9s %11s %11s\n' "network" "connect" "p99" "disconnect" "p99"
for net in bn pd pn; do
	from=$(($(wc -l <"$TMP/plugin/replies.log") + 1))
	: >"$TMP/c" && : >"$TMP/d"
	for _ in $(seq 1 "$ROUNDS"); do
		api POST "/networks/$net/connect" '{"Container":"cc"}' >>"$TMP/c"
		api POST "/networks/$net/disconnect" '{"Container":"cc"}' >>"$TMP/d"
	done
	case $net in
	bn) label="bridge (built in)" ;;
	pd) label="plugin driver, default IPAM" ;;
	pn) label="plugin driver and plugin IPAM" ;;
	esac
	printf '%-44s %9s %9s %11s %11s\n' "$label" "$(median <"$TMP/c")" "$(p99 <"$TMP/c")" \
		"$(median <"$TMP/d")" "$(p99 <"$TMP/d")"
	if [ "$net" != bn ]; then
		printf '%-44s %9s %9s %11s %11s\n' "  of which in the plugin (driver calls)" \
			"$(plugin_ms "$from" NetworkDriver.CreateEndpoint NetworkDriver.Join NetworkDriver.EndpointOperInfo | median)" "" \
			"$(plugin_ms "$from" NetworkDriver.Leave NetworkDriver.DeleteEndpoint | median)" ""
	fi
	if [ "$net" = pn ]; then
		printf '%-44s %9s %9s %11s %11s\n' "  of which in the plugin (IPAM calls)" \
			"$(plugin_ms "$from" IpamDriver.RequestAddress | median)" "" \
			"$(plugin_ms "$from" IpamDriver.ReleaseAddress | median)" ""
	fi
done
echo "(the plugin runs ip(8) for its bridge and veth pair: most of its time is those processes)"
if grep -qiE 'warn|error' "$TMP/berthd.log"; then
	echo "berthd logged:"
	grep -iE 'warn|error' "$TMP/berthd.log" | head -20
	exit 1
fi
