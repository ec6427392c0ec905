#!/usr/bin/env bats
# imgarchive.bats - docker save / docker load (GET /images/get, POST
# /images/load): round trips through the docker CLI, the archive format
# Docker 25+ writes (OCI layout with manifest.json), shared layers stored
# once, and archives that must be refused with nothing kept.

load helpers
bats_require_minimum_version 1.5.0

setup_file() {
	busybox_build
}

setup() {
	berth_setup imgar
	berthd_start
	docker import -c 'CMD ["sh"]' -c 'ENV A=1' "$BUSYBOX_TAR" busybox:latest >/dev/null
}

teardown() {
	berth_teardown
}

# layers: what the layer store holds (directories)
layers() {
	find "$ROOT/layers" -mindepth 1 -maxdepth 1 -type d ! -name '.*' | wc -l
}

@test "save then load: the same image id, tags, config and layers; the container runs" {
	docker tag busybox:latest busybox:v2
	id=$(docker inspect -f '{{.Id}}' busybox)
	docker save busybox -o "$TMP/bb.tar"
	run tar tf "$TMP/bb.tar"
	echo "$output"
	[[ $output == *manifest.json* ]]
	[[ $output == *"${id#sha256:}.json"* ]]
	[[ $output == *"/layer.tar"* ]]
	# each layer.tar is the layer's stream: its sha256 is the config's diff id
	layer=$(tar xOf "$TMP/bb.tar" manifest.json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["Layers"][0])')
	diff=$(tar xOf "$TMP/bb.tar" "${id#sha256:}.json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["rootfs"]["diff_ids"][0])')
	[ "sha256:$(tar xOf "$TMP/bb.tar" "$layer" | sha256sum | cut -d' ' -f1)" = "$diff" ]
	[ "sha256:$(tar xOf "$TMP/bb.tar" "${id#sha256:}.json" | sha256sum | cut -d' ' -f1)" = "$id" ]
	docker rmi busybox:latest busybox:v2 >/dev/null
	[ "$(layers)" -eq 0 ]
	run docker load -i "$TMP/bb.tar"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"Loaded image: busybox:latest"* ]]
	[[ $output == *"Loaded image: busybox:v2"* ]]
	[ "$(docker inspect -f '{{.Id}}' busybox:v2)" = "$id" ]
	[ "$(docker inspect -f '{{.Config.Env}} {{.Config.Cmd}}' busybox)" = "[A=1] [sh]" ]
	[ "$(docker run --rm busybox sh -c 'echo $A')" = 1 ]
	# loading it again changes nothing and stores nothing twice
	docker load -i "$TMP/bb.tar" >/dev/null
	[ "$(layers)" -eq 1 ]
	# by id: no tags in the archive, "Loaded image ID" on the way back
	docker save "$id" >"$TMP/byid.tar"
	docker rmi -f busybox:latest busybox:v2 >/dev/null
	run docker load -i "$TMP/byid.tar"
	[[ $output == *"Loaded image ID: $id"* ]]
	# several at once through the API, and the berth side of it survives a restart
	docker tag "$id" one:x
	docker run --name mk one:x sh -c 'echo two > /two'
	docker commit mk two:y >/dev/null
	docker rm mk >/dev/null
	curl -sf --unix-socket "$SOCK" "http://localhost/images/get?names=one:x&names=two:y" -o "$TMP/two.tar"
	docker rmi -f one:x two:y >/dev/null
	docker load -i "$TMP/two.tar" >/dev/null
	berthd_stop
	berthd_start
	[ "$(docker run --rm two:y cat /two)" = two ]
	[ "$(layers)" -eq 2 ]
	# and through berth's own CLI
	berth save -o "$TMP/b.tar" two:y
	berth rmi two:y >/dev/null
	run berth load -i "$TMP/b.tar"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "Loaded image: two:y" ]
	run berth load -q -i "$TMP/b.tar"
	[ -z "$output" ]
	run berth save nosuch:1 -o "$TMP/none.tar"
	[ "$status" -ne 0 ]
	[[ $output == *"No such image: nosuch:1"* ]]
	[ ! -e "$TMP/none.tar" ]
}

@test "an archive as Docker 25+ writes it (OCI layout, blobs, gzip layers) loads; the image is the same" {
	# built by hand from berth's own: config and layer as sha256 blobs, the
	# layer gzipped (OCI media type), index.json and oci-layout beside
	id=$(docker inspect -f '{{.Id}}' busybox)
	docker save busybox:latest -o "$TMP/bb.tar"
	mkdir -p "$TMP/x" "$TMP/oci/blobs/sha256"
	tar xf "$TMP/bb.tar" -C "$TMP/x"
	cp "$TMP/x/${id#sha256:}.json" "$TMP/oci/blobs/sha256/${id#sha256:}"
	layer=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["Layers"][0])' "$TMP/x/manifest.json")
	gzip -nc <"$TMP/x/$layer" >"$TMP/layer.gz"
	lh=$(sha256sum "$TMP/layer.gz" | cut -d' ' -f1)
	mv "$TMP/layer.gz" "$TMP/oci/blobs/sha256/$lh"
	printf '[{"Config":"blobs/sha256/%s","RepoTags":["oci/busybox:1"],"Layers":["blobs/sha256/%s"]}]' \
		"${id#sha256:}" "$lh" >"$TMP/oci/manifest.json"
	printf '{"imageLayoutVersion":"1.0.0"}' >"$TMP/oci/oci-layout"
	printf '{"schemaVersion":2,"manifests":[]}' >"$TMP/oci/index.json"
	tar cf "$TMP/oci.tar" -C "$TMP/oci" .
	docker rmi busybox:latest >/dev/null
	run docker load -i "$TMP/oci.tar"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"Loaded image: oci/busybox:1"* ]]
	[ "$(docker inspect -f '{{.Id}}' oci/busybox:1)" = "$id" ]
	docker run --rm oci/busybox:1 true
}

@test "bad archives are refused and nothing of them is kept: not a tar, no manifest, a layer that does not match, a path leading out, a truncated layer" {
	id=$(docker inspect -f '{{.Id}}' busybox)
	docker save busybox:latest -o "$TMP/bb.tar"
	mkdir -p "$TMP/x"
	tar xf "$TMP/bb.tar" -C "$TMP/x"
	layer=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["Layers"][0])' "$TMP/x/manifest.json")
	docker rmi busybox:latest >/dev/null
	[ "$(layers)" -eq 0 ]
	refused() { # refused ARCHIVE MESSAGE
		run docker load -i "$1"
		echo "$output"
		[ "$status" -ne 0 ]
		[[ $output == *"$2"* ]]
		[ "$(layers)" -eq 0 ]
		[ -z "$(docker images -q)" ]
		[ -z "$(ls "$ROOT/tmp")" ]
	}
	echo "not a tar at all" >"$TMP/garbage.tar"
	refused "$TMP/garbage.tar" "cannot read the archive"
	tar cf "$TMP/nomanifest.tar" -C "$TMP/x" "$layer"
	refused "$TMP/nomanifest.tar" "no manifest.json"
	# a layer whose bytes are not those the config names
	cp -r "$TMP/x" "$TMP/y"
	printf 'x' >"$TMP/y/.extra"
	tar cf "$TMP/y/$layer.new" -C "$TMP/y" .extra && mv "$TMP/y/$layer.new" "$TMP/y/$layer"
	rm "$TMP/y/.extra"
	tar cf "$TMP/mismatch.tar" -C "$TMP/y" .
	refused "$TMP/mismatch.tar" "the image's config says"
	# a manifest pointing out of the archive
	cp -r "$TMP/x" "$TMP/z"
	printf '[{"Config":"../../../etc/passwd","RepoTags":["evil:1"],"Layers":[]}]' >"$TMP/z/manifest.json"
	tar cf "$TMP/out.tar" -C "$TMP/z" .
	refused "$TMP/out.tar" "usable Config"
	# a layer cut short
	cp -r "$TMP/x" "$TMP/t"
	head -c 100000 "$TMP/x/$layer" >"$TMP/t/$layer"
	tar cf "$TMP/trunc.tar" -C "$TMP/t" .
	refused "$TMP/trunc.tar" ""
	# the good one still loads
	docker load -i "$TMP/bb.tar" >/dev/null
	[ "$(docker inspect -f '{{.Id}}' busybox)" = "$id" ]
}
