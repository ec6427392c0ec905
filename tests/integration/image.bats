#!/usr/bin/env bats
# image.bats - images through the berth CLI, the docker CLI (chunked import
# bodies) and the raw API: import of the busybox root file system, images,
# inspect, tag, rmi, layers shared between images, names with '/', and a
# malicious tarball refused without leaving anything under <root>/layers.
#
#   root ns: bats, berth CLI, docker CLI ──unix socket──▶ $NS: berthd --root $ROOT
#                                                            └─ $ROOT/layers/<diff id>/

load helpers

setup() {
	berth_setup img
	berthd_start
	BUSYBOX_TAR=$TMP/busybox.tar
	"$BATS_TEST_DIRNAME/../../scripts/mk-busybox-rootfs.sh" "$BUSYBOX_TAR"
}

teardown() {
	berth_teardown
}

# layer directories under the root
layer_dirs() {
	find "$ROOT/layers" -mindepth 1 -maxdepth 1 -type d | wc -l
}

# json FILTER: read JSON on stdin, print the python expression's value
json() {
	python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"
}

@test "berth import: the busybox tarball becomes busybox:latest" {
	run berth import -c 'CMD ["/bin/sh"]' -c 'ENV PATH=/bin:/usr/bin' -m demo "$BUSYBOX_TAR" busybox:latest
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == sha256:* ]]
	id=$output
	# the layer id is the sha256 of the tarball
	layer=sha256:$(sha256sum "$BUSYBOX_TAR" | cut -d' ' -f1)
	run berth image inspect -f '{{json .RootFS.Layers}} {{json .Config.Cmd}} {{.Comment}}' busybox
	echo "$output"
	[ "$output" = "[\"$layer\"] [\"/bin/sh\"] demo" ]
	[ -x "$ROOT/layers/${layer#sha256:}/bin/busybox" ]
	[ "$(readlink "$ROOT/layers/${layer#sha256:}/bin/sh")" = /bin/busybox ]
	[ "$(stat -c %a "$ROOT/layers/${layer#sha256:}/tmp")" = 1777 ]
	run berth images
	echo "$output"
	[[ ${lines[0]} == "REPOSITORY"*"TAG"*"IMAGE ID"*"CREATED"*"SIZE" ]]
	[[ ${lines[1]} == "busybox"*"latest"*"${id:7:12}"*"MB" ]]
	run berth image ls -q
	[ "$output" = "${id:7:12}" ]
}

@test "docker import (chunked body) and docker images, inspect, tag, rmi" {
	run docker import -c 'CMD ["/bin/sh"]' "$BUSYBOX_TAR" bb:v1
	echo "$output"
	[ "$status" -eq 0 ]
	id=$output
	[[ $id == sha256:* ]]
	run docker images --format '{{.Repository}}:{{.Tag}} {{.ID}}'
	[ "$output" = "bb:v1 ${id:7:12}" ]
	run docker inspect -f '{{.Id}} {{.Os}} {{json .Config.Cmd}}' bb:v1
	echo "$output"
	[ "$output" = "$id linux [\"/bin/sh\"]" ]
	run docker tag bb:v1 localhost:5000/team/bb:v2
	[ "$status" -eq 0 ]
	run docker image inspect -f '{{json .RepoTags}}' localhost:5000/team/bb:v2
	echo "$output"
	[ "$output" = '["bb:v1","localhost:5000/team/bb:v2"]' ]
	run docker images --filter reference='localhost:5000/*/*' --format '{{.Repository}}'
	[ "$output" = localhost:5000/team/bb ]
	# untag while another tag remains, then delete with the last one
	run docker rmi bb:v1
	echo "$output"
	[ "$output" = "Untagged: bb:v1" ]
	[ "$(layer_dirs)" -eq 1 ]
	run docker rmi localhost:5000/team/bb:v2
	echo "$output"
	[ "${lines[0]}" = "Untagged: localhost:5000/team/bb:v2" ]
	[ "${lines[1]}" = "Deleted: $id" ]
	[ "$(layer_dirs)" -eq 0 ]
	run docker rmi nosuch
	[ "$status" -ne 0 ]
	[[ $output == *"No such image: nosuch"* ]]
	run docker rmi -f nosuch
	[ "$status" -eq 0 ]
}

@test "two images share one layer until the last one goes" {
	a=$(berth import "$BUSYBOX_TAR" a:1)
	b=$(berth import "$BUSYBOX_TAR" b:1)
	[ "$a" != "$b" ]
	[ "$(layer_dirs)" -eq 1 ]
	run berth rmi a:1
	[ "$status" -eq 0 ]
	[ "$(layer_dirs)" -eq 1 ]
	# removal by id prefix
	run berth rmi "${b:7:12}"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"Deleted: $b"* ]]
	[ "$(layer_dirs)" -eq 0 ]
}

@test "tags move; names with '/' through the raw API" {
	berth import "$BUSYBOX_TAR" x:1 >/dev/null
	y=$(berth import "$BUSYBOX_TAR" y:1)
	run berth tag y:1 x:1
	[ "$status" -eq 0 ]
	run api GET /v1.41/images/x:1/json
	[[ $(echo "${lines[0]}" | json 'd["Id"]') == "$y" ]]
	run api POST "/v1.41/images/y:1/tag?repo=docker.io/library/plain&tag=t"
	[ "${lines[-1]}" = "HTTP 201" ]
	run api GET /v1.41/images/library/plain:t/json
	[ "${lines[-1]}" = "HTTP 200" ]
	[[ $(echo "${lines[0]}" | json 'd["RepoTags"]') == *"'plain:t'"* ]]
	run api GET /v1.41/images/localhost:5000/nosuch/json
	[ "${lines[-1]}" = "HTTP 404" ]
	[[ $(echo "${lines[0]}" | json 'd["message"]') == "No such image: localhost:5000/nosuch" ]]
	run api GET '/v1.41/images/json?filters=%7B%22dangling%22%3A%5B%22true%22%5D%7D'
	[ "$(echo "${lines[0]}" | json 'len(d)')" -eq 1 ]
	run api POST "/v1.41/images/y:1/tag?repo=Upper"
	[ "${lines[-1]}" = "HTTP 400" ]
	[[ ${lines[0]} == *"must be lowercase"* ]]
}

@test "a malicious tarball is refused and leaves nothing under the layers" {
	python3 - "$TMP" <<'PY'
import io, sys, tarfile
d = sys.argv[1]
def add(t, name, data=b"x", **kw):
    i = tarfile.TarInfo(name)
    for k, v in kw.items():
        setattr(i, k, v)
    if i.type == tarfile.REGTYPE:
        i.size = len(data)
        t.addfile(i, io.BytesIO(data))
    else:
        t.addfile(i)
with tarfile.open(f"{d}/dotdot.tar", "w") as t:
    add(t, "ok")
    add(t, "../escaped")
with tarfile.open(f"{d}/symlink.tar", "w") as t:
    add(t, "evil", type=tarfile.SYMTYPE, linkname=d)
    add(t, "evil/escaped")
with tarfile.open(f"{d}/hardlink.tar", "w") as t:
    add(t, "link", type=tarfile.LNKTYPE, linkname="../../../../etc/passwd")
PY
	for t in dotdot symlink hardlink; do
		run berth import "$TMP/$t.tar" evil
		echo "$t: $output"
		[ "$status" -ne 0 ]
		[[ $output == "Error response from daemon: refusing "* ]]
		[ -z "$(ls -A "$ROOT/layers" | grep -v '\.json$')" ]
	done
	[ ! -e "$TMP/escaped" ]
	[ ! -e "$(dirname "$TMP")/escaped" ]
	run docker import "$TMP/symlink.tar" evil
	[ "$status" -ne 0 ]
	[[ $output == *"refusing evil/escaped"* ]]
	run berth images -q
	[ -z "$output" ]
	# not a tarball at all
	head -c 10000 /dev/urandom >"$TMP/junk.tar"
	run berth import "$TMP/junk.tar" junk
	[ "$status" -ne 0 ]
	[ -z "$(ls -A "$ROOT/layers")" ]
}

@test "a pull from a registry that is not there fails clearly; images survive a restart" {
	# (nothing listens on that port in the test's namespace; registry.bats
	# pulls from a real registry)
	run api POST '/v1.41/images/create?fromImage=127.0.0.1:1/library/busybox&tag=latest'
	echo "$output"
	[ "${lines[-1]}" = "HTTP 500" ]
	[[ ${lines[0]} == *"127.0.0.1:1"* ]]
	[ -z "$(ls "$ROOT/tmp")" ]
	id=$(berth import -c 'CMD ["/bin/sh"]' "$BUSYBOX_TAR" busybox)
	berthd_stop
	berthd_start
	run berth image inspect -f '{{.Id}} {{json .Config.Cmd}}' busybox:latest
	[ "$output" = "$id [\"/bin/sh\"]" ]
	[ "$(layer_dirs)" -eq 1 ]
}

@test "image prune: dangling images by default, every unused one with -a, filters, a used image and shared layers kept" {
	t0=$(date +%s)
	docker import "$BUSYBOX_TAR" keep:1 >/dev/null
	# an untagged image sharing keep:1's layer, one with a layer of its own
	docker import -c 'LABEL team=net' "$BUSYBOX_TAR" >/dev/null
	mkdir -p "$TMP/x"
	head -c 4096 /dev/urandom >"$TMP/x/f"
	tar -C "$TMP/x" -cf "$TMP/x.tar" f
	own=$(docker import "$TMP/x.tar")
	own_layer=$(docker inspect -f '{{index .RootFS.Layers 0}}' "$own")
	[ "$(layer_dirs)" -eq 2 ]
	# a bad filter: 400, nothing removed
	run api POST '/images/prune?filters=%7B%22bogus%22%3A%5B%221%22%5D%7D'
	[ "${lines[-1]}" = "HTTP 400" ]
	run api POST '/images/prune?filters=%7B%22dangling%22%3A%5B%22maybe%22%5D%7D'
	[ "${lines[-1]}" = "HTTP 400" ]
	[ "$(docker images -aq | wc -l)" -eq 3 ]
	# label!=team=net keeps the labelled dangling one
	run docker image prune -f --filter 'label!=team=net'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"deleted: $own"* ]]
	[ "$(docker images -aq | wc -l)" -eq 2 ]
	[ ! -d "$ROOT/layers/${own_layer#sha256:}" ]
	# the API: the shared layer stays (keep:1 has it), so nothing reclaimed
	run api POST '/images/prune'
	echo "$output"
	[ "${lines[-1]}" = "HTTP 200" ]
	[[ ${lines[0]} == *'"ImagesDeleted":[{"Deleted":"sha256:'* ]]
	[[ ${lines[0]} == *'"SpaceReclaimed":0'* ]]
	[ "$(layer_dirs)" -eq 1 ]
	# nothing dangling left: ImagesDeleted is null
	run api POST '/images/prune'
	[[ ${lines[0]} == *'"ImagesDeleted":null'* ]]
	# -a: tagged images go too, but not one a (stopped) container uses
	docker import "$TMP/x.tar" used:1 >/dev/null
	docker create --name user --network none used:1 true >/dev/null
	run docker image prune -a -f
	echo "$output"
	[[ $output == *"untagged: keep:1"* ]]
	[[ $output == *"Total reclaimed space: 1.98"*"MB"* ]]
	[ "$(docker images --format '{{.Repository}}')" = used ]
	# until: an image newer than the time given stays
	docker rm user >/dev/null
	run docker image prune -a -f --filter until=2000-01-01T00:00:00Z
	[ "$(docker images --format '{{.Repository}}')" = used ]
	run berth image prune -a -f
	echo "$output"
	[[ $output == *"untagged: used:1"* ]]
	[ -z "$(docker images -aq)" ]
	[ "$(layer_dirs)" -eq 0 ]
	# the events: untag, delete, prune with what was reclaimed
	run docker events --since "$t0" --until "$(($(date +%s) + 1))" --filter type=image --filter event=prune
	echo "$output"
	[[ $output == *"image prune"*"reclaimed="* ]]
}

@test "berth history: the layers of an image and the ones it was committed from" {
	berth import -c 'CMD ["sh"]' -m "busybox rootfs" "$BUSYBOX_TAR" base:1 >/dev/null
	base=$(docker inspect -f '{{.Id}}' base:1)
	docker run --name hc --network none base:1 sh -c 'echo x >/f' >/dev/null
	docker commit -m "added /f" hc child:1 >/dev/null
	child=$(docker inspect -f '{{.Id}}' child:1)
	docker rm hc >/dev/null
	run berth history child:1
	echo "$output"
	[ "$status" -eq 0 ]
	[[ ${lines[0]} == "IMAGE"*"CREATED"*"CREATED BY"*"SIZE"*"COMMENT" ]]
	[[ ${lines[1]} == "${child:7:12}"*"ago"*"berth commit"*"added /f" ]]
	[[ ${lines[2]} == "${base:7:12}"*"berth import"*"1.98MB"*"busybox rootfs" ]]
	[ "$(berth history -q child:1)" = "$(printf '%s\n%s' "${child:7:12}" "${base:7:12}")" ]
	run berth history --no-trunc --human=false base:1
	[[ ${lines[1]} == "$base "*T*" berth import"*" $(docker inspect -f '{{.Size}}' base:1) "* ]]
	[ "$(berth image history --format '{{.ID}}|{{.Comment}}' base:1)" = "${base:7:12}|busybox rootfs" ]
	run berth history nosuch:1
	[ "$status" -ne 0 ]
	[[ $output == *"No such image: nosuch:1"* ]]
}
