#!/usr/bin/env bats
# registry.bats - pulling from a real Docker Registry (Debian's
# docker-registry, distribution 2.8) on 127.0.0.1:5000 inside the test's
# namespace.  The registry is filled with curl through its HTTP API (blob
# uploads, manifest PUTs) from an image berth saved; then berth pulls by
# tag and by digest, through the docker CLI and the API: the same image
# id, shared layers stored once, and refusals (unknown tag, a corrupted
# blob, a list without this platform) that keep nothing.  The fixtures
# (reg_start, reg_fill, reg_curl) are registry.bash's.

load helpers
load registry
bats_require_minimum_version 1.5.0

REG=127.0.0.1:5000

setup_file() {
	busybox_build
}

setup() {
	[ -x /usr/bin/docker-registry ] || skip "docker-registry missing"
	berth_setup reg
	berthd_start
	reg_start main 5000
	docker import -c 'CMD ["sh"]' -c 'ENV FROM=registry' "$BUSYBOX_TAR" busybox:latest >/dev/null
}

teardown() {
	reg_stop_all
	berth_teardown
}

# reg_push IMAGE REPO:TAG: IMAGE (saved by berth) written into the registry
# with curl (reg_fill, registry.bash); prints the manifest's digest
reg_push() {
	reg_fill "$1" "$REG/$2"
}

layers() {
	find "$ROOT/layers" -mindepth 1 -maxdepth 1 -type d ! -name '.*' | wc -l
}

@test "pull by tag and by digest from a registry: the same image, its config honoured, shared layers stored once" {
	id=$(docker inspect -f '{{.Id}}' busybox)
	mdigest=$(reg_push busybox "team/bb:v1")
	docker rmi busybox >/dev/null
	[ "$(layers)" -eq 0 ]
	run docker pull "$REG/team/bb:v1"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"Digest: $mdigest"* ]]
	[[ $output == *"Downloaded newer image for $REG/team/bb:v1"* ]]
	[ "$(docker inspect -f '{{.Id}}' "$REG/team/bb:v1")" = "$id" ]
	[ "$(docker run --rm "$REG/team/bb:v1" sh -c 'echo $FROM')" = registry ]
	# the same layer under another name: not downloaded nor stored again
	reg_push "$REG/team/bb:v1" "other/bb:x" >/dev/null
	run docker pull "$REG/other/bb:x"
	echo "$output"
	[[ $output == *"Already exists"* ]]
	[ "$(layers)" -eq 1 ]
	# by digest, through the API
	docker rmi "$REG/team/bb:v1" "$REG/other/bb:x" >/dev/null
	run api POST "/images/create?fromImage=$REG/team/bb&tag=$mdigest"
	echo "$output"
	[ "${lines[-1]}" = "HTTP 200" ]
	[ "$(docker inspect -f '{{.Id}}' "$id")" = "$id" ]
	# docker run pulls what is missing
	docker rmi -f "$id" >/dev/null
	[ "$(docker run --rm "$REG/team/bb:v1" echo ran)" = ran ]
}

@test "refused, nothing kept: an unknown tag or repository, a registry that is not there, a corrupted layer, a list without this platform" {
	mdigest=$(reg_push busybox "team/bb:v1")
	docker rmi busybox >/dev/null
	run docker pull "$REG/team/bb:nosuch"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ $output == *"not found"* ]]
	run docker pull "$REG/nobody/here:1"
	[ "$status" -ne 0 ]
	run docker pull 127.0.0.1:1/team/bb:v1
	echo "$output"
	[ "$status" -ne 0 ]
	[[ $output == *"127.0.0.1:1"* ]]
	# a layer blob changed in the registry's storage
	ld=$(reg_curl -sf -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
		"http://$REG/v2/team/bb/manifests/v1" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["layers"][0]["digest"][7:])')
	data=$TMP/main/data/docker/registry/v2/blobs/sha256/${ld:0:2}/$ld/data
	printf 'X' | dd of="$data" bs=1 seek=100 conv=notrunc status=none
	run docker pull "$REG/team/bb:v1"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ $output == *"digest"* ]]
	[ "$(layers)" -eq 0 ]
	[ -z "$(docker images -q)" ]
	[ -z "$(ls "$ROOT/tmp")" ]
	# a manifest list with an arm64 image only
	printf '{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.list.v2+json","manifests":[{"mediaType":"application/vnd.docker.distribution.manifest.v2+json","size":1,"digest":"%s","platform":{"architecture":"arm64","os":"linux"}}]}' \
		"$mdigest" >"$TMP/list"
	reg_curl -sf -X PUT -H 'Content-Type: application/vnd.docker.distribution.manifest.list.v2+json' \
		--data-binary @"$TMP/list" "http://$REG/v2/team/bb/manifests/armonly" >/dev/null
	run docker pull "$REG/team/bb:armonly"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ $output == *"no matching manifest for linux/amd64"* ]]
	[ "$(layers)" -eq 0 ]
}
