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
	# a static UDP server to copy into containers (busybox has none)
	cc -O2 -static -o "$BATS_FILE_TMPDIR/udpecho" "$BERTH_SRC/tests/integration/tools/udpecho.c"
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
	[ -n "${NC_PID:-}" ] && kill "$NC_PID" 2>/dev/null
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
	ip netns exec "$OUT" busybox httpd -f -p 198.51.100.1:80 -h "$www" </dev/null >/dev/null 2>&1 &
	OUT_PID=$!
	sleep 0.2
}

# (busybox timeout cannot stop a pid 1, which ignores SIGTERM: containers
# that use it run with --init)

# A container running a web server whose /cgi-bin/ip echoes the client.
WEB='mkdir -p /www/cgi-bin && printf "#!/bin/sh\necho Content-Type: text/plain\necho\necho \$REMOTE_ADDR\n" >/www/cgi-bin/ip && chmod +x /www/cgi-bin/ip && exec httpd -f -p 80 -h /www'

# the client address a dual-stack server in a container prints, as IPv4
v4() {
	local a=${1#\[::ffff:}
	echo "${a%\]}"
}

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

@test "NAT: the outside sees the host's address; --internal reaches nothing outside" {
	outside_httpd
	run docker run --rm --init busybox timeout 5 busybox wget -qO- http://198.51.100.1/cgi-bin/ip
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = 198.51.100.2 ]
	docker network create --internal --subnet 10.90.0.0/24 inner >/dev/null
	run docker run --rm --init --network inner busybox sh -c 'ip route; timeout 5 wget -qO- http://198.51.100.1/cgi-bin/ip'
	echo "$output"
	[ "$status" -ne 0 ]
	[[ $output != *default* ]]
	# even with a route added by hand (NET_ADMIN) the firewall drops it
	run docker run --rm --init --cap-add NET_ADMIN --network inner busybox sh -c 'ip route add default via 10.90.0.1 && timeout 5 wget -qO- http://198.51.100.1/cgi-bin/ip'
	[ "$status" -ne 0 ]
	# and the containers of the internal network still talk to each other
	docker run -d --name in1 --network inner busybox sleep 300 >/dev/null
	docker run --rm --network inner busybox ping -c1 -W2 "$(ctr_ip in1 inner)"
}

@test "enable_icc=false: containers of the network cannot talk, the gateway answers" {
	docker network create -o com.docker.network.bridge.enable_icc=false --subnet 10.91.0.0/24 noicc >/dev/null
	docker run -d --name i1 --network noicc busybox sleep 300 >/dev/null
	run docker run --rm --network noicc busybox ping -c1 -W1 "$(ctr_ip i1 noicc)"
	[ "$status" -ne 0 ]
	docker run --rm --network noicc busybox ping -c1 -W2 10.91.0.1
}

@test "published ports: from outside with the client's address, from the host, hairpin, docker port" {
	docker network create --subnet 10.92.0.0/24 pub >/dev/null
	docker create --name web --network pub -p 8080:80 -p 8053:53/udp busybox sh -c "/udpecho 53 & $WEB" >/dev/null
	docker cp "$BATS_FILE_TMPDIR/udpecho" web:/udpecho
	docker start web >/dev/null
	sleep 0.5
	run docker port web
	echo "$output"
	[[ $output == *"80/tcp -> 0.0.0.0:8080"* ]]
	[[ $output == *"53/udp -> 0.0.0.0:8053"* ]]
	run docker inspect -f '{{(index (index .NetworkSettings.Ports "80/tcp") 0).HostPort}}' web
	[ "$output" = 8080 ]
	# from the outside namespace: the container sees the client's own address
	run ip netns exec "$OUT" busybox timeout 5 busybox wget -qO- http://198.51.100.2:8080/cgi-bin/ip
	echo "outside: $output"
	[ "$(v4 "$output")" = 198.51.100.1 ]
	# but not the container's address directly, even with a route to it
	# (Docker 28: a NAT network is reached from outside only through
	# published ports)
	ip -n "$OUT" route add 10.92.0.0/24 via 198.51.100.2
	run ip netns exec "$OUT" busybox timeout 3 busybox wget -qO- "http://$(ctr_ip web pub)/cgi-bin/ip"
	[ "$status" -ne 0 ]
	# from the host itself, through its address and through 127.0.0.1
	run in_ns busybox timeout 5 busybox wget -qO- http://198.51.100.2:8080/cgi-bin/ip
	[ "$status" -eq 0 ]
	run in_ns busybox timeout 5 busybox wget -qO- http://127.0.0.1:8080/cgi-bin/ip
	echo "host: $output"
	[ "$status" -eq 0 ]
	# hairpin: another container, and the container itself, through the host's address
	run docker run --rm --init --network pub busybox timeout 5 busybox wget -qO- http://198.51.100.2:8080/cgi-bin/ip
	echo "hairpin: $output"
	[ "$status" -eq 0 ]
	run docker exec web timeout 5 wget -qO- http://198.51.100.2:8080/cgi-bin/ip
	echo "self: $output"
	[ "$status" -eq 0 ]
	# UDP
	run ip netns exec "$OUT" /usr/bin/python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
s.sendto(b"hi", ("198.51.100.2", 8053))
print(s.recvfrom(100)[0].decode())'
	echo "udp: $output"
	[[ $output == *"udp-ok from ::ffff:198.51.100.1"* ]]
}

@test "ports: random host ports, -P with --expose, ranges" {
	docker run -d --name r1 -p 80 --expose 7000-7001 -P busybox sleep 300 >/dev/null
	run docker port r1
	echo "$output"
	[ "${#lines[@]}" -eq 3 ]
	low=$(in_ns awk '{print $1}' /proc/sys/net/ipv4/ip_local_port_range)
	for p in $(docker port r1 | sed 's/.*://'); do [ "$p" -ge "$low" ]; done
	docker run -d --name r2 -p 9000-9001:90-91 busybox sleep 300 >/dev/null
	run docker port r2
	[[ $output == *"90/tcp -> 0.0.0.0:9000"* && $output == *"91/tcp -> 0.0.0.0:9001"* ]]
	# a host range for one port takes the first free one
	docker run -d --name r3 -p 9000-9005:80 busybox sleep 300 >/dev/null
	run docker port r3 80
	[ "$output" = 0.0.0.0:9002 ]
}

@test "ports: taken ports are refused and nothing is left; stop/start withdraws and restores" {
	docker run -d --name p1 -p 8081:80 busybox sleep 300 >/dev/null
	rules=$(in_ns nft -j list table inet berth | grep -o '"rule"' | wc -l)
	run docker run -d --name p2 -p 8081:80 busybox sleep 300
	echo "$output"
	[ "$status" -ne 0 ]
	[[ $output == *"Bind for 0.0.0.0:8081 failed: port is already allocated"* ]]
	[ "$(docker inspect -f '{{.State.Status}}' p2)" = created ]
	[ "$(ls "$EXEC/netns" | wc -l)" = 1 ]
	# a port some program in the daemon's namespace listens on
	# (ip netns exec execs the command: $! is nc itself; no fd of bats' kept)
	ip netns exec "$NS" busybox nc -l -p 8082 </dev/null >/dev/null 2>&1 &
	NC_PID=$!
	sleep 0.2
	run docker run -d --name p3 -p 8082:80 busybox sleep 300
	kill "$NC_PID" 2>/dev/null || true
	[[ $output == *"port is already allocated"* ]]
	elems=$(in_ns nft -j list map inet berth ports4 | grep -o '"elem"' | wc -l)
	docker stop -t0 p1 >/dev/null
	run in_ns nft list map inet berth ports4
	[[ $output != *8081* ]]
	docker start p1 >/dev/null
	run in_ns nft list map inet berth ports4
	[[ $output == *8081* ]]
	docker start p2 2>/dev/null && false
	docker rm -f p1 >/dev/null
	docker start p2 >/dev/null
	[ "$(in_ns nft -j list table inet berth | grep -o '"rule"' | wc -l)" = "$rules" ]
	run docker run --rm -p 70000:80 busybox true
	[ "$status" -ne 0 ]
	run docker run --rm -p 80:80/xtp busybox true
	[ "$status" -ne 0 ]
}

@test "the rule count is the same with 1 and 50 published ports" {
	docker run -d --name one -p 18000:80 busybox sleep 300 >/dev/null
	one=$(in_ns nft -j list table inet berth | grep -o '"rule"' | wc -l)
	docker run -d --name fifty -p 18100-18149:1000-1049 busybox sleep 300 >/dev/null
	fifty=$(in_ns nft -j list table inet berth | grep -o '"rule"' | wc -l)
	echo "rules: $one $fifty"
	[ "$one" = "$fifty" ]
	run in_ns nft list map inet berth ports4
	[ "$(echo "$output" | grep -o ': 172.17.0.[0-9]* \. [0-9]*' | wc -l)" -eq 51 ]
}

@test "published ports survive a daemon restart" {
	docker run -d --name ws -p 8090:80 -p 127.0.0.1:8091:80 busybox sh -c "$WEB" >/dev/null
	sleep 0.3
	berthd_stop
	# while berthd is down: a stale element appears, a needed one goes;
	# the restart reconciles both without flushing the table
	in_ns nft add element inet berth ports4 '{ tcp . 9999 : 172.17.0.99 . 80 }'
	in_ns nft delete element inet berth ports4 '{ tcp . 8090 }'
	berthd_start
	run in_ns nft list map inet berth ports4
	echo "$output"
	[[ $output != *9999* ]]
	[[ $output == *8090* ]]
	run in_ns nft list map inet berth ports4ip
	[[ $output == *"127.0.0.1 . tcp . 8091"* ]]
	run in_ns busybox timeout 5 busybox wget -qO- http://127.0.0.1:8091/cgi-bin/ip
	[ "$status" -eq 0 ]
	run ip netns exec "$OUT" busybox timeout 3 busybox wget -qO- http://198.51.100.2:8091/cgi-bin/ip
	[ "$status" -ne 0 ]
	run ip netns exec "$OUT" busybox timeout 5 busybox wget -qO- http://198.51.100.2:8090/cgi-bin/ip
	[ "$(v4 "$output")" = 198.51.100.1 ]
	# the port is still held: nobody else gets it
	run docker run -d -p 8090:80 busybox sleep 1
	[[ $output == *"port is already allocated"* ]]
}

@test "legacy --link on the default bridge: /etc/hosts and the ALIAS_ variables" {
	docker run -d --name db --expose 5432 -e DB_USER=alice busybox sleep 300 >/dev/null
	dbip=$(ctr_ip db bridge)
	run docker run --rm --link db:pg busybox sh -c 'cat /etc/hosts; env | sort'
	echo "$output"
	[[ $output == *"$dbip	pg "*" db"* ]]
	[[ $output == *"PG_NAME=/"*"/pg"* ]]
	[[ $output == *"PG_PORT=tcp://$dbip:5432"* ]]
	[[ $output == *"PG_PORT_5432_TCP_ADDR=$dbip"* ]]
	[[ $output == *"PG_PORT_5432_TCP_PORT=5432"* ]]
	[[ $output == *"PG_ENV_DB_USER=alice"* ]]
	[[ $output != *"PG_ENV_PATH"* ]]
	docker run --rm --link db busybox ping -c1 -W2 db
	docker create --name app --link db:pg busybox true >/dev/null
	run docker inspect -f '{{.HostConfig.Links}}' app
	[ "$output" = "[/db:/app/pg]" ]
	run docker run --rm --link nosuch:x busybox true
	[[ $output == *"could not get container for nosuch"* ]]
	docker stop -t0 db >/dev/null
	run docker start app
	[[ $output == *"Cannot link to a non running container: /db AS /app/pg"* ]]
}

@test "an administrator's own table filters published ports (DOCKER-USER's job); berth leaves it alone" {
	docker run -d --name adm -p 8095:80 busybox sh -c "$WEB" >/dev/null
	sleep 0.3
	run ip netns exec "$OUT" busybox timeout 5 busybox wget -qO- http://198.51.100.2:8095/cgi-bin/ip
	[ "$status" -eq 0 ]
	in_ns nft -f - <<'NFT'
table inet admin {
	chain forward {
		type filter hook forward priority -10; policy accept;
		meta l4proto tcp ct original proto-dst 8095 ip saddr 198.51.100.1 drop
	}
}
NFT
	run ip netns exec "$OUT" busybox timeout 3 busybox wget -qO- http://198.51.100.2:8095/cgi-bin/ip
	[ "$status" -ne 0 ]
	# publishing more ports and restarting berthd keep the admin's table
	docker run -d -p 8096:80 busybox sleep 300 >/dev/null
	berthd_stop
	berthd_start
	run in_ns nft list table inet admin
	[[ $output == *"proto-dst 8095"* ]]
	run ip netns exec "$OUT" busybox timeout 3 busybox wget -qO- http://198.51.100.2:8095/cgi-bin/ip
	[ "$status" -ne 0 ]
	in_ns nft delete table inet admin
	run ip netns exec "$OUT" busybox timeout 5 busybox wget -qO- http://198.51.100.2:8095/cgi-bin/ip
	[ "$(v4 "$output")" = 198.51.100.1 ]
}

@test "the berth CLI: run --network/--ip/-p, network connect/disconnect, port, ps" {
	berth network create --subnet 10.93.0.0/24 cli1 >/dev/null
	berth network create cli2 >/dev/null
	berth run -d --name bc --network cli1 --ip 10.93.0.7 -p 8097:80 busybox sleep 300 >/dev/null
	run berth inspect -f '{{.NetworkSettings.Networks.cli1.IPAddress}}' bc
	[ "$output" = 10.93.0.7 ]
	run berth port bc
	[ "$output" = "80/tcp -> 0.0.0.0:8097" ]
	run berth ps --format '{{.Names}} {{.Ports}}'
	[[ $output == *"bc 0.0.0.0:8097->80/tcp"* ]]
	berth network connect --alias x cli2 bc
	run berth exec bc ip -o link show eth1
	[ "$status" -eq 0 ]
	run berth network inspect -f '{{range .Containers}}{{.Name}}{{end}}' cli2
	[ "$output" = bc ]
	berth network disconnect cli2 bc
	run berth exec bc ip -o link show eth1
	[ "$status" -ne 0 ]
	run berth network rm cli1
	[ "$status" -ne 0 ]
	[[ $output == *"has active endpoints (bc)"* ]]
}

@test "IPv6 networks: addresses usable at once, default route, published ports in ports6" {
	docker network create --ipv6 --subnet fd00:94::/64 six >/dev/null
	docker run -d --name s1 --network six busybox sleep 300 >/dev/null
	docker run -d --name s2 --network six -p 8098:80 busybox sleep 300 >/dev/null
	ip6=$(docker inspect -f '{{.NetworkSettings.Networks.six.GlobalIPv6Address}}' s2)
	[[ $ip6 == fd00:94::* ]]
	docker exec s1 ping -6 -c1 -W2 "$ip6"
	run docker exec s1 ip -6 route show default
	[[ $output == *"via fd00:94::1"* ]]
	run in_ns nft list map inet berth ports6
	[[ $output == *"tcp . 8098 : $ip6 . 80"* ]]
}

@test "resolv.conf from --resolv-conf without loopback servers; --dns, --dns-search, --dns-option, --add-host" {
	printf 'search lab.example\nnameserver 127.0.0.53\nnameserver 198.51.100.53\noptions edns0\n' >"$TMP/resolv.conf"
	berthd_stop
	berthd_start --resolv-conf "$TMP/resolv.conf"
	run docker run --rm busybox cat /etc/resolv.conf
	echo "$output"
	[[ $output == *"nameserver 198.51.100.53"* ]]
	[[ $output != *127.0.0.53* ]]
	[[ $output == *"search lab.example"* && $output == *"options edns0"* ]]
	run docker run --rm --dns 198.51.100.54 --dns-search corp.example --dns-option ndots:2 busybox cat /etc/resolv.conf
	echo "$output"
	[[ $output == *"nameserver 198.51.100.54"* && $output != *198.51.100.53* ]]
	[[ $output == *"search corp.example"* && $output != *lab.example* ]]
	[[ $output == *"options ndots:2"* && $output != *edns0* ]]
	# only loopback servers: Docker's defaults
	printf 'nameserver 127.0.0.53\n' >"$TMP/resolv.conf"
	run docker run --rm busybox cat /etc/resolv.conf
	[[ $output == *"nameserver 8.8.8.8"* ]]
	run docker run --rm --add-host db.lab:10.1.2.3 --add-host gw:host-gateway busybox cat /etc/hosts
	echo "$output"
	[[ $output == *"10.1.2.3	db.lab"* ]]
	[[ $output == *"172.17.0.1	gw"* ]]
	run docker run --rm --dns not-an-ip busybox true
	[ "$status" -ne 0 ]
	run api POST /containers/create '{"Image":"busybox","HostConfig":{"Dns":["not-an-ip"]}}'
	[[ $output == *"not-an-ip is not an ip address"* && $output == *"HTTP 400" ]]
	run api POST /containers/create '{"Image":"busybox","HostConfig":{"ExtraHosts":["nohost"]}}'
	[[ $output == *"invalid IP address in add-host"* && $output == *"HTTP 400" ]]
}
