#!/bin/sh
# deps.sh - install the Debian packages berth needs to build, test and demo,
# only those that are missing.  Called by `make deps`, `make demo`, `make check`;
# `deps.sh bench` (make bench) adds what the benchmarks compare against.
set -eu

PKGS="make gcc pkg-config clang-format
libnl-3-dev libnl-route-3-dev libmnl-dev libnftnl-dev libcap-dev libjansson-dev
libevent-dev libcurl4-openssl-dev libhttp-parser-dev libcmocka-dev libarchive-dev libssl-dev libldns-dev zlib1g-dev
nftables iproute2 util-linux procps curl busybox-static bats python3 python3-docker docker-compose
dnsutils dnsmasq-base etcd-server etcd-client iputils-ping openssl docker-registry
python3-jwt python3-cryptography"
[ "${1:-}" = bench ] && PKGS="$PKGS iperf3 crun dnsperf aardvark-dns"

missing=""
for p in $PKGS; do
	st=$(dpkg-query -W -f '${Status}' "$p" 2>/dev/null || true)
	case "$st" in
	*" installed") ;;
	*) missing="$missing $p" ;;
	esac
done

[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "deps: missing packages:$missing (run as root to install them)" >&2
	exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
# services these packages bring (etcd, docker-registry) are not started on
# the machine: the tests run their own inside namespaces
policy=""
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
	chmod 755 /usr/sbin/policy-rc.d
	policy=/usr/sbin/policy-rc.d
	trap 'rm -f "$policy"' EXIT
fi
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
