#!/usr/bin/env bats
# docker-sdk.bats - the Docker SDK for Python (Debian's python3-docker, run
# by /usr/bin/python3) driving berthd: version, ping, networks.
#
#   root ns: python3 docker SDK ──unix socket──▶ $NS: berthd

load ../integration/helpers

setup() {
	/usr/bin/python3 -c 'import docker' 2>/dev/null || skip "python3-docker missing"
	berth_setup sdk
	berthd_start
}

teardown() {
	berth_teardown
}

@test "the SDK's network calls work against berthd" {
	run /usr/bin/python3 "$BATS_TEST_DIRNAME/sdk_networks.py" "unix://$SOCK"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ ${lines[-1]} == "sdk: all checks passed" ]]
}
