#!/usr/bin/env bats
# macvlan.bats - macvlan networks: containers straight on a parent link's
# wire (bridge, private, passthru modes), an 802.1q VLAN parent that berth
# makes and removes, a network without a parent (a stand-in dm-<id> link),
# refusals that leave nothing behind, ipvlan's refusal, a daemon restart.
#
#   $OUT ("outside")                      $NS (the simulated host)
#   ┌───────────────────────────┐  veth  ┌─────────────────────────────────┐
#   │ out0      192.0.2.1/24    │────────│ ext0 (no address): the parent   │
#   │ out0.10   198.51.100.1/24 │        │ berthd; each container's eth0   │
#   │ (VLAN 10, where the kernel│        │ is a macvlan of ext0 (or of     │
#   │  has 802.1q)              │        │ ext0.10) in its own namespace   │
#   └───────────────────────────┘        └─────────────────────────────────┘
#
# 192.0.2.1 is the macvlan network's gateway: a router out there, not an
# address of the host.  Every address lives in these namespaces (TEST-NET-1
# and -2); nothing reaches the machine's own namespace.

load helpers
bats_require_minimum_version 1.5.0

setup_file() {
	busybox_build
}

setup() {
	berth_setup mv
	OUT=$NS-out
	ip netns add "$OUT"
	ip -n "$OUT" link set lo up
	ip -n "$NS" link add ext0 type veth peer name out0 netns "$OUT"
	ip -n "$NS" link set ext0 up
	ip -n "$OUT" addr add 192.0.2.1/24 dev out0
	ip -n "$OUT" link set out0 up
	berthd_start
	docker import "$BUSYBOX_TAR" busybox:latest >/dev/null
}

teardown() {
	berth_teardown
	ip netns del "$OUT" 2>/dev/null || true
}

# in_sandbox CONTAINER CMD...: CMD (the host's, e.g. ip -d, which busybox
# lacks) inside the container's network namespace
in_sandbox() {
	local id
	id=$(docker inspect -f '{{.Id}}' "$1")
	shift
	nsenter --net="$EXEC/netns/$id" "$@"
}

ctr_ip() { # ctr_ip CONTAINER NETWORK
	docker inspect -f "{{(index .NetworkSettings.Networks \"$2\").IPAddress}}" "$1"
}

# links of the host's namespace, one name a line (no @peer suffix)
ns_link_names() {
	ip -n "$NS" -o link show | awk -F': ' '{print $2}' | cut -d@ -f1 | sort
}

# Does this kernel have 802.1q VLAN links?  (asked in the test's namespace)
have_vlan() {
	ip -n "$NS" link add link ext0 name ext0.4000 type vlan id 4000 2>/dev/null || return 1
	ip -n "$NS" link del ext0.4000
}

mv_create() { # mv_create NAME [ARGS...]: a macvlan network on ext0, 192.0.2.0/24
	local name=$1
	shift
	docker network create -d macvlan --subnet 192.0.2.0/24 --gateway 192.0.2.1 "$@" "$name"
}

@test "bridge mode: containers reach the outside router and each other, on the parent's wire" {
	ip -n "$NS" link set ext0 mtu 1400
	links=$(ns_link_names)
	mv_create mv -o parent=ext0 >/dev/null
	run docker network inspect -f '{{.Driver}} {{.Options.parent}} {{.Internal}} {{range .IPAM.Config}}{{.Subnet}} {{.Gateway}}{{end}}' mv
	[ "$output" = "macvlan ext0 false 192.0.2.0/24 192.0.2.1" ]
	docker run -d --name m1 --network mv busybox sleep 300 >/dev/null
	docker run -d --name m2 --network mv --ip 192.0.2.20 busybox sleep 300 >/dev/null
	ip1=$(ctr_ip m1 mv)
	[[ $ip1 == 192.0.2.* && $ip1 != 192.0.2.1 ]]
	# nothing of theirs in the host's namespace: no veth, no address
	[ "$(ns_link_names)" = "$links" ]
	[ -z "$(ip -n "$NS" -o addr show dev ext0 scope global)" ]
	# eth0: a macvlan in bridge mode, the container's MAC, the parent's MTU
	run in_sandbox m1 ip -d link show eth0
	echo "$output"
	[[ $output == *"mtu 1400"* ]]
	mac=$(docker inspect -f '{{.NetworkSettings.Networks.mv.MacAddress}}' m1)
	[[ $output == *"link/ether $mac"* ]]
	run docker exec m1 ip route
	[[ $output == *"default via 192.0.2.1 dev eth0"* ]]
	docker exec m1 ping -c1 -W2 192.0.2.1
	docker exec m2 ping -c1 -W2 192.0.2.1
	docker exec m1 ping -c1 -W2 192.0.2.20
	docker exec m2 ping -c1 -W2 "$ip1"
	# the outside learnt the container by its own MAC, straight on the wire
	run ip -n "$OUT" neigh show "$ip1" dev out0
	[[ $output == *"lladdr $mac"* ]]
	ip netns exec "$OUT" ping -c1 -W2 192.0.2.20
	# disconnect takes the link out of the container; rm leaves ext0 (not berth's)
	docker network disconnect mv m2
	run docker exec m2 ip -o link show eth0
	[ "$status" -ne 0 ]
	docker rm -f m1 m2 >/dev/null
	docker network rm mv >/dev/null
	[ "$(ns_link_names)" = "$links" ]
	ip -n "$NS" link show ext0 >/dev/null
}

@test "private mode: containers reach the outside but not each other" {
	mv_create pv -o parent=ext0 -o macvlan_mode=private >/dev/null
	docker run -d --name p1 --network pv busybox sleep 300 >/dev/null
	docker run -d --name p2 --network pv busybox sleep 300 >/dev/null
	run in_sandbox p1 ip -d link show eth0
	[[ $output == *"macvlan mode private"* ]]
	docker exec p1 ping -c1 -W2 192.0.2.1
	docker exec p2 ping -c1 -W2 192.0.2.1
	run docker exec p1 ping -c1 -W1 "$(ctr_ip p2 pv)"
	[ "$status" -ne 0 ]
	run docker exec p2 ping -c1 -W1 "$(ctr_ip p1 pv)"
	[ "$status" -ne 0 ]
}

@test "vepa and passthru modes; passthru takes the parent for one container" {
	mv_create ve -o parent=ext0 -o macvlan_mode=vepa >/dev/null
	docker run -d --name v1 --network ve busybox sleep 300 >/dev/null
	run in_sandbox v1 ip -d link show eth0
	[[ $output == *"macvlan mode vepa"* ]]
	docker exec v1 ping -c1 -W2 192.0.2.1
	docker rm -f v1 >/dev/null
	docker network rm ve >/dev/null

	mv_create pt -o parent=ext0 -o macvlan_mode=passthru >/dev/null
	docker run -d --name t1 --network pt busybox sleep 300 >/dev/null
	run in_sandbox t1 ip -d link show eth0
	[[ $output == *"macvlan mode passthru"* ]]
	mac=$(docker inspect -f '{{.NetworkSettings.Networks.pt.MacAddress}}' t1)
	[[ $output == *"link/ether $mac"* ]]
	docker exec t1 ping -c1 -W2 192.0.2.1
	run docker run --rm --network pt busybox true
	echo "$output"
	[ "$status" -ne 0 ]
	[[ $output == *"network pt is in passthru mode: its parent ext0 carries one container at a time"* ]]
	[ "$(ls "$EXEC/netns" | wc -l)" = 1 ]
}

@test "VLAN parent: berth makes ext0.10, containers reach the outside over VLAN 10, rm removes it" {
	have_vlan || skip "this kernel has no 802.1q VLAN links"
	ip -n "$OUT" link add link out0 name out0.10 type vlan id 10
	ip -n "$OUT" addr add 198.51.100.1/24 dev out0.10
	ip -n "$OUT" link set out0.10 up
	docker network create -d macvlan -o parent=ext0.10 --subnet 198.51.100.0/24 \
		--gateway 198.51.100.1 v10 >/dev/null
	run ip -n "$NS" -d link show ext0.10
	echo "$output"
	[[ $output == *"vlan protocol 802.1Q id 10"* && $output == *"UP"* ]]
	docker run -d --name w1 --network v10 busybox sleep 300 >/dev/null
	docker exec w1 ping -c1 -W2 198.51.100.1
	# not on the untagged wire
	run docker exec w1 ping -c1 -W1 192.0.2.1
	[ "$status" -ne 0 ]
	# remembered across a restart: still removed by rm afterwards
	berthd_stop
	berthd_start
	docker exec w1 ping -c1 -W2 198.51.100.1
	docker rm -f w1 >/dev/null
	docker network rm v10 >/dev/null
	run ip -n "$NS" link show ext0.10
	[ "$status" -ne 0 ]

	# a VLAN link that was there before is used and left alone
	ip -n "$NS" link add link ext0 name ext0.20 type vlan id 20
	ip -n "$NS" link set ext0.20 up
	docker network create -d macvlan -o parent=ext0.20 v20 >/dev/null
	docker network rm v20 >/dev/null
	ip -n "$NS" link show ext0.20 >/dev/null
}

@test "VLAN parent on a kernel without 802.1q: refused clearly, nothing left" {
	! have_vlan || skip "this kernel has 802.1q VLAN links"
	links=$(ns_link_names)
	run docker network create -d macvlan -o parent=ext0.10 v10
	echo "$output"
	[ "$status" -ne 0 ]
	[[ $output == *"cannot make VLAN link ext0.10: 802.1q VLANs are not supported by this kernel (the 8021q module is missing)"* ]]
	[ "$(ns_link_names)" = "$links" ]
	run docker network inspect v10
	[ "$status" -ne 0 ]
}

@test "no parent: a stand-in link dm-<id> that goes with the network; containers talk only to each other" {
	links=$(ns_link_names)
	id=$(docker network create -d macvlan --internal --subnet 10.91.0.0/24 iso)
	dm=dm-${id:0:12}
	run ip -n "$NS" -o link show "$dm"
	[ "$status" -eq 0 ]
	[[ $output == *"UP"* ]]
	[ "$(docker network inspect -f '{{.Internal}}' iso)" = true ]
	docker run -d --name i1 --network iso busybox sleep 300 >/dev/null
	docker run -d --name i2 --network iso busybox sleep 300 >/dev/null
	docker exec i1 ping -c1 -W2 "$(ctr_ip i2 iso)"
	run docker exec i1 ip route
	[[ $output != *default* ]]
	# its parent is taken like any other
	run docker network create -d macvlan -o parent="$dm" other
	[[ $output == *"network iso is already using parent interface $dm"* ]]
	docker rm -f i1 i2 >/dev/null
	docker network rm iso >/dev/null
	[ "$(ns_link_names)" = "$links" ]

	# without --internal the same: nothing leaves a stand-in, so it is internal
	id=$(berth network create -d macvlan noparent)
	[ "$(docker network inspect -f '{{.Internal}}' noparent)" = true ]
	ip -n "$NS" link show "dm-${id:0:12}" >/dev/null
	berth network rm noparent >/dev/null
	[ "$(ns_link_names)" = "$links" ]
}

@test "refused: missing parent, a parent in use, bad mode, loopback, ipvlan; nothing left behind" {
	mv_create first -o parent=ext0 >/dev/null
	links=$(ns_link_names)
	nets=$(docker network ls -q | wc -l)
	stored=$(ls "$ROOT/networks" | wc -l)

	run docker network create -d macvlan -o parent=nosuch0 x1
	echo "$output"
	[ "$status" -ne 0 ]
	[[ $output == *"parent interface nosuch0 not found"* ]]
	run docker network create -d macvlan -o parent=nosuch0.10 x2
	[[ $output == *"parent interface nosuch0.10 not found, nor nosuch0 to make VLAN 10 on"* ]]
	run docker network create -d macvlan -o parent=ext0 --subnet 10.92.0.0/24 x3
	[[ $output == *"network first is already using parent interface ext0"* ]]
	run api POST /networks/create '{"Name":"x3","Driver":"macvlan","Options":{"parent":"ext0"}}'
	[[ $output == *"HTTP 409" ]]
	run docker network create -d macvlan -o parent=ext0 -o macvlan_mode=sideways x4
	[[ $output == *'invalid macvlan mode "sideways": the modes are bridge (the default), private, vepa and passthru'* ]]
	run docker network create -d macvlan -o parent=lo x5
	[[ $output == *"loopback interface is not a valid macvlan parent link"* ]]
	run docker network create -d macvlan -o parent=ext0.5000 x6
	[[ $output == *"VLAN id 5000 is not within 1-4094"* ]]
	run docker network create -d macvlan -o parent=ext0 -o com.berth.macvlan.created_parent=true x7
	[[ $output == *"is berth's own"* ]]
	run berth network create -d ipvlan -o parent=ext0 x8
	echo "$output"
	[ "$status" -ne 0 ]
	if ip -n "$NS" link add link ext0 name probe0 type ipvlan 2>/dev/null; then
		ip -n "$NS" link del probe0
		[[ $output == *"ipvlan networks are not supported by berth yet"* ]]
	else
		[[ $output == *"ipvlan networks are not supported by this kernel (the ipvlan module is missing)"* ]]
	fi

	[ "$(ns_link_names)" = "$links" ]
	[ "$(docker network ls -q | wc -l)" = "$nets" ]
	[ "$(ls "$ROOT/networks" | wc -l)" = "$stored" ]
	# the addresses of the refused networks were not kept
	docker network rm first >/dev/null
	mv_create again -o parent=ext0 >/dev/null
}

@test "berthd restart: the container stays reachable, the network and its parent are kept" {
	mv_create mv -o parent=ext0 >/dev/null
	docker run -d --name r1 --network mv --ip 192.0.2.30 busybox sleep 300 >/dev/null
	iso=$(docker network create -d macvlan --internal iso)
	berthd_stop
	ip netns exec "$OUT" ping -c1 -W2 192.0.2.30
	berthd_start
	ip netns exec "$OUT" ping -c1 -W2 192.0.2.30
	docker exec r1 ping -c1 -W2 192.0.2.1
	[ "$(docker network inspect -f '{{.Driver}} {{len .Containers}}' mv)" = "macvlan 1" ]
	# the parent list came back with the networks
	run docker network create -d macvlan -o parent=ext0 --subnet 10.92.0.0/24 second
	echo "$output"
	[ "$status" -ne 0 ]
	[[ $output == *"network mv is already using parent interface ext0"* ]]
	# disconnect after the restart still finds and removes the link
	docker network disconnect mv r1
	run docker exec r1 ip -o link show eth0
	[ "$status" -ne 0 ]
	docker network connect mv r1
	docker exec r1 ping -c1 -W2 192.0.2.1
	# the stand-in made before the restart is still berth's to remove
	docker network rm "$iso" >/dev/null
	run ip -n "$NS" link show "dm-${iso:0:12}"
	[ "$status" -ne 0 ]
}
