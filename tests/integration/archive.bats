#!/usr/bin/env bats
# archive.bats - docker export and docker cp, in and out of running and
# stopped containers.  The files are reached by a `berth-shim --fs-tar|
# --fs-untar` helper that joins a running container's mount namespace or
# mounts a stopped one's overlay in a private mount namespace of its own:
# after every test the host's mount table is unchanged and no helper is
# left.
#
#   root ns: docker CLI ──unix socket──▶ $NS: berthd ──spawn──▶ berth-shim --fs-tar
#                                                                 ├─ setns(container's mnt ns)
#                                                                 └─ unshare(mnt) + overlay ro/rw

load helpers
bats_require_minimum_version 1.5.0

setup_file() {
	busybox_build
}

setup() {
	berth_setup arc
	host_mounts >"$TMP/mounts.before"
	berthd_start
	docker import "$BUSYBOX_TAR" busybox:latest >/dev/null
	OUT=$TMP/out
	mkdir -p "$OUT"
}

teardown() {
	berth_teardown
}

# the host's mount points, but the netns files other bats files add and
# remove meanwhile (ip netns, and sandboxes of other daemons' containers)
host_mounts() {
	cut -d" " -f5 /proc/self/mountinfo | grep -v -e '^/run/netns/' -e '/exec/netns/'
}

# no new mounts on the host and no file system helper left running
check_clean() {
	host_mounts | diff "$TMP/mounts.before" -
	! grep -q "$TMP" /proc/self/mountinfo
	! ps -eo args | grep -v grep | grep -q -- '--fs-\(un\)\?tar'
}

# start a container that wrote /data/hello and keeps running
run_writer() {
	docker run -d --network none --name "$1" busybox sh -c \
		'mkdir -p /data/sub && echo hello >/data/hello && echo deep >/data/sub/f && exec sleep 100' >/dev/null
	for i in $(seq 1 50); do
		docker exec "$1" test -f /data/sub/f 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

@test "export of a stopped and of a running container" {
	docker run --network none --name st busybox sh -c 'echo bye >/written' >/dev/null
	docker export -o "$OUT/st.tar" st
	run tar tf "$OUT/st.tar"
	[[ $output == *bin/busybox* ]]
	[[ $output == *written* ]]
	[ "$(tar xOf "$OUT/st.tar" written)" = bye ]
	check_clean

	run_writer ru
	docker export ru >"$OUT/ru.tar"
	run tar tf "$OUT/ru.tar"
	[[ $output == *bin/busybox* ]]
	[[ $output == *data/hello* ]]
	# no /proc contents from the running container's mounts
	! grep -q '^proc/self' <<<"$output"
	check_clean
}

@test "cp out of a file and a directory; a missing path is an error" {
	run_writer c1
	docker cp c1:/data/hello "$OUT/hello"
	[ "$(cat "$OUT/hello")" = hello ]
	docker cp c1:/data "$OUT/d"
	[ "$(cat "$OUT/d/sub/f")" = deep ]
	run docker cp c1:/nope "$OUT/x"
	[ "$status" -ne 0 ]
	[[ $output == *"Could not find the file /nope in container c1"* ]]
	run api GET "/containers/c1/archive?path=/nope"
	[[ $output == *"HTTP 404"* ]]
	run curl -sI --unix-socket "$SOCK" "http://localhost/containers/c1/archive?path=/data/hello"
	stat=$(grep -i '^X-Docker-Container-Path-Stat' <<<"$output" | cut -d' ' -f2 | tr -d '\r' | base64 -d)
	[[ $stat == *'"name":"hello"'* && $stat == *'"size":6'* ]]
	docker stop -t 0 c1 >/dev/null
	docker cp c1:/data/sub/f "$OUT/f2"
	[ "$(cat "$OUT/f2")" = deep ]
	check_clean
}

@test "cp into a running and into a stopped container" {
	echo in-run >"$TMP/in1"
	mkdir -p "$TMP/dir1" && echo nested >"$TMP/dir1/n"
	run_writer c2
	docker cp "$TMP/in1" c2:/data/
	docker cp "$TMP/dir1" c2:/data/
	[ "$(docker exec c2 cat /data/in1)" = in-run ]
	[ "$(docker exec c2 cat /data/dir1/n)" = nested ]
	run docker cp "$TMP/in1" c2:/missing/dir/
	[ "$status" -ne 0 ]
	docker stop -t 0 c2 >/dev/null
	echo in-stopped >"$TMP/in2"
	docker cp "$TMP/in2" c2:/data/
	docker start c2 >/dev/null
	[ "$(docker exec c2 cat /data/in2)" = in-stopped ]
	[ "$(docker exec c2 cat /data/in1)" = in-run ]
	docker create --network none --name c3 busybox true >/dev/null
	docker cp "$TMP/in2" c3:/
	docker cp c3:/in2 "$OUT/back"
	[ "$(cat "$OUT/back")" = in-stopped ]
	check_clean
}

@test "a tar escaping the destination is refused" {
	run_writer c4
	python3 - "$TMP/evil.tar" <<'PY'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w") as t:
    i = tarfile.TarInfo("../../escaped"); i.size = 4
    t.addfile(i, io.BytesIO(b"bad\n"))
PY
	run docker cp - c4:/data <"$TMP/evil.tar"
	[ "$status" -ne 0 ]
	run docker exec c4 ls /escaped
	[ "$status" -ne 0 ]
	docker stop -t 0 c4 >/dev/null
	run docker cp - c4:/data <"$TMP/evil.tar"
	[ "$status" -ne 0 ]
	[ ! -e "$ROOT/containers/escaped" ]
	check_clean
}

@test "berth export and berth cp" {
	run_writer b1
	berth export -o "$OUT/b1.tar" b1
	tar tf "$OUT/b1.tar" | grep -q '^data/hello$'
	berth cp b1:/data/hello "$OUT/h"
	[ "$(cat "$OUT/h")" = hello ]
	berth cp b1:/data "$OUT/dd"
	[ "$(cat "$OUT/dd/sub/f")" = deep ]
	berth cp b1:/data/sub - | tar tf - | grep -q '^sub/f$'
	echo local >"$TMP/l1"
	berth cp "$TMP/l1" b1:/data/renamed
	berth cp "$TMP/l1" b1:/data/sub
	[ "$(docker exec b1 cat /data/renamed)" = local ]
	[ "$(docker exec b1 cat /data/sub/l1)" = local ]
	tar -C "$TMP" -cf - l1 | berth cp - b1:/
	[ "$(docker exec b1 cat /l1)" = local ]
	run berth cp b1:/nope "$OUT/n"
	[ "$status" -ne 0 ]
	[[ $output == *"Could not find the file /nope in container b1"* ]]
	check_clean
}
