/* registry.h - pulling images from a registry (the Docker Registry HTTP
 * API v2) with libcurl: image manifests (Docker schema 2 and OCI), lists
 * and indexes (linux and this machine's architecture picked), every blob
 * checked against its digest, anonymous bearer tokens (the
 * WWW-Authenticate challenge).  Layers already in the store are stored
 * once (the layer store keys them by diff id).  Job thread. */
#ifndef BERTH_REGISTRY_H
#define BERTH_REGISTRY_H

#include <jansson.h>
#include <stdbool.h>

#include "core/berr.h"
#include "runtime/image.h"

/* A reference split: registry host (default docker.io's
 * "registry-1.docker.io"), repository path ("library/busybox" on
 * docker.io), tag (default latest) or digest. */
struct reg_ref {
	char *host;
	char *repo;
	char *tag;	/* NULL when pulled by digest */
	char *digest;	/* "sha256:..." or NULL */
	char *familiar; /* the name as `docker images` shows it ("busybox") */
};
int reg_ref_parse(const char *ref, struct reg_ref *ret, struct berr **err);
void reg_ref_done(struct reg_ref *r);

struct reg_opts {
	char *const *insecure; /* hosts reached over plain HTTP (with 127.0.0.0/8, localhost) */
	const char *tmp_dir;   /* where blobs are downloaded to */
	unsigned timeout_s;
};

/* Pull ref into the store.  *ret_log: Docker's progress messages, in
 * order ({"status": ..., "id": ...}), for the pull's JSON stream.  Errors:
 * ENOENT for an unknown repository, tag or digest (Docker's "manifest
 * unknown"), EACCES when the registry wants credentials, EHOSTUNREACH when
 * it cannot be reached, EPROTO for garbage, EINVAL for a digest mismatch
 * or an image for another platform only.  Nothing half-pulled is kept. */
int reg_pull(struct img_store *is, const char *ref, const struct reg_opts *o, struct image **ret,
	     json_t **ret_log, struct berr **err);

#endif
