#!/bin/bash
# run-bats.sh DIR... - run every bats file under the given directories, two
# files at a time (each file makes its own namespaces, so they do not
# collide), print each file's TAP output, and fail if any file failed.
set -uo pipefail

[ "$(id -u)" = 0 ] || { echo "run-bats.sh: the integration tests need root" >&2; exit 1; }
: "${BERTH_BIN:?set BERTH_BIN to the directory holding berthd and berth}"
export BERTH_BIN
JOBS=${BATS_JOBS:-2}
out=$(mktemp -d /tmp/berth-bats.XXXXXX)
trap 'rm -rf "$out"' EXIT

files=()
for d in "$@"; do
	while IFS= read -r f; do files+=("$f"); done < <(find "$d" -name '*.bats' | sort)
done
[ ${#files[@]} -gt 0 ] || { echo "run-bats.sh: no bats files in $*"; exit 0; }

run_one() {
	local f=$1 log
	log=$2/$(echo "$f" | tr / _).log
	if bats --tap "$f" >"$log" 2>&1; then echo ok >"$log.rc"; else echo fail >"$log.rc"; fi
}
export -f run_one

start=$(date +%s)
printf '%s\n' "${files[@]}" | xargs -P "$JOBS" -I{} bash -c 'run_one "$1" "$2"' _ {} "$out"

failed=0
for f in "${files[@]}"; do
	log=$out/$(echo "$f" | tr / _).log
	echo "=== $f ($(cat "$log.rc"))"
	cat "$log"
	[ "$(cat "$log.rc")" = ok ] || failed=1
done
echo "=== ${#files[@]} files in $(($(date +%s) - start)) s: $([ $failed = 0 ] && echo PASS || echo FAIL)"
exit $failed
