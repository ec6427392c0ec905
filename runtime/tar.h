/* tar.h - tar streams in and out of layer directories, with libarchive.
 * Extraction refuses every entry that would land outside the new layer
 * (absolute paths, "..", writes through symlinks, hard links to outside),
 * turns ".wh." whiteouts into overlayfs whiteouts and hashes the
 * uncompressed stream on the way (the layer's diff id).  Callers: the image
 * store (import, commit) and, later, export and archive copies. */
#ifndef BERTH_TAR_H
#define BERTH_TAR_H

#include <stdbool.h>
#include <stdint.h>

#include "core/berr.h"

/* "sha256:" + 64 hex digits + NUL. */
#define TAR_DIGEST_LEN 72

struct tar_layer {
	char *dir;		     /* the new directory (caller frees the string) */
	bool keep_stream;	     /* in: keep the uncompressed stream ... */
	char *stream;		     /* ... in <dir>.tar (caller frees the string) */
	char digest[TAR_DIGEST_LEN]; /* "sha256:<hex>" of the uncompressed stream */
	int64_t size;		     /* bytes of regular file data */
};

/* Extract the tar stream read from fd (plain, gzip, xz, zstd, bzip2) into a
 * new directory under parent (same file system, so the caller can rename it
 * into place), with ret->keep_stream keeping the uncompressed stream beside
 * it (its sha256 is the digest: saving the layer gives back exactly these
 * bytes).  On
 * error nothing is left under parent.  Numeric owners are kept when running
 * as root, modes, times and xattrs always. */
int tar_extract(int fd, const char *parent, struct tar_layer *ret, struct berr **err);

/* Write dir as a tar stream (pax) to fd; overlayfs whiteouts become ".wh."
 * files again.  Entries are named relative to dir. */
int tar_create(const char *dir, int fd, struct berr **err);

/* Remove a directory tree (even one whose directories are read-only);
 * a missing path is success. */
int tar_remove_tree(const char *path, struct berr **err);

/* The hex sha256 of len bytes ("sha256:<hex>" into out). */
void tar_digest(const void *data, size_t len, char out[TAR_DIGEST_LEN]);

#endif
