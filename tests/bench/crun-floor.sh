#!/bin/bash
# crun-floor.sh BUSYBOX_TAR [ROUNDS] - the floor for a container start: Debian's
# crun running `true` on the same busybox root file system, in a network
# namespace of its own, timed like the API benchmark (median and p99).
set -euo pipefail
# crun 1.8 refuses hybrid cgroup hosts (v1 controllers plus a v2 mount with
# controllers): in a private mount namespace, hide the v2 mount from it
if [ -z "${CRUN_FLOOR_PRIVATE:-}" ] && [ -d /sys/fs/cgroup/unified ]; then
	exec unshare -m --propagation private env CRUN_FLOOR_PRIVATE=1 bash -c \
		'mount -t tmpfs none /sys/fs/cgroup/unified && exec "$0" "$@"' "$(readlink -f "$0")" "$@"
fi
tar=$1 rounds=${2:-30}
command -v crun >/dev/null || { echo "crun floor: crun is not installed (apt-get install crun)"; exit 0; }
dir=$(mktemp -d /tmp/berth-crun.XXXXXX)
trap 'rm -rf "$dir"' EXIT
mkdir "$dir/rootfs"
tar -xf "$tar" -C "$dir/rootfs"
cd "$dir"
crun spec >/dev/null
python3 - <<'PY'
import json
s = json.load(open("config.json"))
s["process"]["args"] = ["true"]
s["process"]["terminal"] = False
s["root"]["readonly"] = False
json.dump(s, open("config.json", "w"))
PY
times=()
for i in $(seq 1 "$rounds"); do
	t0=$(date +%s%N)
	crun --root "$dir/state" run "floor$i" >/dev/null
	t1=$(date +%s%N)
	times+=($(((t1 - t0) / 1000)))
done
printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "crun run true (floor): p50 %.1f ms, p99 %.1f ms (%d runs)\n", a[int((NR+1)/2)]/1000, a[int(NR*0.99+0.5)]/1000, NR}'
