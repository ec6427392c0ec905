#!/usr/bin/env bats
# registry.bats - pulling from a real Docker Registry (Debian's
# docker-registry, distribution 2.8) on 127.0.0.1:5000 inside the test's
# namespace.  The registry is filled with curl through its HTTP API (blob
# uploads, manifest PUTs) from an image berth saved; then berth pulls by
# tag and by digest, through the docker CLI and the API: the same image
# id, shared layers stored once, and refusals (unknown tag, a corrupted
# blob, a list without this platform) that keep nothing.

load helpers
bats_require_minimum_version 1.5.0

REG=127.0.0.1:5000

setup_file() {
	busybox_build
}

setup() {
	[ -x /usr/bin/docker-registry ] || skip "docker-registry missing"
	berth_setup reg
	berthd_start
	mkdir -p "$TMP/registry"
	cat >"$TMP/registry.yml" <<-EOF
		version: 0.1
		log:
		  level: warn
		storage:
		  filesystem:
		    rootdirectory: $TMP/registry
		  delete:
		    enabled: true
		http:
		  addr: $REG
	EOF
	ip netns exec "$NS" /usr/bin/docker-registry serve "$TMP/registry.yml" </dev/null \
		>"$TMP/registry.log" 2>&1 &
	REG_PID=$!
	for _ in $(seq 1 100); do
		reg_curl -sf "http://$REG/v2/" >/dev/null && break
		sleep 0.1
	done
	reg_curl -sf "http://$REG/v2/" >/dev/null
	docker import -c 'CMD ["sh"]' -c 'ENV FROM=registry' "$BUSYBOX_TAR" busybox:latest >/dev/null
}

teardown() {
	[ -n "${REG_PID:-}" ] && kill "$REG_PID" 2>/dev/null
	berth_teardown
}

reg_curl() { ip netns exec "$NS" curl "$@"; }

# reg_blob FILE REPO: upload FILE as a blob of REPO; prints its digest
reg_blob() {
	local digest loc
	digest=sha256:$(sha256sum "$1" | cut -d' ' -f1)
	loc=$(reg_curl -sf -X POST -D - -o /dev/null "http://$REG/v2/$2/blobs/uploads/" |
		tr -d '\r' | awk -F': ' 'tolower($1) == "location" {print $2}')
	[[ $loc == http* ]] || loc=http://$REG$loc
	reg_curl -sf -X PUT -H 'Content-Type: application/octet-stream' --data-binary @"$1" \
		"$loc$([[ $loc == *\?* ]] && echo '&' || echo '?')digest=$digest" >/dev/null
	echo "$digest"
}

# reg_push IMAGE REPO:TAG: IMAGE (saved by berth) into the registry, its
# layers gzipped; prints the manifest's digest
reg_push() {
	local d=$TMP/push-$RANDOM repo=${2%:*} tag=${2##*:} cfg layer lz ld cd size lsize
	mkdir -p "$d"
	docker save "$1" | tar x -C "$d"
	cfg=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["Config"])' "$d/manifest.json")
	layer=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["Layers"][0])' "$d/manifest.json")
	gzip -nc <"$d/$layer" >"$d/layer.gz"
	cd=$(reg_blob "$d/$cfg" "$repo")
	ld=$(reg_blob "$d/layer.gz" "$repo")
	size=$(stat -c %s "$d/$cfg")
	lsize=$(stat -c %s "$d/layer.gz")
	printf '{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":%s,"digest":"%s"},"layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","size":%s,"digest":"%s"}]}' \
		"$size" "$cd" "$lsize" "$ld" >"$d/manifest"
	reg_curl -sf -X PUT -H 'Content-Type: application/vnd.docker.distribution.manifest.v2+json' \
		--data-binary @"$d/manifest" "http://$REG/v2/$repo/manifests/$tag" >/dev/null
	echo "sha256:$(sha256sum "$d/manifest" | cut -d' ' -f1)"
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
	data=$TMP/registry/docker/registry/v2/blobs/sha256/${ld:0:2}/$ld/data
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
