#!/usr/bin/env bats
# exec.bats - exec and attach through the real docker CLI and docker-py:
# output and exit codes, env/cwd/user, detached exec, TTYs driven through a
# pty (script(1)), stdin piped into `run -i`, detaching from an attach with
# ctrl-p ctrl-q, and the 409 for a stopped container.
#
#   root ns: docker CLI ──unix socket──▶ $NS: berthd ──▶ berth-shim ──▶ container
#                  ▲  101 hijack (stdin ▲, output ▼)        │ fork+setns: exec
#                  └──────── stdio fds (SCM_RIGHTS) ◀───────┘

load helpers
bats_require_minimum_version 1.5.0

setup_file() {
	busybox_build
}

setup() {
	berth_setup exec
	berthd_start
	docker import "$BUSYBOX_TAR" busybox:latest >/dev/null
	docker run -d --init --network none --name c1 busybox sleep 1000 >/dev/null
}

teardown() {
	berth_teardown
}

# in_pty CMD: run CMD (a shell string) on a pty, stdin from ours.
in_pty() {
	script -qec "$1" /dev/null
}

@test "exec prints the output and returns the exit code" {
	run docker exec c1 echo hi
	[ "$status" -eq 0 ]
	[ "$output" = hi ]
	run docker exec c1 sh -c 'echo out; echo err >&2; exit 3'
	[ "$status" -eq 3 ]
	[[ $output == *out* && $output == *err* ]]
	run -127 docker exec c1 nonexistent
	[ "$status" -eq 127 ]
}

@test "exec joins the container: pid namespace, hostname, cgroup" {
	run docker exec c1 sh -c 'ps -o pid,comm | grep -c "sleep"; hostname; cat /proc/self/cgroup'
	echo "$output"
	[ "${lines[0]}" = 1 ]
	[ "${lines[1]}" = "$(docker inspect -f '{{.Id}}' c1 | cut -c1-12)" ]
	[ "${lines[2]}" = "$(docker exec c1 cat /proc/1/cgroup | head -1)" ]
	run docker exec c1 sh -c 'grep CapEff /proc/self/status'
	[[ $output == *00000000a80425fb ]]
}

@test "exec -e -w -u" {
	run docker exec -e X=1 -w /tmp -u nobody c1 sh -c 'echo $X; pwd; id -u'
	echo "$output"
	[ "${lines[0]}" = 1 ]
	[ "${lines[1]}" = /tmp ]
	[ "${lines[2]}" = 65534 ]
}

@test "exec -d runs in the background; inspect shows the exit code" {
	run docker exec -d c1 sh -c 'echo done > /tmp/bg'
	[ "$status" -eq 0 ]
	for i in $(seq 1 50); do docker exec c1 cat /tmp/bg 2>/dev/null | grep -q done && break; sleep 0.1; done
	run docker exec c1 cat /tmp/bg
	[ "$output" = done ]
	eid=$(api POST /containers/c1/exec '{"Cmd":["sh","-c","exit 5"]}' | head -1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["Id"])')
	run api GET /exec/$eid/json
	[[ $output == *'"ExitCode":null'* && $output == *'"Running":false'* ]]
	api POST /exec/$eid/start '{"Detach":true}'
	for i in $(seq 1 50); do api GET /exec/$eid/json | grep -q '"ExitCode":5' && break; sleep 0.1; done
	run api GET /exec/$eid/json
	[[ $output == *'"ExitCode":5'* && $output == *'"ContainerID"'* ]]
}

@test "exec -t and -it on a pty" {
	run in_pty "docker exec -t c1 sh -c 'tty; echo out; echo err >&2'"
	echo "$output"
	[[ $output == *"/dev/pts/"* || $output == *"not a tty"* ]]
	[[ $output == *$'out\r'* && $output == *$'err\r'* ]]
	run bash -c "{ sleep 0.5; echo 'echo \$((6*7))'; sleep 0.5; echo exit; } | script -qec 'docker exec -it c1 sh' /dev/null"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *42* ]]
}

@test "run -it on a pty, run -i with stdin piped" {
	run bash -c "{ sleep 1; echo 'echo \$((6*7))'; sleep 0.5; echo exit; } | script -qec 'docker run -it --network none busybox sh' /dev/null"
	echo "$output"
	[[ $output == *42* ]]
	run bash -c 'echo hello | docker run -i --network none busybox cat'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = hello ]
}

@test "attach, then detach with ctrl-p ctrl-q; the container runs on" {
	docker run -d -it --network none --name a1 busybox sh >/dev/null
	run bash -c "{ sleep 0.5; echo 'echo hi-\$((40+2))'; sleep 0.5; printf '\x10\x11'; sleep 1; } | script -qec 'docker attach a1' /dev/null"
	echo "$output"
	[[ $output == *hi-42* ]]
	run docker inspect -f '{{.State.Running}}' a1
	[ "$output" = true ]
	api POST '/containers/a1/resize?h=30&w=100' | grep -q 'HTTP 200'
	run docker exec a1 sh -c 'stty size < /dev/console'
	echo "$output"
}

@test "exec into a stopped container is a 409" {
	docker stop -t 1 c1 >/dev/null
	run api POST /containers/c1/exec '{"Cmd":["true"]}'
	[[ $output == *"is not running"* && $output == *"HTTP 409"* ]]
	run docker exec c1 true
	[ "$status" -ne 0 ]
	run api POST /containers/nope/exec '{"Cmd":["true"]}'
	[[ $output == *"HTTP 404"* ]]
}

@test "docker-py exec_run" {
	run /usr/bin/python3 - <<'PY'
import docker
cl = docker.from_env()
c = cl.containers.get("c1")
r = c.exec_run("echo hi")
print(repr(r.output), r.exit_code)
assert r.output == b"hi\n", r.output
assert r.exit_code == 0
r = c.exec_run(["sh", "-c", "echo err >&2; exit 4"], demux=True)
print(repr(r.output), r.exit_code)
assert r.exit_code == 4 and r.output[1] == b"err\n"
PY
	echo "$output"
	[ "$status" -eq 0 ]
}
