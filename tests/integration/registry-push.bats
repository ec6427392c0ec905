#!/usr/bin/env bats
# registry-push.bats - push and pull round trips with a real Docker Registry
# (Debian's docker-registry, distribution 2.8) on 127.0.0.1 inside the
# test's namespace, through the docker CLI, berth and the API: what a
# registry has is not sent again, layers mounted across repositories, every
# tag of a repository, a download cut short resumed (cutproxy.py), a
# pull-through cache as a Docker Hub mirror, and refusals that keep nothing.

load helpers
load registry
bats_require_minimum_version 1.5.0

REG=127.0.0.1:5000

setup_file() {
	busybox_build
}

setup() {
	[ -x /usr/bin/docker-registry ] || skip "docker-registry missing"
	berth_setup rpush
	berthd_start
	reg_start main 5000
	docker import -c 'CMD ["sh"]' -c 'ENV FROM=registry' "$BUSYBOX_TAR" busybox:latest >/dev/null
}

teardown() {
	reg_stop_all
	berth_teardown
}

layers() {
	find "$ROOT/layers" -mindepth 1 -maxdepth 1 -type d ! -name '.*' | wc -l
}


@test "push then pull back through the docker CLI: the same image; what the registry has is not sent again; mounts across repositories; every tag with -a" {
	id=$(docker inspect -f '{{.Id}}' busybox)
	docker tag busybox "$REG/team/bb:v1"
	run docker push "$REG/team/bb:v1"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"The push refers to repository [$REG/team/bb]"* ]]
	[[ $output == *": Pushed"* ]]
	[[ $output =~ v1:\ digest:\ (sha256:[0-9a-f]{64})\ size:\ [0-9]+ ]]
	digest=${BASH_REMATCH[1]}
	# the registry serves what was pushed: its manifest digest is the one printed
	[ "$(in_ns curl -sf -o /dev/null -w '%header{docker-content-digest}' \
		-H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
		"http://$REG/v2/team/bb/manifests/v1")" = "$digest" ]
	blobs=$(reg_blobs main) # (layer, config and the manifest)
	# again: nothing sent
	run docker push "$REG/team/bb:v1"
	[[ $output == *"Layer already exists"* ]]
	[[ $output != *": Pushed"* ]]
	# another repository of the same registry: mounted, not uploaded
	docker tag busybox "$REG/other/bb:x"
	run docker push "$REG/other/bb:x"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"Mounted from team/bb"* ]]
	[ "$(reg_blobs main)" -eq "$blobs" ]
	# -a: every tag of the repository
	docker tag busybox "$REG/team/bb:v2"
	docker tag busybox "$REG/team/bb:v3"
	run docker push -a "$REG/team/bb"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"v2: digest: $digest"* && $output == *"v3: digest: $digest"* ]]
	[ "$(in_ns curl -sf "http://$REG/v2/team/bb/tags/list")" = '{"name":"team/bb","tags":["v1","v2","v3"]}' ]
	# pulled back: the same image id, its config honoured
	docker rmi busybox "$REG/team/bb:v1" "$REG/team/bb:v2" "$REG/team/bb:v3" "$REG/other/bb:x" >/dev/null
	[ "$(layers)" -eq 0 ]
	run docker pull "$REG/team/bb:v1"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"Digest: $digest"* ]]
	[ "$(docker inspect -f '{{.Id}}' "$REG/team/bb:v1")" = "$id" ]
	[ "$(docker run --rm "$REG/team/bb:v1" sh -c 'echo $FROM')" = registry ]
	run docker pull "$REG/team/bb:v1"
	[[ $output == *"Image is up to date for $REG/team/bb:v1"* ]]
	# a pulled image pushed to the registry it came from: nothing but its manifest
	docker tag "$REG/team/bb:v1" "$REG/team/copy:1"
	run docker push "$REG/team/copy:1"
	echo "$output"
	[[ $output != *": Pushed"* ]]
	[ "$(reg_blobs main)" -eq "$blobs" ]
	# push refusals, before anything is sent
	run docker push "$REG/team/nothere:1"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ $output == *"An image does not exist locally with the tag: $REG/team/nothere"* ]]
	run docker push 127.0.0.1:1/team/bb:v1
	[ "$status" -ne 0 ]
}

@test "the API streams Docker's progress messages; berth pull and push show them" {
	# a layer of 8 MiB of random bytes on top: progress has something to count
	mkdir -p "$TMP/big"
	head -c 8M /dev/urandom >"$TMP/big/blob"
	tar -C "$TMP/big" -cf "$TMP/big.tar" blob
	docker import "$TMP/big.tar" big:1 >/dev/null
	docker tag big:1 "$REG/team/big:1"
	run curl -s --unix-socket "$SOCK" -X POST -H 'X-Registry-Auth: e30=' \
		"http://localhost/images/$REG/team/big/push?tag=1"
	echo "$output"
	[[ $output == *'"status":"Pushing","progressDetail":{"current":'* ]]
	[[ $output == *'"aux":{"Tag":"1","Digest":"sha256:'* ]]
	docker rmi big:1 "$REG/team/big:1" >/dev/null
	run curl -s --unix-socket "$SOCK" -X POST "http://localhost/images/create?fromImage=$REG/team/big&tag=1"
	echo "$output"
	[[ ${lines[0]} == '{"status":"Pulling from team/big",'*'"id":"1"}'* ]]
	[[ $output == *'"status":"Downloading","progressDetail":{"current":'* ]]
	[[ $output == *'"status":"Verifying Checksum"'* ]]
	[[ $output == *'"status":"Pull complete"'* ]]
	[[ ${lines[-1]} == *'Status: Downloaded newer image for '"$REG"'/team/big:1'* ]]
	# the berth CLI, not on a terminal: status lines without the progress ones
	docker rmi "$REG/team/big:1" >/dev/null
	run berth pull "$REG/team/big:1"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"Pull complete"* ]]
	[[ $output != *"Downloading"* ]]
	[ "${lines[-1]}" = "$REG/team/big:1" ]
	run berth push "$REG/team/big:1"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"Layer already exists"* ]]
	[[ $output == *"1: digest: sha256:"* ]]
	# on a terminal: one line per layer, updated in place (cursor up, clear line)
	docker rmi "$REG/team/big:1" >/dev/null
	run script -qec "$BERTH_BIN/berth pull $REG/team/big:1" /dev/null
	echo "$output" | cat -v
	[ "$status" -eq 0 ]
	[[ $output == *$'\e[1A\r\e[2K'*": Pull complete"* ]]
	[[ $output == *"Downloading [="* ]]
}

@test "a download cut short is resumed; one cut every time fails and keeps nothing" {
	docker tag busybox "$REG/team/bb:v1"
	docker push "$REG/team/bb:v1" >/dev/null
	id=$(docker inspect -f '{{.Id}}' busybox)
	docker rmi busybox "$REG/team/bb:v1" >/dev/null
	# two fronts: one cutting the first two blob downloads half way, one every one
	reg_bg /usr/bin/python3 "$BERTH_SRC/tests/integration/tools/cutproxy.py" 5100 "$REG" 2 \
		"$TMP/cut2.log"
	reg_bg /usr/bin/python3 "$BERTH_SRC/tests/integration/tools/cutproxy.py" 5101 "$REG" 1000 \
		"$TMP/cutall.log"
	for port in 5100 5101; do
		for _ in $(seq 1 50); do
			in_ns curl -sf "http://127.0.0.1:$port/v2/" >/dev/null && break
			sleep 0.1
		done
	done
	run docker pull 127.0.0.1:5100/team/bb:v1
	echo "$output"
	cat "$TMP/cut2.log"
	[ "$status" -eq 0 ]
	[ "$(docker inspect -f '{{.Id}}' 127.0.0.1:5100/team/bb:v1)" = "$id" ]
	# the layer came in three parts: whole (cut), then two ranges
	grep -c ' bytes=[0-9]*- 206 ' "$TMP/cut2.log"
	[ "$(grep -c ' bytes=[0-9]*- 206 ' "$TMP/cut2.log")" -eq 2 ]
	grep -q "resuming" "$LOG"
	docker rmi -f "$id" >/dev/null
	run docker pull 127.0.0.1:5101/team/bb:v1
	echo "$output"
	[ "$status" -ne 0 ]
	[[ $output == *"Transferred a partial file"* ]]
	[ "$(layers)" -eq 0 ]
	[ -z "$(docker images -q)" ]
	[ -z "$(ls "$ROOT/tmp")" ]
}

@test "a pull-through cache is Docker Hub's mirror; a dead mirror before it is skipped" {
	# the "hub" here: the main registry holding library/busybox; the mirror
	# a registry in proxy mode in front of it
	docker tag busybox "$REG/library/busybox:latest"
	docker push "$REG/library/busybox:latest" >/dev/null
	id=$(docker inspect -f '{{.Id}}' busybox)
	reg_start mirror 5001 --proxy "http://$REG"
	berthd_stop
	berthd_start --registry-mirror http://127.0.0.1:1 --registry-mirror http://127.0.0.1:5001
	docker rmi busybox "$REG/library/busybox:latest" >/dev/null
	run docker pull busybox
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(docker inspect -f '{{.Id}}' busybox:latest)" = "$id" ]
	grep -q "mirror http://127.0.0.1:1: .*trying the next" "$LOG"
	# the mirror has it cached now
	[ -n "$(find "$TMP/mirror" -path '*/blobs/sha256/*/data')" ]
	# a name that is not Docker Hub's does not go to the mirror
	run docker pull 127.0.0.1:1/team/x:1
	[ "$status" -ne 0 ]
	[[ $output == *"127.0.0.1:1"* ]]
}

@test "refused, nothing kept: a layer whose tar escapes it, a registry that answers garbage, bad options" {
	# a layer holding ../escape, pushed by hand
	mkdir -p "$TMP/evil"
	/usr/bin/python3 - "$TMP/evil/layer.tar" <<-'EOF'
		import io, sys, tarfile
		with tarfile.open(sys.argv[1], "w") as t:
		    data = b"out\n"
		    ti = tarfile.TarInfo("../escape")
		    ti.size = len(data)
		    t.addfile(ti, io.BytesIO(data))
	EOF
	reg_put_image "$TMP/evil/layer.tar" "$REG/team/evil:1" >/dev/null
	run docker pull "$REG/team/evil:1"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ $output == *"leads out of the layer"* ]]
	[ "$(layers)" -eq 1 ] # busybox's
	[ ! -e "$ROOT/escape" ] && [ ! -e "$ROOT/layers/escape" ]
	[ -z "$(ls "$ROOT/tmp")" ]
	# something that is not a registry
	mkdir -p "$TMP/www"
	echo garbage >"$TMP/www/index.html"
	reg_bg /usr/bin/python3 -m http.server -b 127.0.0.1 -d "$TMP/www" 5200
	for _ in $(seq 1 50); do in_ns curl -s -o /dev/null "http://127.0.0.1:5200/" && break; sleep 0.1; done
	run docker pull 127.0.0.1:5200/team/bb:1
	echo "$output"
	[ "$status" -ne 0 ]
	[[ $output == *"not a registry"* ]]
	# one that answers /v2/ but garbage for a manifest
	mkdir -p "$TMP/www/v2/team/bb/manifests"
	echo '<html>garbage' >"$TMP/www/v2/team/bb/manifests/1"
	run docker pull 127.0.0.1:5200/team/bb:1
	echo "$output"
	[ "$status" -ne 0 ]
	[[ $output == *"the manifest is not JSON"* ]]
	[ "$(layers)" -eq 1 ]
	# bad daemon options
	run "$BERTH_BIN/berthd" --registry-mirror ftp://x --root "$TMP/r2"
	[ "$status" -eq 2 ]
	[[ $output == *"--registry-mirror ftp://x: must be a URL"* ]]
	run "$BERTH_BIN/berthd" --insecure-registry https://x --root "$TMP/r2"
	[ "$status" -eq 2 ]
	run "$BERTH_BIN/berthd" --insecure-registry 10.0.0.0/33 --root "$TMP/r2"
	[ "$status" -eq 2 ]
}

@test "a pull streams live while other calls answer; berthd stopped mid-pull answers and keeps nothing" {
	docker tag busybox "$REG/team/bb:v1"
	docker push "$REG/team/bb:v1" >/dev/null
	docker rmi busybox "$REG/team/bb:v1" >/dev/null
	reg_bg /usr/bin/python3 "$BERTH_SRC/tests/integration/tools/cutproxy.py" 5100 "$REG" slow \
		"$TMP/slow.log"
	for _ in $(seq 1 50); do in_ns curl -sf "http://127.0.0.1:5100/v2/" >/dev/null && break; sleep 0.1; done
	curl -sN --unix-socket "$SOCK" -X POST \
		"http://localhost/images/create?fromImage=127.0.0.1:5100/team/bb&tag=v1" \
		>"$TMP/pull.out" 2>&1 </dev/null 3>&- &
	# the progress arrives while the layer is still coming (it takes ~1 s)
	for _ in $(seq 1 100); do grep -q '"Downloading"' "$TMP/pull.out" && break; sleep 0.05; done
	grep -q '"status":"Downloading","progressDetail":{"current":' "$TMP/pull.out"
	! grep -q 'Pull complete' "$TMP/pull.out"
	# other calls and state changes go on meanwhile
	docker network create during >/dev/null
	docker network rm during >/dev/null
	berthd_stop
	for _ in $(seq 1 50); do grep -q 'shutting down' "$TMP/pull.out" && break; sleep 0.05; done
	cat "$TMP/pull.out"
	grep -q '"error":"the daemon is shutting down"' "$TMP/pull.out"
	[ -z "$(ls "$ROOT/tmp")" ]
	[ "$(layers)" -eq 0 ]
	berthd_start
	[ -z "$(docker images -q)" ]
}
