#!/bin/bash
# demo.sh - the lab demo (make demo).  A simulated host is a network
# namespace running its own berthd; the demo builds a small multi-network
# lab there, shows it with berth and with the real docker CLI, shows a bad
# request being refused, runs containers on bridge networks (isolation,
# connect, published ports, NAT, --internal) reached from an "outside"
# namespace, and removes everything it made.  Every fact it shows is also
# checked: a false one stops the demo with "demo: FAILED" (exit 1).
#
#   root ns: berth / docker CLI ──unix socket──▶ ns berth-demo: berthd
#                                                   ├─ berth0   172.17.0.0/16 (default bridge)
#                                                   ├─ br-...   frontend (from the default pool)
#                                                   ├─ br-...   backend  10.10.0.0/24
#                                                   ├─ lab0     lab      10.20.0.0/16 + fd00:20::/64, --internal
#                                                   └─ up0      198.51.100.2/24, default via .1
#                                                        │ veth
#                                     ns berth-demo-out: down0 198.51.100.1/24
#                                       ("outside": busybox httpd whose CGI echoes the client,
#                                        dnsmasq, and etcd for the overlay part)
#                                                        │ veth (198.51.101.1/24, routed)
#                                     ns berth-demo-h2: up1 198.51.101.2/24, a second berthd
#
# The last part restarts the first berthd with --cluster-store and runs an
# overlay network across the two hosts (VXLAN over the routed underlay).
#
# Nothing touches the machine's own network namespace: 198.51.100.0/24 is
# TEST-NET-2 and 198.51.101.0/24 is next to it; both live only in these
# namespaces.
set -euo pipefail
: "${BERTH_BIN:=$(cd "$(dirname "$0")/.." && pwd)/build}"
DOCKER_CLI=${DOCKER_CLI:-/usr/local/bin/docker}
NS=berth-demo-$$
OUT=$NS-out
HOST_IP=198.51.100.2 OUT_IP=198.51.100.1
TMP=$(mktemp -d /tmp/berth-demo.XXXXXX)
SOCK=$TMP/exec/berth.sock
export BERTH_HOST=unix://$SOCK DOCKER_HOST=unix://$SOCK DOCKER_CONFIG=$TMP/docker
pid='' out_pid='' dns_pid='' pid2='' etcd_pid=''
H2=$NS-h2 H2_IP=198.51.101.2 OUT2_IP=198.51.101.1
SOCK2=$TMP/h2/exec/berth.sock

cleanup() {
	local rc=$? f p
	set +e # remove all that can be removed, whatever fails
	if [ "$rc" != 0 ] && [ -f "$TMP/berthd.log" ]; then
		echo "demo: last lines of the berthd log:"
		tail -20 "$TMP/berthd.log"
	fi
	# containers outlive berthd (their shims do): remove them first
	if [ -n "$pid" ] && [ -S "$SOCK" ]; then
		"$BERTH_BIN/berth" ps -aq 2>/dev/null | xargs -r "$BERTH_BIN/berth" rm -f >/dev/null 2>&1
	fi
	if [ -n "$pid2" ] && [ -S "$SOCK2" ]; then
		BERTH_HOST=unix://$SOCK2 "$BERTH_BIN/berth" ps -aq 2>/dev/null |
			BERTH_HOST=unix://$SOCK2 xargs -r "$BERTH_BIN/berth" rm -f >/dev/null 2>&1
	fi
	if [ -n "$pid" ]; then kill -TERM "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; fi
	if [ -n "$pid2" ]; then kill -TERM "$pid2" 2>/dev/null; wait "$pid2" 2>/dev/null; fi
	if [ -n "$etcd_pid" ]; then kill -TERM "$etcd_pid" 2>/dev/null; wait "$etcd_pid" 2>/dev/null; fi
	p=$(cat "$TMP/h2/exec/dns.pid" 2>/dev/null)
	[ -n "$p" ] && [ "$(cat "/proc/$p/comm" 2>/dev/null)" = berth-dns ] && kill -TERM "$p"
	if [ -n "$out_pid" ]; then kill -TERM "$out_pid" 2>/dev/null; wait "$out_pid" 2>/dev/null; fi
	if [ -n "$dns_pid" ]; then kill -TERM "$dns_pid" 2>/dev/null; wait "$dns_pid" 2>/dev/null; fi
	# berth-dns goes by itself once berthd and the sandboxes are gone
	p=$(cat "$TMP/exec/dns.pid" 2>/dev/null)
	[ -n "$p" ] && [ "$(cat "/proc/$p/comm" 2>/dev/null)" = berth-dns ] && kill -TERM "$p"
	# what a crashed berthd could not remove: shims, the processes in the
	# demo's cgroups, the sandboxes' network namespaces (bind mounts)
	for f in "$TMP"/exec/containers/*/shim.pid; do
		[ -f "$f" ] || continue
		p=$(cat "$f")
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" = berth-shim ] && kill -KILL "$p"
	done
	for f in /sys/fs/cgroup/*/"$NS"/*/cgroup.procs /sys/fs/cgroup/"$NS"/*/cgroup.procs; do
		[ -f "$f" ] && xargs -r kill -KILL <"$f" 2>/dev/null
	done
	for f in "$TMP"/exec/netns/* "$TMP"/exec/overlay/* "$TMP"/h2/exec/netns/* "$TMP"/h2/exec/overlay/*; do
		[ -e "$f" ] && umount "$f" 2>/dev/null
	done
	for f in /sys/fs/cgroup/*/"$H2"/*/cgroup.procs /sys/fs/cgroup/"$H2"/*/cgroup.procs; do
		[ -f "$f" ] && xargs -r kill -KILL <"$f" 2>/dev/null
	done
	ip netns del "$H2" 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	ip netns del "$OUT" 2>/dev/null
	sleep 0.1 # killed processes leave their cgroups
	for d in /sys/fs/cgroup/*/"$NS" /sys/fs/cgroup/"$NS" /sys/fs/cgroup/*/"$H2" /sys/fs/cgroup/"$H2"; do
		[ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
	done
	rm -rf "$TMP"
	if ip netns list | grep -qE "^$NS(-out|-h2)?( |$)"; then
		echo "demo: FAILED: namespace left behind:"
		ip netns list | grep -E "^$NS"
		exit 1
	fi
	echo "demo: cleaned up (namespaces $NS and $OUT, and $TMP removed)"
}
trap cleanup EXIT

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
berth() { "$BERTH_BIN/berth" "$@"; }

# q WORD...: the words as one would type them (quoted only where needed)
q() {
	local a line='' plain='^[A-Za-z0-9_./:=,@%+-]+$'
	for a in "$@"; do
		if [[ $a =~ $plain ]]; then line+=" $a"; else line+=" '${a//\'/\'\\\'\'}'"; fi
	done
	printf '%s' "${line# }"
}
show() { printf '$ %s\n' "$(q "$@")"; }
fail() {
	printf '\033[1;31mdemo: FAILED: %s\033[0m\n' "$*" >&2
	exit 1
}

# run CMD...: show CMD, run it; it must succeed
run() {
	show "$@"
	"$@" || fail "exit code $?: $(q "$@")"
}
# get CMD...: the same, keeping what it printed in $got
got=
get() {
	show "$@"
	got=$("$@") || fail "exit code $?: $(q "$@")"
	printf '%s\n' "${got:-(nothing)}"
}
# refused CMD...: show CMD, run it; it must fail
refused() {
	show "$@"
	if "$@"; then fail "this should have failed: $(q "$@")"; fi
	echo "-> refused as expected"
}
# blocked CMD...: the same for traffic that must not get through: CMD must
# fail, and not by crashing (a signal other than timeout's SIGTERM)
blocked() {
	local rc=0
	show "$@"
	"$@" || rc=$?
	[ "$rc" != 0 ] || fail "this should have been blocked: $(q "$@")"
	[ "$rc" -lt 128 ] || [ "$rc" = 143 ] || fail "exit code $rc (a crash, not a block): $(q "$@")"
	echo "-> blocked as expected"
}
# expect WHAT VALUE PATTERN: VALUE must match the glob PATTERN
expect() {
	# shellcheck disable=SC2053
	[[ $2 == $3 ]] || fail "$1: got '$2', expected '$3'"
	echo "-> $1"
}
# get_sh 'A | B': the same for a pipeline (given with its variables expanded)
get_sh() {
	printf '$ %s\n' "$1"
	got=$(eval "$1") || fail "exit code $?: $1"
	printf '%s\n' "${got:-(nothing)}"
}

# berthd in the simulated host's namespace, on its own dirs; wait until it answers
start_berthd() {
	nsenter --net="/run/netns/$NS" "$BERTH_BIN/berthd" --root "$TMP/root" \
		--exec-root "$TMP/exec" --cgroup-parent "$NS" --resolv-conf "$TMP/resolv.conf" \
		"$@" >>"$TMP/berthd.log" 2>&1 &
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
# the "outside": another namespace, linked to the host by a veth made
# inside $NS whose peer goes straight into $OUT
ip netns add "$OUT"
ip -n "$OUT" link set lo up
ip -n "$NS" link add up0 type veth peer name down0 netns "$OUT"
ip -n "$NS" addr add "$HOST_IP/24" dev up0
ip -n "$NS" link set up0 up
ip -n "$OUT" addr add "$OUT_IP/24" dev down0
ip -n "$OUT" link set down0 up
ip -n "$NS" route add default via "$OUT_IP"
# a web server outside whose /cgi-bin/ip answers with the client's address
mkdir -p "$TMP/out-www/cgi-bin"
printf '#!/bin/sh\necho "Content-Type: text/plain"\necho\necho "$REMOTE_ADDR"\n' >"$TMP/out-www/cgi-bin/ip"
chmod +x "$TMP/out-www/cgi-bin/ip"
ip netns exec "$OUT" busybox httpd -f -p "$OUT_IP:80" -h "$TMP/out-www" &
out_pid=$!
# and a DNS server outside, the upstream of berthd's resolv.conf
ip netns exec "$OUT" dnsmasq -k --no-resolv --no-hosts --bind-interfaces --listen-address="$OUT_IP" \
	--address=/example.test/"$OUT_IP" --local=/example.test/ </dev/null >/dev/null 2>&1 &
dns_pid=$!
echo "nameserver $OUT_IP" >"$TMP/resolv.conf"
echo "host $HOST_IP (up0) --veth-- $OUT_IP (down0, namespace $OUT, busybox httpd pid $out_pid,"
echo "  dnsmasq pid $dns_pid answering *.example.test; berthd --resolv-conf names it)"
start_berthd
run berth version

say "networks: one from the default pool, two with explicit subnets"
run berth network create --label lab=demo frontend
run berth network create --subnet 10.10.0.0/24 --gateway 10.10.0.254 --label lab=demo backend
run berth network create --subnet 10.20.0.0/16 --ip-range 10.20.5.0/24 \
	--ipv6 --subnet fd00:20::/64 -o com.docker.network.bridge.name=lab0 --internal lab
run berth network ls
get berth network ls --filter label=lab=demo --format '{{.Name}}\t{{.Driver}}\t{{.ID}}'
nets=$got
expect "two networks carry the label lab=demo" "$(cut -f1 <<<"$nets" | sort | xargs)" "backend frontend"

say "inspect, with berth and with the real docker CLI"
get berth network inspect -f '{{.Name}}: {{range .IPAM.Config}}{{.Subnet}} via {{.Gateway}}  {{end}}' frontend backend lab
cfg=$got
expect "backend and lab have the subnets asked for" "$cfg" \
	"*backend: 10.10.0.0/24 via 10.10.0.254*lab: 10.20.0.0/16 via 10.20.0.1*fd00:20::/64*"
if [ -x "$DOCKER_CLI" ]; then
	run "$DOCKER_CLI" network ls
	run "$DOCKER_CLI" network inspect backend
fi

say "the kernel objects behind them (inside $NS)"
run ip -n "$NS" -br addr show type bridge

say "bad input is refused and changes nothing"
refused berth network create --subnet 10.10.0.128/25 overlapping
refused berth network create backend
refused berth network create --subnet 10.30.0.0/16 --gateway 10.31.0.1 outside
get berth network ls --format '{{.Name}}'
names=$got
expect "still the same six networks" "$(sort <<<"$names" | xargs)" "backend bridge frontend host lab none"

say "a restart keeps everything, without doubling a bridge"
kill -TERM "$pid"; wait "$pid" || true
start_berthd
run berth network ls
get ip -n "$NS" -br link show type bridge
bridges=$got
expect "four bridges, as before" "$(wc -l <<<"$bridges")" 4

say "containers: import busybox (built from Debian's busybox-static), run it"
"$(dirname "$0")/mk-busybox-rootfs.sh" "$TMP/busybox.tar"
run berth import "$TMP/busybox.tar" busybox:latest
run berth images
get berth run --rm --network none --hostname lab1 busybox sh -c \
	'echo "pid $$ on $(hostname)"; grep CapEff /proc/self/status; ip -o link | cut -d: -f2'
expect "pid 1 in its own namespaces, with only lo" "$(xargs <<<"$got")" "pid 1 on lab1 CapEff:* lo"
show berth run --rm --network none busybox sh -c 'exit 3'
rc=0; berth run --rm --network none busybox sh -c 'exit 3' || rc=$?
expect "berth exits with the container's exit code" "$rc" 3

say "a named volume shared through --volumes-from, and exec"
run berth run --network none --name data -v labdata:/data busybox sh -c 'echo "written by data" > /data/note'
get berth run --rm --network none --volumes-from data busybox cat /data/note
expect "the second container reads what the first wrote" "$got" "written by data"
run berth volume ls
run berth run -d --network none --name worker busybox sleep 300
# a second process in the running container
get berth exec worker sh -c 'echo "exec in $(hostname), pid 1 is $(cat /proc/1/comm)"'
expect "exec runs beside the container's pid 1" "$got" "exec in *, pid 1 is sleep"
run berth rm -f worker data

say "a container that outlives a daemon restart"
run berth run -d --init --network none --name keeper busybox sh -c 'while true; do date; sleep 1; done'
sleep 1.2
kill -TERM "$pid"; wait "$pid" || true
echo "berthd stopped; keeper's shim (pid $(cat "$TMP"/exec/containers/*/shim.pid | head -1)) keeps it running"
start_berthd
get berth ps --filter name=keeper --format '{{.Names}} {{.Status}}'
expect "keeper is still up" "$got" "keeper Up *"
get berth logs --tail 2 keeper
expect "its log goes on" "$(wc -l <<<"$got")" 2
run berth stop -t 1 keeper
run berth rm keeper
if [ -x "$DOCKER_CLI" ]; then
	get "$DOCKER_CLI" events --since 1 --until "$(($(date +%s) + 1))" --filter type=container \
		--format '{{.Action}} {{.Actor.Attributes.name}}'
	expect "the events of its end" "$(xargs <<<"$got")" "*die keeper*destroy keeper*"
fi
run berth volume prune -f

say "containers on bridge networks: c1 and c2 on backend, c3 on frontend"
run berth run -d --name c1 --network backend busybox sleep 600
run berth run -d --name c2 --network backend --network-alias db busybox sleep 600
run berth run -d --name c3 --network frontend busybox sleep 600
# (docker's {{(index .NetworkSettings.Networks "backend").IPAddress}} needs
# parentheses, which berth's templates do not parse yet: a field path will do)
get berth inspect -f '{{.NetworkSettings.Networks.backend.IPAddress}}' c2
ip2=$got
get berth inspect -f '{{.NetworkSettings.Networks.frontend.IPAddress}}' c3
ip3=$got
expect "c2 has an address of backend" "$ip2" "10.10.0.*"

say "same network talks, different networks do not"
run berth exec c1 ping -c1 -W2 "$ip2"
echo "-> c1 reaches c2"
blocked berth exec c1 ping -c1 -W1 "$ip3"

say "names: the embedded DNS answers on 127.0.0.11 in every container of a user network"
run berth exec c1 cat /etc/resolv.conf
get berth exec c1 ping -c1 -W2 c2
expect "c1 pings c2 by name" "$got" "PING c2 ($ip2)*1 packets received*"
get berth exec c1 ping -c1 -W2 db
expect "and by its alias db" "$got" "PING db ($ip2)*1 packets received*"
get berth exec c1 nslookup c2.backend
expect "c2.backend is c2 on backend" "$got" "*Name:*c2.backend*Address: $ip2*"
get berth exec c1 nslookup "$ip2"
expect "reverse lookups name it too" "$got" "*name = c2.backend*"
blocked berth exec c1 ping -c1 -W1 c3
echo "-> c3 is on frontend only: not a name c1 can see"
get berth exec c1 nslookup www.example.test
expect "other names go to berthd's upstream (dnsmasq outside)" "$got" "*Address: $OUT_IP*"

say "names keep resolving while berthd is down (berth-dns outlives it)"
get berth inspect -f '{{.NetworkSettings.SandboxKey}}' c1
key1=$got
kill -TERM "$pid"; wait "$pid" || true
echo "berthd stopped; berth-dns (pid $(cat "$TMP/exec/dns.pid")) still serves the sandboxes"
get nsenter --net="$key1" busybox nslookup c2 127.0.0.11
expect "with berthd stopped, c1's sandbox still resolves c2" "$got" "*Address: $ip2*"
start_berthd

say "connect c2 to frontend as well: c2 reaches c3, c1 still does not"
run berth network connect frontend c2
run berth exec c2 ip -o -4 addr show
get berth exec c2 ping -c1 -W2 c3
expect "c2 reaches c3, by name now that they share frontend" "$got" "PING c3 ($ip3)*1 packets received*"
blocked berth exec c1 ping -c1 -W1 "$ip3"

say "who is where: the networks' Containers, c2's two networks"
get berth network inspect -f '{{.Name}}:{{range .Containers}} {{.Name}} {{.IPv4Address}}{{end}}' backend frontend
expect "backend has c1 and c2" "$(grep '^backend:' <<<"$got" | tr ' ' '\n' | grep '^c' | sort | xargs)" "c1 c2"
expect "frontend has c2 and c3" "$(grep '^frontend:' <<<"$got" | tr ' ' '\n' | grep '^c' | sort | xargs)" "c2 c3"
get berth inspect -f '{{len .NetworkSettings.Networks}} networks: backend {{.NetworkSettings.Networks.backend.IPAddress}}, frontend {{.NetworkSettings.Networks.frontend.IPAddress}}' c2
expect "c2 is on two networks" "$got" "2 networks: backend $ip2, frontend ?*"

say "a web server published on the host's port 8080, reached from outside"
# how many nftables rules the simulated host has (all of them berth's)
count_rules="ip netns exec $NS nft -j list ruleset | python3 -c 'import json, sys; print(sum(\"rule\" in o for o in json.load(sys.stdin)[\"nftables\"]))'"
run ip netns exec "$NS" nft list tables
get_sh "$count_rules"
rules_before=$got
mkdir -p "$TMP/www"
echo "hello from the web container" >"$TMP/www/index.html"
run berth run -d --name web --network frontend -p 8080:80 -v "$TMP/www:/www:ro" busybox httpd -f -p 80 -h /www
get berth port web
expect "80/tcp is published on 8080" "$got" "*80/tcp -> 0.0.0.0:8080*"
get berth ps --filter name=web --format '{{.Names}}: {{.Ports}}'
expect "ps shows it too" "$got" "web: *0.0.0.0:8080->80/tcp*"
# the server may need a moment to listen (busybox wget has no -T here:
# timeout stops it should the connection hang)
for _ in $(seq 1 50); do
	timeout 2 ip netns exec "$OUT" busybox wget -qO /dev/null "http://$HOST_IP:8080/" 2>/dev/null && break
	sleep 0.1
done
get timeout 5 ip netns exec "$OUT" busybox wget -qO- "http://$HOST_IP:8080/"
expect "the outside gets the page through $HOST_IP:8080" "$got" "hello from the web container"
get_sh "$count_rules"
rules_after=$got
expect "publishing added no rule (ports are map elements)" "$rules_after" "$rules_before"
run ip netns exec "$NS" nft list map inet berth ports4

say "NAT: a container on the default bridge reaches the outside as the host"
run berth run -d --name client busybox sleep 600
get berth inspect -f '{{.NetworkSettings.Networks.bridge.IPAddress}}' client
cip=$got
expect "client has an address of the default bridge" "$cip" "172.17.*"
get berth exec client timeout 5 wget -qO- "http://$OUT_IP/cgi-bin/ip"
seen=$got
expect "the outside sees the host's address $HOST_IP, not the container's" "$seen" "$HOST_IP"

say "an --internal network (lab): its containers cannot reach outside"
run berth run -d --name inner --network lab busybox sleep 600
get berth exec inner ip -o -4 addr show eth0
expect "inner has an address from lab's --ip-range" "$got" "*inet 10.20.5.*"
blocked berth exec inner timeout 3 wget -qO- "http://$OUT_IP/cgi-bin/ip"
blocked berth exec inner ping -c1 -W1 "$OUT_IP"

say "macvlan: containers on the outside's wire (up0), with addresses of their own"
run berth network create -d macvlan -o parent=up0 --subnet 198.51.100.0/24 --gateway "$OUT_IP" \
	--ip-range 198.51.100.128/25 wire
run berth run -d --name m1 --network wire busybox sleep 600
run berth run -d --name m2 --network wire busybox sleep 600
get berth inspect -f '{{.NetworkSettings.Networks.wire.IPAddress}}' m1
mip=$got
expect "m1 has an address of the outside's subnet" "$mip" "198.51.100.1[2-9]*"
get berth exec m1 timeout 5 wget -qO- "http://$OUT_IP/cgi-bin/ip"
expect "the outside sees m1's own address (no NAT)" "$got" "$mip"
get berth exec m2 ping -c1 -W2 m1
expect "m2 reaches m1 on the wire (bridge mode), by name" "$got" "*1 packets received*"
get berth exec m1 ip route
expect "the default route is the outside's router" "$got" "default via $OUT_IP dev eth0*"

say "disconnect: c2 leaves frontend and no longer reaches c3, nor knows its name"
run berth network disconnect frontend c2
blocked berth exec c2 ping -c1 -W1 "$ip3"
blocked berth exec c2 ping -c1 -W1 c3

say "a lab from a compose file (docs/examples/lab): docker-compose drives berthd as it is"
lab=$(cd "$(dirname "$0")/.." && pwd)/docs/examples/lab/docker-compose.yml
dc() { /usr/bin/docker-compose --ansi never -f "$lab" -p demo "$@"; }
run dc up -d
run dc ps
get dc exec -T client wget -qO- http://www/index.html
expect "client reaches web by its alias on front" "$got" "hello from web"
get dc exec -T web ping -c1 -W2 db
expect "web reaches db on back, by name, at its fixed address" "$got" "PING db (10.60.0.10)*1 packets received*"
blocked dc exec -T client ping -c1 -W1 10.60.0.10
get ip netns exec "$OUT" curl -sf --max-time 5 "http://$HOST_IP:8088/index.html"
expect "the published port 8088 answers outside, at the host's address" "$got" "hello from web"
run dc down -v
get berth ps -aq --filter label=com.docker.compose.project=demo
expect "down -v leaves no container" "$got" ""

say "an overlay network across two hosts, its control plane in etcd"
# a second host, $H2, routed to the first through the outside namespace,
# which also runs etcd
ip netns add "$H2"
ip -n "$H2" link set lo up
ip -n "$H2" link add up1 type veth peer name down1 netns "$OUT"
ip -n "$H2" addr add "$H2_IP/24" dev up1
ip -n "$H2" link set up1 up
ip -n "$OUT" addr add "$OUT2_IP/24" dev down1
ip -n "$OUT" link set down1 up
ip -n "$H2" route add default via "$OUT2_IP"
ip netns exec "$OUT" sysctl -qw net.ipv4.ip_forward=1
nsenter --net="/run/netns/$OUT" etcd --name demo --data-dir "$TMP/etcd" \
	--listen-client-urls "http://$OUT_IP:2379,http://$OUT2_IP:2379" \
	--advertise-client-urls "http://$OUT_IP:2379" --listen-peer-urls http://127.0.0.1:2380 \
	--initial-advertise-peer-urls http://127.0.0.1:2380 --initial-cluster demo=http://127.0.0.1:2380 \
	--heartbeat-interval 10 --election-timeout 100 </dev/null >"$TMP/etcd.log" 2>&1 &
etcd_pid=$!
for _ in $(seq 1 100); do
	ip netns exec "$OUT" curl -sf "http://$OUT_IP:2379/health" 2>/dev/null | grep -q true && break
	sleep 0.1
done
echo "host 2: $H2 ($H2_IP, routed via $OUT_IP's namespace); etcd at $OUT_IP:2379 (pid $etcd_pid)"
mkdir -p "$TMP/h2"
nsenter --net="/run/netns/$H2" "$BERTH_BIN/berthd" --root "$TMP/h2/root" --exec-root "$TMP/h2/exec" \
	--cgroup-parent "$H2" --resolv-conf "$TMP/resolv.conf" --cluster-store "etcd://$OUT2_IP:2379" \
	--cluster-advertise "$H2_IP" >>"$TMP/h2/berthd.log" 2>&1 &
pid2=$!
for _ in $(seq 1 100); do
	curl -sf --unix-socket "$SOCK2" http://localhost/_ping >/dev/null && break
	sleep 0.05
done
echo "host 1: berthd restarted as a node of the cluster"
kill -TERM "$pid"; wait "$pid" || true
start_berthd --cluster-store "etcd://$OUT_IP:2379" --cluster-advertise "$HOST_IP"
h2() { BERTH_HOST=unix://$SOCK2 "$@"; }
run berth network create -d overlay --attachable --subnet 10.30.0.0/24 ov
for _ in $(seq 1 50); do h2 berth network inspect ov >/dev/null 2>&1 && break; sleep 0.1; done
get h2 berth network ls --filter driver=overlay --format '{{.Name}} {{.Scope}}'
expect "host 2 sees it, scope global" "$got" "ov global"
run h2 berth import "$TMP/busybox.tar" busybox:latest
run h2 berth run -d --name far --network ov busybox sleep 600
run berth run -d --name near --network ov busybox sleep 600
get berth exec near ping -c1 -W2 far
expect "near (host 1) pings far (host 2) by name, over VXLAN" "$got" "PING far (10.30.0.*)*1 packets received*"
get berth exec near cat /sys/class/net/eth0/mtu
expect "the overlay's MTU is the underlay's less 50" "$got" 1450
get berth exec near timeout 5 wget -qO- "http://$OUT_IP/cgi-bin/ip"
expect "near goes out through docker_gwbridge (eth1), seen as host 1" "$got" "$HOST_IP"
run berth rm -f near
run h2 berth rm -f far
run berth network rm ov
get h2 berth network ls --filter driver=overlay -q
expect "removed on host 1, gone on host 2" "$got" ""

say "clean up: containers, then networks; nothing is left behind"
run berth rm -f c1 c2 c3 web client inner m1 m2
get berth ps -aq
expect "no container left" "$got" ""
run berth network prune -f
get berth network ls --format '{{.Name}}'
expect "only the predefined networks are left" "$(sort <<<"$got" | xargs)" "bridge host none"
get ip -n "$NS" -br link show type veth
expect "no container veth left (up0 is the demo's own link to the outside)" "$(awk '{print $1}' <<<"$got" | xargs)" "up0@*"
get ip -n "$NS" -br link show type bridge
expect "only the default bridge is left" "$(awk '{print $1}' <<<"$got" | xargs)" "berth0"
get ls "$TMP/exec/netns"
expect "no container network namespace left" "$got" ""
