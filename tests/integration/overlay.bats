#!/usr/bin/env bats
# overlay.bats - global (overlay) networks in a cluster of simulated hosts
# sharing an etcd (cluster.bash): created on one host, seen on all; names,
# VNIs and subnets unique across hosts, also when created at the same
# moment; removal; etcd away and back; node records on leases.

load helpers
load cluster
bats_require_minimum_version 1.5.0

setup_file() {
	busybox_build
}

setup() {
	cluster_up 3
}

teardown() {
	[ -n "${WEB_PID:-}" ] && kill "$WEB_PID" 2>/dev/null
	cluster_down
}

# infra_httpd: a web server on the etcd host (10.200.0.2:80), which has no
# route to any container subnet; /cgi-bin/ip answers with the client's
# address.
infra_httpd() {
	local www=$TMP/www
	mkdir -p "$www/cgi-bin"
	printf '#!/bin/sh\necho "Content-Type: text/plain"\necho\necho "$REMOTE_ADDR"\n' >"$www/cgi-bin/ip"
	chmod +x "$www/cgi-bin/ip"
	ip netns exec "$CL-infra" busybox httpd -f -p "$CL_NET.2:80" -h "$www" </dev/null >/dev/null 2>&1 &
	WEB_PID=$!
	for _ in $(seq 1 50); do
		ip netns exec "$CL-infra" timeout 1 wget -qO- "http://$CL_NET.2/cgi-bin/ip" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "the web server on the etcd host did not answer"
	return 1
}

# A container running a web server whose /cgi-bin/ip echoes the client.
WEB='mkdir -p /www/cgi-bin && printf "#!/bin/sh\necho Content-Type: text/plain\necho\necho \$REMOTE_ADDR\n" >/www/cgi-bin/ip && chmod +x /www/cgi-bin/ip && exec httpd -f -p 80 -h /www'

# ov_on_hosts "H..." ARGS...: overlay network ov (made on h1 with ARGS) seen
# on each host H, busybox imported there
ov_on_hosts() {
	local hosts=$1 h i
	shift
	on 1 docker network create -d overlay --attachable "$@" ov >/dev/null
	for h in $hosts; do
		on "$h" docker import "$BUSYBOX_TAR" busybox:latest >/dev/null
		for i in $(seq 1 50); do on "$h" docker network inspect ov >/dev/null 2>&1 && break; sleep 0.1; done
	done
}

# net_field N NETWORK TEMPLATE
net_field() {
	on "$1" docker network inspect -f "$3" "$2"
}

@test "an overlay network made on h1 is seen on h2 and h3, global scope, the same VNI; removed on h2, gone everywhere" {
	run on 1 docker network create -d overlay --subnet 10.77.0.0/24 ov
	echo "$output"
	[ "$status" -eq 0 ]
	id=$output
	vni=$(net_field 1 ov '{{index .Options "com.docker.network.driver.overlay.vxlanid_list"}}')
	[ "$vni" -ge 4096 ]
	for h in 1 2 3; do
		for i in $(seq 1 50); do on "$h" docker network inspect ov >/dev/null 2>&1 && break; sleep 0.1; done
		[ "$(net_field "$h" ov '{{.Id}} {{.Scope}} {{.Driver}}')" = "$id global overlay" ]
		[ "$(net_field "$h" ov '{{index .Options "com.docker.network.driver.overlay.vxlanid_list"}}')" = "$vni" ]
		[ "$(net_field "$h" ov '{{range .IPAM.Config}}{{.Subnet}} {{.Gateway}}{{end}}')" = "10.77.0.0/24 10.77.0.1" ]
		run on "$h" docker network ls --filter driver=overlay --format '{{.Name}} {{.Scope}}'
		[ "$output" = "ov global" ]
	done
	# an automatic subnet comes from 10.0.0.0/8, a /24
	on 2 docker network create -d overlay auto >/dev/null
	[ "$(net_field 2 auto '{{range .IPAM.Config}}{{.Subnet}}{{end}}')" = "10.0.0.0/24" ]
	run etcdctl get --prefix /berth/v1/netnames/ --keys-only
	[[ $output == *"/berth/v1/netnames/ov"* ]]
	on 2 docker network rm ov >/dev/null
	for h in 1 2 3; do
		for i in $(seq 1 50); do on "$h" docker network inspect ov >/dev/null 2>&1 || break; sleep 0.1; done
		run on "$h" docker network inspect ov
		[ "$status" -ne 0 ]
	done
	run etcdctl get --prefix /berth/v1/ --keys-only
	echo "$output"
	[[ $output != *"netnames/ov"* ]]
	[[ $output != *"10.77.0.0_24"* ]]
	[[ $output != *"vnis/$vni"* ]]
}

@test "names, VNIs and subnets stay unique when two hosts create at the same moment" {
	pids=()
	for i in $(seq 1 8); do
		on 1 docker network create -d overlay "a$i" >/dev/null &
		pids+=($!)
		on 2 docker network create -d overlay "b$i" >/dev/null &
		pids+=($!)
	done
	# (not a bare wait: etcd and the daemons are background jobs too)
	for p in "${pids[@]}"; do wait "$p"; done
	# the same name from two hosts at once: one wins, the other is told
	on 1 docker network create -d overlay same >"$TMP/o1" 2>&1 &
	p1=$!
	on 3 docker network create -d overlay same >"$TMP/o3" 2>&1 &
	p3=$!
	r1=0; r3=0
	wait $p1 || r1=$?
	wait $p3 || r3=$?
	cat "$TMP/o1" "$TMP/o3"
	[ $((r1 + r3)) -ne 0 ]
	[ "$r1" -eq 0 ] || [ "$r3" -eq 0 ]
	grep -q "network with name same already exists" "$TMP/o1" "$TMP/o3"
	run etcdctl get --prefix /berth/v1/vnis/ --keys-only
	[ "$(echo "$output" | grep -c vnis/)" -eq 17 ]
	run etcdctl get --prefix /berth/v1/subnets/ --keys-only
	[ "$(echo "$output" | grep -c subnets/)" -eq 17 ]
	# every host sees the 17, with 17 different VNIs and subnets
	for h in 1 2 3; do
		for i in $(seq 1 50); do
			[ "$(on "$h" docker network ls -q --filter driver=overlay | wc -l)" -eq 17 ] && break
			sleep 0.1
		done
		run on "$h" docker network inspect -f '{{index .Options "com.docker.network.driver.overlay.vxlanid_list"}} {{range .IPAM.Config}}{{.Subnet}}{{end}}' $(on "$h" docker network ls -q --filter driver=overlay)
		[ "$(echo "$output" | cut -d' ' -f1 | sort -u | wc -l)" -eq 17 ]
		[ "$(echo "$output" | cut -d' ' -f2 | sort -u | wc -l)" -eq 17 ]
	done
	# a taken VNI or overlapping subnet asked for explicitly: refused
	vni=$(net_field 1 a1 '{{index .Options "com.docker.network.driver.overlay.vxlanid_list"}}')
	run on 2 docker network create -d overlay -o "com.docker.network.driver.overlay.vxlanid_list=$vni" dup
	[ "$status" -ne 0 ]
	[[ $output == *"VXLAN id $vni is in use"* ]]
	sub=$(net_field 1 a1 '{{range .IPAM.Config}}{{.Subnet}}{{end}}')
	run on 3 docker network create -d overlay --subnet "$sub" dup
	[ "$status" -ne 0 ]
	[[ $output == *"Pool overlaps"* ]]
}

@test "containers on h1, h2 and h3 reach each other across hosts over VXLAN; MTU 1450 end to end; removal refused while used" {
	on 1 docker network create -d overlay --attachable --subnet 10.88.0.0/24 ov >/dev/null
	for h in 1 2 3; do
		on "$h" docker import "$BUSYBOX_TAR" busybox:latest >/dev/null
		for i in $(seq 1 50); do on "$h" docker network inspect ov >/dev/null 2>&1 && break; sleep 0.1; done
	done
	# two hosts starting containers at the same moment never share an address
	pids=()
	for h in 1 2 3; do
		for c in a b; do
			on "$h" docker run -d --name "c$h$c" --network ov busybox sleep 600 >/dev/null &
			pids+=($!)
		done
	done
	for p in "${pids[@]}"; do wait "$p"; done
	addrs=""
	for h in 1 2 3; do
		for c in a b; do
			addrs="$addrs $(on "$h" docker inspect -f '{{.NetworkSettings.Networks.ov.IPAddress}}' "c$h$c")"
		done
	done
	echo "addresses:$addrs"
	[ "$(echo $addrs | tr ' ' '\n' | grep -c '^10\.88\.0\.')" -eq 6 ]
	[ "$(echo $addrs | tr ' ' '\n' | sort -u | wc -l)" -eq 6 ]
	ip2=$(on 2 docker inspect -f '{{.NetworkSettings.Networks.ov.IPAddress}}' c2a)
	ip3=$(on 3 docker inspect -f '{{.NetworkSettings.Networks.ov.IPAddress}}' c3b)
	on 1 docker exec c1a ping -c1 -W2 "$ip2"
	on 1 docker exec c1a ping -c1 -W2 "$ip3"
	ip1=$(on 1 docker inspect -f '{{.NetworkSettings.Networks.ov.IPAddress}}' c1b)
	on 3 docker exec c3a ping -c1 -W2 "$ip1"
	# inspect's Peers: the three hosts with containers on it
	for i in $(seq 1 30); do [ "$(on 1 docker network inspect -f '{{len .Peers}}' ov)" = 3 ] && break; sleep 0.1; done
	run on 2 docker network inspect -f '{{range .Peers}}{{.IP}} {{end}}' ov
	[ "$(echo $output | tr ' ' '\n' | sort | xargs)" = "10.200.0.11 10.200.0.12 10.200.0.13" ]
	# names: every host's embedded DNS answers for the containers of all
	on 1 docker exec c1a ping -c1 -W2 c2a
	run on 1 docker exec c1a nslookup c3b.ov
	[[ $output == *"Address: $ip3"* ]]
	run on 3 docker exec c3a nslookup c1b
	[[ $output == *"Address: $ip1"* ]]
	# MTU: underlay 1500 - 50 on the container's interface; the largest DF
	# ping passes, one byte more does not
	[ "$(on 1 docker exec c1a cat /sys/class/net/eth0/mtu)" = 1450 ]
	# (iputils ping in the container's namespace: busybox's has no -M)
	key=$(on 1 docker inspect -f '{{.NetworkSettings.SandboxKey}}' c1a)
	nsenter --net="$key" ping -c1 -W2 -M do -s 1422 "$ip2"
	run nsenter --net="$key" ping -c1 -W2 -M do -s 1423 "$ip2"
	[ "$status" -ne 0 ]
	# removal is refused while any host has endpoints on it
	run on 1 docker network rm ov
	[ "$status" -ne 0 ]
	[[ $output == *"active endpoints"* ]]
	on 1 docker rm -f c1a c1b >/dev/null
	run on 1 docker network rm ov
	[ "$status" -ne 0 ]
	[[ $output == *"active endpoints on other hosts"* ]]
	# a stopped container's address is not reachable any more
	on 2 docker rm -f c2a >/dev/null
	run on 3 docker exec c3a ping -c1 -W1 "$ip2"
	[ "$status" -ne 0 ]
	run on 3 docker exec c3a nslookup c2a
	[[ $output != *"Address: $ip2"* ]]
	# a host that dies (berthd killed, its namespace gone): after its lease,
	# the others drop its containers' forwarding entries and its addresses
	mac3=$(on 3 docker inspect -f '{{.NetworkSettings.Networks.ov.MacAddress}}' c3b)
	ov1=$(ls -d "$TMP"/h2/exec/overlay/*)
	nsenter --net="$ov1" bridge fdb show | grep -q "$mac3"
	host_stop 3 KILL
	for f in "$TMP"/h3/exec/netns/* "$TMP"/h3/exec/overlay/*; do umount "$f" 2>/dev/null || true; done
	ip netns pids "$CL-h3" | xargs -r kill -9
	ip netns del "$CL-h3"
	for i in $(seq 1 200); do
		nsenter --net="$ov1" bridge fdb show | grep -q "$mac3" || break
		sleep 0.1
	done
	run nsenter --net="$ov1" bridge fdb show
	[[ $output != *"$mac3"* ]]
	run etcdctl get --prefix "/berth/v1/ipam/" --keys-only
	[[ $output != *"$ip3"* ]]
	on 2 docker rm -f c2b >/dev/null
	on 1 docker network rm ov
}

@test "berthd restarted with overlay containers running: no ping lost, entries reconciled, later changes still reach it; a VXLAN port of its own" {
	ov_on_hosts "1 2" -o vxlan_port=4790 --subnet 10.89.0.0/24
	on 1 docker run -d --name ca --network ov busybox sleep 600 >/dev/null
	on 2 docker run -d --name cb --network ov busybox sleep 600 >/dev/null
	on 2 docker run -d --name cgone --network ov busybox sleep 600 >/dev/null
	ipa=$(on 1 docker inspect -f '{{.NetworkSettings.Networks.ov.IPAddress}}' ca)
	key=$(on 2 docker inspect -f '{{.NetworkSettings.SandboxKey}}' cb)
	# -o vxlan_port: the VXLAN device of every host on that port
	ovns=$(ls -d "$TMP"/h1/exec/overlay/*)
	run nsenter --net="$ovns" ip -d link show
	[[ $output == *"dstport 4790"* ]]
	# a container that goes while h1's berthd is down leaves entries there
	# that the restarted berthd removes (the others it keeps)
	macg=$(on 2 docker inspect -f '{{.NetworkSettings.Networks.ov.MacAddress}}' cgone)
	ipg=$(on 2 docker inspect -f '{{.NetworkSettings.Networks.ov.IPAddress}}' cgone)
	macb=$(on 2 docker inspect -f '{{.NetworkSettings.Networks.ov.MacAddress}}' cb)
	for i in $(seq 1 30); do nsenter --net="$ovns" bridge fdb show | grep -q "$macg" && break; sleep 0.1; done
	host_stop 1
	on 2 docker rm -f cgone >/dev/null
	host_start 1
	for i in $(seq 1 50); do nsenter --net="$ovns" bridge fdb show | grep -q "$macg" || break; sleep 0.1; done
	run nsenter --net="$ovns" sh -c 'bridge fdb show; ip neigh show'
	echo "$output"
	[[ $output != *"$macg"* ]]
	[[ $output != *"$ipg "* ]]
	[[ $output == *"$macb dev vx"*"dst $CL_NET.12 "*"self permanent"* ]]
	# 30 pings over 3 s while h1's berthd stops and starts again
	nsenter --net="$key" ping -c 30 -i 0.1 -W 1 "$ipa" >"$TMP/ping" 2>&1 &
	pp=$!
	sleep 0.5
	host_stop 1
	host_start 1
	wait "$pp" || true
	cat "$TMP/ping"
	grep -q "30 packets transmitted, 30 received" "$TMP/ping"
	# the restarted host still knows its container and the network
	[ "$(on 1 docker inspect -f '{{.NetworkSettings.Networks.ov.IPAddress}}' ca)" = "$ipa" ]
	# a container started elsewhere after the restart is reachable from a
	on 2 docker run -d --name cc --network ov busybox sleep 600 >/dev/null
	ipc=$(on 2 docker inspect -f '{{.NetworkSettings.Networks.ov.IPAddress}}' cc)
	for i in $(seq 1 30); do on 1 docker exec ca ping -c1 -W1 "$ipc" >/dev/null 2>&1 && break; sleep 0.1; done
	on 1 docker exec ca ping -c1 -W2 "$ipc"
	on 1 docker rm -f ca >/dev/null
	on 2 docker rm -f cb cc >/dev/null
}

@test "bad input: encrypted, a bad VNI" {
	run on 1 docker network create -d overlay -o encrypted sec
	[ "$status" -ne 0 ]
	[[ $output == *"encrypted overlay networks are not supported yet"* ]]
	run on 1 docker network create -d overlay -o com.docker.network.driver.overlay.vxlanid_list=0 bad
	[ "$status" -ne 0 ]
	[[ $output == *"invalid VXLAN id"* ]]
	run etcdctl get --prefix /berth/v1/netnames/ --keys-only
	[ -z "$output" ]
	# containers need --attachable, as in Docker
	on 1 docker network create -d overlay closed >/dev/null
	on 1 docker import "$BUSYBOX_TAR" busybox:latest >/dev/null
	run on 1 docker run --rm --network closed busybox true
	[ "$status" -ne 0 ]
	[[ $output == *"not manually attachable"* ]]
	run etcdctl get --prefix /berth/v1/ipam/ --keys-only
	[ -z "$output" ]
}

@test "etcd away: overlay operations fail clearly, local ones work; back: changes flow again without a restart" {
	on 1 docker network create -d overlay before >/dev/null
	etcd_stop
	run on 1 docker network create -d overlay during
	echo "$output"
	[ "$status" -ne 0 ]
	[[ $output == *"cluster store is unreachable"* ]] || [[ $output == *"etcd"* ]]
	run on 2 docker network rm before
	[ "$status" -ne 0 ]
	on 2 docker network create local-ok >/dev/null
	[ "$(on 2 docker network inspect -f '{{.Scope}}' local-ok)" = local ]
	[ "$(on 3 docker network inspect -f '{{.Scope}}' before)" = global ]
	etcd_start
	for i in $(seq 1 100); do on 1 docker network create -d overlay after >/dev/null 2>&1 && break; sleep 0.1; done
	for i in $(seq 1 100); do on 3 docker network inspect after >/dev/null 2>&1 && break; sleep 0.1; done
	[ "$(on 3 docker network inspect -f '{{.Scope}}' after)" = global ]
}

@test "each host is a node on a lease: kept through a restart, gone after kill -9 and the lease's time" {
	run etcdctl get --prefix /berth/v1/nodes/ --print-value-only
	echo "$output"
	[ "$(echo "$output" | grep -c '"Addr"')" -eq 3 ]
	[[ $output == *'"Addr":"10.200.0.12"'* ]]
	lease=$(cat "$TMP/h2/exec/cluster.lease")
	host_stop 2
	host_start 2
	[ "$(cat "$TMP/h2/exec/cluster.lease")" = "$lease" ]
	host_stop 3 KILL
	for i in $(seq 1 150); do
		[ "$(etcdctl get --prefix /berth/v1/nodes/ --keys-only | grep -c nodes/)" -eq 2 ] && break
		sleep 0.1
	done
	run etcdctl get --prefix /berth/v1/nodes/ --print-value-only
	[ "$(echo "$output" | grep -c '"Addr"')" -eq 2 ]
	[[ $output != *"10.200.0.13"* ]]
	# info says where the store is
	run on 1 api GET /info
	[ "$(echo "${lines[0]}" | python3 -c 'import json,sys; i=json.load(sys.stdin); print(i["ClusterStore"], i["ClusterAdvertise"])')" = "etcd://$ETCD_EP 10.200.0.11" ]
}

@test "overlay containers go out through docker_gwbridge with NAT (not when --internal); ports published there; it goes when another network gives the way out" {
	on 1 docker network create -d overlay --attachable --subnet 10.90.0.0/24 ov >/dev/null
	on 1 docker network create -d overlay --attachable --internal --subnet 10.91.0.0/24 ovi >/dev/null
	on 1 docker import "$BUSYBOX_TAR" busybox:latest >/dev/null
	infra_httpd
	on 1 docker run -d --name co --network ov -p 8080:80 busybox sh -c "$WEB" >/dev/null
	# the etcd host has no route to the container: the answer shows h1's address
	run on 1 docker exec co timeout 3 wget -qO- "http://$CL_NET.2/cgi-bin/ip"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "$CL_NET.11" ]
	# eth0 on the overlay, eth1 on docker_gwbridge with the default route
	[ "$(on 1 docker exec co cat /sys/class/net/eth0/mtu)" = 1450 ]
	gw=$(on 1 docker network inspect -f '{{(index .IPAM.Config 0).Gateway}}' docker_gwbridge)
	run on 1 docker exec co ip route
	echo "$output"
	[[ $output == *"default via $gw dev eth1"* ]]
	# docker_gwbridge: a local bridge without inter-container traffic; the
	# container's endpoint there is "gateway_<id>", not one of its networks
	[ "$(on 1 docker network inspect -f '{{.Driver}} {{.Scope}} {{index .Options "com.docker.network.bridge.enable_icc"}}' docker_gwbridge)" = "bridge local false" ]
	id=$(on 1 docker inspect -f '{{.Id}}' co)
	[ "$(on 1 docker network inspect -f '{{range .Containers}}{{.Name}}{{end}}' docker_gwbridge)" = "gateway_${id:0:12}" ]
	[ "$(on 1 docker inspect -f '{{len .NetworkSettings.Networks}}' co)" = 1 ]
	run on 1 docker network rm docker_gwbridge
	[ "$status" -ne 0 ]
	# -p: published on the way out, reached at h1's address
	[ "$(on 1 docker port co 80/tcp | head -1)" = "0.0.0.0:8080" ]
	run ip netns exec "$CL-infra" timeout 3 wget -qO- "http://$CL_NET.11:8080/cgi-bin/ip"
	[ "$status" -eq 0 ]
	# on an --internal overlay only: no way out, no second interface
	run on 1 docker run --rm --network ovi busybox sh -c "ls /sys/class/net; timeout 2 wget -qO- http://$CL_NET.2/cgi-bin/ip"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ $output != *eth1* ]]
	# a bridge network gives the way out: the gwbridge endpoint goes ...
	on 1 docker network create lan >/dev/null
	on 1 docker network connect lan co
	[ -z "$(on 1 docker network inspect -f '{{range .Containers}}{{.Name}}{{end}}' docker_gwbridge)" ]
	run on 1 docker exec co ip route
	[[ $output == *"default via"*"dev eth2"* ]] || [[ $output == *"default via"*"dev eth1"* ]]
	on 1 docker exec co timeout 3 wget -qO- "http://$CL_NET.2/cgi-bin/ip"
	# ... and comes back when it is disconnected
	on 1 docker network disconnect lan co
	[ "$(on 1 docker network inspect -f '{{range .Containers}}{{.Name}}{{end}}' docker_gwbridge)" = "gateway_${id:0:12}" ]
	on 1 docker exec co timeout 3 wget -qO- "http://$CL_NET.2/cgi-bin/ip"
	# berthd restarted: still the way out, and it goes with the container
	host_stop 1
	host_start 1
	on 1 docker exec co timeout 3 wget -qO- "http://$CL_NET.2/cgi-bin/ip"
	on 1 docker stop -t 0 co >/dev/null
	[ -z "$(on 1 docker network inspect -f '{{range .Containers}}{{.Name}}{{end}}' docker_gwbridge)" ]
	on 1 docker start co >/dev/null
	on 1 docker exec co timeout 3 wget -qO- "http://$CL_NET.2/cgi-bin/ip"
	on 1 docker rm -f co >/dev/null
	ls "$TMP/h1/root/endpoints" | grep -c . | grep -qx 0 || { ls -l "$TMP/h1/root/endpoints"; false; }
	on 1 docker network rm docker_gwbridge ov ovi lan >/dev/null
}

@test "a host whose watch comes back after etcd compacted the history it missed resyncs: containers that went meanwhile are dropped" {
	ov_on_hosts "1 2" --subnet 10.92.0.0/24
	on 1 docker run -d --name ca --network ov busybox sleep 600 >/dev/null
	on 2 docker run -d --name cgone --network ov busybox sleep 600 >/dev/null
	macg=$(on 2 docker inspect -f '{{.NetworkSettings.Networks.ov.MacAddress}}' cgone)
	ovns=$(ls -d "$TMP"/h1/exec/overlay/*)
	for i in $(seq 1 50); do nsenter --net="$ovns" bridge fdb show | grep -q "$macg" && break; sleep 0.1; done
	on 1 docker exec ca nslookup cgone >/dev/null
	# h1 loses etcd (its connections refused) while etcd restarts, cgone
	# goes and etcd compacts that history away
	ip netns exec "$CL-h1" nft -f - <<-NFT
		table ip cut {
			chain out {
				type filter hook output priority 0;
				ip daddr $CL_NET.2 tcp dport 2379 reject with tcp reset
			}
		}
	NFT
	etcd_stop
	etcd_start
	on 2 docker rm -f cgone >/dev/null
	rev=$(etcdctl put /berth-test/mark x -w json | python3 -c 'import json,sys; print(json.load(sys.stdin)["header"]["revision"])')
	etcdctl compact "$rev"
	ip netns exec "$CL-h1" nft delete table ip cut
	# back: the watch cannot resume there, so h1 reads everything again and
	# drops what it did not find
	for i in $(seq 1 200); do nsenter --net="$ovns" bridge fdb show | grep -q "$macg" || break; sleep 0.1; done
	run nsenter --net="$ovns" bridge fdb show
	[[ $output != *"$macg"* ]]
	grep -qi 'resync' "$TMP/h1/berthd.log"
	run on 1 docker exec ca nslookup cgone
	[ "$status" -ne 0 ]
	on 1 docker rm -f ca >/dev/null
}
