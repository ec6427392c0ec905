#!/usr/bin/env bats
# events.bats - GET /events through the docker CLI: network and container
# events as Docker emits them, since/until replays and filters.
#
#   root ns: docker events ──unix socket──▶ $NS: berthd

load helpers

setup_file() {
	busybox_build
}

setup() {
	berth_setup evt
	berthd_start
	docker import "$BUSYBOX_TAR" busybox:latest >/dev/null
}

teardown() {
	berth_teardown
}

@test "network and container events are replayed with since/until and filtered" {
	start=$(date +%s)
	docker network create evnet >/dev/null
	docker run --network none --name ev1 busybox sh -c 'exit 4' || true
	docker rm ev1 >/dev/null
	docker network rm evnet >/dev/null
	end=$(($(date +%s) + 1))
	run docker events --since "$start" --until "$end" --format '{{.Type}} {{.Action}} {{.Actor.Attributes.name}}'
	echo "$output"
	[[ $output == *"network create evnet"* ]]
	[[ $output == *"container create ev1"* ]]
	[[ $output == *"container start ev1"* ]]
	[[ $output == *"container die ev1"* ]]
	[[ $output == *"container destroy ev1"* ]]
	[[ $output == *"network destroy evnet"* ]]
	run docker events --since "$start" --until "$end" --filter type=container --filter event=die --format '{{.Actor.Attributes.exitCode}}'
	[ "$output" = 4 ]
	run docker events --since "$start" --until "$end" --filter network=evnet --format '{{.Action}}'
	[ "$(echo "$output" | xargs)" = "create destroy" ]
}

@test "events stream live until the client goes" {
	docker events --filter type=network --format '{{.Action}} {{.Actor.Attributes.name}}' >"$TMP/ev.out" &
	pid=$!
	sleep 0.5
	docker network create live1 >/dev/null
	for i in $(seq 1 50); do grep -q "create live1" "$TMP/ev.out" && break; sleep 0.1; done
	kill $pid
	wait $pid || true
	grep -q "create live1" "$TMP/ev.out"
	# the daemon is unharmed by the client going away
	docker network rm live1
	docker network ls >/dev/null
}

@test "bad since or filters are refused" {
	run docker events --since yesterday --until 1
	[ "$status" -ne 0 ]
	run docker events --filter bogus=1 --until 1
	[ "$status" -ne 0 ]
	[[ $output == *"invalid filter 'bogus'"* ]]
}

@test "image events: import, tag, untag, delete" {
	start=$(date +%s)
	docker tag busybox:latest evimg:v1
	docker rmi evimg:v1 >/dev/null
	end=$(($(date +%s) + 1))
	run docker events --since "$start" --until "$end" --filter type=image --format '{{.Action}} {{.Actor.Attributes.name}}'
	echo "$output"
	[[ $output == *"tag evimg:v1"* ]]
	[[ $output == *"untag evimg:v1"* ]]
	run docker events --since 1 --until "$end" --filter type=image --filter event=import --format '{{.Action}}'
	[ "$output" = import ]
}

@test "volume events: create, destroy" {
	start=$(date +%s)
	docker volume create evvol >/dev/null
	docker volume rm evvol >/dev/null
	end=$(($(date +%s) + 1))
	run docker events --since "$start" --until "$end" --filter type=volume --format '{{.Action}} {{.Actor.ID}}'
	echo "$output"
	[ "$(echo "$output" | xargs)" = "create evvol destroy evvol" ]
}
