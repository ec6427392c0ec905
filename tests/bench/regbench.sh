#!/bin/bash
# regbench.sh BUSYBOX_TAR - push and pull of a ~100 MiB image through the
# docker CLI and berthd, against a local registry (Debian's docker-registry
# on 127.0.0.1:5000, started with tests/integration/registry.bash inside a
# namespace made here, berthd in the same namespace), beside the floors:
# curl moving the same blobs over the same HTTP.
#
#   the image   one layer: the busybox root file system plus BIG_MB of
#               random (incompressible) bytes, a tar built here and
#               `docker import`ed
#   push        `docker push`, the registry restarted on an empty directory
#               before each run (not timed), so every run uploads every blob
#   pull        `docker rmi` (no layer left in berth's store: checked), then
#               `docker pull` from the registry the pushes filled
#   floors      GET: one curl fetching the manifest, the config and the
#               layer; PUT: curl uploading the config and the same gzipped
#               layer (POST + PUT ?digest=, -T) and the manifest, on an
#               empty registry too.  For scale, not floors: sha256 of the
#               gzipped layer (the digest a push and a pull both compute;
#               openssl dgst: berthd hashes with OpenSSL too), and gzip -d |
#               tar x of the layer into a directory (what a pull does
#               besides receiving).  No gzip row: on random data berthd's
#               push switches to stored blocks, gzip(1) does not.
#
# Medians of BENCH_N runs; MB/s of the bytes a run moves over HTTP (the
# compressed blobs and the manifest).  The docker CLI's own start (~30 ms)
# is in the push and pull times.  Figures, not verdicts: exits non-zero
# only when something failed (not on a timing).
#
# Environment: BENCH_N (5), BIG_MB (100), DOCKER_CLI (/usr/local/bin/docker).
set -euo pipefail
: "${BERTH_BIN:?set BERTH_BIN}"
BUSYBOX_TAR=${1:?usage: regbench.sh BUSYBOX_TAR}
here=$(cd "$(dirname "$0")" && pwd)
N=${BENCH_N:-5}
BIG_MB=${BIG_MB:-100}
DOCKER_CLI=${DOCKER_CLI:-/usr/local/bin/docker}
NS=berth-rbench-$$
TMP=$(mktemp -d /tmp/berth-rbench.XXXXXX)
ROOT=$TMP/root
SOCK=$TMP/exec/berth.sock
export DOCKER_HOST=unix://$SOCK DOCKER_CONFIG=$TMP/docker-config
REG=127.0.0.1:5000
IMG=$REG/bench/big:1
MT=application/vnd.docker.distribution.manifest.v2+json
pid=''
errors=()

in_ns() { nsenter --net="/run/netns/$NS" "$@"; }
docker() { "$DOCKER_CLI" "$@"; }
# registry.bash: reg_start, reg_stop_all, reg_fill, reg_blob (in_ns, NS, TMP)
# shellcheck source-path=SCRIPTDIR source=../integration/registry.bash disable=SC1091
. "$here/../integration/registry.bash"

cleanup() {
	set +e
	reg_stop_all
	if [ -n "$pid" ]; then
		kill -TERM "$pid"
		wait "$pid"
	fi
	for f in "$TMP"/exec/netns/*; do [ -e "$f" ] && umount "$f"; done
	ip netns del "$NS" 2>/dev/null
	for d in /sys/fs/cgroup/*/"$NS" /sys/fs/cgroup/"$NS"; do
		[ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
	done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

median() { sort -n | awk '{a[NR]=$1} END {if (NR) printf "%.3f", (NR % 2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2); else print "-"}'; }
# timed FILE CMD...: CMD's wall time in seconds appended to FILE when it
# succeeds; its status returned
timed() {
	local f=$1 t0 t1
	shift
	t0=$(date +%s%N)
	"$@" || return
	t1=$(date +%s%N)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f\n", (b - a) / 1e9 }' >>"$f"
}
mbs() { awk -v b="$1" -v s="$2" 'BEGIN { if (s ~ /^[0-9.]+$/ && s > 0) printf "%.0f", b / 1e6 / s; else print "-" }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && b > 0) printf "%.2fx", a / b; else print "-" }'; }
# layers in berth's store (dot directories are its scratch)
layers_left() { find "$ROOT/layers" -mindepth 1 -maxdepth 1 -type d ! -name '.*' 2>/dev/null | wc -l; }
# a registry on an empty directory
reg_fresh() {
	reg_stop_all
	rm -rf "$TMP/reg"
	reg_start reg 5000
}

ip netns add "$NS"
ip -n "$NS" link set lo up
mkdir -p "$TMP/exec"
nsenter --net="/run/netns/$NS" "$BERTH_BIN/berthd" --root "$ROOT" --exec-root "$TMP/exec" \
	--cgroup-parent "$NS" --log-level warn </dev/null >"$TMP/berthd.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
	curl -sf --unix-socket "$SOCK" http://localhost/_ping >/dev/null 2>&1 && break
	sleep 0.05
done
curl -sf --unix-socket "$SOCK" http://localhost/_ping >/dev/null || {
	echo "berthd did not answer:"
	cat "$TMP/berthd.log"
	exit 1
}

# the image: busybox and BIG_MB of random bytes, one layer
mkdir -p "$TMP/big"
head -c "${BIG_MB}M" /dev/urandom >"$TMP/big/random"
cp "$BUSYBOX_TAR" "$TMP/big.tar"
tar -rf "$TMP/big.tar" -C "$TMP/big" --owner=0 --group=0 random
rm -f "$TMP/big/random"
docker import -c 'CMD ["sh"]' "$TMP/big.tar" "$IMG" >/dev/null
id=$(docker inspect -f '{{.Id}}' "$IMG")
img_b=$(docker image inspect -f '{{.Size}}' "$IMG")

# --- push: every run on an empty registry ---
: >"$TMP/push.s"
for _ in $(seq 1 "$N"); do
	reg_fresh
	if ! timed "$TMP/push.s" docker push "$IMG" >"$TMP/push.out" 2>&1; then
		echo "docker push failed:"
		sed 's/^/  /' "$TMP/push.out" | tail -20
		exit 1
	fi
done

# what the registry holds: the blobs, kept for the floors
in_ns curl -sf -H "Accept: $MT" -o "$TMP/manifest" "http://$REG/v2/bench/big/manifests/1"
read -r cfg cfg_b layer layer_b < <(/usr/bin/python3 -c '
import json, sys
m = json.load(open(sys.argv[1]))
assert len(m["layers"]) == 1, "one layer expected"
print(m["config"]["digest"], m["config"]["size"], m["layers"][0]["digest"], m["layers"][0]["size"])' "$TMP/manifest")
in_ns curl -sf -o "$TMP/config" "http://$REG/v2/bench/big/blobs/$cfg"
in_ns curl -sf -o "$TMP/layer.gz" "http://$REG/v2/bench/big/blobs/$layer"
[ -n "${layer:-}" ] || { echo "no layer in the registry's manifest"; exit 1; }
wire_b=$((cfg_b + layer_b + $(stat -c %s "$TMP/manifest")))

# --- pull: removed first, so every layer is downloaded ---
: >"$TMP/pull.s"
for _ in $(seq 1 "$N"); do
	docker rmi "$IMG" >/dev/null
	if [ "$(layers_left)" -ne 0 ]; then
		echo "layers left in berth's store before a pull: $(layers_left)"
		errors+=(pull)
		break
	fi
	if ! timed "$TMP/pull.s" docker pull "$IMG" >"$TMP/pull.out" 2>&1; then
		echo "docker pull failed:"
		sed 's/^/  /' "$TMP/pull.out" | tail -20
		errors+=(pull)
		break
	fi
	if [ "$(docker inspect -f '{{.Id}}' "$IMG")" != "$id" ]; then
		echo "the pulled image is not the one pushed: $(docker inspect -f '{{.Id}}' "$IMG") != $id"
		errors+=(pull)
		break
	fi
done

# --- the floors: curl moving the same blobs ---
: >"$TMP/get.s"
for _ in $(seq 1 "$N"); do
	timed "$TMP/get.s" in_ns curl -sf -H "Accept: $MT" \
		-o /dev/null "http://$REG/v2/bench/big/manifests/1" \
		-o /dev/null "http://$REG/v2/bench/big/blobs/$cfg" \
		-o /dev/null "http://$REG/v2/bench/big/blobs/$layer"
done
# put_blob FILE DIGEST: POST, then PUT ?digest= streaming FILE
put_blob() {
	local loc
	loc=$(in_ns curl -sf -X POST -D - -o /dev/null "http://$REG/v2/bench/big/blobs/uploads/" |
		tr -d '\r' | awk -F': ' 'tolower($1) == "location" {print $2}')
	[[ $loc == http* ]] || loc=http://$REG$loc
	in_ns curl -sf -X PUT -H 'Content-Type: application/octet-stream' -T "$1" \
		"$loc$([[ $loc == *\?* ]] && echo '&' || echo '?')digest=$2" >/dev/null
}
put_image() {
	put_blob "$TMP/config" "$cfg" && put_blob "$TMP/layer.gz" "$layer" &&
		in_ns curl -sf -X PUT -H "Content-Type: $MT" -T "$TMP/manifest" \
			"http://$REG/v2/bench/big/manifests/1" >/dev/null
}
: >"$TMP/put.s"
for _ in $(seq 1 "$N"); do
	reg_fresh
	timed "$TMP/put.s" put_image || { echo "curl upload failed"; errors+=(floor-put); break; }
done
reg_stop_all

# --- for scale: the local work of each direction, no network ---
: >"$TMP/sha.s"
: >"$TMP/untar.s"
for _ in $(seq 1 "$N"); do
	timed "$TMP/sha.s" openssl dgst -sha256 "$TMP/layer.gz" >/dev/null
	mkdir -p "$TMP/untar"
	# shellcheck disable=SC2016
	timed "$TMP/untar.s" sh -c 'gzip -dc <"$1" | tar -x -C "$2"' sh "$TMP/layer.gz" "$TMP/untar"
	rm -rf "$TMP/untar"
done

push_s=$(median <"$TMP/push.s") pull_s=$(median <"$TMP/pull.s")
get_s=$(median <"$TMP/get.s") put_s=$(median <"$TMP/put.s")
sha_s=$(median <"$TMP/sha.s") untar_s=$(median <"$TMP/untar.s")
echo "== registry: docker push and pull through berthd, a local docker-registry (medians of $N; MB/s of the bytes on the wire)"
echo "image: $(awk -v b="$img_b" 'BEGIN { printf "%.1f", b / 1e6 }') MB (one layer: busybox + ${BIG_MB} MiB random), $(awk -v b="$wire_b" 'BEGIN { printf "%.1f", b / 1e6 }') MB compressed as the registry holds it (layer $layer_b B, config $cfg_b B)"
row() { printf '%-52s %13s %8s %9s\n' "$@"; }
row operation "median s" MB/s vs-floor
row "docker push (every blob uploaded)" "$push_s" "$(mbs "$wire_b" "$push_s")" "$(ratio "$push_s" "$put_s")"
row "  floor: curl POST+PUT of config, layer; manifest" "$put_s" "$(mbs "$wire_b" "$put_s")" 1x
row "docker pull (no layer in the store)" "$pull_s" "$(mbs "$wire_b" "$pull_s")" "$(ratio "$pull_s" "$get_s")"
row "  floor: curl GET of manifest, config, layer" "$get_s" "$(mbs "$wire_b" "$get_s")" 1x
row "  (sha256 of the gzipped layer, alone: openssl dgst)" "$sha_s" "$(mbs "$wire_b" "$sha_s")" ""
row "  (gzip -d | tar x of the layer, alone)" "$untar_s" "$(mbs "$wire_b" "$untar_s")" ""
if grep -E 'AddressSanitizer|LeakSanitizer|runtime error:|level=error| error ' "$TMP/berthd.log"; then
	errors+=("berthd logged errors")
fi
if [ ${#errors[@]} -gt 0 ]; then
	echo "errors (not timings): ${errors[*]}"
	exit 1
fi
