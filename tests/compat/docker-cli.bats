#!/usr/bin/env bats
# docker-cli.bats - the real docker CLI (v28, /usr/local/bin/docker) driving
# berthd through DOCKER_HOST: version, info and the network verbs with their
# filters and formats.
#
#   root ns: docker CLI ──DOCKER_HOST=unix://$SOCK──▶ $NS: berthd

load ../integration/helpers

setup() {
	[ -x "$DOCKER_CLI" ] || skip "no docker CLI at $DOCKER_CLI"
	berth_setup cli
	berthd_start
}

teardown() {
	berth_teardown
}

@test "docker version and docker info" {
	run docker version
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"Server: berth"* || $output == *"Engine:"* ]]
	[[ $output == *"API version:"*"1.41 (minimum version 1.24)"* ]]
	run docker version --format '{{.Server.APIVersion}}'
	[ "$output" = 1.41 ]
	run docker info
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"Server Version: 0.1.0"* ]]
	[[ $output == *"Network: bridge host ipvlan macvlan null overlay"* ]]
	run docker info --format '{{.OSType}} {{.Swarm.LocalNodeState}}'
	[ "$output" = "linux inactive" ]
}

@test "docker network create, ls, inspect, rm" {
	run docker network create --subnet 10.50.0.0/16 --gateway 10.50.0.1 \
		--ip-range 10.50.1.0/24 --aux-address r=10.50.0.3 --label env=dev \
		-o com.docker.network.driver.mtu=1450 dnet
	echo "$output"
	[ "$status" -eq 0 ]
	id=$output
	run docker network ls
	echo "$output"
	[[ ${lines[0]} == "NETWORK ID"*"NAME"*"DRIVER"*"SCOPE" ]]
	[[ $output == *"${id:0:12}   dnet"*"bridge"*"local"* ]]
	run docker network inspect dnet
	echo "$output"
	[[ $output == *'"Subnet": "10.50.0.0/16"'* ]]
	run docker network inspect -f '{{.Name}} {{.Driver}} {{.Scope}} {{index .Labels "env"}} {{.Created.Year}}' dnet
	[ "$output" = "dnet bridge local dev $(date -u +%Y)" ]
	run docker network inspect -f '{{range .IPAM.Config}}{{.Subnet}} {{.Gateway}} {{.IPRange}}{{end}}' dnet
	[ "$output" = "10.50.0.0/16 10.50.0.1 10.50.1.0/24" ]
	ip -n "$NS" -j link show "br-${id:0:12}" | grep -q '"mtu":1450'
	run docker network rm dnet
	[ "$output" = dnet ]
	run docker network inspect dnet
	[ "$status" -eq 1 ]
	[[ $output == *"Error response from daemon: network dnet not found"* ]]
	# rm -f of a missing network is silent and succeeds
	run docker network rm -f dnet
	[ "$status" -eq 0 ]
}

@test "docker network ls filters and formats" {
	docker network create --label env=dev d1
	docker network create --label env=prod d2
	run docker network ls --filter label=env=dev --format '{{.Name}}'
	[ "$output" = d1 ]
	run docker network ls --filter driver=bridge --filter type=custom --format '{{.Name}}'
	[ "$(echo "$output" | xargs)" = "d1 d2" ]
	run docker network ls --filter name=d --filter type=custom -q
	[ "${#lines[@]}" -eq 2 ]
	run docker network ls --format json --filter name=d1
	echo "$output"
	[[ $output == *'"Name":"d1"'* && $output == *'"Driver":"bridge"'* ]]
	run docker network ls --format '{{.Name}} {{.IPv6}} {{.Internal}} {{.Label "env"}}' --filter name=d2
	[ "$output" = "d2 false false prod" ]
	run docker network ls --no-trunc --format '{{.ID}}' --filter name=d1
	[ ${#output} -eq 64 ]
	run docker network ls --filter bogus=1
	[ "$status" -ne 0 ]
	[[ $output == *"invalid filter 'bogus'"* ]]
}

@test "docker network prune with filters" {
	docker network create --label keep p0
	docker network create p1
	run docker network prune -f --filter label!=keep
	echo "$output"
	[[ $output == *"Deleted Networks:"*"p1"* ]]
	[[ $output != *p0* ]]
	run docker network prune -f --filter until=1h
	[[ $output != *p0* ]]
	run docker network prune -f
	[[ $output == *p0* ]]
}

@test "docker errors: duplicate, overlap, predefined, bad subnet" {
	docker network create e1
	run docker network create e1
	[ "$status" -eq 1 ]
	[[ $output == *"Error response from daemon: network with name e1 already exists"* ]]
	docker network create --subnet 10.60.0.0/16 e2
	run docker network create --subnet 10.60.1.0/24 e3
	[ "$status" -eq 1 ]
	[[ $output == *"Pool overlaps with other one on this address space"* ]]
	run docker network rm bridge
	[ "$status" -eq 1 ]
	[[ $output == *"bridge is a pre-defined network and cannot be removed"* ]]
	run docker network create --subnet 10.70.0.1/16 e4
	[ "$status" -eq 1 ]
	[[ $output == *"10.70.0.0/16"* ]]
	run docker network create -d nosuch e5
	[ "$status" -eq 1 ]
	[[ $output == *'plugin "nosuch" not found'* ]]
}
