#!/usr/bin/env bats
# network.bats - networks through the berth CLI and the raw API: defaults,
# create/inspect/ls/rm/prune, the kernel objects behind them, and every
# kind of bad input refused without leaving anything behind.
#
#   root ns: bats + berth CLI ──unix socket──▶ $NS: berthd
#                                                 ├─ berth0  172.17.0.1/16 (default bridge)
#                                                 └─ br-<id> per bridge network

load helpers

setup() {
	berth_setup net
	berthd_start
}

teardown() {
	berth_teardown
}

# state that must not change when a request is refused
snapshot() {
	echo "links=$(ns_link_count)"
	echo "addrs=$(ip -n "$NS" -o addr show | wc -l)"
	echo "nets=$(api GET /networks | head -1 | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')"
	echo "files=$(find "$ROOT" -type f | sort | md5sum)"
}

# refused STATUS MESSAGE-PART BODY: POST /networks/create must fail like that
# and change nothing.
refused() {
	local want=$1 msg=$2 body=$3 before after
	before=$(snapshot)
	run api POST /networks/create "$body"
	echo "$output"
	[ "${lines[-1]}" = "HTTP $want" ]
	[[ ${lines[0]} == '{"message":'* ]]
	[[ $(echo "${lines[0]}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["message"])') == *"$msg"* ]]
	after=$(snapshot)
	[ "$before" = "$after" ]
}

@test "a fresh daemon has bridge, host and none, and the berth0 bridge" {
	run berth network ls
	echo "$output"
	[ "$status" -eq 0 ]
	[[ ${lines[0]} == "NETWORK ID"*NAME*DRIVER*SCOPE ]]
	[[ $output == *" bridge "*" bridge "*" local"* ]]
	[[ $output == *" host "*" host "*" local"* ]]
	[[ $output == *" none "*" null "*" local"* ]]
	ip -n "$NS" -j -d link show berth0 | grep -q '"info_kind":"bridge"'
	ip -n "$NS" -o addr show dev berth0 | grep -q 'inet 172.17.0.1/16'
	run berth network inspect -f '{{json .Options}}' bridge
	[[ $output == *'"com.docker.network.bridge.default_bridge":"true"'* ]]
}

@test "create, inspect, ls and rm a bridge network" {
	run berth network create --label env=dev -o com.docker.network.driver.mtu=1400 net1
	echo "$output"
	[ "$status" -eq 0 ]
	id=$output
	[[ $id =~ ^[0-9a-f]{64}$ ]]
	br=br-${id:0:12}
	ip -n "$NS" -j -d link show "$br" | grep -q '"info_kind":"bridge"'
	ip -n "$NS" -j link show "$br" | grep -q '"mtu":1400'
	ip -n "$NS" -o addr show dev "$br" | grep -q 'inet 172.18.0.1/16'
	run berth network inspect net1
	echo "$output"
	[[ $output == *'"Subnet": "172.18.0.0/16"'* ]]
	[[ $output == *'"Gateway": "172.18.0.1"'* ]]
	[[ $output == *'"env": "dev"'* ]]
	run berth network inspect "${id:0:5}"
	[ "$status" -eq 0 ]
	run berth network ls -q --filter label=env=dev
	[ "$output" = "${id:0:12}" ]
	run berth network rm net1
	[ "$status" -eq 0 ]
	[ "$output" = net1 ]
	! ip -n "$NS" link show "$br" 2>/dev/null
	[ ! -e "$ROOT/networks/$id.json" ]
	run berth network inspect net1
	[ "$status" -eq 1 ]
	[[ $output == *"network net1 not found"* ]]
}

@test "explicit subnet, gateway, ip-range, aux address, bridge name, IPv6" {
	run berth network create --subnet 10.20.0.0/16 --gateway 10.20.0.254 \
		--ip-range 10.20.1.0/24 --aux-address host1=10.20.0.5 \
		--ipv6 --subnet fd00:20::/64 -o com.docker.network.bridge.name=lab0 \
		--internal --attachable lab
	echo "$output"
	[ "$status" -eq 0 ]
	ip -n "$NS" -o addr show dev lab0 | grep -q 'inet 10.20.0.254/16'
	ip -n "$NS" -o addr show dev lab0 | grep -q 'inet6 fd00:20::1/64'
	run berth network inspect -f '{{json .IPAM.Config}}' lab
	echo "$output"
	[[ $output == *'"Subnet":"10.20.0.0/16"'* ]]
	[[ $output == *'"IPRange":"10.20.1.0/24"'* ]]
	[[ $output == *'"AuxiliaryAddresses":{"host1":"10.20.0.5"}'* ]]
	[[ $output == *'"Subnet":"fd00:20::/64"'* ]]
	run berth network inspect -f '{{.Internal}} {{.Attachable}} {{.EnableIPv6}}' lab
	[ "$output" = "true true true" ]
}

@test "automatic subnets follow the default pools and skip routes in the namespace" {
	# something already routed where the next pool would be
	ip -n "$NS" link add dummy0 type bridge
	ip -n "$NS" addr add 172.18.5.1/24 dev dummy0
	ip -n "$NS" link set dummy0 up
	run berth network create a1
	[ "$status" -eq 0 ]
	run berth network inspect -f '{{range .IPAM.Config}}{{.Subnet}}{{end}}' a1
	[ "$output" = "172.19.0.0/16" ]
	run berth network create a2
	run berth network inspect -f '{{range .IPAM.Config}}{{.Subnet}}{{end}}' a2
	[ "$output" = "172.20.0.0/16" ]
	# a freed subnet is handed out again
	berth network rm a1
	run berth network create a3
	run berth network inspect -f '{{range .IPAM.Config}}{{.Subnet}}{{end}}' a3
	[ "$output" = "172.19.0.0/16" ]
}

@test "bad subnets are refused and change nothing" {
	refused 400 "invalid CIDR" '{"Name":"b","IPAM":{"Config":[{"Subnet":"10.0.0.0/33"}]}}'
	refused 400 "invalid" '{"Name":"b","IPAM":{"Config":[{"Subnet":"10.0.0/8"}]}}'
	refused 400 "it should be 10.1.0.0/16" '{"Name":"b","IPAM":{"Config":[{"Subnet":"10.1.2.3/16"}]}}'
	refused 400 "not within subnet" '{"Name":"b","IPAM":{"Config":[{"Subnet":"10.1.0.0/16","Gateway":"10.2.0.1"}]}}'
	refused 400 "not within subnet" '{"Name":"b","IPAM":{"Config":[{"Subnet":"10.1.0.0/16","IPRange":"10.2.0.0/24"}]}}'
	refused 400 "not within subnet" '{"Name":"b","IPAM":{"Config":[{"Subnet":"10.1.0.0/16","AuxiliaryAddresses":{"x":"10.3.0.1"}}]}}'
	refused 400 "overlapping" '{"Name":"b","IPAM":{"Config":[{"Subnet":"10.1.0.0/16"},{"Subnet":"10.1.1.0/24"}]}}'
	refused 400 "IPv6 is not enabled" '{"Name":"b","IPAM":{"Config":[{"Subnet":"fd00::/64"}]}}'
	refused 400 "invalid" '{"Name":"b","IPAM":{"Config":[{"Subnet":"10.1.0.0/16","Gateway":"10.1.0.300"}]}}'
}

@test "overlaps with another network or with the namespace's routes are refused" {
	berth network create --subnet 10.30.0.0/16 first
	refused 403 "Pool overlaps" '{"Name":"b","IPAM":{"Config":[{"Subnet":"10.30.128.0/17"}]}}'
	refused 403 "Pool overlaps" '{"Name":"b","IPAM":{"Config":[{"Subnet":"10.0.0.0/8"}]}}'
	ip -n "$NS" link add dummy0 type bridge
	ip -n "$NS" addr add 10.99.0.1/24 dev dummy0
	ip -n "$NS" link set dummy0 up
	refused 403 "in use in the daemon's network namespace" '{"Name":"b","IPAM":{"Config":[{"Subnet":"10.99.0.0/16"}]}}'
	ip -n "$NS" route add 10.98.0.0/16 dev dummy0
	refused 403 "in use in the daemon's network namespace" '{"Name":"b","IPAM":{"Config":[{"Subnet":"10.98.3.0/24"}]}}'
}

@test "names: duplicates, predefined, empty, too long, bad characters" {
	berth network create dup
	refused 409 "network with name dup already exists" '{"Name":"dup"}'
	refused 409 "network with name dup already exists" '{"Name":"dup","CheckDuplicate":false}'
	refused 403 "predefined bridge network" '{"Name":"bridge"}'
	refused 400 "name" '{"Name":""}'
	refused 400 "name" '{}'
	refused 400 "invalid network name" '{"Name":"a b"}'
	refused 400 "invalid network name" '{"Name":"-a"}'
	long=$(printf 'n%.0s' $(seq 1 129))
	refused 400 "too long" "{\"Name\":\"$long\"}"
}

@test "drivers and options: unknown driver, host/null twice, bad bridge name, bad MTU" {
	refused 404 'plugin "nosuch" not found' '{"Name":"b","Driver":"nosuch"}'
	refused 404 'plugin "nosuch" not found' '{"Name":"b","IPAM":{"Driver":"nosuch"}}'
	refused 403 'only one instance of "host" network is allowed' '{"Name":"b","Driver":"host"}'
	refused 403 'only one instance of "null" network is allowed' '{"Name":"b","Driver":"null"}'
	refused 400 "too long" '{"Name":"b","Options":{"com.docker.network.bridge.name":"a-very-long-name0"}}'
	refused 400 "MTU" '{"Name":"b","Options":{"com.docker.network.driver.mtu":"abc"}}'
	refused 400 "MTU" '{"Name":"b","Options":{"com.docker.network.driver.mtu":"10"}}'
	refused 400 "boolean" '{"Name":"b","Options":{"com.docker.network.bridge.enable_icc":"maybe"}}'
	refused 409 "in use" '{"Name":"b","Options":{"com.docker.network.bridge.name":"lo"}}'
	refused 400 "swarm" '{"Name":"b","Ingress":true}'
	# overlay without a cluster store: 503, naming the flags
	refused 503 "overlay networks need a cluster store: start berthd with --cluster-store etcd://HOST:PORT --cluster-advertise ADDR" '{"Name":"b","Driver":"overlay"}'
	run docker network create -d overlay ov
	[ "$status" -ne 0 ]
	[[ $output == *"--cluster-store"* ]]
}

@test "malformed requests get 400 and the daemon keeps serving" {
	refused 400 "invalid JSON" '{"Name":'
	refused 400 "invalid JSON" '[1,2]'
	refused 400 "must be a string" '{"Name":["x"]}'
	refused 400 "must be an object" '{"Name":"b","Labels":["x"]}'
	python3 -c 'print("{\"Name\":\"big\",\"Labels\":{\"x\":\"" + "a"*1100000 + "\"}}")' >"$TMP/big.json"
	run curl -s --unix-socket "$SOCK" -X POST -H 'Content-Type: application/json' \
		--data-binary @"$TMP/big.json" -w '\nHTTP %{http_code}' http://localhost/networks/create
	[ "${lines[-1]}" = "HTTP 413" ]
	# the same, chunked (no Content-Length to refuse it early)
	run curl -s --unix-socket "$SOCK" -X POST -H 'Content-Type: application/json' \
		-H 'Transfer-Encoding: chunked' --data-binary @"$TMP/big.json" \
		-w '\nHTTP %{http_code}' http://localhost/networks/create
	[ "${lines[-1]}" = "HTTP 413" ]
	# not HTTP at all: 400, and the connection is closed
	run python3 -c 'import socket,sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.settimeout(5)
s.sendall(b"GARBAGE\r\n\r\n"); print(s.recv(4096).decode())' "$SOCK"
	[[ $output == *"HTTP/1.1 400"* ]]
	run api GET /nothing/here
	[ "${lines[-1]}" = "HTTP 404" ]
	run api PUT /networks/x
	[ "${lines[-1]}" = "HTTP 405" ]
	run api GET /_ping
	[ "${lines[0]}" = "OK" ]
}

@test "chunked request bodies are accepted" {
	run curl -s --unix-socket "$SOCK" -X POST -H 'Content-Type: application/json' \
		-H 'Transfer-Encoding: chunked' --data-binary '{"Name":"chunky"}' \
		-w '\nHTTP %{http_code}' http://localhost/v1.41/networks/create
	echo "$output"
	[ "${lines[-1]}" = "HTTP 201" ]
	berth network inspect chunky >/dev/null
}

@test "API versions: prefixes accepted, too old refused, headers on every reply" {
	run api GET /v1.41/_ping
	[ "${lines[0]}" = OK ]
	run api GET /v1.50/networks
	[ "${lines[-1]}" = "HTTP 200" ]
	run api GET /v1.12/networks
	[ "${lines[-1]}" = "HTTP 400" ]
	[[ $output == *"client version 1.12 is too old. Minimum supported API version is 1.24"* ]]
	run curl -sI --unix-socket "$SOCK" http://localhost/_ping
	echo "$output"
	[[ $output == *"Api-Version: 1.41"* ]]
	[[ $output == *"Ostype: linux"* ]]
	[[ $output == *"Content-Length: 0"* ]]
	run curl -si --unix-socket "$SOCK" http://localhost/networks/nosuch
	[[ $output == *"Api-Version: 1.41"* ]]
	[[ $output == *$'Content-Type: application/json\r'* ]]
	[[ $output == *'{"message":"network nosuch not found"}'* ]]
}

@test "list filters in both encodings" {
	berth network create --label env=dev --label team alpha
	berth network create --label env=prod beta
	names() { api GET "/networks?filters=$(python3 -c 'import sys,urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$1")" | head -1 | python3 -c 'import json,sys; print(" ".join(sorted(n["Name"] for n in json.load(sys.stdin))))'; }
	[ "$(names '{"label":{"env=dev":true}}')" = alpha ]
	[ "$(names '{"label":["env"]}')" = "alpha beta" ]
	[ "$(names '{"label":["env","team"]}')" = alpha ]
	[ "$(names '{"name":["alp"]}')" = alpha ]
	[ "$(names '{"name":{"alpha":true,"beta":true}}')" = "alpha beta" ]
	[ "$(names '{"driver":["null"]}')" = none ]
	[ "$(names '{"type":["custom"]}')" = "alpha beta" ]
	[ "$(names '{"type":["builtin"]}')" = "bridge host none" ]
	[ "$(names '{"scope":["local"],"driver":["host"]}')" = host ]
	[ "$(names '{"dangling":["true"]}')" = "alpha beta" ]
	id=$(berth network inspect -f '{{.Id}}' beta)
	[ "$(names "{\"id\":[\"${id:0:8}\"]}")" = beta ]
	run api GET "/networks?filters=%7B%22bogus%22%3A%5B%22x%22%5D%7D"
	[ "${lines[-1]}" = "HTTP 400" ]
	[[ $output == *"invalid filter 'bogus'"* ]]
}

@test "prune removes custom networks, honours label filters, keeps predefined" {
	berth network create --label keep=yes k1
	berth network create p1
	berth network create p2
	run berth network prune -f --filter 'label!=keep=yes'
	echo "$output"
	[[ $output == *"Deleted Networks:"* ]]
	[[ $output == *p1* && $output == *p2* ]]
	[[ $output != *k1* ]]
	run berth network ls --format '{{.Name}}'
	[ "$(echo "$output" | sort | xargs)" = "bridge host k1 none" ]
	run berth network prune -f
	[[ $output == *k1* ]]
	run berth network ls -q
	[ "${#lines[@]}" -eq 3 ]
}

@test "predefined networks cannot be removed" {
	for n in bridge host none; do
		run api DELETE "/networks/$n"
		[ "${lines[-1]}" = "HTTP 403" ]
		[[ $output == *"$n is a pre-defined network and cannot be removed"* ]]
	done
	ip -n "$NS" link show berth0
}

@test "restart keeps networks and bridges without doubling them" {
	berth network create --subnet 10.40.0.0/24 keep1
	berth network create keep2
	links=$(ns_link_count)
	before=$(berth network ls --no-trunc --format '{{.ID}} {{.Name}}' | sort)
	berthd_stop
	# networks stay in the kernel while the daemon is down
	ip -n "$NS" -o addr show | grep -q 'inet 10.40.0.1/24'
	berthd_start
	after=$(berth network ls --no-trunc --format '{{.ID}} {{.Name}}' | sort)
	[ "$before" = "$after" ]
	[ "$(ns_link_count)" -eq "$links" ]
	# a new network after the restart does not reuse a taken subnet
	berth network create keep3
	run berth network inspect -f '{{range .IPAM.Config}}{{.Subnet}}{{end}}' keep3
	[ "$output" = "172.19.0.0/16" ]
}

@test "kill -9 then restart keeps networks; a deleted bridge is re-made" {
	id=$(berth network create crash1)
	berthd_kill9
	ip -n "$NS" link del "br-${id:0:12}"
	berthd_start
	ip -n "$NS" -o addr show dev "br-${id:0:12}" | grep -q 'inet 172.18.0.1/16'
	run berth network ls -q
	[ "${#lines[@]}" -eq 4 ]
	[ "$(ip -n "$NS" -o link show type bridge | wc -l)" -eq 2 ]
}

@test "a second daemon on the same root is refused; another root runs beside it" {
	run nsenter --net="/run/netns/$NS" "$BERTH_BIN/berthd" --root "$ROOT" --exec-root "$TMP/exec2"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ $output == *"another berthd (pid $BERTHD_PID) is already using the root"* ]]
	# the first one is unharmed
	berth network ls >/dev/null
	# a second daemon with its own dirs, in its own namespace, beside the first
	ip netns add "$NS-b"
	nsenter --net="/run/netns/$NS-b" "$BERTH_BIN/berthd" --root "$TMP/root2" \
		--exec-root "$TMP/exec2" >"$TMP/b.log" 2>&1 &
	pid2=$!
	for i in $(seq 1 100); do
		curl -sf --unix-socket "$TMP/exec2/berth.sock" http://localhost/_ping >/dev/null && break
		sleep 0.05
	done
	"$BERTH_BIN/berth" -H "unix://$TMP/exec2/berth.sock" network create other
	run berth network ls --format '{{.Name}}'
	[[ $output != *other* ]]
	kill -TERM $pid2
	wait $pid2
	ip netns del "$NS-b"
	! grep -qE 'AddressSanitizer|runtime error:' "$TMP/b.log"
}

@test "--bip and --default-address-pool" {
	berthd_stop
	rm -rf "$ROOT"
	berthd_start --bip 192.168.200.1/24 --default-address-pool base=10.128.0.0/16,size=24
	ip -n "$NS" -o addr show dev berth0 | grep -q 'inet 192.168.200.1/24'
	berth network create p1
	run berth network inspect -f '{{range .IPAM.Config}}{{.Subnet}} {{.Gateway}}{{end}}' p1
	[ "$output" = "10.128.0.0/24 10.128.0.1" ]
	# the pool has room for 256 networks of /24; a /31 pool for one
	berthd_stop
	rm -rf "$ROOT"
	berthd_start --default-address-pool base=10.129.0.0/23,size=24
	berth network create q1
	run berth network create q2
	[ "$status" -eq 1 ]
	[[ $output == *"could not find an available, non-overlapping IPv4 address pool"* ]]
}

@test "SIGTERM exits 0 and leaves networks in store and kernel" {
	berth network create stay
	berthd_stop
	[ -z "$(ls "$EXEC"/berthd.pid 2>/dev/null)" ]
	ip -n "$NS" -o link show | grep -q br-
	ls "$ROOT"/networks/*.json >/dev/null
}

@test "the default bridge steps over a subnet already routed in the namespace" {
	berthd_stop
	rm -rf "$ROOT"
	ip -n "$NS" link add taken0 type bridge
	ip -n "$NS" addr add 172.17.5.1/24 dev taken0
	ip -n "$NS" link set taken0 up
	berthd_start
	ip -n "$NS" -o addr show dev berth0 | grep -q 'inet 172.18.0.1/16'
	run berth network inspect -f '{{range .IPAM.Config}}{{.Subnet}}{{end}}' bridge
	[ "$output" = "172.18.0.0/16" ]
}

@test "idle API connections are closed after --api-idle-timeout" {
	berthd_stop
	berthd_start --api-idle-timeout 1
	run python3 -c 'import socket,sys,time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.settimeout(5)
t = time.time(); data = s.recv(100); print("closed after %.1f s, %d bytes" % (time.time() - t, len(data)))' "$SOCK"
	echo "$output"
	[[ $output == "closed after "[12].*", 0 bytes" ]]
	berth network ls >/dev/null
	run nsenter --net="/run/netns/$NS" "$BERTH_BIN/berthd" --api-idle-timeout 0
	[ "$status" -ne 0 ]
	[[ $output == *"--api-idle-timeout 0: must be a number of seconds"* ]]
}

@test "berth version and berth info" {
	run berth version
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"API version:"*"1.41"* ]]
	run berth version --format '{{.Server.APIVersion}}'
	[ "$output" = 1.41 ]
	run berth info
	echo "$output"
	[[ $output == *"Server Version: 0.1.0"* ]]
	run berth info --format '{{.DockerRootDir}}'
	[ "$output" = "$ROOT" ]
	# no daemon at the other end: a clear error, exit 1
	run berth -H unix:///nonexistent.sock version
	[ "$status" -eq 1 ]
	[[ $output == *"Is berthd running?"* ]]
}
