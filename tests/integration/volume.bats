#!/usr/bin/env bats
# volume.bats - volumes through the real docker CLI and berth: the /volumes
# API (create, ls, inspect, rm, prune), named volumes in -v and --mount,
# anonymous volumes and rm -v, copy-up of the image's content, --volumes-from
# and the tar backup/restore recipe, volumes in use, bad names.
#
#   root ns: docker/berth CLI ──unix socket──▶ $NS: berthd ──▶ berth-shim ──▶ container
#                                                  │                            │ bind
#                                                  └── $ROOT/volumes/<name>/_data ◀┘

load helpers
bats_require_minimum_version 1.5.0

setup_file() {
	busybox_build
}

setup() {
	berth_setup vol
	berthd_start
	docker import "$BUSYBOX_TAR" busybox:latest >/dev/null
}

teardown() {
	berth_teardown
}

@test "volume create, ls, inspect, rm through docker" {
	run docker volume create --label env=dev myvol
	[ "$status" -eq 0 ]
	[ "$output" = myvol ]
	run docker volume inspect -f '{{.Name}} {{.Driver}} {{.Scope}} {{.Mountpoint}} {{.Labels.env}}' myvol
	[ "$output" = "myvol local local $ROOT/volumes/myvol/_data dev" ]
	[ -d "$ROOT/volumes/myvol/_data" ]
	docker volume create other >/dev/null
	run docker volume ls --format '{{.Driver}} {{.Name}}'
	[[ $output == *"local myvol"* && $output == *"local other"* ]]
	run docker volume ls -q --filter label=env=dev
	[ "$output" = myvol ]
	run docker volume ls -q --filter name=oth
	[ "$output" = other ]
	# create is idempotent
	run docker volume create myvol
	[ "$status" -eq 0 ]
	anon=$(docker volume create)
	[[ $anon =~ ^[0-9a-f]{64}$ ]]
	docker volume rm myvol other "$anon"
	[ ! -e "$ROOT/volumes/myvol" ]
	run docker volume inspect myvol
	[ "$status" -ne 0 ]
	[[ $output == *"no such volume"* ]]
	run docker volume rm nosuch
	[ "$status" -ne 0 ]
	run docker volume rm -f nosuch
	[ "$status" -eq 0 ]
}

@test "bad names and drivers are refused" {
	run docker volume create 'bad/name'
	[ "$status" -ne 0 ]
	[[ $output == *'includes invalid characters for a local volume name'* ]]
	run docker volume create -d nosuchdriver x1
	[ "$status" -ne 0 ]
	[[ $output == *'plugin "nosuchdriver" not found'* ]]
	run docker run --rm --network none -v 'b@d:/data' busybox true
	[ "$status" -ne 0 ]
	[[ $output == *'includes invalid characters'* ]]
	run docker volume create -o bogus=1 x2
	[[ $output == *'invalid option key'* ]]
}

@test "data in a named volume survives the container; in-use volume refused (409)" {
	docker run --network none --name w1 -v data1:/data busybox sh -c 'echo kept > /data/f'
	run docker inspect -f '{{range .Mounts}}{{.Type}} {{.Name}} {{.Source}} {{.Destination}} {{.RW}}{{end}}' w1
	[ "$output" = "volume data1 $ROOT/volumes/data1/_data /data true" ]
	run docker volume rm data1
	[ "$status" -ne 0 ]
	[[ $output == *"remove data1: volume is in use - ["*"]"* ]]
	run docker volume ls -q --filter dangling=true
	[ -z "$output" ]
	docker rm w1
	run docker run --rm --network none --mount type=volume,source=data1,target=/d,readonly busybox sh -c 'cat /d/f; touch /d/x'
	[[ ${lines[0]} == kept ]]
	[[ $output == *"Read-only file system"* ]]
	run docker volume ls -q --filter dangling=true
	[ "$output" = data1 ]
	docker volume rm data1
}

@test "a new named volume is filled from the image" {
	run docker run --rm --network none -v etcvol:/etc busybox sh -c 'ls /etc'
	[[ $output == *passwd* ]]
	[ -f "$ROOT/volumes/etcvol/_data/passwd" ]
	# the volume's root takes the owner and mode of the image's /etc
	[ "$(stat -c %a "$ROOT/volumes/etcvol/_data")" = "$(docker run --rm --network none busybox stat -c %a /etc)" ]
	# not empty any more: nothing is copied over what is there
	docker run --rm --network none -v etcvol:/etc busybox rm /etc/passwd
	run docker run --rm --network none -v etcvol:/etc busybox ls /etc
	[[ $output != *passwd* ]]
	# nocopy
	run docker run --rm --network none --mount type=volume,source=empty1,target=/etc,volume-nocopy busybox ls /etc
	[[ $output != *passwd* ]]
	[ ! -e "$ROOT/volumes/empty1/_data/passwd" ]
}

@test "anonymous volumes: -v /path, --mount without source, rm -v keeps named ones" {
	docker create --network none --name a1 -v /anon -v named1:/named --mount type=volume,target=/anon2 busybox true
	run docker inspect -f '{{range .Mounts}}{{.Destination}}={{.Name}} {{end}}' a1
	echo "$output"
	[[ $output == *"/named=named1"* ]]
	anon=$(docker inspect -f '{{range .Mounts}}{{if eq .Destination "/anon"}}{{.Name}}{{end}}{{end}}' a1)
	[[ $anon =~ ^[0-9a-f]{64}$ ]]
	[ "$(docker volume ls -q | wc -l)" -eq 3 ]
	docker rm -v a1
	run docker volume ls -q
	[ "$output" = named1 ]
	# without -v the anonymous volume stays
	docker create --network none --name a2 -v /anon busybox true
	docker rm a2
	[ "$(docker volume ls -q | wc -l)" -eq 2 ]
	# --rm removes them
	docker run --rm --network none -v /scratch busybox true
	for i in $(seq 1 50); do [ "$(docker volume ls -q | wc -l)" -eq 2 ] && break; sleep 0.1; done
	[ "$(docker volume ls -q | wc -l)" -eq 2 ]
}

@test "volume prune removes unused volumes only" {
	docker volume create p1 >/dev/null
	docker volume create --label keep=1 p2 >/dev/null
	docker create --network none --name u1 -v p3:/x busybox true
	run docker volume prune -f --filter label!=keep
	echo "$output"
	[[ $output == *p1* && $output != *p2* && $output != *p3* ]]
	run docker volume ls -q
	[[ $output == *p2* && $output == *p3* && $output != *p1* ]]
}

@test "--volumes-from shares data; tar backup and restore" {
	docker create --network none --name data -v /data -v named2:/named busybox true
	docker run --rm --network none --volumes-from data busybox sh -c 'echo shared > /data/f; echo n > /named/g'
	run docker run --rm --network none --volumes-from data:ro busybox sh -c 'cat /data/f /named/g; touch /data/x'
	[ "${lines[0]}" = shared ]
	[ "${lines[1]}" = n ]
	[[ $output == *"Read-only file system"* ]]
	backup=$TMP/backup
	mkdir -p "$backup"
	docker run --rm --network none --volumes-from data -v "$backup":/backup busybox tar cf /backup/b.tar /data
	[ -s "$backup/b.tar" ]
	docker create --network none --name data2 -v /data busybox true
	docker run --rm --network none --volumes-from data2 -v "$backup":/backup busybox sh -c 'cd / && tar xf /backup/b.tar'
	run docker run --rm --network none --volumes-from data2 busybox cat /data/f
	[ "$output" = shared ]
	run docker create --network none --volumes-from nosuch busybox true
	[ "$status" -ne 0 ]
}

@test "bind mounts and tmpfs in inspect; volumes through a daemon restart" {
	mkdir -p "$TMP/host"
	echo hostfile > "$TMP/host/h"
	docker create --network none --name b1 -v "$TMP/host":/h:ro --mount type=tmpfs,target=/t -v keep1:/k busybox true
	run docker inspect -f '{{range .Mounts}}{{.Type}}:{{.Destination}}:{{.RW}} {{end}}' b1
	[[ $output == *"bind:/h:false"* && $output == *"tmpfs:/t:true"* && $output == *"volume:/k:true"* ]]
	run docker ps -a --format '{{.Mounts}}'
	[[ $output == *keep1* ]]
	berthd_stop
	berthd_start
	run docker volume inspect -f '{{.Name}}' keep1
	[ "$output" = keep1 ]
	run docker volume rm keep1
	[ "$status" -ne 0 ]
	run docker start -a b1
	[ "$status" -eq 0 ]
}

@test "berth volume create, ls, inspect, rm, prune" {
	run berth volume create --label a=b -o type=none bv1
	echo "$output"
	[ "$output" = bv1 ]
	run berth volume ls
	[[ ${lines[0]} == "DRIVER"*"VOLUME NAME" ]]
	[[ $output == *"local"*"bv1"* ]]
	run berth volume ls -q -f label=a=b
	[ "$output" = bv1 ]
	run berth volume inspect bv1
	[[ $output == *'"Mountpoint": "'"$ROOT"'/volumes/bv1/_data"'* ]]
	run berth volume ls --format '{{.Name}}/{{.Driver}}'
	[ "$output" = bv1/local ]
	berth volume create bv2 >/dev/null
	run berth volume rm bv1
	[ "$output" = bv1 ]
	run berth volume rm nosuch
	[ "$status" -ne 0 ]
	[[ $output == *"no such volume"* ]]
	run berth volume prune -f
	[[ $output == *bv2* ]]
	[[ $output == *"Total reclaimed space"* ]]
	[ -z "$(berth volume ls -q)" ]
}
