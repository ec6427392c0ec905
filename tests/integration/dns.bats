#!/usr/bin/env bats
# dns.bats - the embedded DNS (berth-dns): names, aliases, name.network,
# short ids, round robin, PTR, NXDOMAIN, visibility through shared networks
# only, updates before the API call returns, forwarding to an upstream
# (UDP, TCP on truncation, SERVFAIL when it is gone), TCP clients,
# malformed queries, and answers while berthd restarts.
#
#   $UP ("upstream")                  $NS (the simulated host)
#   ┌──────────────────────┐  veth   ┌───────────────────────────────────┐
#   │ 192.0.2.1 dnsmasq    │─────────│ 192.0.2.2  berthd --resolv-conf   │
#   │ *.example.test       │         │ berth-dns, containers             │
#   └──────────────────────┘         └───────────────────────────────────┘
#
# Queries are sent from inside the containers (busybox nslookup/ping) or
# with dig in a sandbox's namespace; 192.0.2.0/24 is TEST-NET-1 and lives
# only in these namespaces.

load helpers
bats_require_minimum_version 1.5.0

setup_file() {
	busybox_build
}

setup() {
	berth_setup dns
	UP=$NS-up
	ip netns add "$UP"
	ip -n "$UP" link set lo up
	ip -n "$NS" link add up0 type veth peer name down0 netns "$UP"
	ip -n "$NS" addr add 192.0.2.2/24 dev up0
	ip -n "$NS" link set up0 up
	ip -n "$UP" addr add 192.0.2.1/24 dev down0
	ip -n "$UP" link set down0 up
	printf 'nameserver 192.0.2.1\noptions timeout:2\n' >"$TMP/resolv.conf"
	berthd_start --resolv-conf "$TMP/resolv.conf"
	docker import "$BUSYBOX_TAR" busybox:latest >/dev/null
}

teardown() {
	[ -n "${DNSMASQ_PID:-}" ] && kill "$DNSMASQ_PID" 2>/dev/null
	[ -n "${LOOP_PID:-}" ] && kill "$LOOP_PID" 2>/dev/null
	berth_teardown
	ip netns del "$UP" 2>/dev/null || true
}

# upstream: dnsmasq in $UP answering *.example.test, with a TXT record too
# large for a UDP reply of 1232 bytes.
upstream() {
	local big="" i
	for i in $(seq 1 12); do big="$big,\"$(printf 'x%.0s' $(seq 1 200))\""; done
	ip netns exec "$UP" dnsmasq -k --no-resolv --no-hosts --bind-interfaces \
		--listen-address=192.0.2.1 --address=/example.test/192.0.2.99 --local=/example.test/ \
		--txt-record="big.example.test${big}" --edns-packet-max=1232 \
		--pid-file="$TMP/dnsmasq.pid" </dev/null >/dev/null 2>&1 &
	DNSMASQ_PID=$!
	for i in $(seq 1 50); do
		ip netns exec "$UP" dig @192.0.2.1 +short +time=1 +tries=1 a.example.test 2>/dev/null |
			grep -q 192.0.2.99 && return 0
		sleep 0.1
	done
	return 1
}

ctr_ip() { # ctr_ip CONTAINER NETWORK
	docker inspect -f "{{(index .NetworkSettings.Networks \"$2\").IPAddress}}" "$1"
}

# in_sbx CONTAINER CMD...: CMD in the container's network namespace
in_sbx() {
	local key
	key=$(docker inspect -f '{{.NetworkSettings.SandboxKey}}' "$1")
	shift
	nsenter --net="$key" "$@"
}

# q CONTAINER NAME [TYPE] [DIG OPTIONS]: the answer section (dig +short)
q() {
	local c=$1 name=$2 type=${3:-A}
	shift 3 2>/dev/null || shift $#
	in_sbx "$c" dig @127.0.0.11 +short +time=2 +tries=1 "$@" "$name" "$type"
}

# rcode CONTAINER NAME [TYPE]: NOERROR, NXDOMAIN, SERVFAIL...
rcode() {
	in_sbx "$1" dig @127.0.0.11 +time=4 +tries=1 "$2" "${3:-A}" |
		sed -n 's/.*status: \([A-Z]*\),.*/\1/p'
}

@test "names, aliases, name.network and short ids resolve; resolv.conf says 127.0.0.11" {
	docker network create lab >/dev/null
	docker run -d --name c1 --network lab --network-alias web busybox sleep 300 >/dev/null
	docker run -d --name c2 --network lab busybox sleep 300 >/dev/null
	ip1=$(ctr_ip c1 lab)
	ip2=$(ctr_ip c2 lab)
	id1=$(docker inspect -f '{{.Id}}' c1)
	run docker exec c2 cat /etc/resolv.conf
	echo "$output"
	[ "$(echo "$output" | grep -c nameserver)" -eq 1 ]
	[[ $output == *"nameserver 127.0.0.11"* ]]
	[[ $output == *"options timeout:2 ndots:0"* ]]
	# from inside, with busybox: by name, alias, name.network and short id
	run docker exec c2 nslookup c1
	echo "$output"
	[[ $output == *"Address: $ip1"* ]]
	run docker exec c2 nslookup web
	[[ $output == *"Address: $ip1"* ]]
	run docker exec c2 ping -c1 -W2 c1
	[ "$status" -eq 0 ]
	run docker exec c1 ping -c1 -W2 c2.lab
	[ "$status" -eq 0 ]
	[ "$(q c2 "${id1:0:12}")" = "$ip1" ]
	[ "$(q c1 c2.lab)" = "$ip2" ]
	[ "$(q c1 C2.LAB.)" = "$ip2" ]
	# no IPv6 on the network: the name exists without AAAA (NODATA)
	[ "$(rcode c1 c2 AAAA)" = NOERROR ]
	[ -z "$(q c1 c2 AAAA)" ]
	# an unknown name under the network: NXDOMAIN, not forwarded
	[ "$(rcode c1 nosuch.lab)" = NXDOMAIN ]
	# a name of ours, another type: no data
	[ "$(rcode c1 c2 MX)" = NOERROR ]
}

@test "IPv6 networks answer AAAA; PTR for IPv4 and IPv6 addresses" {
	docker network create --ipv6 --subnet 10.77.0.0/24 --subnet fd00:77::/64 six >/dev/null
	docker run -d --name aa --network six busybox sleep 300 >/dev/null
	docker run -d --name bb --network six busybox sleep 300 >/dev/null
	v6=$(docker inspect -f '{{(index .NetworkSettings.Networks "six").GlobalIPv6Address}}' bb)
	[ -n "$v6" ]
	[ "$(q aa bb AAAA)" = "$v6" ]
	[ "$(q aa bb A)" = 10.77.0.3 ]
	[ "$(in_sbx aa dig @127.0.0.11 +short -x 10.77.0.3)" = bb.six. ]
	[ "$(in_sbx aa dig @127.0.0.11 +short -x "$v6")" = bb.six. ]
	run docker exec aa nslookup 10.77.0.3
	echo "$output"
	[[ $output == *"name = bb.six"* ]]
}

@test "a name is visible only through a network both containers are on" {
	docker network create front >/dev/null
	docker network create back >/dev/null
	docker run -d --name ff --network front busybox sleep 300 >/dev/null
	docker run -d --name bb --network back busybox sleep 300 >/dev/null
	[ -z "$(q ff bb)" ]
	[ "$(rcode ff bb.back)" != NOERROR ]
	[ "$(rcode bb ff.front)" != NOERROR ]
	run docker exec ff ping -c1 -W1 bb
	[ "$status" -ne 0 ]
	# connected: both see each other through back, and only there
	docker network connect back ff
	[ "$(q ff bb)" = "$(ctr_ip bb back)" ]
	[ "$(q bb ff)" = "$(ctr_ip ff back)" ]
	[ "$(q bb ff.back)" = "$(ctr_ip ff back)" ]
	[ "$(rcode bb ff.front)" = SERVFAIL ] || [ "$(rcode bb ff.front)" = NXDOMAIN ]
}

@test "an alias held by two containers: both addresses, in both orders" {
	docker network create lab >/dev/null
	docker run -d --name s1 --network lab --network-alias svc busybox sleep 300 >/dev/null
	docker run -d --name s2 --network lab --network-alias svc busybox sleep 300 >/dev/null
	docker run -d --name cl --network lab busybox sleep 300 >/dev/null
	ip1=$(ctr_ip s1 lab)
	ip2=$(ctr_ip s2 lab)
	run q cl svc
	[ "$(echo "$output" | sort | tr '\n' ' ')" = "$(printf '%s\n' "$ip1" "$ip2" | sort | tr '\n' ' ')" ]
	firsts=""
	for i in $(seq 1 30); do firsts="$firsts $(q cl svc | head -1)"; done
	[[ $firsts == *"$ip1"* ]]
	[[ $firsts == *"$ip2"* ]]
	# busybox ping picks one of them
	run docker exec cl ping -c1 -W2 svc
	[ "$status" -eq 0 ]
}

@test "connect --alias, disconnect, rename, stop, start and rm change answers before the call returns" {
	docker network create lab >/dev/null
	docker network create extra >/dev/null
	docker run -d --name ask --network lab busybox sleep 300 >/dev/null
	docker run -d --name tt --network extra busybox sleep 300 >/dev/null
	[ -z "$(q ask tt)" ]
	docker network connect --alias db --alias db2 lab tt
	ipt=$(ctr_ip tt lab)
	[ "$(q ask tt)" = "$ipt" ]
	[ "$(q ask db)" = "$ipt" ]
	[ "$(q ask db2.lab)" = "$ipt" ]
	docker network disconnect lab tt
	[ -z "$(q ask db)" ]
	[ "$(rcode ask tt.lab)" = NXDOMAIN ]
	docker network connect lab tt
	docker rename tt t2
	[ "$(q ask t2)" = "$(ctr_ip t2 lab)" ]
	[ "$(rcode ask tt.lab)" = NXDOMAIN ]
	docker stop -t 0 t2 >/dev/null
	[ "$(rcode ask t2.lab)" = NXDOMAIN ]
	docker start t2 >/dev/null
	[ "$(q ask t2)" = "$(ctr_ip t2 lab)" ]
	docker rm -f t2 >/dev/null
	[ "$(rcode ask t2.lab)" = NXDOMAIN ]
	# a stopped and restarted asker gets a new sandbox that answers too
	docker restart -t 0 ask >/dev/null
	run docker exec ask nslookup ask
	[[ $output == *"Address: $(ctr_ip ask lab)"* ]]
}

@test "other names go to the upstream of --resolv-conf: UDP, TCP on truncation, SERVFAIL when it is gone" {
	upstream
	docker network create lab >/dev/null
	docker run -d --name ask --network lab busybox sleep 300 >/dev/null
	[ "$(q ask www.example.test)" = 192.0.2.99 ]
	run docker exec ask nslookup www.example.test
	[[ $output == *"Address: 192.0.2.99"* ]]
	# 2.4 kB of TXT: dnsmasq truncates over UDP, berth-dns asks again
	# over TCP and relays the whole answer over UDP (it fits in 4096)
	run in_sbx ask dig @127.0.0.11 +notcp +ignore +bufsize=4096 +time=3 +tries=1 big.example.test TXT
	echo "$output" | head -20
	[[ $output == *"status: NOERROR"* ]]
	[[ $output != *" tc "* ]]
	[ "$(echo "$output" | grep -c 'big.example.test.*TXT')" -ge 1 ]
	# without EDNS the reply cannot fit 512: TC, and dig's retry over TCP gets it
	run in_sbx ask dig @127.0.0.11 +time=3 +tries=1 big.example.test TXT
	[[ $output == *"status: NOERROR"* ]]
	[[ $output == *"Truncated, retrying in TCP mode"* ]]
	# container --dns replaces the daemon's upstream
	docker run -d --name dd --network lab --dns 192.0.2.77 busybox sleep 300 >/dev/null
	[ "$(rcode dd www.example.test)" = SERVFAIL ]
	# upstream gone: SERVFAIL (within dig's 4 s)
	kill "$DNSMASQ_PID"
	wait "$DNSMASQ_PID" 2>/dev/null || true
	DNSMASQ_PID=
	[ "$(rcode ask www.example.test)" = SERVFAIL ]
	# our own names do not need it
	[ "$(q ask dd)" = "$(ctr_ip dd lab)" ]
}

@test "TCP clients are answered, pipelined and side by side" {
	docker network create lab >/dev/null
	docker run -d --name c1 --network lab busybox sleep 300 >/dev/null
	docker run -d --name c2 --network lab busybox sleep 300 >/dev/null
	[ "$(q c1 c2 A +tcp)" = "$(ctr_ip c2 lab)" ]
	[ "$(in_sbx c1 dig @127.0.0.11 +short +tcp +keepopen c2 c1 c2.lab | sort -u | wc -l)" -eq 2 ]
}

@test "malformed queries, huge names, truncated TCP frames and storms: FORMERR or silence, never a crash" {
	docker network create lab >/dev/null
	docker run -d --name c1 --network lab busybox sleep 300 >/dev/null
	docker run -d --name web --network lab busybox sleep 300 >/dev/null
	pid=$(cat "$EXEC/dns.pid")
	run in_sbx c1 /usr/bin/python3 "$BERTH_SRC/tests/integration/tools/dnsbad.py" --good-name web 127.0.0.11
	echo "$output"
	[ "$status" -eq 0 ]
	# the same process, still answering
	[ "$(cat "$EXEC/dns.pid")" = "$pid" ]
	kill -0 "$pid"
	[ "$(q c1 web)" = "$(ctr_ip web lab)" ]
}

@test "names keep resolving while berthd restarts (SIGTERM and kill -9)" {
	docker network create lab >/dev/null
	docker run -d --name c1 --network lab busybox sleep 300 >/dev/null
	docker run -d --name c2 --network lab busybox sleep 300 >/dev/null
	ip2=$(ctr_ip c2 lab)
	key=$(docker inspect -f '{{.NetworkSettings.SandboxKey}}' c1)
	# a loop of queries: every failure is written down
	nsenter --net="$key" bash -c "while :; do
		a=\$(dig @127.0.0.11 +short +time=1 +tries=1 c2)
		[ \"\$a\" = $ip2 ] && echo ok >>'$TMP/ok' || echo \"fail:\$a\" >>'$TMP/fail'
	done" </dev/null >/dev/null 2>&1 &
	LOOP_PID=$!
	sleep 0.5
	berthd_stop
	sleep 0.5
	berthd_start --resolv-conf "$TMP/resolv.conf"
	sleep 0.3
	berthd_kill9
	sleep 0.5
	berthd_start --resolv-conf "$TMP/resolv.conf"
	sleep 0.3
	kill "$LOOP_PID"
	wait "$LOOP_PID" 2>/dev/null || true
	LOOP_PID=
	echo "ok: $(wc -l <"$TMP/ok") fail: $(cat "$TMP/fail" 2>/dev/null | wc -l)"
	[ ! -s "$TMP/fail" ]
	[ "$(wc -l <"$TMP/ok")" -gt 20 ]
	# after the restart the new berthd drives it: changes still show at once
	docker network connect --alias late lab "$(docker run -d busybox sleep 300)"
	[ -n "$(q c1 late)" ]
	docker stop -t 0 c2 >/dev/null
	[ "$(rcode c1 c2.lab)" = NXDOMAIN ]
}

@test "berth-dns starts with the first sandbox that needs it and goes when berthd and the sandboxes have" {
	docker run -d --name plain busybox sleep 300 >/dev/null
	[ ! -S "$EXEC/dns.sock" ]
	docker network create lab >/dev/null
	docker run -d --name ask --network lab busybox sleep 300 >/dev/null
	[ -S "$EXEC/dns.sock" ]
	pid=$(cat "$EXEC/dns.pid")
	[ "$(cat /proc/$pid/comm)" = berth-dns ]
	# berthd stopped with the container running: berth-dns stays
	berthd_stop
	kill -0 "$pid"
	berthd_start --resolv-conf "$TMP/resolv.conf"
	[ "$(cat "$EXEC/dns.pid")" = "$pid" ]
	docker rm -f ask plain >/dev/null
	berthd_stop
	for i in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	run kill -0 "$pid"
	[ "$status" -ne 0 ]
	! grep -q 'AddressSanitizer\|runtime error' "$EXEC/dns.log"
}

@test "a crashed berth-dns is started again and given every running container" {
	docker network create lab >/dev/null
	docker run -d --name c1 --network lab busybox sleep 300 >/dev/null
	docker run -d --name c2 --network lab busybox sleep 300 >/dev/null
	pid=$(cat "$EXEC/dns.pid")
	kill -KILL "$pid"
	sleep 0.2
	# the next change finds it gone, starts a new one, resyncs everything
	docker run -d --name c3 --network lab busybox sleep 300 >/dev/null
	[ "$(cat "$EXEC/dns.pid")" != "$pid" ]
	[ "$(q c1 c2)" = "$(ctr_ip c2 lab)" ]
	[ "$(q c3 c1)" = "$(ctr_ip c1 lab)" ]
	[ "$(q c2 c3)" = "$(ctr_ip c3 lab)" ]
}

@test "the default bridge keeps the host's resolv.conf; --dns-search and --dns-option on a user network" {
	run docker run --rm busybox cat /etc/resolv.conf
	[[ $output == *"nameserver 192.0.2.1"* ]]
	[[ $output != *"127.0.0.11"* ]]
	docker network create lab >/dev/null
	run docker run --rm --network lab --dns-search corp.example --dns-option ndots:3 busybox cat /etc/resolv.conf
	echo "$output"
	[[ $output == *"nameserver 127.0.0.11"* ]]
	[[ $output == *"search corp.example"* ]]
	[[ $output == *"options ndots:3"* ]]
	[[ $output != *"ndots:0"* ]]
	[[ $output != *"192.0.2.1"* ]]
	# the daemon's search and options lines are kept, ndots:0 added
	printf 'search lab.example\nnameserver 192.0.2.1\noptions rotate\n' >"$TMP/resolv.conf"
	run docker run --rm --network lab busybox cat /etc/resolv.conf
	echo "$output"
	[ "$output" = "$(printf 'nameserver 127.0.0.11\nsearch lab.example\noptions rotate ndots:0')" ]
}

@test "berthd --dns: upstream of the embedded DNS and nameserver of default-bridge containers; a container's --dns wins" {
	upstream
	berthd_stop
	printf 'nameserver 192.0.2.50\n' >"$TMP/resolv.conf"
	berthd_start --resolv-conf "$TMP/resolv.conf" --dns 192.0.2.1
	docker network create lab >/dev/null
	docker run -d --name ask --network lab busybox sleep 300 >/dev/null
	[ "$(q ask www.example.test)" = 192.0.2.99 ]
	run docker run --rm busybox cat /etc/resolv.conf
	[[ $output == *"nameserver 192.0.2.1"* ]]
	[[ $output != *"192.0.2.50"* ]]
	# the daemon's --dns now points nowhere: a container's own --dns is asked
	berthd_stop
	berthd_start --resolv-conf "$TMP/resolv.conf" --dns 192.0.2.50
	docker run -d --name two --network lab --dns 192.0.2.1 busybox sleep 300 >/dev/null
	[ "$(q two www.example.test)" = 192.0.2.99 ]
	[ "$(rcode ask www.example.test)" = SERVFAIL ]
}

@test "--internal networks: names resolve, nothing is forwarded; a last network disconnected withdraws the names and the sandbox goes at stop" {
	upstream
	docker network create --internal inner >/dev/null
	docker run -d --name i1 --network inner busybox sleep 300 >/dev/null
	docker run -d --name i2 --network inner busybox sleep 300 >/dev/null
	[ "$(q i1 i2)" = "$(ctr_ip i2 inner)" ]
	# as in Docker 26: a container on internal networks only asks no one outside
	[ "$(rcode i1 www.example.test)" = SERVFAIL ]
	id2=$(docker inspect -f '{{.Id}}' i2)
	docker network disconnect inner i2
	[ "$(rcode i1 i2.inner)" = NXDOMAIN ]
	[ -e "$EXEC/netns/$id2" ]
	docker stop -t 0 i2 >/dev/null
	[ ! -e "$EXEC/netns/$id2" ]
	# connected to a network with a way out, i1 forwards again
	docker network create lab >/dev/null
	docker network connect lab i1
	[ "$(q i1 www.example.test)" = 192.0.2.99 ]
}

@test "a sandbox flooding a silent upstream does not starve the others' forwarding" {
	upstream
	docker network create lab >/dev/null
	# 192.0.2.3 is on the upstream link but nobody has it: queries vanish
	docker run -d --name slow --network lab --dns 192.0.2.3 busybox sleep 300 >/dev/null
	docker run -d --name fast --network lab busybox sleep 300 >/dev/null
	in_sbx slow /usr/bin/python3 -c '
import socket, struct
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(400):
    name = b"".join(bytes([len(l)]) + l for l in [b"n%d" % i, b"example", b"org"]) + b"\0"
    s.sendto(struct.pack(">HHHHHH", i, 0x100, 1, 0, 0, 0) + name + struct.pack(">HH", 1, 1), ("127.0.0.11", 53))
'
	# while slow's queries wait, fast's are forwarded and answered (not
	# SERVFAIL for want of room)
	[ "$(q fast www.example.test)" = 192.0.2.99 ]
}
