#!/usr/bin/env bats
# image.bats - images through the berth CLI, the docker CLI (chunked import
# bodies) and the raw API: import of the busybox root file system, images,
# inspect, tag, rmi, layers shared between images, names with '/', a
# malicious tarball refused without leaving anything under <root>/layers,
# image prune (what goes, what stays on disk, SpaceReclaimed, events).
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

# prune_q JSON: the filters query parameter, URL-encoded
prune_q() {
	python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$1"
}

# layer_size ID: the size the layer store recorded for a layer
layer_size() {
	json 'd["Size"]' <"$ROOT/layers/${1#sha256:}.json"
}

# own_layer_tar FILE: a tarball whose layer no other image has
own_layer_tar() {
	local d=$TMP/own.$$.$RANDOM
	mkdir -p "$d"
	head -c 4096 /dev/urandom >"$d/f"
	tar -C "$d" -cf "$1" f
	rm -rf "$d"
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

@test "image prune: dangling images go, tagged ones stay; a shared layer stays, an unshared one goes and is what SpaceReclaimed counts; events" {
	t0=$(date +%s)
	keep=$(docker import "$BUSYBOX_TAR" keep:1)
	bb_layer=$(docker inspect -f '{{index .RootFS.Layers 0}}' keep:1)
	# untagged: one on keep:1's layer (labelled), one with a layer of its own
	shared=$(docker import -c 'LABEL team=net' "$BUSYBOX_TAR")
	own_layer_tar "$TMP/x.tar"
	own=$(docker import "$TMP/x.tar")
	own_layer=$(docker inspect -f '{{index .RootFS.Layers 0}}' "$own")
	size=$(layer_size "$own_layer")
	[ "$size" -gt 0 ]
	[ "$(layer_dirs)" -eq 2 ]
	# the API with label!: the labelled one stays; the other goes with its layer
	run api POST "/v1.41/images/prune?filters=$(prune_q '{"label!":["team=net"]}')"
	echo "$output"
	[ "${lines[-1]}" = "HTTP 200" ]
	[ "$(echo "${lines[0]}" | json 'd["ImagesDeleted"]')" = "[{'Deleted': '$own'}, {'Deleted': '$own_layer'}]" ]
	[ "$(echo "${lines[0]}" | json 'd["SpaceReclaimed"]')" -eq "$size" ]
	[ ! -e "$ROOT/layers/${own_layer#sha256:}" ]
	[ ! -e "$ROOT/layers/${own_layer#sha256:}.json" ]
	# the docker CLI: the labelled one goes; its layer is keep:1's, so it stays
	run docker image prune -f
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"deleted: $shared"* ]]
	[[ $output == *"Total reclaimed space: 0B"* ]]
	[ -d "$ROOT/layers/${bb_layer#sha256:}" ]
	[ "$(docker images -aq --no-trunc)" = "$keep" ]
	# nothing dangling left: ImagesDeleted is null, as Docker sends it
	run api POST /images/prune
	[ "${lines[0]}" = '{"ImagesDeleted":null,"SpaceReclaimed":0}' ]
	# events: delete per image (as rmi), then prune with what was reclaimed
	run docker events --since "$t0" --until "$(($(date +%s) + 1))" --filter type=image \
		--format '{{.Action}} {{.Actor.ID}} {{index .Actor.Attributes "reclaimed"}}'
	echo "$output"
	[[ $output == *"delete $own "* ]]
	[[ $output == *"delete $shared "* ]]
	[[ $output == *"prune  $size"*"prune  0"*"prune  0"* ]]
}

@test "image prune -a: unused tagged images go, not one a stopped container uses; label and until filters" {
	t0=$(date +%s)
	docker import "$BUSYBOX_TAR" base:1 >/dev/null
	bb_layer=$(docker inspect -f '{{index .RootFS.Layers 0}}' base:1)
	docker import -c 'LABEL tier=tmp' "$BUSYBOX_TAR" tmp:1 >/dev/null
	own_layer_tar "$TMP/x.tar"
	docker import -c 'LABEL tier=tmp' "$TMP/x.tar" used:1 >/dev/null
	used_layer=$(docker inspect -f '{{index .RootFS.Layers 0}}' used:1)
	docker create --name user --network none used:1 true >/dev/null
	own_layer_tar "$TMP/y.tar"
	tmp2=$(docker import -c 'LABEL tier=tmp' "$TMP/y.tar" tmp:2)
	tmp2_layer=$(docker inspect -f '{{index .RootFS.Layers 0}}' tmp:2)
	docker tag tmp:2 tmp:alias
	# until in the past of every image: nothing goes
	run docker image prune -a -f --filter until=1h
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(docker images --format '{{.Repository}}:{{.Tag}}' | sort | xargs)" = "base:1 tmp:1 tmp:2 tmp:alias used:1" ]
	# label: tmp:1 and both names of tmp:2 go; used:1 (a stopped container's) and base:1 stay
	run docker image prune -a -f --filter label=tier=tmp
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"untagged: tmp:1"* ]]
	[[ $output == *"untagged: tmp:2"* ]]
	[[ $output == *"untagged: tmp:alias"* ]]
	[[ $output == *"deleted: $tmp2"* ]]
	[[ $output != *"used:1"* ]]
	[ "$(docker images --format '{{.Repository}}:{{.Tag}}' | sort | xargs)" = "base:1 used:1" ]
	[ -d "$ROOT/layers/${bb_layer#sha256:}" ]
	[ -d "$ROOT/layers/${used_layer#sha256:}" ]
	[ ! -e "$ROOT/layers/${tmp2_layer#sha256:}" ]
	[ "$(layer_dirs)" -eq 2 ]
	# until: an image created at that time goes, one created later stays
	docker rm user >/dev/null
	cut=$(docker inspect -f '{{.Created}}' base:1)
	run docker image prune -a -f --filter "until=$cut"
	echo "$output"
	[[ $output == *"untagged: base:1"* ]]
	[ "$(docker images --format '{{.Repository}}')" = used ]
	[ ! -e "$ROOT/layers/${bb_layer#sha256:}" ]
	[ "$(layer_dirs)" -eq 1 ]
	# once its container is gone, used:1 goes too
	run docker image prune -a -f
	[[ $output == *"untagged: used:1"* ]]
	[ -z "$(docker images -aq)" ]
	[ "$(layer_dirs)" -eq 0 ]
	run docker events --since "$t0" --until "$(($(date +%s) + 1))" --filter type=image --filter event=untag \
		--format '{{.Actor.Attributes.name}}'
	[ "$(echo "$output" | sort | xargs)" = "base:1 tmp:1 tmp:2 tmp:alias used:1" ]
}

@test "image prune: a parent (commit) goes only after its children, and is untagged as rmi does while one is used" {
	berth import "$BUSYBOX_TAR" base:1 >/dev/null
	base=$(docker inspect -f '{{.Id}}' base:1)
	docker run --name hc --network none base:1 sh -c 'echo x >/f' >/dev/null
	child=$(docker commit hc child:1)
	docker rm hc >/dev/null
	docker create --name user --network none child:1 true >/dev/null
	[ "$(layer_dirs)" -eq 2 ]
	# child:1 is used: it stays, and so does its parent, only untagged
	run docker image prune -a -f
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"untagged: base:1"* ]]
	[[ $output != *"deleted:"* ]]
	[ "$(docker images -aq --no-trunc | sort | xargs)" = "$(printf '%s\n' "$base" "$child" | sort | xargs)" ]
	# the untagged parent is not dangling while it has a child
	run api POST /images/prune
	[ "${lines[0]}" = '{"ImagesDeleted":null,"SpaceReclaimed":0}' ]
	# the child goes, then its parent, with both layers
	docker rm user >/dev/null
	run api POST "/images/prune?filters=$(prune_q '{"dangling":["false"]}')"
	echo "$output"
	[[ ${lines[0]} == *'{"Untagged":"child:1"},{"Deleted":"'"$child"'"}'* ]]
	[[ ${lines[0]} == *'{"Deleted":"'"$base"'"}'* ]]
	[ -z "$(docker images -aq)" ]
	[ "$(layer_dirs)" -eq 0 ]
}

@test "image prune: a bad filter is 400 with Docker's message, and nothing is removed" {
	docker import "$BUSYBOX_TAR" >/dev/null
	while IFS='|' read -r f msg; do
		run api POST "/images/prune?filters=$(prune_q "$f")"
		echo "$f: $output"
		[ "${lines[-1]}" = "HTTP 400" ]
		[ "$(echo "${lines[0]}" | json 'd["message"]')" = "$msg" ]
	done <<'EOF_FILTERS'
{"bogus":["1"]}|invalid filter 'bogus'
{"dangling":["maybe"]}|invalid filter 'dangling=[maybe]'
{"dangling":["true","false"]}|invalid filter 'dangling=[true false]'
{"until":["1h","2h"]}|more than one until filter specified
{"label":"x"}|invalid filter 'label': values must be a list of strings
EOF_FILTERS
	run api POST "/images/prune?filters=$(prune_q '{"until":["soon"]}')"
	[ "${lines[-1]}" = "HTTP 400" ]
	[[ ${lines[0]} == *"invalid filter 'until'"* ]]
	run docker image prune -f --filter bogus=1
	[ "$status" -ne 0 ]
	[[ $output == *"invalid filter 'bogus'"* ]]
	run docker image prune -f --filter until=soon
	[ "$status" -ne 0 ]
	[ "$(docker images -aq | wc -l)" -eq 1 ]
	[ "$(layer_dirs)" -eq 1 ]
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
