#!/usr/bin/env bats
# container.bats - containers with --network none and --network host,
# through the real docker CLI and berth: run, exit codes, stop/kill, logs,
# wait, rm, --rm, isolation, bad input, and containers living through a
# daemon restart.
#
#   root ns: docker CLI ──unix socket──▶ $NS: berthd ──▶ berth-shim ──▶ container
#                                          (containers get their own netns: --network none)

load helpers
bats_require_minimum_version 1.5.0

setup_file() {
	busybox_build
}

setup() {
	berth_setup ctr
	berthd_start
	docker import "$BUSYBOX_TAR" busybox:latest >/dev/null
}

teardown() {
	berth_teardown
}

@test "run prints the output and returns the exit code" {
	run docker run --network none busybox echo hello
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = hello ]
	run docker run --network none busybox sh -c 'echo out; echo err >&2; exit 3'
	[ "$status" -eq 3 ]
	[[ $output == *out* && $output == *err* ]]
}

@test "pid 1, hostname, its own network namespace, Docker's capabilities" {
	run docker run --network none --hostname box1 busybox sh -c 'echo $$; hostname; ip -o link | wc -l; grep CapEff /proc/self/status'
	echo "$output"
	[ "${lines[0]}" = 1 ]
	[ "${lines[1]}" = box1 ]
	[ "${lines[2]}" = 1 ]
	[[ ${lines[3]} == *00000000a80425fb ]]
}

@test "detached run, ps, logs, stop (143), kill (137), rm" {
	# --init: pid 1 is a reaper that passes SIGTERM on (a bare pid 1 ignores it)
	id=$(docker run -d --init --network none --name s1 busybox sh -c 'echo started; exec sleep 100')
	[[ $id =~ ^[0-9a-f]{64}$ ]]
	run docker ps --format '{{.Names}} {{.Status}}'
	[[ $output == "s1 Up"* ]]
	for i in $(seq 1 50); do docker logs s1 | grep -q started && break; sleep 0.1; done
	run docker logs s1
	[ "$output" = started ]
	run docker stop -t 1 s1
	[ "$output" = s1 ]
	run docker inspect -f '{{.State.Status}} {{.State.ExitCode}}' s1
	[ "$output" = "exited 143" ]
	docker start s1
	docker kill s1
	run docker wait s1
	[ "$output" = 137 ]
	run docker ps -a --filter name=s1 --format '{{.Status}}'
	[[ $output == "Exited (137)"* ]]
	docker rm s1
	run docker inspect s1
	[ "$status" -ne 0 ]
	[ -z "$(ls "$ROOT/containers")" ]
}

@test "rm of a running container needs force; --rm removes on exit" {
	docker run -d --network none --name r1 busybox sleep 100
	run docker rm r1
	[ "$status" -ne 0 ]
	[[ $output == *"container is running: stop the container before removing or force remove"* ]]
	docker rm -f r1
	run docker run --rm --network none --name r2 busybox true
	[ "$status" -eq 0 ]
	for i in $(seq 1 50); do docker inspect r2 >/dev/null 2>&1 || break; sleep 0.1; done
	! docker inspect r2 >/dev/null 2>&1
}

@test "bad input: unknown image, duplicate name, missing command, bad user, network mode" {
	run docker run --network none --pull never nosuchimage true
	echo "$output"
	[ "$status" -ne 0 ]
	[[ $output == *"No such image: nosuchimage"* ]]
	docker create --network none --name dup busybox true
	run docker create --network none --name dup busybox true
	[ "$status" -ne 0 ]
	[[ $output == *'The container name "/dup" is already in use'* ]]
	run -127 docker run --network none busybox nosuchcommand
	echo "$output"
	[ "$status" -eq 127 ]
	[[ $output == *nosuchcommand* ]]
	run docker run --network none -u nobodyatall busybox true
	[ "$status" -ne 0 ]
	[[ $output == *"unable to find user nobodyatall"* ]]
	run docker run --network nosuchnet busybox true
	[ "$status" -ne 0 ]
	[[ $output == *"network nosuchnet not found"* ]]
	run docker run --network none -m 1k busybox true
	[[ $output == *"Minimum memory limit allowed is 6MB"* ]]
}

@test "containers keep running while berthd restarts; exits while it is down are reported" {
	docker run -d --network none --name live busybox sleep 100
	docker run -d --network none --name short busybox sh -c 'sleep 1; exit 7'
	pid=$(docker inspect -f '{{.State.Pid}}' live)
	berthd_stop
	sleep 1.5
	kill -0 "$pid"
	berthd_start
	run docker inspect -f '{{.State.Status}} {{.State.Pid}}' live
	[ "$output" = "running $pid" ]
	run docker inspect -f '{{.State.Status}} {{.State.ExitCode}}' short
	[ "$output" = "exited 7" ]
	# sleep as pid 1 ignores SIGTERM, so stop ends in SIGKILL, as with Docker
	docker stop -t 1 live
	run docker inspect -f '{{.State.ExitCode}}' live
	[ "$output" = 137 ]
}

@test "commit makes an image from the writable layer; rename keeps the container" {
	docker run --network none --name maker busybox sh -c 'echo made > /made.txt'
	run docker commit -c 'ENV MADE=yes' -c 'CMD ["cat", "/made.txt"]' -m "from a test" maker made:v1
	echo "$output"
	[[ $output == sha256:* ]]
	run docker run --rm --network none made:v1
	[ "$output" = made ]
	# docker sends one changes= per -c: both apply
	run docker run --rm --network none made:v1 sh -c 'echo $MADE'
	[ "$output" = yes ]
	run docker history made:v1 --format '{{.Comment}}'
	[[ $output == *"from a test"* ]]
	docker rename maker maker2
	run docker inspect -f '{{.Name}}' maker2
	[ "$output" = /maker2 ]
	! docker inspect maker >/dev/null 2>&1
	docker create --network none --name other busybox true
	run docker rename maker2 other
	[ "$status" -ne 0 ]
	[[ $output == *'The container name "/other" is already in use'* ]]
}

@test "limits, user, read-only root, caps, binds and restart policies" {
	mkdir -p "$TMP/share"
	echo shared >"$TMP/share/f"
	run docker run --rm --network none -u nobody --read-only --cap-drop ALL \
		-v "$TMP/share:/share:ro" busybox sh -c 'id -u; cat /share/f; touch /x 2>&1; touch /share/y 2>&1; grep CapEff /proc/self/status'
	echo "$output"
	[ "${lines[0]}" = 65534 ]
	[ "${lines[1]}" = shared ]
	[[ ${lines[2]} == *"Read-only file system"* ]]
	[[ ${lines[3]} == *"Read-only file system"* ]]
	[[ ${lines[4]} == *0000000000000000 ]]
	run docker run --rm --network none --pids-limit 5 busybox sh -c 'for i in 1 2 3 4 5 6 7 8; do sleep 5 & done 2>&1; wait'
	echo "$output"
	[[ $output == *"can't fork"* || $output == *"Resource temporarily unavailable"* ]]
	if [ -d /sys/fs/cgroup/memory ] || [ -f /sys/fs/cgroup/cgroup.controllers ]; then
		run docker run --network none --name oom -m 8m busybox sh -c 'x=a; while true; do x=$x$x; done'
		[ "$status" -eq 137 ]
		run docker inspect -f '{{.State.OOMKilled}}' oom
		[ "$output" = true ]
	fi
	docker run -d --network none --name flaky --restart on-failure:2 busybox sh -c 'exit 5'
	# (up to 30 s: the restarts' back-off stretches on a loaded machine)
	for i in $(seq 1 300); do
		[ "$(docker inspect -f '{{.RestartCount}} {{.State.Status}}' flaky)" = "2 exited" ] && break
		sleep 0.1
	done
	run docker inspect -f '{{.RestartCount}} {{.State.Status}} {{.State.ExitCode}}' flaky
	[ "$output" = "2 exited 5" ]
}

@test "restart policies are applied after a daemon restart" {
	docker run -d --network none --name always1 --restart always busybox sh -c 'sleep 1; exit 2'
	docker run -d --network none --name unless1 --restart unless-stopped busybox sleep 100
	docker stop -t 1 unless1
	berthd_stop
	sleep 1.5
	berthd_start
	for i in $(seq 1 100); do
		[ "$(docker inspect -f '{{.State.Status}}' always1)" = running ] && break
		sleep 0.1
	done
	run docker inspect -f '{{.State.Status}}' always1
	[ "$output" = running ]
	# stopped by the user: unless-stopped leaves it so
	run docker inspect -f '{{.State.Status}}' unless1
	[ "$output" = exited ]
	docker rm -f always1 unless1
}

@test "more bad input, masked paths, exit 1, and nothing left after a refused start" {
	run docker run --network none --mount type=bind,source=/nonexistent-berth-src,target=/x busybox true
	[ "$status" -ne 0 ]
	[[ $output == *"bind source path does not exist: /nonexistent-berth-src"* ]]
	run docker run --network none --cpus 64 busybox true
	[ "$status" -ne 0 ]
	[[ $output == *"Range of CPUs is from 0.01 to"* ]]
	run docker run --network none busybox false
	[ "$status" -eq 1 ]
	# Docker's masked paths (kcore may not exist on this kernel) and read-only /proc/sys
	run docker run --rm --network none busybox sh -c 'if [ -e /proc/kcore ]; then wc -c < /proc/kcore; else echo absent; fi'
	[ "$output" = 0 ] || [ "$output" = absent ]
	run docker run --rm --network none busybox sh -c 'echo x > /proc/sys/kernel/domainname'
	[ "$status" -ne 0 ]
	[[ $output == *"Read-only file system"* ]]
	# a start that fails leaves no state dir, mount or cgroup behind
	docker create --network none --name broken busybox nosuchcommand
	run docker start broken
	[ "$status" -ne 0 ]
	[[ $output == *"executable file not found"* ]]
	[ -z "$(ls "$EXEC/containers" 2>/dev/null)" ]
	! grep -q "$TMP" /proc/self/mountinfo
	[ -z "$(find /sys/fs/cgroup/*/"$NS" -mindepth 1 -type d 2>/dev/null)" ]
}

@test "the image's config is honoured at run time: Env, Entrypoint, Cmd, WorkingDir, User, ExposedPorts, Labels, StopSignal" {
	docker import -c 'WORKDIR /tmp' -c 'USER nobody' -c 'EXPOSE 8080' -c 'ENV A=from-image' \
		-c 'ENTRYPOINT ["sh","-c"]' -c 'CMD ["echo default-cmd"]' -c 'LABEL team=net' \
		-c 'STOPSIGNAL SIGINT' "$BUSYBOX_TAR" cfg:1 >/dev/null
	[ "$(docker run --rm cfg:1)" = default-cmd ]
	[ "$(docker run --rm cfg:1 'pwd; id -u; echo $A')" = "$(printf '/tmp\n65534\nfrom-image')" ]
	# the container's own settings win
	[ "$(docker run --rm -w / -u 0 -e A=mine cfg:1 'pwd; id -u; echo $A')" = "$(printf '/\n0\nmine')" ]
	# exposed ports: in the container's config, published by -P
	docker run -d --name exposed -P --label own=1 cfg:1 'sleep 100' >/dev/null
	[ "$(docker inspect -f '{{json .Config.ExposedPorts}}' exposed)" = '{"8080/tcp":{}}' ]
	[[ $(docker port exposed) == "8080/tcp -> 0.0.0.0:"* ]]
	[ "$(docker inspect -f '{{.Config.Labels.team}} {{.Config.Labels.own}}' exposed)" = "net 1" ]
	[ "$(docker inspect -f '{{.Config.StopSignal}}' exposed)" = SIGINT ]
	docker rm -f exposed >/dev/null
}
