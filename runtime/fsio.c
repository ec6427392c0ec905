/* fsio.c - a container's files for export and archive copies (docker
 * export, docker cp), without mounting anything on the host.
 *
 * berthd's side (rt_fs_tar, rt_fs_untar; job thread) spawns
 * `berth-fsio --fs-tar|--fs-untar ...` with posix_spawn (no fork of the
 * threaded daemon): the tar goes through the helper's stdout or stdin, and
 * the helper's stderr carries one JSON line at the end, {"ok":true,...} or
 * {"error":"...","code":N}.
 *
 * The helper's side (rt_fs_helper_main): for a running container it joins
 * the container's mount namespace (its root becomes the container's); for a
 * stopped one it makes a private mount namespace and mounts the overlay on
 * <bundle>/rootfs there, read-only from the layers and the upper dir for
 * reads, with upper and work dirs for writes.  The namespace, and so the
 * overlay, goes away when the helper exits. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/util.h"
#include "runtime/runtime.h"
#include "runtime/tar.h"

extern char **environ;

#define FSIO_BLOCK (64 * 1024)

/* Go's os.FileMode type bits, which Docker's path stat carries. */
#define FSIO_GO_DIR	(1u << 31)
#define FSIO_GO_SYMLINK (1u << 27)
#define FSIO_GO_DEVICE	(1u << 26)
#define FSIO_GO_PIPE	(1u << 25)
#define FSIO_GO_SOCKET	(1u << 24)
#define FSIO_GO_SETUID	(1u << 23)
#define FSIO_GO_SETGID	(1u << 22)
#define FSIO_GO_CHARDEV (1u << 21)
#define FSIO_GO_STICKY	(1u << 20)

/* --- berthd's side --- */

struct fsio_argv {
	char **v;
	size_t n, cap;
};

static void fsio_argv_add(struct fsio_argv *a, const char *s)
{
	xgrow(&a->v, &a->cap, a->n + 2, sizeof(*a->v));
	a->v[a->n++] = xstrdup(s);
	a->v[a->n] = NULL;
}

static void fsio_argv_done(struct fsio_argv *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
}

/* The helper binary: berth-fsio beside t->shim_path (when given), else
 * $BERTH_FSIO, else beside ourselves. */
static char *fsio_shim_path(const struct rt_fs_target *t)
{
	char self[PATH_MAX];
	ssize_t n;

	if (t->shim_path) {
		_cleanup_free_ char *copy = xstrdup(t->shim_path);

		return xasprintf("%s/berth-fsio", dirname(copy));
	}
	if (getenv("BERTH_FSIO") && *getenv("BERTH_FSIO"))
		return xstrdup(getenv("BERTH_FSIO"));
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0)
		return xstrdup("berth-fsio");
	self[n] = 0;
	return xasprintf("%s/berth-fsio", dirname(self));
}

/* The helper's arguments that say where the container's files are. */
static void fsio_argv_target(struct fsio_argv *a, const struct rt_fs_target *t)
{
	if (t->pid > 0) {
		_cleanup_free_ char *pid = xasprintf("%d", (int)t->pid);

		fsio_argv_add(a, "--pid");
		fsio_argv_add(a, pid);
		return;
	}
	fsio_argv_add(a, "--bundle");
	fsio_argv_add(a, t->bundle);
	for (size_t i = 0; t->lower_dirs && t->lower_dirs[i]; i++) {
		fsio_argv_add(a, "--lower");
		fsio_argv_add(a, t->lower_dirs[i]);
	}
}

/* Read fd to EOF into a string (caller frees). */
static char *fsio_read_all(int fd)
{
	size_t len = 0, cap = 4096;
	char *buf = xmalloc(cap);
	ssize_t n;

	for (;;) {
		if (cap - len < 2) {
			cap *= 2;
			buf = xrealloc(buf, cap);
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	buf[len] = 0;
	return buf;
}

/* The helper's last stderr line: its result. */
static int fsio_parse_reply(char *out, int status, json_t **ret, struct berr **err)
{
	char *line, *end = out + strlen(out);
	json_t *obj;
	int code = EIO;

	while (end > out && end[-1] == '\n')
		*--end = 0;
	line = strrchr(out, '\n') ? strrchr(out, '\n') + 1 : out;
	obj = json_loads(line, 0, NULL);
	if (obj && json_is_true(json_object_get(obj, "ok")) && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0) {
		*ret = obj;
		return 0;
	}
	if (obj && json_is_string(json_object_get(obj, "error"))) {
		if (json_is_integer(json_object_get(obj, "code")))
			code = (int)json_integer_value(json_object_get(obj, "code"));
		berr_set(err, code, "%s", json_string_value(json_object_get(obj, "error")));
	} else {
		berr_set(err, EIO, "the file system helper failed (status %d): %s", status, out);
	}
	json_decref(obj);
	return -code;
}

/* Spawn the helper with stdin in_fd and stdout out_fd (-1: /dev/null) and
 * wait for its result. */
static int fsio_spawn(const struct rt_fs_target *t, struct fsio_argv *a, int in_fd, int out_fd,
		      json_t **ret, struct berr **err)
{
	_cleanup_free_ char *shim = fsio_shim_path(t), *out = NULL;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, all;
	int p[2], status = 0, r;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return berr_set(err, errno, "cannot make a pipe: %m");
	posix_spawn_file_actions_init(&fa);
	if (in_fd >= 0)
		posix_spawn_file_actions_adddup2(&fa, in_fd, 0);
	else
		posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (out_fd >= 0)
		posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
	else
		posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, p[1], 2);
	/* the helper must not inherit berthd's blocked or ignored signals */
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &all);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	free(a->v[0]);
	a->v[0] = xstrdup(shim);
	r = posix_spawn(&pid, shim, &fa, &attr, a->v, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	close(p[1]);
	if (r != 0) {
		close(p[0]);
		return berr_set(err, r, "cannot start %s: %s", shim, strerror(r));
	}
	out = fsio_read_all(p[0]);
	close(p[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return fsio_parse_reply(out, status, ret, err);
}

int rt_fs_tar(const struct rt_fs_target *t, const char *path, int out_fd, json_t **ret_stat,
	      struct berr **err)
{
	struct fsio_argv a = {0};
	json_t *reply = NULL;
	int r;

	fsio_argv_add(&a, "berth-fsio");
	fsio_argv_add(&a, "--fs-tar");
	fsio_argv_target(&a, t);
	if (path) {
		fsio_argv_add(&a, "--path");
		fsio_argv_add(&a, path);
	}
	if (out_fd < 0)
		fsio_argv_add(&a, "--stat-only");
	r = fsio_spawn(t, &a, -1, out_fd, &reply, err);
	fsio_argv_done(&a);
	if (r < 0)
		return r;
	if (ret_stat)
		*ret_stat = json_incref(json_object_get(reply, "stat"));
	json_decref(reply);
	return 0;
}

int rt_fs_untar(const struct rt_fs_target *t, const char *path, bool no_overwrite_dir_non_dir,
		int in_fd, struct berr **err)
{
	struct fsio_argv a = {0};
	json_t *reply = NULL;
	int r;

	fsio_argv_add(&a, "berth-fsio");
	fsio_argv_add(&a, "--fs-untar");
	fsio_argv_target(&a, t);
	fsio_argv_add(&a, "--path");
	fsio_argv_add(&a, path);
	if (no_overwrite_dir_non_dir)
		fsio_argv_add(&a, "--no-overwrite-dir-non-dir");
	r = fsio_spawn(t, &a, in_fd, -1, &reply, err);
	fsio_argv_done(&a);
	json_decref(reply);
	return r;
}

/* --- the helper's side --- */

struct fsio_opts {
	bool untar;
	pid_t pid;
	const char *bundle;
	char **lower; /* NULL-terminated */
	size_t n_lower, cap_lower;
	const char *path;
	bool stat_only;
	bool no_overwrite;
};

/* Join the running container's mount namespace: root and cwd become the
 * container's root.  setns on a mount namespace needs a process that
 * shares its fs attributes with nobody, hence the unshare first. */
static int fsio_enter_running(pid_t pid, struct berr **err)
{
	_cleanup_free_ char *ns = xasprintf("/proc/%d/ns/mnt", (int)pid);
	_cleanup_close_ int fd = open(ns, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return berr_set(err, errno == ENOENT ? ESRCH : errno,
				"cannot open %s: %m (has the container ended?)", ns);
	if (unshare(CLONE_FS) < 0)
		return berr_set(err, errno, "cannot unshare the fs attributes: %m");
	if (setns(fd, CLONE_NEWNS) < 0)
		return berr_set(err, errno, "cannot join the mount namespace of %d: %m", (int)pid);
	if (chdir("/") < 0 || chroot(".") < 0)
		return berr_set(err, errno, "cannot change to the container's root: %m");
	return 0;
}

/* The overlay options: read-write with upper and work dirs, or read-only
 * with the upper dir as the top lower layer (its whiteouts still hide). */
static char *fsio_overlay_opts(const struct fsio_opts *o, bool rw)
{
	char *lower = rw ? xstrdup("") : xasprintf("%s/upper", o->bundle), *s, *opts;

	for (size_t i = 0; i < o->n_lower; i++) {
		s = xasprintf("%s%s%s", lower, *lower ? ":" : "", o->lower[i]);
		free(lower);
		lower = s;
	}
	if (rw)
		opts = xasprintf("lowerdir=%s,upperdir=%s/upper,workdir=%s/work", lower, o->bundle,
				 o->bundle);
	else
		opts = xasprintf("lowerdir=%s", lower);
	free(lower);
	return opts;
}

/* A stopped container: a private mount namespace with the overlay on
 * <bundle>/rootfs, then chroot there.  "/" is made private first: on a
 * shared root the overlay would propagate to the host. */
static int fsio_enter_stopped(const struct fsio_opts *o, bool rw, struct berr **err)
{
	_cleanup_free_ char *opts = fsio_overlay_opts(o, rw);
	_cleanup_free_ char *root = xasprintf("%s/rootfs", o->bundle);

	if (strlen(opts) >= (size_t)sysconf(_SC_PAGESIZE))
		return berr_set(err, E2BIG, "too many image layers for one overlay mount");
	if (unshare(CLONE_NEWNS | CLONE_FS) < 0)
		return berr_set(err, errno, "cannot unshare a mount namespace: %m");
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return berr_set(err, errno, "cannot make / private: %m");
	if (mount("overlay", root, "overlay", rw ? 0 : MS_RDONLY, opts) < 0)
		return berr_set(err, errno, "cannot mount the overlay on %s: %m", root);
	if (chdir(root) < 0 || chroot(".") < 0 || chdir("/") < 0)
		return berr_set(err, errno, "cannot change to the container's root: %m");
	return 0;
}

/* Go's FileMode of st, as Docker reports it. */
static unsigned fsio_go_mode(const struct stat *st)
{
	unsigned m = st->st_mode & 0777;

	if (S_ISDIR(st->st_mode))
		m |= FSIO_GO_DIR;
	else if (S_ISLNK(st->st_mode))
		m |= FSIO_GO_SYMLINK;
	else if (S_ISBLK(st->st_mode))
		m |= FSIO_GO_DEVICE;
	else if (S_ISCHR(st->st_mode))
		m |= FSIO_GO_DEVICE | FSIO_GO_CHARDEV;
	else if (S_ISFIFO(st->st_mode))
		m |= FSIO_GO_PIPE;
	else if (S_ISSOCK(st->st_mode))
		m |= FSIO_GO_SOCKET;
	if (st->st_mode & S_ISUID)
		m |= FSIO_GO_SETUID;
	if (st->st_mode & S_ISGID)
		m |= FSIO_GO_SETGID;
	if (st->st_mode & S_ISVTX)
		m |= FSIO_GO_STICKY;
	return m;
}

/* A symlink's target as an absolute path in the container, else "". */
static char *fsio_link_target(const char *path, const struct stat *st)
{
	char buf[PATH_MAX];
	_cleanup_free_ char *dir = xstrdup(path);
	ssize_t n;

	if (!S_ISLNK(st->st_mode) || (n = readlink(path, buf, sizeof(buf) - 1)) < 0)
		return xstrdup("");
	buf[n] = 0;
	if (buf[0] == '/')
		return xstrdup(buf);
	return xasprintf("%s/%s", streq(dirname(dir), "/") ? "" : dir, buf);
}

/* The last component of path ("/" for the root). */
static char *fsio_base(const char *path)
{
	_cleanup_free_ char *p = xstrdup(path);

	return xstrdup(basename(p));
}

/* Docker's path stat of path: {"name","size","mode","mtime","linkTarget"}. */
static int fsio_stat(const char *path, json_t **ret, struct berr **err)
{
	_cleanup_free_ char *name = fsio_base(path), *link = NULL;
	struct stat st;
	char mtime[64];

	if (lstat(path, &st) < 0)
		return berr_set(err, errno, "%s: %m", path);
	link = fsio_link_target(path, &st);
	util_time_rfc3339(&st.st_mtim, mtime, sizeof(mtime));
	*ret = json_pack("{s:s,s:I,s:I,s:s,s:s}", "name", name, "size", (json_int_t)st.st_size,
			 "mode", (json_int_t)fsio_go_mode(&st), "mtime", mtime, "linkTarget", link);
	return 0;
}

/* Copy one regular file's data from the disk reader to the tar writer,
 * zeros in the holes of sparse files. */
static int fsio_copy_data(struct archive *disk, struct archive *w, const char *name,
			  struct berr **err)
{
	static const char zeros[FSIO_BLOCK];
	const void *buf;
	size_t size;
	la_int64_t off, pos = 0;
	int ar;

	while ((ar = archive_read_data_block(disk, &buf, &size, &off)) == ARCHIVE_OK) {
		while (pos < off) {
			size_t z = (size_t)(off - pos) < sizeof(zeros) ? (size_t)(off - pos)
								       : sizeof(zeros);

			if (archive_write_data(w, zeros, z) < 0)
				return berr_set(err, EIO, "cannot write %s: %s", name,
						archive_error_string(w));
			pos += (la_int64_t)z;
		}
		if (size && archive_write_data(w, buf, size) < 0)
			return berr_set(err, EIO, "cannot write %s: %s", name,
					archive_error_string(w));
		pos = off + (la_int64_t)size;
	}
	if (ar != ARCHIVE_EOF)
		return berr_set(err, EIO, "cannot read %s: %s", name, archive_error_string(disk));
	return 0;
}

/* Walk path, naming entries base/...: what `docker cp` out expects. */
static int fsio_walk(struct archive *disk, struct archive *w, const char *path, const char *base,
		     struct berr **err)
{
	struct archive_entry *e = archive_entry_new(), *spare = NULL;
	struct archive_entry_linkresolver *links = archive_entry_linkresolver_new();
	size_t prefix = strlen(path);
	int r = 0, ar;

	archive_entry_linkresolver_set_strategy(links, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED);
	while ((ar = archive_read_next_header2(disk, e)) == ARCHIVE_OK || ar == ARCHIVE_WARN) {
		const char *src = archive_entry_sourcepath(e);
		_cleanup_free_ char *name = xasprintf("%s%s", base, src + prefix);
		struct archive_entry *out = e;

		archive_read_disk_descend(disk);
		archive_entry_set_pathname(e, name);
		archive_entry_linkify(links, &out, &spare);
		if (archive_write_header(w, out) < ARCHIVE_WARN) {
			r = berr_set(err, EIO, "cannot write %s: %s", name,
				     archive_error_string(w));
			break;
		}
		if (archive_entry_filetype(out) == AE_IFREG && archive_entry_size(out) > 0 &&
		    (r = fsio_copy_data(disk, w, name, err)) < 0)
			break;
	}
	if (r == 0 && ar != ARCHIVE_EOF)
		r = berr_set(err, EIO, "cannot read %s: %s", path, archive_error_string(disk));
	archive_entry_free(e);
	archive_entry_linkresolver_free(links);
	return r;
}

/* Write path (a file or a tree) as a tar stream to fd. */
static int fsio_tar_path(const char *path, int fd, struct berr **err)
{
	_cleanup_free_ char *base = fsio_base(path);

	return rt_fs_tar_local(path, base, fd, err);
}

int rt_fs_tar_local(const char *path, const char *base, int fd, struct berr **err)
{
	struct archive *w = archive_write_new(), *disk = archive_read_disk_new();
	int r;

	archive_write_set_format_pax_restricted(w);
	/* copying "/" must not wander into /proc and /sys */
	archive_read_disk_set_behavior(
		disk, ARCHIVE_READDISK_NO_FFLAGS |
			      (streq(path, "/") ? ARCHIVE_READDISK_NO_TRAVERSE_MOUNTS : 0));
	archive_read_disk_set_symlink_physical(disk);
	if (archive_write_open_fd(w, fd) != ARCHIVE_OK)
		r = berr_set(err, EIO, "cannot write the tar stream: %s", archive_error_string(w));
	else if (archive_read_disk_open(disk, path) != ARCHIVE_OK)
		r = berr_set(err, errno ?: EIO, "cannot read %s: %s", path,
			     archive_error_string(disk));
	else
		r = fsio_walk(disk, w, streq(path, "/") ? "" : path, streq(base, "/") ? "." : base,
			      err);
	if (archive_write_close(w) != ARCHIVE_OK && r == 0)
		r = berr_set(err, EIO, "cannot finish the tar stream: %s", archive_error_string(w));
	archive_write_free(w);
	archive_read_free(disk);
	return r;
}

/* A tar entry name that stays below the extraction directory. */
static bool fsio_name_ok(const char *name)
{
	const char *p = name;

	if (!name || *name == '/')
		return false;
	while (*p) {
		size_t n = strcspn(p, "/");

		if (n == 2 && p[0] == '.' && p[1] == '.')
			return false;
		p += n;
		p += strspn(p, "/");
	}
	return true;
}

/* noOverwriteDirNonDir: refuse to swap a directory for a non-directory. */
static int fsio_check_overwrite(struct archive_entry *e, struct berr **err)
{
	const char *name = archive_entry_pathname(e);
	bool dir = archive_entry_filetype(e) == AE_IFDIR;
	struct stat st;

	if (lstat(name, &st) < 0)
		return 0;
	if (S_ISDIR(st.st_mode) && !dir)
		return berr_set(err, EISDIR, "cannot overwrite directory \"%s\" with non-directory",
				name);
	if (!S_ISDIR(st.st_mode) && dir)
		return berr_set(err, ENOTDIR,
				"cannot overwrite non-directory \"%s\" with directory", name);
	return 0;
}

/* Check one entry, then write it to disk (relative to the cwd). */
static int fsio_extract_entry(struct archive *rd, struct archive *disk, struct archive_entry *e,
			      bool no_overwrite, struct berr **err)
{
	const char *name = archive_entry_pathname(e), *hl = archive_entry_hardlink(e);
	int r;

	if (!fsio_name_ok(name) || (hl && !fsio_name_ok(hl)))
		return berr_set(err, EINVAL, "refusing to extract \"%s\": it leads outside %s",
				name ? name : "", "the destination directory");
	if (no_overwrite && (r = fsio_check_overwrite(e, err)) < 0)
		return r;
	if (archive_write_header(disk, e) < ARCHIVE_WARN)
		return berr_set(err, archive_errno(disk) ?: EIO, "cannot extract %s: %s", name,
				archive_error_string(disk));
	if (archive_entry_size(e) > 0) {
		const void *buf;
		size_t size;
		la_int64_t off;

		while ((r = archive_read_data_block(rd, &buf, &size, &off)) == ARCHIVE_OK)
			if (archive_write_data_block(disk, buf, size, off) < ARCHIVE_WARN)
				return berr_set(err, EIO, "cannot write %s: %s", name,
						archive_error_string(disk));
		if (r != ARCHIVE_EOF)
			return berr_set(err, EIO, "cannot read the tar stream: %s",
					archive_error_string(rd));
	}
	if (archive_write_finish_entry(disk) < ARCHIVE_WARN)
		return berr_set(err, EIO, "cannot extract %s: %s", name,
				archive_error_string(disk));
	return 0;
}

/* Extract the tar stream on fd into the directory path.  libarchive's
 * secure flags back up the name check: no "..", no absolute names, no
 * writes through symlinks. */
static int fsio_untar_path(const char *path, int fd, bool no_overwrite, struct berr **err)
{
	struct archive *rd = archive_read_new(), *disk = archive_write_disk_new();
	struct archive_entry *e;
	struct stat st;
	int r = 0, ar;

	if (stat(path, &st) < 0)
		r = berr_set(err, errno, "%s: %m", path);
	else if (!S_ISDIR(st.st_mode))
		r = berr_set(err, ENOTDIR, "extraction point is not a directory");
	else if (chdir(path) < 0)
		r = berr_set(err, errno, "cannot change to %s: %m", path);
	archive_read_support_format_tar(rd);
	archive_read_support_filter_all(rd);
	archive_write_disk_set_options(disk, ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM |
						     ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_XATTR |
						     ARCHIVE_EXTRACT_SECURE_SYMLINKS |
						     ARCHIVE_EXTRACT_SECURE_NODOTDOT |
						     ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS);
	archive_write_disk_set_standard_lookup(disk);
	if (r == 0 && archive_read_open_fd(rd, fd, FSIO_BLOCK) != ARCHIVE_OK)
		r = berr_set(err, EINVAL, "cannot read the tar stream: %s",
			     archive_error_string(rd));
	while (r == 0 && (ar = archive_read_next_header(rd, &e)) != ARCHIVE_EOF) {
		if (ar < ARCHIVE_WARN)
			r = berr_set(err, EINVAL, "cannot read the tar stream: %s",
				     archive_error_string(rd));
		else
			r = fsio_extract_entry(rd, disk, e, no_overwrite, err);
	}
	if (archive_write_close(disk) != ARCHIVE_OK && r == 0)
		r = berr_set(err, EIO, "cannot finish extracting: %s", archive_error_string(disk));
	archive_write_free(disk);
	archive_read_free(rd);
	return r;
}

static const struct option fsio_opts_def[] = {
	{"fs-tar", no_argument, NULL, 't'},
	{"fs-untar", no_argument, NULL, 'u'},
	{"pid", required_argument, NULL, 'p'},
	{"bundle", required_argument, NULL, 'b'},
	{"lower", required_argument, NULL, 'l'},
	{"path", required_argument, NULL, 'P'},
	{"stat-only", no_argument, NULL, 's'},
	{"no-overwrite-dir-non-dir", no_argument, NULL, 'n'},
	{0},
};

/* One option of the helper's command line. */
static int fsio_opt(struct fsio_opts *o, int c, const char *arg, struct berr **err)
{
	char *end;

	switch (c) {
	case 't':
	case 'u':
		o->untar = c == 'u';
		return 0;
	case 'p':
		o->pid = (pid_t)strtol(arg, &end, 10);
		return *end || o->pid <= 0 ? berr_set(err, EINVAL, "invalid --pid %s", arg) : 0;
	case 'b':
		o->bundle = arg;
		return 0;
	case 'l':
		xgrow(&o->lower, &o->cap_lower, o->n_lower + 2, sizeof(*o->lower));
		o->lower[o->n_lower++] = (char *)arg;
		o->lower[o->n_lower] = NULL;
		return 0;
	case 'P':
		o->path = arg;
		return 0;
	case 's':
		o->stat_only = true;
		return 0;
	case 'n':
		o->no_overwrite = true;
		return 0;
	default:
		return berr_set(err, EINVAL, "usage: berth-fsio --fs-tar|--fs-untar ...");
	}
}

/* The helper's work once inside the container's root. */
static int fsio_helper_run(struct fsio_opts *o, json_t **ret_stat, struct berr **err)
{
	int r;

	if (o->pid <= 0 && (!o->bundle || o->n_lower == 0))
		return berr_set(err, EINVAL, "--bundle and --lower are required without --pid");
	r = o->pid > 0 ? fsio_enter_running(o->pid, err) : fsio_enter_stopped(o, o->untar, err);
	if (r < 0)
		return r;
	if (o->untar)
		return o->path ? fsio_untar_path(o->path, 0, o->no_overwrite, err)
			       : berr_set(err, EINVAL, "--path is required");
	if (!o->path)
		return tar_create("/", 1, err);
	if ((r = fsio_stat(o->path, ret_stat, err)) < 0 || o->stat_only)
		return r;
	return fsio_tar_path(o->path, 1, err);
}

int rt_fs_helper_main(int argc, char **argv)
{
	struct fsio_opts o = {0};
	struct berr *err = NULL;
	json_t *stat = NULL, *reply;
	int c, r = 0;

	while (r == 0 && (c = getopt_long(argc, argv, "", fsio_opts_def, NULL)) != -1)
		r = fsio_opt(&o, c, optarg, &err);
	if (r == 0 && optind != argc)
		r = berr_set(&err, EINVAL, "unexpected argument %s", argv[optind]);
	if (r == 0)
		r = fsio_helper_run(&o, &stat, &err);
	if (r < 0)
		reply = json_pack("{s:s,s:i}", "error", berr_msg(err), "code", -r);
	else
		reply = json_pack("{s:b,s:o*}", "ok", 1, "stat", stat);
	json_dumpf(reply, stderr, JSON_COMPACT);
	fputc('\n', stderr);
	json_decref(reply);
	fflush(stderr);
	/* _exit: the root is the container's now, so a sanitizer's exit-time
	 * checks (which read /proc/self) would fail; the kernel frees the rest */
	_exit(r < 0 ? 1 : 0);
}
