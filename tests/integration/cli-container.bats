#!/usr/bin/env bats
# cli-container.bats - the berth CLI's container verbs against berthd:
# attached run (output, exit codes), -d with ps/logs/stop/kill/wait/rm,
# --rm, inspect -f, create/start, and docker's exit codes for errors
# (125 daemon error, 126 cannot execute, 127 not found).
#
#   root ns: berth CLI ──unix socket──▶ $NS: berthd ──▶ berth-shim ──▶ container
#                                          (--network none: its own netns)

load helpers
bats_require_minimum_version 1.5.0

setup_file() {
	busybox_build
}

setup() {
	berth_setup cctr
	berthd_start
	berth import "$BUSYBOX_TAR" busybox:latest >/dev/null
}

teardown() {
	berth_teardown
}

# wait_for CMD...: poll until CMD succeeds (5 s at most).
wait_for() {
	local i
	for i in $(seq 1 50); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

@test "run prints the output, stderr apart, and returns the exit code" {
	run berth run --network none busybox echo hi
	[ "$status" -eq 0 ]
	[ "$output" = hi ]
	run --separate-stderr berth run --network none busybox sh -c 'echo out; echo err >&2; exit 3'
	[ "$status" -eq 3 ]
	[ "$output" = out ]
	[ "$stderr" = err ]
	# flags after IMAGE belong to the command
	run berth container run --network none busybox echo -n -h x
	[ "$output" = "-h x" ]
}

@test "run flags reach the container: env, workdir, user, hostname, labels" {
	echo 'FROMFILE=1' >"$TMP/env"
	export PASSED=yes
	run berth run --network none -e A=1 -e PASSED --env-file "$TMP/env" -w /tmp -u 1000 \
		-h box1 -l k=v --name flags busybox sh -c 'echo $A $PASSED $FROMFILE; pwd; id -u; hostname'
	echo "$output"
	[ "${lines[0]}" = "1 yes 1" ]
	[ "${lines[1]}" = /tmp ]
	[ "${lines[2]}" = 1000 ]
	[ "${lines[3]}" = box1 ]
	run berth inspect -f '{{.Config.Labels.k}} {{.HostConfig.NetworkMode}}' flags
	[ "$output" = "v none" ]
}

@test "detached run, ps, logs, stop (143), start, kill (137), wait, rm" {
	run berth run -d --init --network none --name s1 busybox sh -c 'echo started; exec sleep 100'
	[ "$status" -eq 0 ]
	[[ $output =~ ^[0-9a-f]{64}$ ]]
	id=$output
	run berth ps
	[[ ${lines[0]} == "CONTAINER ID   IMAGE     COMMAND                  CREATED "*"STATUS "*"PORTS     NAMES" ]]
	[[ ${lines[1]} == "${id:0:12}   busybox   \"sh -c echo started;…\"   "*" ago "*"Up "*"   s1" ]]
	run berth ps -q
	[ "$output" = "${id:0:12}" ]
	run berth ps --no-trunc -q
	[ "$output" = "$id" ]
	run berth container ls --format '{{.Names}} {{.State}}'
	[ "$output" = "s1 running" ]
	wait_for sh -c "'$BERTH_BIN/berth' logs s1 | grep -q started"
	run berth logs s1
	[ "$output" = started ]
	run berth stop -t 1 s1
	[ "$output" = s1 ]
	run berth inspect -f '{{.State.Status}} {{.State.ExitCode}}' s1
	[ "$output" = "exited 143" ]
	run berth ps -a --filter name=s1 --format '{{.Status}}'
	[[ $output == "Exited (143)"* ]]
	run berth start s1
	[ "$output" = s1 ]
	run berth kill s1
	[ "$output" = s1 ]
	run berth wait s1
	[ "$output" = 137 ]
	run berth rm s1
	[ "$output" = s1 ]
	run berth ps -aq
	[ -z "$output" ]
}

@test "--rm removes the container when it exits" {
	run berth run --rm --network none --name r1 busybox sh -c 'echo bye; exit 5'
	[ "$status" -eq 5 ]
	[ "$output" = bye ]
	run berth container inspect r1
	[ "$status" -eq 1 ]
	[[ $output == *"No such container: r1"* ]]
}

@test "create, start -a, inspect -f, wait, rm -f" {
	run berth create --network none --name c1 busybox sh -c 'echo created-output; exit 2'
	[[ $output =~ ^[0-9a-f]{64}$ ]]
	run berth inspect -f '{{.State.Status}} {{.Name}} {{json .Config.Cmd}}' c1
	[ "$output" = 'created /c1 ["sh","-c","echo created-output; exit 2"]' ]
	run berth start -a c1
	[ "$status" -eq 2 ]
	[ "$output" = created-output ]
	run berth wait c1
	[ "$output" = 2 ]
	run berth rm -f c1 nosuch
	[ "$status" -eq 0 ]
	[[ $output == *c1* && $output == *"No such container: nosuch"* ]]
}

@test "errors: 125 from the daemon or bad flags, 127 not found, 126 not executable" {
	run -125 berth run --network none nosuchimage true
	[[ $output == "berth: Error response from daemon: No such image: nosuchimage"* ]]
	[[ $output == *"Run 'berth run --help' for more information"* ]]
	run -125 berth run --network nosuchnet busybox true
	[[ $output == *"network nosuchnet not found"* ]]
	run -125 berth run --network none -m 1x busybox true
	[[ $output == *"invalid suffix: 'x'"* ]]
	run -125 berth run --nosuchflag busybox true
	[[ $output == *"unknown flag: --nosuchflag"* ]]
	run -125 berth run --rm --restart always --network none busybox true
	[[ $output == *"conflicting options"* ]]
	run -127 berth run --network none busybox nosuchcommand
	[[ $output == *"executable file not found"* ]]
	run -126 berth run --network none busybox /etc
	run -1 berth stop nosuch
	[ "$output" = "Error response from daemon: No such container: nosuch" ]
	run -1 berth inspect nosuch
	[[ $output == *"No such object: nosuch"* ]]
	run -1 berth run
	[[ $output == *'"berth run" requires at least 1 argument.'* ]]
}

@test "generic inspect falls back to images and networks; port prints nothing" {
	run berth inspect -f '{{.Id}}' busybox
	[[ $output == sha256:* ]]
	run berth inspect -f '{{.Name}}' none
	[ "$output" = none ]
	run berth inspect --type network -f '{{.Driver}}' host
	[ "$output" = host ]
	berth create --network none --name p1 busybox true >/dev/null
	run berth port p1
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "restart and kill -s go through; logs --tail and -t" {
	berth run -d --init --network none --name k1 busybox sh -c 'echo a; echo b; echo c; exec sleep 100' >/dev/null
	wait_for sh -c "'$BERTH_BIN/berth' logs k1 | grep -q c"
	run berth logs --tail 1 k1
	[ "$output" = c ]
	run berth logs -t --tail 2 k1
	[[ ${lines[0]} =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T.*Z\ b$ ]]
	run berth restart -t 1 k1
	[ "$output" = k1 ]
	run berth inspect -f '{{.State.Running}}' k1
	[ "$output" = true ]
	run berth kill -s TERM k1
	[ "$output" = k1 ]
	run berth wait k1
	[ "$output" = 143 ]
}
