#!/usr/bin/env bats
# docker-sdk-images.bats - the Docker SDK for Python (Debian's python3-docker,
# run by /usr/bin/python3) importing, listing, tagging and removing images.
#
#   root ns: python3 docker SDK ──unix socket──▶ $NS: berthd

load ../integration/helpers

setup() {
	/usr/bin/python3 -c 'import docker' 2>/dev/null || skip "python3-docker missing"
	berth_setup sdkimg
	berthd_start
	"$BATS_TEST_DIRNAME/../../scripts/mk-busybox-rootfs.sh" "$TMP/busybox.tar"
}

teardown() {
	berth_teardown
}

@test "the SDK's image calls work against berthd" {
	run /usr/bin/python3 "$BATS_TEST_DIRNAME/sdk_images.py" "unix://$SOCK" "$TMP/busybox.tar"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ ${lines[-1]} == "sdk: all checks passed" ]]
	# nothing left behind: no layer directories
	[ -z "$(find "$ROOT/layers" -mindepth 1 -maxdepth 1 -type d)" ]
}
