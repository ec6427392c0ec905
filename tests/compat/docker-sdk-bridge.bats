#!/usr/bin/env bats
# docker-sdk-bridge.bats - the Docker SDK for Python (Debian's
# python3-docker, run by /usr/bin/python3) running containers on bridge
# networks: static addresses, aliases, connect/disconnect, published ports.
#
#   root ns: python3 docker SDK ──unix socket──▶ $NS: berthd ──▶ containers

load ../integration/helpers

setup() {
	/usr/bin/python3 -c 'import docker' 2>/dev/null || skip "python3-docker missing"
	berth_setup sdkbr
	berthd_start
	"$BATS_TEST_DIRNAME/../../scripts/mk-busybox-rootfs.sh" "$TMP/busybox.tar"
	docker import "$TMP/busybox.tar" busybox:latest >/dev/null
}

teardown() {
	berth_teardown
}

@test "the SDK runs containers on networks, connects, disconnects and publishes ports" {
	run /usr/bin/python3 "$BATS_TEST_DIRNAME/sdk_bridge.py" "unix://$SOCK"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ ${lines[-1]} == "sdk: all checks passed" ]]
	[ "$(ls "$EXEC/netns" | wc -l)" = 0 ]
	[ "$(ls "$ROOT/endpoints" | wc -l)" = 0 ]
}
