/* rootfs.c - the container's root file system, set up by the container's
 * child in its new mount namespace (spawn.c calls rootfs_setup): the
 * overlayfs root, /proc, /dev, /sys, the spec's bind and tmpfs mounts,
 * /etc/hosts, /etc/resolv.conf and /etc/hostname, pivot_root, Docker's
 * masked and read-only paths, and the read-only root.
 *
 * Every path inside the new root is resolved with openat2(RESOLVE_IN_ROOT)
 * and mounted on through /proc/self/fd: an image may hold symlinks such as
 * /etc/hosts -> /host/etc/passwd, and a plain path would follow them out of
 * the container onto the host. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <linux/openat2.h>

#include "core/util.h"
#include "runtime/shim.h"

enum rootfs_kind {
	ROOTFS_DIR,
	ROOTFS_FILE,
};

struct rootfs_dev {
	const char *name;
	unsigned major, minor;
};

static const struct rootfs_dev rootfs_devs[] = {
	{"null", 1, 3},	  {"zero", 1, 5},    {"full", 1, 7},
	{"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0},
};

static const char *const rootfs_dev_links[][2] = {
	{"fd", "/proc/self/fd"},       {"stdin", "/proc/self/fd/0"}, {"stdout", "/proc/self/fd/1"},
	{"stderr", "/proc/self/fd/2"}, {"ptmx", "pts/ptmx"},	     {"core", "/proc/kcore"},
};

/* Docker's default masked paths (hidden) and read-only paths. */
static const char *const rootfs_masked[] = {
	"/proc/asound",
	"/proc/acpi",
	"/proc/kcore",
	"/proc/keys",
	"/proc/latency_stats",
	"/proc/timer_list",
	"/proc/timer_stats",
	"/proc/sched_debug",
	"/proc/scsi",
	"/sys/firmware",
	"/sys/devices/virtual/powercap",
};
static const char *const rootfs_readonly[] = {
	"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};

/* openat2() with RESOLVE_IN_ROOT: symlinks and ".." stay under rootfd. */
static int rootfs_openat2(int rootfd, const char *path, int flags)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC),
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};

	return (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
}

/* Create the missing last component name under dirfd. */
static int rootfs_create(int dirfd, const char *name, enum rootfs_kind kind)
{
	int fd;

	if (kind == ROOTFS_DIR)
		return mkdirat(dirfd, name, 0755) < 0 && errno != EEXIST ? -errno : 0;
	fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return errno == EEXIST ? 0 : -errno;
	close(fd);
	return 0;
}

/* An O_PATH fd of path inside the root, creating the missing directories
 * and the last component (a directory or an empty file). */
static int rootfs_resolve(int rootfd, const char *path, enum rootfs_kind kind, int *ret,
			  struct berr **err)
{
	_cleanup_free_ char *p = xstrdup(path);
	_cleanup_close_ int dirfd = fcntl(rootfd, F_DUPFD_CLOEXEC, 3);
	char *s = p;

	while (*s == '/')
		s++;
	while (*s) {
		char *slash = strchr(s, '/');
		bool last = !slash || !slash[strspn(slash, "/")];
		int fd, r;

		if (slash)
			*slash = 0;
		fd = rootfs_openat2(rootfd, p, O_PATH);
		if (fd < 0 && errno == ENOENT) {
			r = rootfs_create(dirfd, s, last ? kind : ROOTFS_DIR);
			if (r < 0)
				return berr_set(err, -r, "cannot create %s in the container: %s", p,
						strerror(-r));
			fd = rootfs_openat2(rootfd, p, O_PATH);
		}
		if (fd < 0)
			return berr_set(err, errno, "cannot open %s in the container: %m", p);
		close(dirfd);
		dirfd = fd;
		if (!slash)
			break;
		*slash = '/';
		s = slash + strspn(slash, "/");
	}
	*ret = TAKE_FD(dirfd);
	return 0;
}

/* mount(2) onto path inside the root (created when missing). */
static int rootfs_mount(int rootfd, const char *path, enum rootfs_kind kind, const char *src,
			const char *fstype, unsigned long flags, const char *data,
			struct berr **err)
{
	_cleanup_close_ int fd = -1;
	char target[64];
	int r;

	if ((r = rootfs_resolve(rootfd, path, kind, &fd, err)) < 0)
		return r;
	snprintf(target, sizeof(target), "/proc/self/fd/%d", fd);
	if (mount(src, target, fstype, flags, data) < 0)
		return berr_set(err, errno, "cannot mount %s on %s: %m", src ? src : fstype, path);
	return 0;
}

/* Make the mount at path read-only.  The path is resolved again: the fd
 * taken before the mount would still name the directory underneath. */
static int rootfs_remount_ro(int rootfd, const char *path, unsigned long flags, struct berr **err)
{
	return rootfs_mount(rootfd, path, ROOTFS_DIR, NULL, NULL,
			    MS_REMOUNT | MS_BIND | MS_RDONLY | flags, NULL, err);
}

/* The overlayfs root: the image layers under <bundle>/upper. */
static int rootfs_overlay(const struct rt_spec *spec, struct berr **err)
{
	_cleanup_free_ char *lower = NULL, *opts = NULL, *root = NULL;
	size_t len = 0;

	for (size_t i = 0; spec->lower_dirs[i]; i++)
		len += strlen(spec->lower_dirs[i]) + 1;
	lower = xcalloc(len + 1, 1);
	for (size_t i = 0; spec->lower_dirs[i]; i++) {
		if (i)
			strcat(lower, ":");
		strcat(lower, spec->lower_dirs[i]);
	}
	opts = xasprintf("lowerdir=%s,upperdir=%s/upper,workdir=%s/work", lower, spec->bundle,
			 spec->bundle);
	if (strlen(opts) >= (size_t)sysconf(_SC_PAGESIZE))
		return berr_set(err, E2BIG, "too many image layers for one overlay mount");
	root = xasprintf("%s/rootfs", spec->bundle);
	if (mount("overlay", root, "overlay", 0, opts) < 0)
		return berr_set(err, errno, "cannot mount the overlay root on %s: %m", root);
	return 0;
}

/* Device nodes and links in the new /dev (a tmpfs). */
static int rootfs_dev_nodes(int rootfd, struct berr **err)
{
	_cleanup_close_ int dev = -1;
	int r;

	if ((r = rootfs_resolve(rootfd, "/dev", ROOTFS_DIR, &dev, err)) < 0)
		return r;
	for (size_t i = 0; i < ARRAY_SIZE(rootfs_devs); i++) {
		const struct rootfs_dev *d = &rootfs_devs[i];

		if (mknodat(dev, d->name, S_IFCHR | 0666, makedev(d->major, d->minor)) < 0 ||
		    fchmodat(dev, d->name, 0666, 0) < 0)
			return berr_set(err, errno, "cannot create /dev/%s: %m", d->name);
	}
	for (size_t i = 0; i < ARRAY_SIZE(rootfs_dev_links); i++)
		if (symlinkat(rootfs_dev_links[i][1], dev, rootfs_dev_links[i][0]) < 0)
			return berr_set(err, errno, "cannot create /dev/%s: %m",
					rootfs_dev_links[i][0]);
	return 0;
}

/* /dev: a small tmpfs with the usual nodes, devpts, shm, mqueue, console. */
static int rootfs_dev(int rootfd, const struct rootfs_io *io, struct berr **err)
{
	char src[PATH_MAX];
	int r;

	if ((r = rootfs_mount(rootfd, "/dev", ROOTFS_DIR, "tmpfs", "tmpfs",
			      MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k", err)) < 0 ||
	    (r = rootfs_dev_nodes(rootfd, err)) < 0 ||
	    (r = rootfs_mount(rootfd, "/dev/pts", ROOTFS_DIR, "devpts", "devpts",
			      MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620,gid=5",
			      err)) < 0 ||
	    (r = rootfs_mount(rootfd, "/dev/shm", ROOTFS_DIR, "shm", "tmpfs",
			      MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777,size=65536k", err)) <
		    0 ||
	    (r = rootfs_mount(rootfd, "/dev/mqueue", ROOTFS_DIR, "mqueue", "mqueue",
			      MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, err)) < 0)
		return r;
	if (io->console_fd < 0)
		return 0;
	/* By its path, not /proc/self/fd: that would name the devpts mount
	 * of the shim's namespace, and bind mounts from another namespace
	 * fail (EINVAL). */
	if ((r = ttyname_r(io->console_fd, src, sizeof(src))) != 0)
		return berr_set(err, r, "cannot find the pty's name: %s", strerror(r));
	return rootfs_mount(rootfd, "/dev/console", ROOTFS_FILE, src, NULL, MS_BIND, NULL, err);
}

/* A bind mount from the host: recursive, read-only when asked. */
static int rootfs_bind(int rootfd, const char *src, const char *target, bool ro, struct berr **err)
{
	struct stat st;
	int r;

	if (stat(src, &st) < 0)
		return berr_set(err, errno, "invalid mount config: bind source path %s: %m", src);
	r = rootfs_mount(rootfd, target, S_ISDIR(st.st_mode) ? ROOTFS_DIR : ROOTFS_FILE, src, NULL,
			 MS_BIND | MS_REC, NULL, err);
	if (r < 0 || !ro)
		return r;
	return rootfs_remount_ro(rootfd, target, 0, err);
}

/* One mount of the spec. */
static int rootfs_spec_mount(int rootfd, const struct rt_mount *m, struct berr **err)
{
	unsigned long flags = MS_NOSUID | MS_NODEV | (m->readonly ? MS_RDONLY : 0);

	if (m->type == RT_MOUNT_BIND)
		return rootfs_bind(rootfd, m->source, m->target, m->readonly, err);
	return rootfs_mount(rootfd, m->target, ROOTFS_DIR, "tmpfs", "tmpfs", flags, m->options,
			    err);
}

/* Number of components of a path, to mount parents before children. */
static size_t rootfs_depth(const char *path)
{
	size_t n = 0;

	for (const char *p = path; *p; p++)
		n += *p == '/' && p[1] && p[1] != '/';
	return n;
}

/* The spec's mounts, shallowest target first (as Docker sorts them). */
static int rootfs_spec_mounts(int rootfd, const struct rt_spec *spec, struct berr **err)
{
	size_t max = 0;
	int r;

	for (size_t i = 0; i < spec->n_mounts; i++)
		if (rootfs_depth(spec->mounts[i].target) > max)
			max = rootfs_depth(spec->mounts[i].target);
	for (size_t d = 0; d <= max; d++)
		for (size_t i = 0; i < spec->n_mounts; i++)
			if (rootfs_depth(spec->mounts[i].target) == d &&
			    (r = rootfs_spec_mount(rootfd, &spec->mounts[i], err)) < 0)
				return r;
	return 0;
}

/* /etc/hosts, /etc/resolv.conf and /etc/hostname from the sandbox's files. */
static int rootfs_etc(int rootfd, const struct rt_spec *spec, struct berr **err)
{
	const char *files[][2] = {
		{spec->hosts_path, "/etc/hosts"},
		{spec->resolv_path, "/etc/resolv.conf"},
		{spec->hostname_path, "/etc/hostname"},
	};
	int r;

	for (size_t i = 0; i < ARRAY_SIZE(files); i++)
		if (files[i][0] &&
		    (r = rootfs_bind(rootfd, files[i][0], files[i][1], false, err)) < 0)
			return r;
	return 0;
}

/* Mounts made from the host side, before pivot_root. */
static int rootfs_populate(int rootfd, const struct rt_spec *spec, const struct rootfs_io *io,
			   struct berr **err)
{
	_cleanup_close_ int cwd = -1;
	int r;

	if ((r = rootfs_mount(rootfd, "/proc", ROOTFS_DIR, "proc", "proc",
			      MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, err)) < 0 ||
	    (r = rootfs_dev(rootfd, io, err)) < 0 ||
	    (r = rootfs_mount(rootfd, "/sys", ROOTFS_DIR, "sysfs", "sysfs",
			      MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, NULL, err)) < 0 ||
	    (r = rootfs_spec_mounts(rootfd, spec, err)) < 0 ||
	    (r = rootfs_etc(rootfd, spec, err)) < 0)
		return r;
	/* Docker creates a missing working directory. */
	return rootfs_resolve(rootfd, spec->cwd ? spec->cwd : "/", ROOTFS_DIR, &cwd, err);
}

/* Make rootfs the root of this mount namespace and drop the old one.
 *
 * pivot_root(".", ".") stacks the old root on top of the new one at the
 * same place; unmounting "." then removes the old root and leaves the new
 * one, with no temporary directory in the image.  The old root is made a
 * slave first so that the detach can never propagate to the host (the
 * namespace is already private; this is a second lock on the door). */
static int rootfs_pivot(const char *root, struct berr **err)
{
	if (chdir(root) < 0)
		return berr_set(err, errno, "cannot enter %s: %m", root);
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return berr_set(err, errno, "pivot_root: %m");
	if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
		return berr_set(err, errno, "cannot make the old root a slave: %m");
	if (umount2(".", MNT_DETACH) < 0)
		return berr_set(err, errno, "cannot detach the old root: %m");
	if (chdir("/") < 0)
		return berr_set(err, errno, "chdir /: %m");
	return 0;
}

/* Hide a path: /dev/null over a file, an empty read-only tmpfs over a dir. */
static int rootfs_mask(const char *path, struct berr **err)
{
	struct stat st;
	int r;

	if (stat(path, &st) < 0)
		return 0; /* not on this kernel */
	if (S_ISDIR(st.st_mode))
		r = mount("tmpfs", path, "tmpfs", MS_RDONLY, NULL);
	else
		r = mount("/dev/null", path, NULL, MS_BIND, NULL);
	if (r < 0)
		return berr_set(err, errno, "cannot mask %s: %m", path);
	return 0;
}

/* Make a path read-only: bind it on itself, then remount. */
static int rootfs_ro_path(const char *path, struct berr **err)
{
	if (access(path, F_OK) < 0)
		return 0;
	if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) < 0 ||
	    mount(NULL, path, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) <
		    0)
		return berr_set(err, errno, "cannot make %s read-only: %m", path);
	return 0;
}

/* Docker's masked and read-only paths, in the new root (not privileged). */
static int rootfs_protect(struct berr **err)
{
	int r;

	for (size_t i = 0; i < ARRAY_SIZE(rootfs_masked); i++)
		if ((r = rootfs_mask(rootfs_masked[i], err)) < 0)
			return r;
	for (size_t i = 0; i < ARRAY_SIZE(rootfs_readonly); i++)
		if ((r = rootfs_ro_path(rootfs_readonly[i], err)) < 0)
			return r;
	return 0;
}

/* Build the container's root and pivot into it; on return "/" is the
 * container's root.  The namespace dies with the container, and with it
 * every mount made here, so nothing needs to be undone on failure. */
int rootfs_setup(const struct rt_spec *spec, const struct rootfs_io *io, struct berr **err)
{
	_cleanup_free_ char *root = xasprintf("%s/rootfs", spec->bundle);
	_cleanup_close_ int rootfd = -1;
	int r;

	/* A new mount namespace starts as a copy whose mounts keep the
	 * propagation of the originals: on a shared "/" (systemd makes it
	 * shared) the overlay and every mount below would show up in the
	 * host's namespace, and the host's later mounts would show up here.
	 * Private, recursively, cuts both ways before the first mount. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return berr_set(err, errno, "cannot make the mount namespace private: %m");
	if ((r = rootfs_overlay(spec, err)) < 0)
		return r;
	rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return berr_set(err, errno, "cannot open %s: %m", root);
	if ((r = rootfs_populate(rootfd, spec, io, err)) < 0 || (r = rootfs_pivot(root, err)) < 0)
		return r;
	if (!spec->privileged && (r = rootfs_protect(err)) < 0)
		return r;
	if (spec->readonly_rootfs &&
	    mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) < 0)
		return berr_set(err, errno, "cannot make the root file system read-only: %m");
	return 0;
}
