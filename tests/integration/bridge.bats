#!/usr/bin/env bats
# bridge.bats - containers on bridge networks: sandboxes and endpoints,
# connect/disconnect, addresses kept while stopped, isolation, NAT to the
# outside, --internal, icc=false, published ports, and nothing left behind.
#
#   $OUT ("outside")                 $NS (the simulated host)
#   ┌─────────────────────┐  veth   ┌────────────────────────────────────┐
#   │ 198.51.100.1        │─────────│ 198.51.100.2  default via .1       │
#   │ busybox httpd (CGI: │         │ berthd, bridges, containers        │
#   │ echoes the client)  │         │                                    │
#   └─────────────────────┘         └────────────────────────────────────┘
#
# Every address lives inside these two namespaces (198.51.100.0/24 is
# TEST-NET-2); nothing reaches the machine's own namespace.

load helpers
bats_require_minimum_version 1.5.0

setup_file() {
	busybox_build
}

setup() {
	berth_setup br
	OUT=$NS-out
	ip netns add "$OUT"
	ip -n "$OUT" link set lo up
	ip -n "$NS" link add up0 type veth peer name down0 netns "$OUT"
	ip -n "$NS" addr add 198.51.100.2/24 dev up0
	ip -n "$NS" link set up0 up
	ip -n "$OUT" addr add 198.51.100.1/24 dev down0
	ip -n "$OUT" link set down0 up
	ip -n "$NS" route add default via 198.51.100.1
	berthd_start
	docker import "$BUSYBOX_TAR" busybox:latest >/dev/null
}

teardown() {
	[ -n "${OUT_PID:-}" ] && kill "$OUT_PID" 2>/dev/null
	berth_teardown
	ip netns del "$OUT" 2>/dev/null || true
}

# outside_httpd: a web server in the outside namespace whose /cgi-bin/ip
# answers with the client's address.
outside_httpd() {
	local www=$TMP/www
	mkdir -p "$www/cgi-bin"
	printf '#!/bin/sh\necho "Content-Type: text/plain"\necho\necho "$REMOTE_ADDR"\n' >"$www/cgi-bin/ip"
	chmod +x "$www/cgi-bin/ip"
	ip netns exec "$OUT" busybox httpd -f -p 198.51.100.1:80 -h "$www" &
	OUT_PID=$!
	sleep 0.2
}

# A container running a web server whose /cgi-bin/ip echoes the client.
WEB='mkdir -p /www/cgi-bin && printf "#!/bin/sh\necho Content-Type: text/plain\necho\necho \$REMOTE_ADDR\n" >/www/cgi-bin/ip && chmod +x /www/cgi-bin/ip && exec httpd -f -p 80 -h /www'

ctr_ip() { # ctr_ip CONTAINER NETWORK
	docker inspect -f "{{(index .NetworkSettings.Networks \"$2\").IPAddress}}" "$1"
}

@test "the default bridge: eth0 with an address, a default route, the gateway answers" {
	run docker run --rm busybox sh -c 'ip -o -4 addr show eth0; ip route; ping -c1 -W2 $(ip route | awk "/default/{print \$3}") >/dev/null && echo gw-ok'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"eth0"*"inet 172.17.0."* ]]
	[[ $output == *"default via 172.17.0.1 dev eth0"* ]]
	[[ $output == *gw-ok* ]]
	run docker inspect -f '{{.HostConfig.NetworkMode}}' "$(docker create busybox true)"
	[ "$output" = bridge ]
}

@test "user networks: same network talks, different networks do not, connect joins them" {
	docker network create backend >/dev/null
	docker network create frontend >/dev/null
	docker run -d --name c1 --network backend busybox sleep 300 >/dev/null
	docker run -d --name c2 --network backend busybox sleep 300 >/dev/null
	docker run -d --name c3 --network frontend busybox sleep 300 >/dev/null
	ip2=$(ctr_ip c2 backend)
	ip3=$(ctr_ip c3 frontend)
	docker exec c1 ping -c1 -W2 "$ip2"
	run docker exec c1 ping -c1 -W1 "$ip3"
	[ "$status" -ne 0 ]
	run docker exec c3 ping -c1 -W1 "$ip2"
	[ "$status" -ne 0 ]
	docker network connect frontend c2
	run docker exec c2 ip -o link show eth1
	[ "$status" -eq 0 ]
	docker exec c2 ping -c1 -W2 "$ip3"
	# c1 still cannot reach frontend through c2's second leg
	run docker exec c1 ping -c1 -W1 "$ip3"
	[ "$status" -ne 0 ]
	docker network disconnect frontend c2
	run docker exec c2 ip -o link show eth1
	[ "$status" -ne 0 ]
	run docker exec c2 ping -c1 -W1 "$ip3"
	[ "$status" -ne 0 ]
}

@test "inspect: NetworkSettings.Networks and the network's Containers" {
	docker network create --subnet 10.77.0.0/24 net1 >/dev/null
	docker run -d --name web --network net1 --ip 10.77.0.50 --network-alias www busybox sleep 300 >/dev/null
	run docker inspect -f '{{.NetworkSettings.Networks.net1.IPAddress}} {{.NetworkSettings.Networks.net1.IPPrefixLen}} {{.NetworkSettings.Networks.net1.Gateway}} {{.NetworkSettings.Networks.net1.Aliases}}' web
	echo "$output"
	[ "$output" = "10.77.0.50 24 10.77.0.1 [www]" ]
	mac=$(docker inspect -f '{{.NetworkSettings.Networks.net1.MacAddress}}' web)
	run docker exec web cat /sys/class/net/eth0/address
	[ "$output" = "$mac" ]
	run docker network inspect -f '{{range .Containers}}{{.Name}} {{.IPv4Address}}{{end}}' net1
	[ "$output" = "web 10.77.0.50/24" ]
	run docker exec web cat /etc/hosts
	[[ $output == *"10.77.0.50"* ]]
}

@test "address and MAC are kept while stopped, released on rm" {
	docker network create --subnet 10.78.0.0/24 net2 >/dev/null
	docker run -d --name sa --network net2 busybox sleep 300 >/dev/null
	ip=$(ctr_ip sa net2)
	mac=$(docker inspect -f '{{.NetworkSettings.Networks.net2.MacAddress}}' sa)
	docker stop -t0 sa >/dev/null
	docker start sa >/dev/null
	[ "$(ctr_ip sa net2)" = "$ip" ]
	[ "$(docker inspect -f '{{.NetworkSettings.Networks.net2.MacAddress}}' sa)" = "$mac" ]
	run docker exec sa ip -o -4 addr show eth0
	[[ $output == *"$ip/24"* ]]
	docker rm -f sa >/dev/null
	docker run -d --name sb --network net2 --ip "$ip" busybox sleep 300 >/dev/null
	[ "$(ctr_ip sb net2)" = "$ip" ]
}

@test "connect and disconnect a stopped container; the interface appears at start" {
	docker network create n1 >/dev/null
	docker network create n2 >/dev/null
	docker create --name st --network n1 busybox sleep 300 >/dev/null
	docker network connect --alias db n2 st
	run docker inspect -f '{{len .NetworkSettings.Networks}}' st
	[ "$output" = 2 ]
	docker start st >/dev/null
	run docker exec st sh -c 'ip -o link | grep -c eth'
	[ "$output" = 2 ]
	docker stop -t0 st >/dev/null
	docker network disconnect n2 st
	docker start st >/dev/null
	run docker exec st sh -c 'ip -o link | grep -c eth'
	[ "$output" = 1 ]
}

@test "gateway priority picks the default route" {
	docker network create --subnet 10.81.0.0/24 ga >/dev/null
	docker network create --subnet 10.82.0.0/24 gb >/dev/null
	docker run -d --name gw --network ga busybox sleep 300 >/dev/null
	docker network connect --gw-priority 10 gb gw
	run docker exec gw ip route show default
	[[ $output == *"via 10.82.0.1"* ]]
	docker network disconnect gb gw
	run docker exec gw ip route show default
	[[ $output == *"via 10.81.0.1"* ]]
}

@test "--network container: shares the sandbox" {
	docker network create sh >/dev/null
	docker run -d --name base --network sh busybox sleep 300 >/dev/null
	ip=$(ctr_ip base sh)
	run docker run --rm --network container:base busybox ip -o -4 addr show eth0
	[[ $output == *"$ip/"* ]]
	run docker run --rm --network container:nosuch busybox true
	[ "$status" -ne 0 ]
	[[ $output == *"No such container: nosuch"* ]]
}

@test "bad input is refused and leaves nothing behind" {
	docker network create --subnet 10.79.0.0/24 bad >/dev/null
	docker network create auto >/dev/null
	links=$(ns_link_count)
	eps=$(ls "$ROOT/endpoints" 2>/dev/null | wc -l)
	run docker run --rm --network nosuch busybox true
	[[ $output == *"network nosuch not found"* ]]
	run docker run --rm --network bad --ip 10.80.0.5 busybox true
	[[ $output == *"no configured subnet or ip-range contain the IP address 10.80.0.5"* ]]
	run docker run --rm --network auto --ip 172.30.0.5 busybox true
	[[ $output == *"user specified IP address is supported only when connecting to networks with user configured subnets"* ]]
	run docker run --rm --ip 172.17.0.5 busybox true
	[[ $output == *"user specified IP address is supported on user defined networks only"* ]]
	run docker run --rm --network bad --ip 10.79.0.1 busybox true
	[[ $output == *"Address already in use"* ]]
	run docker run --rm --network bad --ip not-an-ip busybox true
	[ "$status" -ne 0 ]
	docker create --name xx --network bad busybox sleep 1 >/dev/null
	run docker network connect bad xx
	[[ $output == *"endpoint with name xx already exists in network bad"* ]]
	run docker network disconnect auto xx
	[[ $output == *"is not connected to network auto"* ]]
	run docker network connect nosuch xx
	[[ $output == *"network nosuch not found"* ]]
	run docker network connect bad nosuch
	[[ $output == *"No such container: nosuch"* ]]
	run docker network connect host xx
	[ "$status" -ne 0 ]
	run api DELETE /networks/bad
	[[ $output == *"network bad has active endpoints (xx)"* && $output == *"HTTP 403" ]]
	docker rm xx >/dev/null
	[ "$(ns_link_count)" = "$links" ]
	[ "$(ls "$ROOT/endpoints" 2>/dev/null | wc -l)" = "$eps" ]
	docker network rm bad auto >/dev/null
}

@test "teardown leaves no veth, namespace or endpoint behind" {
	docker network create t1 >/dev/null
	before=$(ns_link_count)
	for i in 1 2 3; do docker run -d --name t$i --network t1 busybox sleep 300 >/dev/null; done
	docker network connect bridge t1
	[ "$(ls "$EXEC/netns" | wc -l)" = 3 ]
	docker rm -f t1 t2 t3 >/dev/null
	for i in $(seq 1 50); do [ "$(ns_link_count)" = "$before" ] && break; sleep 0.1; done
	[ "$(ns_link_count)" = "$before" ]
	[ "$(ls "$EXEC/netns" | wc -l)" = 0 ]
	[ "$(ls "$ROOT/endpoints" | wc -l)" = 0 ]
	docker network rm t1
}

@test "containers keep their network through a daemon restart" {
	docker network create --subnet 10.83.0.0/24 keep >/dev/null
	docker run -d --name k1 --network keep busybox sleep 300 >/dev/null
	docker run -d --name k2 --network keep busybox sleep 300 >/dev/null
	berthd_stop
	berthd_start
	docker exec k1 ping -c1 -W2 "$(ctr_ip k2 keep)"
	run docker network inspect -f '{{len .Containers}}' keep
	[ "$output" = 2 ]
	docker network disconnect keep k2
	run docker exec k2 ip -o link show eth0
	[ "$status" -ne 0 ]
}
