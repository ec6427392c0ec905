#!/usr/bin/env bats
# compose.bats - Debian's docker-compose 1.29 (Python, on the Docker SDK)
# driving berthd with nothing but DOCKER_HOST, on the compose files in
# compose/: lab3 (format 3: networks with internal, ipam subnets,
# driver_opts, aliases, a static address; ports, expose, named volumes,
# environment, entrypoint/command, hostname, depends_on, restart, labels,
# cap_add, mem_limit), lab2 (format 2: a bind mount, network_mode
# service:x and container:x, restart: always), health (a health check,
# refused clearly).
#
#   root ns: docker-compose ──unix socket──▶ $NS: berthd

load ../integration/helpers

setup_file() {
	busybox_build
}

setup() {
	[ -x /usr/bin/docker-compose ] || skip "docker-compose missing"
	berth_setup compose
	berthd_start
	docker import "$BUSYBOX_TAR" busybox:latest >/dev/null
	COMPOSE=$BATS_TEST_DIRNAME/compose
}

teardown() {
	berth_teardown
}

# dc LAB ARGS...: docker-compose on compose/LAB as project LAB
dc() {
	local lab=$1
	shift
	/usr/bin/docker-compose --ansi never -f "$COMPOSE/$lab/docker-compose.yml" -p "$lab" "$@"
}

# what berthd has: containers, networks, volumes (names), links, nft elements
leftovers() {
	docker ps -aq
	docker network ls --format '{{.Name}}' | grep -vxE 'bridge|host|none' || true
	docker volume ls -q
	ip -n "$NS" -o link show | awk -F': ' '{print $2}' | grep -vxE 'lo|berth0' || true
	ip netns exec "$NS" nft -j list table inet berth | /usr/bin/python3 -c '
import json, sys
for o in json.load(sys.stdin)["nftables"]:
    for kind in ("set", "map"):
        s = o.get(kind)
        if s and s.get("elem") and s["name"] not in ("bridges", "samebr", "masq4", "hairpin4"):
            print(kind, s["name"], s["elem"])
        elif s and s.get("elem"):
            for e in s["elem"]:
                if "berth0" not in json.dumps(e) and "172.17.0.0" not in json.dumps(e):
                    print(kind, s["name"], e)'
}

@test "lab3 (format 3): up, names and aliases, isolation, published port, labels and filters, a second up, exec, run, top, logs, config" {
	run dc lab3 config -q
	[ "$status" -eq 0 ]
	run dc lab3 up -d
	echo "$output"
	[ "$status" -eq 0 ]
	run dc lab3 ps
	echo "$output"
	for s in web app db probe; do [[ $output == *"lab3_${s}_1"*Up* ]]; done
	[[ $output == *"0.0.0.0:8080->80/tcp"* ]]
	[[ $output == *"5000/tcp"* ]]
	# names and aliases through the embedded DNS, on the networks shared
	dc lab3 exec -T app ping -c1 -W2 db
	dc lab3 exec -T app ping -c1 -W2 database
	[ "$(dc lab3 exec -T app sh -c 'nslookup db 2>/dev/null | grep -c 10.55.1.10')" -ge 1 ]
	dc lab3 exec -T probe ping -c1 -W2 www
	dc lab3 exec -T probe wget -qO- http://www/index.html | grep -q "hello from webhost"
	# isolation: probe (front) does not reach db (back, internal), nor resolve it
	run dc lab3 exec -T probe ping -c1 -W1 10.55.1.10
	[ "$status" -ne 0 ]
	run dc lab3 exec -T probe nslookup db
	[[ $output != *10.55.1.10* ]]
	# back is internal: nothing leaves it
	run dc lab3 exec -T db ip route
	[[ $output != *default* ]]
	# the published port, from berthd's namespace (front's gateway address)
	gw=$(docker network inspect -f '{{(index .IPAM.Config 0).Gateway}}' lab3_front)
	in_ns curl -sf --max-time 5 "http://$gw:8080/index.html" | grep -q "hello from webhost"
	# what the file asked for, as Docker shows it
	[ "$(docker network inspect -f '{{.Internal}}' lab3_back)" = true ]
	[ "$(docker network inspect -f '{{index .Options "com.docker.network.bridge.name"}}' lab3_front)" = labfront0 ]
	[ "$(docker inspect -f '{{.Config.Hostname}} {{index .Config.Labels "lab.role"}}' lab3_web_1)" = "webhost web" ]
	[ "$(docker inspect -f '{{.HostConfig.Memory}} {{.HostConfig.CapAdd}} {{.HostConfig.RestartPolicy.Name}}' lab3_app_1)" = "67108864 [NET_ADMIN] no" ]
	[ "$(docker inspect -f '{{.HostConfig.RestartPolicy.Name}}' lab3_web_1)" = unless-stopped ]
	dc lab3 exec -T web env | grep -qx GREETING=hello
	# label filters compose relies on, stopped containers included
	docker stop -t0 lab3_probe_1 >/dev/null
	run docker ps -aq --filter label=com.docker.compose.project=lab3 --filter label=com.docker.compose.service=probe
	[ "${#lines[@]}" -eq 1 ]
	run docker ps -q --filter label=com.docker.compose.project=lab3
	[ "${#lines[@]}" -eq 3 ]
	[ "$(docker network ls -q --filter label=com.docker.compose.project=lab3 | wc -l)" -eq 2 ]
	[ "$(docker volume ls -q --filter label=com.docker.compose.project=lab3 --filter label=lab.kind=data)" = lab3_data ]
	# a second up: nothing changed, containers kept (probe started again)
	id_db=$(docker inspect -f '{{.Id}}' lab3_db_1)
	run dc lab3 up -d
	echo "$output"
	[[ $output == *"lab3_db_1 is up-to-date"* ]]
	[ "$(docker inspect -f '{{.Id}}' lab3_db_1)" = "$id_db" ]
	[ "$(docker inspect -f '{{.State.Running}}' lab3_probe_1)" = true ]
	# exec with a terminal (no -T), run --rm, top, logs
	run script -qec "/usr/bin/docker-compose --ansi never -f $COMPOSE/lab3/docker-compose.yml -p lab3 exec app sh -c 'test -t 0 && echo on-a-tty'" /dev/null
	echo "$output"
	[[ $output == *on-a-tty* ]]
	run dc lab3 run --rm app echo from-run
	[[ $output == *from-run* ]]
	[ -z "$(docker ps -aq --filter label=com.docker.compose.oneoff=True)" ]
	run dc lab3 top app
	echo "$output"
	[[ $output == *"sleep 3600"* ]]
	run dc lab3 logs app
	[[ $output == *"app up"* ]]
}

@test "lab3: stop, start, restart, kill, rm; a changed service is recreated; data survives down/up; down -v leaves nothing" {
	dc lab3 up -d
	dc lab3 exec -T db sh -c 'echo kept > /data/f'
	dc lab3 stop
	[ -z "$(docker ps -q --filter label=com.docker.compose.project=lab3)" ]
	dc lab3 start
	[ "$(docker ps -q --filter label=com.docker.compose.project=lab3 | wc -l)" -eq 4 ]
	dc lab3 exec -T app ping -c1 -W2 db
	dc lab3 restart app
	dc lab3 exec -T app ping -c1 -W2 database
	dc lab3 kill probe
	[ "$(docker inspect -f '{{.State.Status}}' lab3_probe_1)" = exited ]
	run dc lab3 ps probe
	[[ $output == *"Exit 137"* ]]
	dc lab3 rm -f probe
	run docker inspect lab3_probe_1
	[ "$status" -ne 0 ]
	# a changed service is recreated, the others kept
	sed 's/echo app up/echo app changed/' "$COMPOSE/lab3/docker-compose.yml" >"$TMP/changed.yml"
	id_db=$(docker inspect -f '{{.Id}}' lab3_db_1)
	id_app=$(docker inspect -f '{{.Id}}' lab3_app_1)
	run /usr/bin/docker-compose --ansi never -f "$TMP/changed.yml" -p lab3 up -d
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"Recreating lab3_app_1"* ]]
	[ "$(docker inspect -f '{{.Id}}' lab3_db_1)" = "$id_db" ]
	[ "$(docker inspect -f '{{.Id}}' lab3_app_1)" != "$id_app" ]
	/usr/bin/docker-compose --ansi never -f "$TMP/changed.yml" -p lab3 exec -T app ping -c1 -W2 db
	# down without -v: the volume and its data stay
	dc lab3 down --remove-orphans
	[ "$(docker volume ls -q)" = lab3_data ]
	dc lab3 up -d
	[ "$(dc lab3 exec -T db cat /data/f)" = kept ]
	# down -v: nothing left (containers, networks, volumes, links, nft elements)
	dc lab3 down -v --remove-orphans
	run leftovers
	echo "$output"
	[ -z "$output" ]
}

@test "lab2 (format 2): bind mount, network_mode service:x and container:x, restart: always; a health check is refused clearly" {
	docker run -d --name anchor busybox sleep 3600 >/dev/null
	run dc lab2 up -d
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(dc lab2 exec -T main cat /bind/note.txt)" = "from the host" ]
	run dc lab2 exec -T main sh -c 'echo x > /bind/new'
	[ "$status" -ne 0 ] # (read-only)
	# sidecar shares main's network namespace, guest anchor's
	main_ip=$(docker inspect -f '{{.NetworkSettings.Networks.lab2_lan.IPAddress}}' lab2_main_1)
	[[ $main_ip == 10.56.0.* ]]
	dc lab2 exec -T sidecar ip addr | grep -q "inet $main_ip/"
	anchor_ip=$(docker inspect -f '{{.NetworkSettings.IPAddress}}' anchor)
	dc lab2 exec -T guest ip addr | grep -q "inet $anchor_ip/"
	[ "$(docker inspect -f '{{.HostConfig.RestartPolicy.Name}}' lab2_keeper_1)" = always ]
	dc lab2 exec -T keeper ping -c1 -W2 main
	dc lab2 down -v
	docker rm -f anchor >/dev/null
	run leftovers
	echo "$output"
	[ -z "$output" ]
	# a health check: berth does not run them, and says so
	run dc health up -d
	echo "$output"
	[ "$status" -ne 0 ]
	[[ $output == *"health checks are not supported by berth yet"* ]]
	dc health down -v
	run leftovers
	echo "$output"
	[ -z "$output" ]
}
