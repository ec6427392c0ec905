#!/bin/sh
# mk-busybox-rootfs.sh OUT.tar - a busybox root file system tarball from
# Debian's busybox-static: /bin/busybox, a symlink for every applet, the
# users and groups a container expects (root, daemon, nobody, berth 1000),
# /tmp (1777), /root, /home, /var and the mount points /proc /sys /dev /etc.
# The tarball is deterministic (names sorted, owners 0, one fixed mtime), so
# importing it twice gives the same layer id.  Used by the tests and the
# demo: `berth import OUT.tar busybox:latest`.
set -eu

out=${1:?usage: mk-busybox-rootfs.sh OUT.tar}
busybox=${BUSYBOX:-/bin/busybox}
mtime=@1700000000

[ -x "$busybox" ] || { echo "mk-busybox-rootfs: $busybox missing (apt-get install busybox-static)" >&2; exit 1; }

dir=$(mktemp -d "${TMPDIR:-/tmp}/busybox-rootfs.XXXXXX")
trap 'rm -rf "$dir"' EXIT

mkdir -p "$dir/bin" "$dir/sbin" "$dir/usr/bin" "$dir/usr/sbin" "$dir/etc" "$dir/root" \
	"$dir/home/berth" "$dir/var/log" "$dir/var/run" "$dir/proc" "$dir/sys" "$dir/dev" "$dir/tmp"
cp "$busybox" "$dir/bin/busybox"
chmod 0755 "$dir/bin/busybox"

# busybox --list-full names each applet with its directory (bin/ls, usr/bin/wc).
"$busybox" --list-full | while read -r applet; do
	[ "$applet" = bin/busybox ] && continue
	mkdir -p "$dir/$(dirname "$applet")"
	ln -sf /bin/busybox "$dir/$applet"
done

cat >"$dir/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
berth:x:1000:1000:berth:/home/berth:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
cat >"$dir/etc/group" <<'EOF'
root:x:0:
daemon:x:1:
berth:x:1000:
nogroup:x:65534:
EOF
: >"$dir/etc/hostname"
: >"$dir/etc/hosts"
: >"$dir/etc/resolv.conf"
chmod 0755 "$dir"/bin "$dir"/sbin "$dir"/usr "$dir"/usr/* "$dir"/etc "$dir"/home "$dir"/var \
	"$dir"/var/* "$dir"/proc "$dir"/sys "$dir"/dev
chmod 0700 "$dir/root"
chmod 0644 "$dir/etc/passwd" "$dir/etc/group" "$dir/etc/hostname" "$dir/etc/hosts" \
	"$dir/etc/resolv.conf"
chmod 1777 "$dir/tmp"

# Owners: root everywhere but /home/berth (1000).  Without root, tar is told
# to write owner 0 and /home/berth stays root's.
owner="--owner=0 --group=0"
if [ "$(id -u)" = 0 ]; then
	chown -R 0:0 "$dir"
	chown 1000:1000 "$dir/home/berth"
	owner=""
fi
# shellcheck disable=SC2046,SC2086
tar --create --file "$out" --directory "$dir" --format=gnu --sort=name --mtime="$mtime" \
	--numeric-owner $owner $(cd "$dir" && ls -A | LC_ALL=C sort)
