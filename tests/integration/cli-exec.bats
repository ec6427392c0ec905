#!/usr/bin/env bats
# cli-exec.bats - the berth CLI's exec, events, rename and commit against
# berthd: exec output and exit codes (0, 3, 127), -e/-w/-u, -d, -i with a
# pipe; events with --since/--until/--filter; rename; commit then run the
# committed image.
#
#   root ns: berth CLI ──unix socket──▶ $NS: berthd ──▶ berth-shim ──▶ container
#                                          (--network none: its own netns)

load helpers
bats_require_minimum_version 1.5.0

setup_file() {
	busybox_build
}

setup() {
	berth_setup cexec
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

# A running container named $1.
start_sleeper() {
	berth run -d --network none --name "$1" busybox sleep 1000 >/dev/null
}

@test "exec prints the output, stderr apart, and returns the exit code" {
	start_sleeper ct
	run berth exec ct echo hi
	[ "$status" -eq 0 ]
	[ "$output" = hi ]
	run --separate-stderr berth exec ct sh -c 'echo out; echo err >&2; exit 3'
	[ "$status" -eq 3 ]
	[ "$output" = out ]
	[ "$stderr" = err ]
	run -127 berth container exec ct nosuchcmd
	[[ "$output" == *nosuchcmd* ]]
	# flags after COMMAND belong to it
	run berth exec ct echo -n -w x
	[ "$output" = "-w x" ]
}

@test "exec -e, -w, -u reach the process" {
	start_sleeper ct
	export PASSED=yes
	run berth exec -e A=1 -e PASSED -w /tmp -u 1000 ct sh -c 'echo $A $PASSED; pwd; id -u'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "1 yes" ]
	[ "${lines[1]}" = /tmp ]
	[ "${lines[2]}" = 1000 ]
}

@test "exec -d runs in the background; -i passes stdin" {
	start_sleeper ct
	run berth exec -d ct sh -c 'echo done >/tmp/flag'
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	wait_for berth exec ct test -f /tmp/flag
	run bash -c 'echo hi | "$BERTH_BIN/berth" exec -i ct cat'
	[ "$status" -eq 0 ]
	[ "$output" = hi ]
}

@test "exec errors: unknown and stopped containers" {
	run berth exec nosuch true
	[ "$status" -eq 1 ]
	[[ "$output" == *"No such container: nosuch"* ]]
	berth create --network none --name idle busybox true >/dev/null
	run berth exec idle true
	[ "$status" -eq 1 ]
	[[ "$output" == *"is not running"* ]]
	run berth exec c
	[ "$status" -eq 1 ]
	[[ "$output" == *"requires at least 2 arguments"* ]]
}

@test "events with --since/--until and --filter" {
	local since
	since=$(date +%s)
	berth run --network none --name ev busybox true
	run berth events --since "$since" --until "$(($(date +%s) + 1))" \
		--filter type=container --filter event=start
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "${lines[0]}" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{9}(Z|[+-][0-9]{2}:[0-9]{2})\ container\ start\ [0-9a-f]{64}\ \(.*image=busybox.*name=ev.*\)$ ]]
	run berth system events --since "$since" --until "$(($(date +%s) + 1))" \
		--filter container=ev --filter event=die --format '{{.Status}} {{.Actor.Attributes.name}}'
	[ "$status" -eq 0 ]
	[ "$output" = "die ev" ]
}

@test "rename, then the new name works and the old one is gone" {
	start_sleeper old
	run berth rename old new
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	run berth exec new echo renamed
	[ "$output" = renamed ]
	run berth container rename new
	[ "$status" -eq 1 ]
	run berth inspect -f '{{.Name}}' old
	[ "$status" -eq 1 ]
}

@test "commit, then run the committed image" {
	start_sleeper ct
	berth exec ct sh -c 'echo committed >/marker'
	run berth commit -m snap -c 'CMD ["cat", "/marker"]' ct snap:v1
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^sha256:[0-9a-f]{64}$ ]]
	run berth run --rm --network none snap:v1
	[ "$status" -eq 0 ]
	[ "$output" = committed ]
	run berth container commit ct
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^sha256:[0-9a-f]{64}$ ]]
}
