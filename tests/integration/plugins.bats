#!/usr/bin/env bats
# plugins.bats - remote network and IPAM drivers: tests/plugins/netplugin.py
# (a NetworkDriver making a bridge and veth pairs, and an IpamDriver) runs
# in berthd's namespace and is found in a plugin directory of the test's
# own (--plugin-dir).  Discovery by each kind of file, activation, the
# network and container life cycle through berth and the docker CLI,
# addresses from the plugin's IPAM, error replies, a plugin that hangs or
# dies, a daemon restart.

load helpers
bats_require_minimum_version 1.5.0

setup_file() {
	busybox_build
}

setup() {
	berth_setup plug
	PLUGDIR=$TMP/plugins
	mkdir -p "$PLUGDIR"
	PLUGIN_PIDS=()
}

teardown() {
	local p
	# containers first (their sandboxes hold the plugin's interfaces)
	for p in $(docker ps -aq 2>/dev/null); do docker rm -f "$p" >/dev/null 2>&1 || true; done
	for p in "${PLUGIN_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	berth_teardown
}

# plugin_start NAME [ARGS...]: netplugin.py in the test's namespace, state
# in $TMP/NAME, listening on $PLUGDIR/NAME.sock unless ARGS say otherwise
plugin_start() {
	local name=$1 i
	shift
	local args=("$@")
	[[ " ${args[*]} " == *" --sock "* || " ${args[*]} " == *" --tcp "* ]] ||
		args+=(--sock "$PLUGDIR/$name.sock")
	rm -f "$TMP/$name/netplugin.pid"
	ip netns exec "$NS" /usr/bin/python3 "$BERTH_SRC/tests/plugins/netplugin.py" --name "$name" \
		--state-dir "$TMP/$name" "${args[@]}" </dev/null >>"$TMP/$name.log" 2>&1 &
	PLUGIN_PIDS+=($!)
	eval "PLUGIN_PID_${name//-/_}=$!"
	for i in $(seq 1 100); do
		[ -s "$TMP/$name/netplugin.pid" ] && return 0
		sleep 0.05
	done
	echo "plugin $name did not start:"; cat "$TMP/$name.log"; return 1
}

plugin_stop() {
	local pid
	pid=$(eval echo "\${PLUGIN_PID_${1//-/_}}")
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

# calls NAME METHOD: how many times the plugin was called with METHOD
calls() {
	grep -c "\"method\": \"$2\"" "$TMP/$1/calls.log" || true
}

# fault NAME JSON: the plugin's fault file, written atomically
fault() {
	echo "$2" >"$TMP/$1/faults.json.tmp"
	mv "$TMP/$1/faults.json.tmp" "$TMP/$1/faults.json"
}

# state NAME EXPR: a python expression on the plugin's state.json (as s)
state() {
	/usr/bin/python3 -c "import json,sys; s=json.load(open(sys.argv[1])); print($2)" "$TMP/$1/state.json"
}

# run_refused NAME TEXT: `docker run` of container NAME on network pn
# fails with TEXT in its message; nothing of it is left
run_refused() {
	run docker run -d --name "$1" --network pn busybox sleep 600
	echo "$output"
	[ "$status" -ne 0 ]
	[[ $output == *"$2"* ]]
	docker rm -f "$1" >/dev/null 2>&1 || true
}

# no_protocol_warnings NAME: the plugin saw nothing off the reference
no_protocol_warnings() {
	run grep -h '"warnings": \[[^]]' "$TMP/$1/calls.log" "$TMP/$1/replies.log"
	echo "$output"
	[ -z "$output" ]
}

@test "found by NAME.sock, NAME/NAME.sock, .spec (unix and tcp) and .json; activated once; unknown and wrong-kind plugins refused" {
	plugin_start p1
	plugin_start p2 --sock "$PLUGDIR/p2/p2.sock"
	plugin_start p3 --sock "$TMP/elsewhere/p3.sock"
	echo "unix://$TMP/elsewhere/p3.sock" >"$PLUGDIR/p3.spec"
	plugin_start p4 --tcp 127.0.0.1:0 --ifprefix tq
	echo "tcp://127.0.0.1:$(cat "$TMP/p4/port")" >"$PLUGDIR/p4.spec"
	plugin_start p5 --tcp 127.0.0.1:0 --ifprefix tr
	printf '{"Name": "p5", "Addr": "http://127.0.0.1:%s"}\n' "$(cat "$TMP/p5/port")" >"$PLUGDIR/p5.json"
	plugin_start ipamonly --implements IpamDriver
	berthd_start --plugin-dir "$PLUGDIR" --plugin-timeout 5
	for p in p1 p2 p3 p4 p5; do
		docker network create -d "$p" "net-$p" >/dev/null
		[ "$(docker network inspect -f '{{.Driver}} {{.Scope}}' "net-$p")" = "$p local" ]
		docker network create -d "$p" "net2-$p" >/dev/null
	done
	for p in p1 p2 p3 p4 p5; do
		[ "$(calls "$p" Plugin.Activate)" = 1 ]
		[ "$(calls "$p" NetworkDriver.CreateNetwork)" = 2 ]
		docker network rm "net-$p" "net2-$p" >/dev/null
		[ "$(calls "$p" NetworkDriver.DeleteNetwork)" = 2 ]
		no_protocol_warnings "$p"
	done
	run docker network create -d ipamonly bad
	[ "$status" -ne 0 ]
	[[ $output == *"does not implement"*"NetworkDriver"* ]]
	# not there at all: looked for again for about 15 s, then refused
	t0=$(date +%s)
	run docker network create -d nosuch bad
	[ "$status" -ne 0 ]
	[[ $output == *'plugin "nosuch" not found'* ]]
	[ $(($(date +%s) - t0)) -ge 10 ]
	run docker network ls -q --filter name=bad
	[ -z "$output" ]
}

@test "a network and containers on the plugin's driver and IPAM, through berth and docker: addresses, routes, connect, stop/start, rm; nothing left on either side" {
	plugin_start tp --requires-mac --static-route "192.0.2.0/24 via 10.78.0.1" --static-route "198.51.100.0/24"
	berthd_start --plugin-dir "$PLUGDIR"
	docker import "$BUSYBOX_TAR" busybox:latest >/dev/null
	docker network create -d tp --ipam-driver tp --subnet 10.78.0.0/24 --ip-range 10.78.0.128/25 \
		--aux-address r1=10.78.0.5 --ipam-opt io=1 -o foo=bar pn >/dev/null
	[ "$(docker network inspect -f '{{.IPAM.Driver}} {{(index .IPAM.Config 0).Subnet}} {{(index .IPAM.Config 0).Gateway}}' pn)" = "tp 10.78.0.0/24 10.78.0.1" ]
	# what the plugin was told: the pool with gateway and aux address, the options
	run grep '"method": "NetworkDriver.CreateNetwork"' "$TMP/tp/calls.log"
	[[ $output == *'"Gateway": "10.78.0.1/24"'* ]]
	[[ $output == *'"AuxAddresses": {"r1": "10.78.0.5/24"}'* ]]
	[[ $output == *'"com.docker.network.generic": {"foo": "bar"}'* ]]
	run grep '"method": "IpamDriver.RequestPool"' "$TMP/tp/calls.log"
	[[ $output == *'"SubPool": "10.78.0.128/25"'* ]]
	[[ $output == *'"Options": {"io": "1"}'* ]]
	docker run -d --name c1 --network pn busybox sleep 600 >/dev/null
	berth run -d --name c2 --network pn busybox sleep 600 >/dev/null
	ip1=$(docker inspect -f '{{.NetworkSettings.Networks.pn.IPAddress}}' c1)
	[[ $ip1 == 10.78.0.1[2-9]* || $ip1 == 10.78.0.2[0-9]* ]]
	# the interface the plugin made, moved in and named eth0; routes as asked
	run docker exec c1 ip route
	echo "$output"
	[[ $output == *"default via 10.78.0.1 dev eth0"* ]]
	[[ $output == *"192.0.2.0/24 via 10.78.0.1 dev eth0"* ]]
	[[ $output == *"198.51.100.0/24 dev eth0"* ]]
	mac=$(docker inspect -f '{{.NetworkSettings.Networks.pn.MacAddress}}' c1)
	[ "$(docker exec c1 cat /sys/class/net/eth0/address)" = "$mac" ]
	docker exec c1 ping -c1 -W2 c2
	docker exec c2 ping -c1 -W2 10.78.0.1
	# connect and disconnect a running container
	docker network create ln >/dev/null
	docker run -d --name c3 --network ln busybox sleep 600 >/dev/null
	docker network connect pn c3
	docker exec c3 ping -c1 -W2 "$ip1"
	docker network disconnect pn c3
	run docker exec c3 ls /sys/class/net
	[[ $output != *eth1* ]]
	# stop and start: the endpoint goes and comes back (as Docker's)
	docker stop -t0 c1 >/dev/null
	[ "$(state tp 'len(s["endpoints"])')" = 1 ]
	docker start c1 >/dev/null
	docker exec c2 ping -c1 -W2 c1
	docker rm -f c1 c2 c3 >/dev/null
	docker network rm pn ln >/dev/null
	[ "$(state tp 'len(s["networks"]) + len(s["endpoints"]) + len(s["pools"])')" = 0 ]
	no_protocol_warnings tp
	run ip -n "$NS" -o link show
	[[ $output != *"tpc"* ]] && [[ $output != *"tph"* ]]
}

@test "the plugin's errors: clear messages, and nothing half made on either side" {
	plugin_start tp
	berthd_start --plugin-dir "$PLUGDIR"
	docker import "$BUSYBOX_TAR" busybox:latest >/dev/null
	fault tp '{"CreateNetwork": {"err": "tp refuses to create networks"}}'
	run docker network create -d tp --ipam-driver tp pn
	echo "$output"
	[ "$status" -ne 0 ]
	[[ $output == *"tp refuses to create networks"* ]]
	run docker network ls -q --filter name=pn
	[ -z "$output" ]
	[ "$(state tp 'len(s["pools"])')" = 0 ]
	fault tp '{}'
	docker network create -d tp --ipam-driver tp pn >/dev/null
	# IPAM refuses an address: the container is not made
	fault tp '{"RequestAddress": {"err": "pool on fire", "if_body": "\"Options\":null"}}'
	run_refused c1 "pool on fire"
	# Join refused (HTTP 500 as go-plugins-helpers answers): the start fails,
	# the endpoint is deleted on the plugin's side
	fault tp '{"Join": {"err": "no room at the inn", "status": 500, "field": "Err"}}'
	run_refused c2 "no room at the inn"
	[ "$(state tp 'len(s["endpoints"])')" = 0 ]
	# garbage for an answer
	fault tp '{"CreateEndpoint": {"garbage": true}}'
	run_refused c3 "not a JSON object"
	# a plugin that sets a field berth gave
	fault tp '{"CreateEndpoint": {"merge": {"Interface": {"Address": "10.77.0.99/24"}}}}'
	run_refused c4 "driver modified interface address"
	fault tp '{}'
	[ "$(state tp 'len(s["endpoints"])')" = 0 ]
	[ "$(state tp 'sum(len(p["allocated"]) for p in s["pools"].values())')" = 1 ] # (the gateway)
	docker run --rm --network pn busybox true
	docker network rm pn >/dev/null
	[ "$(state tp 'len(s["networks"]) + len(s["pools"])')" = 0 ]
	run ip -n "$NS" -o link show
	[[ $output != *"tpc"* ]]
}

@test "a plugin that hangs: the call fails after --plugin-timeout and the API keeps answering; one that dies: a clear error, and it works again once back" {
	plugin_start tp
	berthd_start --plugin-dir "$PLUGDIR" --plugin-timeout 2
	docker import "$BUSYBOX_TAR" busybox:latest >/dev/null
	docker network create -d tp pn >/dev/null
	fault tp '{"Join": {"sleep": 6}}'
	t0=$(date +%s%N)
	docker run -d --name c1 --network pn busybox sleep 600 >"$TMP/run.out" 2>&1 &
	runpid=$!
	sleep 0.5
	# reads are answered while the job waits for the plugin
	t1=$(date +%s%N)
	docker network ls >/dev/null
	docker ps -a >/dev/null
	t2=$(date +%s%N)
	echo "reads took $(((t2 - t1) / 1000000)) ms"
	rc=0
	wait "$runpid" || rc=$?
	cat "$TMP/run.out"
	[ "$rc" -ne 0 ]
	grep -q "no answer within 2 s" "$TMP/run.out"
	[ $(((t2 - t1) / 1000000)) -lt 1500 ]
	[ "$(docker inspect -f '{{.State.Running}}' c1)" = false ]
	fault tp '{}'
	sleep 4 # (the plugin finishes the late Join)
	docker rm -f c1 >/dev/null
	# it dies in the middle of a Join: an error, not a hang
	fault tp '{"Join": {"exit": true}}'
	run_refused c2 "plugin tp"
	# back (its state kept): the network works again, no new activation needed
	fault tp '{}'
	plugin_start tp
	docker run -d --name c3 --network pn busybox sleep 600 >/dev/null
	docker exec c3 ping -c1 -W2 "$(docker network inspect -f '{{(index .IPAM.Config 0).Gateway}}' pn)"
	docker rm -f c3 >/dev/null
}

@test "berthd restarted: networks on plugins are there, the plugin is activated again when first needed" {
	plugin_start tp --delete-veth-on delete
	berthd_start --plugin-dir "$PLUGDIR"
	docker import "$BUSYBOX_TAR" busybox:latest >/dev/null
	docker network create -d tp --ipam-driver tp pn >/dev/null
	docker run -d --name c1 --network pn busybox sleep 600 >/dev/null
	ip1=$(docker inspect -f '{{.NetworkSettings.Networks.pn.IPAddress}}' c1)
	berthd_stop
	berthd_start --plugin-dir "$PLUGDIR"
	[ "$(docker network inspect -f '{{.Driver}} {{.IPAM.Driver}}' pn)" = "tp tp" ]
	[ "$(calls tp Plugin.Activate)" = 1 ]
	docker run -d --name c2 --network pn busybox sleep 600 >/dev/null
	[ "$(calls tp Plugin.Activate)" = 2 ]
	docker exec c2 ping -c1 -W2 "$ip1"
	# what c1's join said was kept: at stop its interface goes back to
	# berthd's namespace under the plugin's name, for DeleteEndpoint
	eid=$(docker inspect -f '{{.NetworkSettings.Networks.pn.EndpointID}}' c1)
	fault tp '{"DeleteEndpoint": {"sleep": 2}}'
	docker stop -t0 c1 </dev/null >/dev/null 2>&1 &
	stopper=$!
	for i in $(seq 1 30); do ip -n "$NS" link show "tpc${eid:0:8}" >/dev/null 2>&1 && break; sleep 0.1; done
	ip -n "$NS" link show "tpc${eid:0:8}"
	wait "$stopper"
	fault tp '{}'
	[ "$(state tp 'len(s["endpoints"])')" = 1 ]
	run grep 'interface stays' "$LOG"
	[ -z "$output" ]
	docker rm -f c1 c2 >/dev/null
	docker network rm pn >/dev/null
	[ "$(state tp 'len(s["networks"]) + len(s["endpoints"]) + len(s["pools"])')" = 0 ]
}

@test "what a plugin may choose: the MAC, the gateway (pool Data), no gateway (docker_gwbridge or, with DisableGatewayService, none), the name prefix; optional methods that answer 404" {
	plugin_start tp --mac-reply --gateway-in-data --dst-prefix ens \
		--not-implemented NetworkDriver.ProgramExternalConnectivity,NetworkDriver.RevokeExternalConnectivity,NetworkDriver.EndpointOperInfo,IpamDriver.GetCapabilities
	berthd_start --plugin-dir "$PLUGDIR"
	docker import "$BUSYBOX_TAR" busybox:latest >/dev/null
	docker network create -d tp --ipam-driver tp pn >/dev/null
	# the gateway came with the pool: no RequestAddress for it
	[ "$(calls tp IpamDriver.RequestAddress)" = 0 ]
	[ "$(docker network inspect -f '{{(index .IPAM.Config 0).Gateway}}' pn)" = 10.77.0.1 ]
	# published ports: ProgramExternalConnectivity answers 404, which is fine
	docker run -d --name c1 --network pn -p 8080:80 busybox sleep 600 >/dev/null
	[ "$(calls tp NetworkDriver.ProgramExternalConnectivity)" = 1 ]
	# the plugin chose the MAC (none was given); the interface is ens0
	mac=$(docker inspect -f '{{.NetworkSettings.Networks.pn.MacAddress}}' c1)
	[[ $mac == 02:7e:* ]]
	[ "$(docker exec c1 cat /sys/class/net/ens0/address)" = "$mac" ]
	run docker exec c1 ip route
	[[ $output == *"default via 10.77.0.1 dev ens0"* ]]
	docker rm -f c1 >/dev/null
	no_protocol_warnings tp
	docker network rm pn >/dev/null
	[ "$(state tp 'len(s["networks"]) + len(s["endpoints"]) + len(s["pools"])')" = 0 ]
	# no gateway from the plugin: the way out is docker_gwbridge, as Docker's
	docker network create -d tp -o tp.no_gateway=1 nogw >/dev/null
	docker run -d --name c2 --network nogw busybox sleep 600 >/dev/null
	run docker exec c2 ip route
	echo "$output"
	[[ $output == *"default via "*" dev eth"* ]]
	[[ $output != *"dev ens0 "*default* ]]
	[ -n "$(docker network inspect -f '{{range .Containers}}{{.Name}}{{end}}' docker_gwbridge)" ]
	docker rm -f c2 >/dev/null
	# ... unless it said DisableGatewayService
	docker network create -d tp -o tp.no_gateway=1 -o tp.disable_gateway_service=1 closed >/dev/null
	docker run -d --name c3 --network closed busybox sleep 600 >/dev/null
	run docker exec c3 ip route
	echo "$output"
	[[ $output != *default* ]]
	[ -z "$(docker network inspect -f '{{range .Containers}}{{.Name}}{{end}}' docker_gwbridge)" ]
	docker rm -f c3 >/dev/null
	# a 404 where the protocol does not allow one is an error
	plugin_start t2 --ifprefix tz --not-implemented NetworkDriver.CreateEndpoint
	docker network create -d t2 n2 >/dev/null
	run docker run -d --name c4 --network n2 busybox sleep 600
	[ "$status" -ne 0 ]
	[[ $output == *"NetworkDriver.CreateEndpoint"*"404"* ]]
}

@test "a plugin that appears late is waited for; global scope: AllocateNetwork and FreeNetwork; https with the CA of a .json file, refused with another" {
	berthd_start --plugin-dir "$PLUGDIR"
	(sleep 2; plugin_start late) </dev/null >/dev/null 2>&1 &
	latepid=$!
	docker network create -d late ln >/dev/null
	wait "$latepid" || true
	PLUGIN_PIDS+=("$(cat "$TMP/late/netplugin.pid")")
	[ "$(docker network inspect -f '{{.Driver}}' ln)" = late ]
	docker network rm ln >/dev/null
	plugin_start gs --scope global --ifprefix tg
	docker network create -d gs gn >/dev/null
	[ "$(calls gs NetworkDriver.AllocateNetwork)" = 1 ]
	docker network rm gn >/dev/null
	[ "$(calls gs NetworkDriver.FreeNetwork)" = 1 ]
	# https: a CA and a certificate for 127.0.0.1 made here
	d=$TMP/tls
	mkdir -p "$d"
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$d/ca.key" -out "$d/ca.crt" -days 1 \
		-subj /CN=test-ca 2>/dev/null
	openssl req -newkey rsa:2048 -nodes -keyout "$d/srv.key" -out "$d/srv.csr" -subj /CN=127.0.0.1 2>/dev/null
	printf 'subjectAltName=IP:127.0.0.1\n' >"$d/ext"
	openssl x509 -req -in "$d/srv.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial \
		-out "$d/srv.crt" -days 1 -extfile "$d/ext" 2>/dev/null
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$d/other.key" -out "$d/other.crt" -days 1 \
		-subj /CN=other-ca 2>/dev/null
	plugin_start sec --tcp 127.0.0.1:0 --tls-cert "$d/srv.crt" --tls-key "$d/srv.key" --ifprefix ts
	port=$(cat "$TMP/sec/port")
	printf '{"Name": "sec", "Addr": "https://127.0.0.1:%s", "TLSConfig": {"CAFile": "%s"}}\n' \
		"$port" "$d/ca.crt" >"$PLUGDIR/sec.json"
	docker network create -d sec sn >/dev/null
	docker network rm sn >/dev/null
	printf '{"Name": "sec2", "Addr": "https://127.0.0.1:%s", "TLSConfig": {"CAFile": "%s"}}\n' \
		"$port" "$d/other.crt" >"$PLUGDIR/sec2.json"
	run docker network create -d sec2 sn2
	echo "$output"
	[ "$status" -ne 0 ]
	[[ $output == *"plugin sec2"* ]]
}
