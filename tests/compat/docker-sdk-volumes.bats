#!/usr/bin/env bats
# docker-sdk-volumes.bats - the Docker SDK for Python (Debian's
# python3-docker, run by /usr/bin/python3) creating, listing, getting,
# using and removing volumes.
#
#   root ns: python3 docker SDK ──unix socket──▶ $NS: berthd

load ../integration/helpers

setup() {
	/usr/bin/python3 -c 'import docker' 2>/dev/null || skip "python3-docker missing"
	berth_setup sdkvol
	berthd_start
	"$BATS_TEST_DIRNAME/../../scripts/mk-busybox-rootfs.sh" "$TMP/busybox.tar"
	docker import "$TMP/busybox.tar" busybox:latest >/dev/null
}

teardown() {
	berth_teardown
}

@test "the SDK's volume calls work against berthd" {
	run /usr/bin/python3 "$BATS_TEST_DIRNAME/sdk_volumes.py" "unix://$SOCK"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ ${lines[-1]} == "sdk: all checks passed" ]]
	[ -z "$(ls "$ROOT/volumes" | grep -v '\.json$' || true)" ]
}
