/* tar.c - tar extraction into layer directories and tar creation from
 * them (see tar.h), on libarchive.  Extraction reads two archives stacked:
 * the outer one only decompresses (format "raw"), the inner one parses tar
 * from the outer one's bytes, which are hashed on the way, so the digest is
 * the diff id Docker computes.  Entries are written with absolute names
 * under the new directory instead of chdir()ing there: the daemon is
 * threaded and the working directory belongs to the whole process. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "core/util.h"
#include "runtime/tar.h"

#define TAR_BLOCK	    (64 * 1024)
#define TAR_WHITEOUT	    ".wh."
#define TAR_WHITEOUT_OPAQUE ".wh..wh..opq"
#define TAR_OPAQUE_XATTR    "trusted.overlay.opaque"

/* The decompressed stream, hashed as the tar parser reads it. */
struct tar_src {
	struct archive *outer;
	EVP_MD_CTX *md;
	int keep_fd; /* the uncompressed stream is copied here */
	bool keep_failed;
	char buf[TAR_BLOCK];
};

static int tar_write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Hash n bytes of s->buf and keep them. */
static void tar_src_take(struct tar_src *s, size_t n)
{
	EVP_DigestUpdate(s->md, s->buf, n);
	if (s->keep_fd >= 0 && !s->keep_failed && n && tar_write_all(s->keep_fd, s->buf, n) < 0)
		s->keep_failed = true;
}

/* One extraction. */
struct tar_x {
	const char *root; /* the new directory */
	int root_fd;
	struct archive *in, *out;
	struct tar_src src;
	int64_t size;
	bool is_root;
};

void tar_digest(const void *data, size_t len, char out[TAR_DIGEST_LEN])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (!EVP_Digest(data, len, md, &n, EVP_sha256(), NULL))
		abort();
	strcpy(out, "sha256:");
	for (unsigned int i = 0; i < n; i++)
		sprintf(out + 7 + 2 * i, "%02x", md[i]);
}

/* The inner archive's read callback: decompressed bytes, hashed. */
static la_ssize_t tar_src_read(struct archive *a, void *data, const void **buf)
{
	struct tar_src *s = data;
	la_ssize_t n = archive_read_data(s->outer, s->buf, sizeof(s->buf));

	if (n < 0) {
		archive_set_error(a, archive_errno(s->outer), "%s", archive_error_string(s->outer));
		return -1;
	}
	tar_src_take(s, (size_t)n);
	*buf = s->buf;
	return n;
}

/* Hash what the tar parser left unread (end blocks, record padding). */
static int tar_src_drain(struct tar_src *s, struct berr **err)
{
	la_ssize_t n;

	while ((n = archive_read_data(s->outer, s->buf, sizeof(s->buf))) > 0)
		tar_src_take(s, (size_t)n);
	if (n < 0)
		return berr_set(err, EINVAL, "cannot read the tar stream: %s",
				archive_error_string(s->outer));
	if (s->keep_failed)
		return berr_set(err, EIO, "cannot keep the layer's tar stream: %m");
	return 0;
}

static void tar_src_final(struct tar_src *s, char out[TAR_DIGEST_LEN])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	EVP_DigestFinal_ex(s->md, md, &n);
	strcpy(out, "sha256:");
	for (unsigned int i = 0; i < n; i++)
		sprintf(out + 7 + 2 * i, "%02x", md[i]);
}

/* Open the outer (decompressing) and the inner (tar) readers on fd. */
static int tar_open_readers(struct tar_x *x, int fd, struct berr **err)
{
	struct archive_entry *e;

	x->src.outer = archive_read_new();
	archive_read_support_filter_all(x->src.outer);
	archive_read_support_format_raw(x->src.outer);
	if (archive_read_open_fd(x->src.outer, fd, TAR_BLOCK) != ARCHIVE_OK ||
	    archive_read_next_header(x->src.outer, &e) != ARCHIVE_OK)
		return berr_set(err, EINVAL, "cannot read the tar stream: %s",
				archive_error_string(x->src.outer) ?: "empty input");
	x->src.md = EVP_MD_CTX_new();
	if (!x->src.md || !EVP_DigestInit_ex(x->src.md, EVP_sha256(), NULL))
		abort();
	x->in = archive_read_new();
	archive_read_support_format_tar(x->in);
	if (archive_read_open(x->in, &x->src, NULL, tar_src_read, NULL) != ARCHIVE_OK)
		return berr_set(err, EINVAL, "invalid tar stream: %s", archive_error_string(x->in));
	return 0;
}

/* The disk writer: modes, times, xattrs, ACLs, owners (root only), and
 * libarchive's own guards against symlinks and "..". */
static void tar_open_writer(struct tar_x *x)
{
	int flags = ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_XATTR |
		    ARCHIVE_EXTRACT_ACL | ARCHIVE_EXTRACT_SECURE_SYMLINKS |
		    ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_UNLINK;

	if (x->is_root)
		flags |= ARCHIVE_EXTRACT_OWNER;
	x->out = archive_write_disk_new();
	archive_write_disk_set_options(x->out, flags);
}

/* A name from the archive, without leading "./" and "/" doubled: NULL
 * when it is absolute or has a ".." component.  "" is the root.  Caller
 * frees. */
static char *tar_clean_path(const char *path)
{
	_cleanup_free_ char *copy = xstrdup(path);
	char *out = xcalloc(1, strlen(path) + 1), *save = NULL;

	if (path[0] == '/') {
		free(out);
		return NULL;
	}
	for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		if (streq(c, "."))
			continue;
		if (streq(c, "..")) {
			free(out);
			return NULL;
		}
		if (*out)
			strcat(out, "/");
		strcat(out, c);
	}
	return out;
}

/* Open the directory rel (relative to the layer root) without following
 * any symlink, creating missing components when create is set.  -ELOOP
 * when a component is a symlink (or not a directory). */
static int tar_open_dir(int root_fd, const char *rel, bool create)
{
	_cleanup_free_ char *copy = xstrdup(rel);
	char *save = NULL;
	int fd = dup(root_fd);

	for (char *c = strtok_r(copy, "/", &save); fd >= 0 && c; c = strtok_r(NULL, "/", &save)) {
		int next = openat(fd, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

		if (next < 0 && errno == ENOENT && create && mkdirat(fd, c, 0755) == 0)
			next = openat(fd, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0)
			next = -(errno == ENOTDIR ? ELOOP : errno);
		close(fd);
		fd = next;
	}
	return fd;
}

/* Split rel into its directory ("" for the root) and base name. */
static void tar_split(const char *rel, char **ret_dir, const char **ret_base)
{
	const char *slash = strrchr(rel, '/');

	*ret_dir = slash ? xstrndup(rel, (size_t)(slash - rel)) : xstrdup("");
	*ret_base = slash ? slash + 1 : rel;
}

/* ".wh..wh..opq": the directory hides the lower layers' content;
 * ".wh.NAME": NAME is deleted (a 0/0 character device for overlayfs). */
static int tar_whiteout(struct tar_x *x, const char *rel, struct berr **err)
{
	_cleanup_free_ char *dir = NULL;
	_cleanup_close_ int dfd = -1;
	const char *base;

	tar_split(rel, &dir, &base);
	dfd = tar_open_dir(x->root_fd, dir, true);
	if (dfd < 0)
		return berr_set(err, EINVAL, "refusing whiteout %s: its directory leads out", rel);
	if (streq(base, TAR_WHITEOUT_OPAQUE)) {
		if (fsetxattr(dfd, TAR_OPAQUE_XATTR, "y", 1, 0) < 0)
			return berr_set(err, errno, "cannot mark %s opaque: %m", dir);
		return 0;
	}
	if (strprefix(base, TAR_WHITEOUT TAR_WHITEOUT))
		return 0; /* other AUFS metadata: nothing to do */
	base += strlen(TAR_WHITEOUT);
	if (!*base || (unlinkat(dfd, base, 0) < 0 && errno != ENOENT && errno != EISDIR))
		return berr_set(err, EINVAL, "invalid whiteout %s", rel);
	if (mknodat(dfd, base, S_IFCHR | 0, makedev(0, 0)) < 0)
		return berr_set(err, errno, "cannot create the whiteout for %s: %m", rel);
	return 0;
}

/* A hard link's target must be inside the layer and reached without
 * symlinks; it is rewritten to its absolute name. */
static int tar_fix_hardlink(struct tar_x *x, struct archive_entry *e, const char *path,
			    struct berr **err)
{
	_cleanup_free_ char *target = tar_clean_path(archive_entry_hardlink(e));
	_cleanup_free_ char *dir = NULL, *abs = NULL;
	const char *base;
	int dfd;

	if (!target || !*target)
		return berr_set(err, EPERM, "refusing %s: hard link to %s leads out of the layer",
				path, archive_entry_hardlink(e));
	tar_split(target, &dir, &base);
	dfd = tar_open_dir(x->root_fd, dir, false);
	if (dfd < 0)
		return berr_set(err, EPERM,
				"refusing %s: hard link to %s goes through a symlink or a "
				"missing directory",
				path, archive_entry_hardlink(e));
	close(dfd);
	abs = xasprintf("%s/%s", x->root, target);
	archive_entry_set_hardlink(e, abs);
	return 0;
}

/* The directories above an entry must be directories of the layer, not
 * symlinks (missing ones are created as directories by the writer). */
static int tar_check_parent(struct tar_x *x, const char *rel, struct berr **err)
{
	_cleanup_free_ char *dir = NULL;
	const char *base;
	int dfd;

	tar_split(rel, &dir, &base);
	dfd = tar_open_dir(x->root_fd, dir, false);
	if (dfd == -ENOENT)
		return 0;
	if (dfd < 0)
		return berr_set(err, EPERM, "refusing %s: its directory is a symlink or a file",
				rel);
	close(dfd);
	return 0;
}

/* Drop overlayfs' own xattrs from an entry: a tar must not forge
 * redirects, opaque marks or metacopy in a layer. */
static void tar_strip_overlay_xattrs(struct archive_entry *e)
{
	struct archive_entry *copy;
	const char *name;
	const void *value;
	size_t size;

	if (archive_entry_xattr_reset(e) == 0)
		return;
	copy = archive_entry_clone(e);
	archive_entry_xattr_clear(e);
	archive_entry_xattr_reset(copy);
	while (archive_entry_xattr_next(copy, &name, &value, &size) == ARCHIVE_OK)
		if (!strprefix(name, "trusted.overlay."))
			archive_entry_xattr_add_entry(e, name, value, size);
	archive_entry_free(copy);
}

/* Copy an entry's data to disk. */
static int tar_copy_data(struct tar_x *x, const char *path, struct berr **err)
{
	const void *buf;
	size_t len;
	la_int64_t off;
	int r;

	while ((r = archive_read_data_block(x->in, &buf, &len, &off)) == ARCHIVE_OK)
		if (archive_write_data_block(x->out, buf, len, off) < ARCHIVE_WARN)
			return berr_set(err, EIO, "cannot write %s: %s", path,
					archive_error_string(x->out));
	if (r != ARCHIVE_EOF)
		return berr_set(err, EINVAL, "cannot read %s from the tar stream: %s", path,
				archive_error_string(x->in));
	return 0;
}

/* Check, rename and write one entry. */
static int tar_entry(struct tar_x *x, struct archive_entry *e, struct berr **err)
{
	const char *name = archive_entry_pathname(e) ?: "";
	_cleanup_free_ char *rel = tar_clean_path(name), *abs = NULL;
	mode_t type = archive_entry_filetype(e);
	const char *base;
	int r;

	if (!rel)
		return berr_set(err, EPERM, "refusing %s: the path leads out of the layer", name);
	if (!*rel)
		return 0; /* the root itself */
	base = strrchr(rel, '/') ? strrchr(rel, '/') + 1 : rel;
	if (strprefix(base, TAR_WHITEOUT))
		return tar_whiteout(x, rel, err);
	if ((type == AE_IFCHR || type == AE_IFBLK) && !x->is_root)
		return berr_set(err, EPERM, "refusing device node %s: the daemon is not root", rel);
	if ((r = tar_check_parent(x, rel, err)) < 0)
		return r;
	if (archive_entry_hardlink(e) && (r = tar_fix_hardlink(x, e, rel, err)) < 0)
		return r;
	tar_strip_overlay_xattrs(e);
	abs = xasprintf("%s/%s", x->root, rel);
	archive_entry_set_pathname(e, abs);
	if (archive_write_header(x->out, e) < ARCHIVE_WARN)
		return berr_set(err, EPERM, "refusing %s: %s", rel, archive_error_string(x->out));
	if (type == AE_IFREG && !archive_entry_hardlink(e))
		x->size += archive_entry_size(e);
	if (archive_entry_size(e) > 0 && (r = tar_copy_data(x, rel, err)) < 0)
		return r;
	if (archive_write_finish_entry(x->out) < ARCHIVE_WARN)
		return berr_set(err, EIO, "cannot finish %s: %s", rel,
				archive_error_string(x->out));
	return 0;
}

/* Every entry, then what is left of the stream for the digest. */
static int tar_entries(struct tar_x *x, struct berr **err)
{
	struct archive_entry *e;
	int r;

	while ((r = archive_read_next_header(x->in, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
		r = tar_entry(x, e, err);
		if (r < 0)
			return r;
	}
	if (r != ARCHIVE_EOF)
		return berr_set(err, EINVAL, "invalid tar stream: %s", archive_error_string(x->in));
	if (archive_write_close(x->out) != ARCHIVE_OK)
		return berr_set(err, EIO, "cannot finish the layer: %s",
				archive_error_string(x->out));
	return tar_src_drain(&x->src, err);
}

static void tar_x_done(struct tar_x *x)
{
	if (x->out)
		archive_write_free(x->out);
	if (x->in)
		archive_read_free(x->in);
	if (x->src.outer)
		archive_read_free(x->src.outer);
	EVP_MD_CTX_free(x->src.md);
	if (x->root_fd >= 0)
		close(x->root_fd);
	if (x->src.keep_fd >= 0)
		close(x->src.keep_fd);
}

int tar_extract(int fd, const char *parent, struct tar_layer *ret, struct berr **err)
{
	_cleanup_free_ char *dir = xasprintf("%s/.tmp-layer-XXXXXX", parent);
	_cleanup_free_ char *stream = NULL;
	struct tar_x x = {.root_fd = -1, .is_root = geteuid() == 0, .src.keep_fd = -1};
	int r;

	if (!mkdtemp(dir))
		return berr_set(err, errno, "cannot create a layer directory in %s: %m", parent);
	chmod(dir, 0755);
	if (ret->keep_stream) {
		stream = xasprintf("%s.tar", dir);
		x.src.keep_fd = open(stream, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (x.src.keep_fd < 0) {
			r = berr_set(err, errno, "cannot create %s: %m", stream);
			goto fail;
		}
	}
	x.root = dir;
	x.root_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (x.root_fd < 0) {
		r = berr_set(err, errno, "cannot open %s: %m", dir);
		goto fail;
	}
	r = tar_open_readers(&x, fd, err);
	if (r < 0)
		goto fail;
	tar_open_writer(&x);
	r = tar_entries(&x, err);
	if (r < 0)
		goto fail;
	tar_src_final(&x.src, ret->digest);
	ret->size = x.size;
	ret->dir = TAKE_PTR(dir);
	ret->stream = TAKE_PTR(stream);
	tar_x_done(&x);
	return 0;
fail:
	tar_x_done(&x);
	tar_remove_tree(dir, NULL);
	if (stream)
		unlink(stream);
	return r;
}

/* Pre-order pass: let the owner write every directory so it can be emptied. */
static int tar_rm_chmod(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)ftw;
	if (flag == FTW_D && (st->st_mode & 0700) != 0700)
		chmod(path, (st->st_mode & 07777) | 0700);
	return 0;
}

/* Post-order pass: remove. */
static int tar_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)ftw;
	if ((flag == FTW_DP ? rmdir(path) : unlink(path)) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

int tar_remove_tree(const char *path, struct berr **err)
{
	struct stat st;
	int r;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : berr_set(err, errno, "cannot remove %s: %m", path);
	nftw(path, tar_rm_chmod, 64, FTW_PHYS | FTW_MOUNT);
	r = nftw(path, tar_rm_one, 64, FTW_PHYS | FTW_MOUNT | FTW_DEPTH);
	if (r != 0)
		return berr_set(err, r < 0 ? -r : EIO, "cannot remove %s: %s", path,
				strerror(r < 0 ? -r : EIO));
	return 0;
}

/* An overlayfs whiteout (0/0 character device) becomes ".wh.NAME" and an
 * opaque directory gets a ".wh..wh..opq" entry after it. */
static bool tar_is_whiteout(struct archive_entry *e)
{
	return archive_entry_filetype(e) == AE_IFCHR && archive_entry_rdev(e) == 0;
}

/* Write one entry from the disk reader (rel: its name in the tar). */
static int tar_write_entry(struct archive *disk, struct archive *w, struct archive_entry *e,
			   const char *rel, struct berr **err)
{
	char buf[TAR_BLOCK];
	la_ssize_t n;

	if (tar_is_whiteout(e)) {
		_cleanup_free_ char *dir = NULL, *wh = NULL;
		const char *base;

		tar_split(rel, &dir, &base);
		wh = xasprintf("%s%s" TAR_WHITEOUT "%s", dir, *dir ? "/" : "", base);
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_rdev(e, 0);
		archive_entry_set_size(e, 0);
		rel = wh;
		archive_entry_set_pathname(e, rel);
		return archive_write_header(w, e) < ARCHIVE_WARN
			       ? berr_set(err, EIO, "cannot write %s: %s", rel,
					  archive_error_string(w))
			       : 0;
	}
	archive_entry_set_pathname(e, rel);
	if (archive_write_header(w, e) < ARCHIVE_WARN)
		return berr_set(err, EIO, "cannot write %s: %s", rel, archive_error_string(w));
	if (archive_entry_filetype(e) != AE_IFREG || archive_entry_size(e) == 0)
		return 0;
	while ((n = archive_read_data(disk, buf, sizeof(buf))) > 0)
		if (archive_write_data(w, buf, (size_t)n) < 0)
			return berr_set(err, EIO, "cannot write %s: %s", rel,
					archive_error_string(w));
	if (n < 0)
		return berr_set(err, EIO, "cannot read %s: %s", rel, archive_error_string(disk));
	return 0;
}

/* The ".wh..wh..opq" marker of an opaque directory. */
static int tar_write_opaque(struct archive *w, const char *dir_path, const char *rel,
			    struct berr **err)
{
	_cleanup_free_ char *name = xasprintf("%s/" TAR_WHITEOUT_OPAQUE, rel);
	struct archive_entry *e;
	char v[2];
	int r = 0;

	if (getxattr(dir_path, TAR_OPAQUE_XATTR, v, sizeof(v)) != 1 || v[0] != 'y')
		return 0;
	e = archive_entry_new();
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	if (archive_write_header(w, e) < ARCHIVE_WARN)
		r = berr_set(err, EIO, "cannot write %s: %s", name, archive_error_string(w));
	archive_entry_free(e);
	return r;
}

/* Walk dir with libarchive's disk reader, writing each entry to w. */
static int tar_walk(struct archive *disk, struct archive *w, const char *dir, struct berr **err)
{
	size_t prefix = strlen(dir);
	struct archive_entry *e = archive_entry_new(), *spare = NULL;
	struct archive_entry_linkresolver *links = archive_entry_linkresolver_new();
	int r = 0, ar;

	/* hard links: the first name carries the data, the others link to it */
	archive_entry_linkresolver_set_strategy(links, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED);

	while ((ar = archive_read_next_header2(disk, e)) == ARCHIVE_OK || ar == ARCHIVE_WARN) {
		const char *src = archive_entry_sourcepath(e);
		_cleanup_free_ char *path = xstrdup(src);
		const char *rel = path + prefix;

		archive_read_disk_descend(disk);
		while (*rel == '/')
			rel++;
		if (!*rel)
			continue;
		archive_entry_set_pathname(e, rel);
		struct archive_entry *out = e;

		archive_entry_linkify(links, &out, &spare);
		r = tar_write_entry(disk, w, out, rel, err);
		if (r == 0 && archive_entry_filetype(e) == AE_IFDIR)
			r = tar_write_opaque(w, path, rel, err);
		if (r < 0)
			break;
	}
	if (r == 0 && ar != ARCHIVE_EOF)
		r = berr_set(err, EIO, "cannot read %s: %s", dir, archive_error_string(disk));
	archive_entry_free(e);
	archive_entry_linkresolver_free(links);
	return r;
}

int tar_create(const char *dir, int fd, struct berr **err)
{
	struct archive *w = archive_write_new(), *disk = archive_read_disk_new();
	int r;

	archive_write_set_format_pax_restricted(w);
	archive_read_disk_set_behavior(disk, ARCHIVE_READDISK_NO_TRAVERSE_MOUNTS |
						     ARCHIVE_READDISK_NO_FFLAGS);
	archive_read_disk_set_symlink_physical(disk);
	if (archive_write_open_fd(w, fd) != ARCHIVE_OK)
		r = berr_set(err, EIO, "cannot write the tar stream: %s", archive_error_string(w));
	else if (archive_read_disk_open(disk, dir) != ARCHIVE_OK)
		r = berr_set(err, errno ?: EIO, "cannot read %s: %s", dir,
			     archive_error_string(disk));
	else
		r = tar_walk(disk, w, dir, err);
	if (archive_write_close(w) != ARCHIVE_OK && r == 0)
		r = berr_set(err, EIO, "cannot finish the tar stream: %s", archive_error_string(w));
	archive_write_free(w);
	archive_read_free(disk);
	return r;
}
