#!/bin/bash
# regbench.sh - pull and push throughput of a ~100 MiB image against a
# local registry (Debian's docker-registry on 127.0.0.1:5000 inside a
# namespace made here), beside the floor: curl moving the same blobs over
# the same HTTP (GET of the layer blob; POST + PUT ?digest= of the same
# gzipped layer).  The image: the busybox root file system plus a layer of
# random (incompressible) bytes.  Pull is timed from the API request to
# its last message, with the layers not in the store; push with the
# registry emptied between runs, so every run uploads everything.
#
# Figures, not verdicts.  Environment: BENCH_N (5 runs each), BIG_MB (100).
set -euo pipefail
: "${BERTH_BIN:?set BERTH_BIN}"
BUSYBOX_TAR=${1:?usage: regbench.sh BUSYBOX_TAR}
N=${BENCH_N:-5}
BIG_MB=${BIG_MB:-100}
NS=berth-rbench-$$
TMP=$(mktemp -d /tmp/berth-rbench.XXXXXX)
SOCK=$TMP/exec/berth.sock
REG=127.0.0.1:5000
pid='' rpid=''

cleanup() {
	set +e
	[ -n "$pid" ] && kill -TERM "$pid" && wait "$pid"
	[ -n "$rpid" ] && kill "$rpid" && wait "$rpid" 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

median() { sort -n | awk '{a[NR]=$1} END {if (NR) printf "%.3f", (NR % 2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2); else print "-"}'; }
now() { date +%s.%N; }
in_ns() { nsenter --net="/run/netns/$NS" "$@"; }
api_stream() { # api_stream PATH: POST, the JSON stream to a file; fails on an error message
	curl -sf -X POST -H 'X-Registry-Auth: e30=' --unix-socket "$SOCK" "http://localhost$1" >"$TMP/stream"
	! grep -q '"error"' "$TMP/stream"
}

ip netns add "$NS"
ip -n "$NS" link set lo up

# the registry, on a directory made again for every push run
reg_start() {
	rm -rf "$TMP/registry"
	mkdir -p "$TMP/registry"
	printf 'version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: %s\n  secret: bench\n' \
		"$TMP/registry" "$REG" >"$TMP/registry.yml"
	ip netns exec "$NS" /usr/bin/docker-registry serve "$TMP/registry.yml" </dev/null \
		>>"$TMP/registry.log" 2>&1 &
	rpid=$!
	for _ in $(seq 1 100); do
		in_ns curl -sf "http://$REG/v2/" >/dev/null && return 0
		sleep 0.05
	done
	echo "the registry did not start:"
	cat "$TMP/registry.log"
	return 1
}
reg_stop() { kill "$rpid"; wait "$rpid" 2>/dev/null || true; rpid=''; }

mkdir -p "$TMP/exec"
nsenter --net="/run/netns/$NS" "$BERTH_BIN/berthd" --root "$TMP/root" --exec-root "$TMP/exec" \
	--cgroup-parent "$NS" --log-level warn >"$TMP/berthd.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
	curl -sf --unix-socket "$SOCK" http://localhost/_ping >/dev/null && break
	sleep 0.05
done

# the image: busybox, then BIG_MB of random bytes on top (two layers)
mkdir -p "$TMP/big"
head -c "${BIG_MB}M" /dev/urandom >"$TMP/big/blob"
tar -C "$TMP/big" -cf "$TMP/big.tar" blob
curl -sf -X POST --unix-socket "$SOCK" -H 'Content-Type: application/x-tar' \
	--data-binary @"$BUSYBOX_TAR" "http://localhost/images/create?fromSrc=-&repo=$REG/bench/base&tag=1" >/dev/null
curl -sf -X POST --unix-socket "$SOCK" -H 'Content-Type: application/x-tar' \
	--data-binary @"$TMP/big.tar" "http://localhost/images/create?fromSrc=-&repo=$REG/bench/big&tag=1" >/dev/null
size_b=$(( $(stat -c %s "$BUSYBOX_TAR") + $(stat -c %s "$TMP/big.tar") ))
mb() { awk -v b="$1" -v s="$2" 'BEGIN { if (s > 0) printf "%.0f", b / 1e6 / s; else print "-" }'; }

# --- push (registry emptied each run) ---
: >"$TMP/push.s"
for _ in $(seq 1 "$N"); do
	reg_start
	rm -rf "$TMP/root/blobsums"
	t0=$(now)
	api_stream "/images/$REG/bench/big/push?tag=1"
	t1=$(now)
	echo "$t1 - $t0" | bc >>"$TMP/push.s"
	reg_stop
done
reg_start
api_stream "/images/$REG/bench/big/push?tag=1"
manifest=$(in_ns curl -sf -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
	"http://$REG/v2/bench/big/manifests/1")
layer=$(python3 -c 'import json,sys; m=json.loads(sys.argv[1]); print(max(m["layers"], key=lambda l: l["size"])["digest"])' "$manifest")
gz_b=$(python3 -c 'import json,sys; m=json.loads(sys.argv[1]); print(sum(l["size"] for l in m["layers"]))' "$manifest")

# --- pull (the images removed, so every layer is downloaded) ---
: >"$TMP/pull.s"
for _ in $(seq 1 "$N"); do
	curl -sf -X DELETE --unix-socket "$SOCK" "http://localhost/images/$REG/bench/big:1" >/dev/null
	curl -sf -X DELETE --unix-socket "$SOCK" "http://localhost/images/$REG/bench/base:1" >/dev/null || true
	left=$(find "$TMP/root/layers" -mindepth 1 -maxdepth 1 -type d | wc -l)
	[ "$left" -eq 0 ] || { echo "layers left before a pull: $left"; exit 1; }
	t0=$(now)
	api_stream "/images/create?fromImage=$REG/bench/big&tag=1"
	t1=$(now)
	echo "$t1 - $t0" | bc >>"$TMP/pull.s"
done

# --- the floors: curl moving the same blobs ---
: >"$TMP/get.s"
: >"$TMP/put.s"
in_ns curl -sf -o "$TMP/layer.gz" "http://$REG/v2/bench/big/blobs/$layer"
for _ in $(seq 1 "$N"); do
	t0=$(now)
	in_ns curl -sf -o /dev/null "http://$REG/v2/bench/big/blobs/$layer"
	t1=$(now)
	echo "$t1 - $t0" | bc >>"$TMP/get.s"
done
for i in $(seq 1 "$N"); do
	t0=$(now)
	loc=$(in_ns curl -sf -X POST -D - -o /dev/null "http://$REG/v2/floor$i/x/blobs/uploads/" |
		tr -d '\r' | awk -F': ' 'tolower($1) == "location" {print $2}')
	[[ $loc == http* ]] || loc=http://$REG$loc
	in_ns curl -sf -X PUT -H 'Content-Type: application/octet-stream' -T "$TMP/layer.gz" \
		"$loc&digest=$layer" >/dev/null
	t1=$(now)
	echo "$t1 - $t0" | bc >>"$TMP/put.s"
done
# gzip of the layer's stream, alone (what a push must do besides sending)
t0=$(now)
gzip -1 -c "$TMP/big.tar" >/dev/null
t1=$(now)
gzip_s=$(echo "$t1 - $t0" | bc | awk '{ printf "%.3f", $1 }')

push=$(median <"$TMP/push.s") pull=$(median <"$TMP/pull.s")
get=$(median <"$TMP/get.s") put=$(median <"$TMP/put.s")
lsize=$(stat -c %s "$TMP/layer.gz")
echo "== registry: pull and push of a ${BIG_MB} MiB image (medians of $N; MB/s of the uncompressed image)"
echo "image: $((size_b / 1000000)) MB uncompressed, $((gz_b / 1000000)) MB as pushed (the random layer: $((lsize / 1000000)) MB)"
printf '%-40s %9s %8s %10s\n' operation seconds MB/s vs-floor
printf '%-40s %9s %8s %10s\n' "berth push (API, every blob uploaded)" "$push" "$(mb "$size_b" "$push")" \
	"$(awk -v a="$push" -v b="$put" 'BEGIN { printf "%.1fx", a / b }')"
printf '%-40s %9s %8s %10s\n' "floor: curl POST+PUT of the big blob" "$put" "$(mb "$lsize" "$put")" 1x
printf '%-40s %9s %8s %10s\n' "berth pull (API, every layer fetched)" "$pull" "$(mb "$size_b" "$pull")" \
	"$(awk -v a="$pull" -v b="$get" 'BEGIN { printf "%.1fx", a / b }')"
printf '%-40s %9s %8s %10s\n' "floor: curl GET of the big blob" "$get" "$(mb "$lsize" "$get")" 1x
printf '%-40s %9s %8s\n' "(gzip -1 of the same stream, alone)" "$gzip_s" "$(mb "$size_b" "$gzip_s")"
if grep -E 'AddressSanitizer|runtime error|level=error| error ' "$TMP/berthd.log"; then
	echo "berthd logged errors"
	exit 1
fi
