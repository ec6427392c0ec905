/* registry.h - talking to registries (the Docker Registry HTTP API v2)
 * with libcurl: pull, push and login.
 *
 * Pull: image manifests (Docker schema 2 and OCI), lists and indexes (linux
 * and this machine's architecture picked), every blob checked against its
 * digest, layers already in the store not downloaded again.  It is split in
 * two so that the network part does not hold the job queue: reg_fetch
 * (a transfer thread: downloads to unlinked temp files) and reg_commit (the
 * job thread: the layers and the image into the store).
 *
 * Push: the layers' kept tar streams gzipped on the way up (one pass, the
 * digest computed as they go), blobs the registry has already skipped or
 * mounted from another repository of the same registry (the blob digests
 * a layer had are remembered next to it), then the config and a schema 2
 * manifest.
 *
 * Auth: the WWW-Authenticate challenge of /v2/: Basic (the credentials
 * sent) or Bearer (a token from the realm, with the credentials when there
 * are some).  Transport: https, with <certs_dir>/HOST[:PORT]/ *.crt as CAs
 * and *.cert + *.key as a client certificate; a registry listed insecure
 * (and 127.0.0.0/8, localhost) gets unverified TLS, and plain http when it
 * does not speak TLS.  Mirrors are tried, in order, for Docker Hub
 * images before the hub itself.
 *
 * Progress goes out as Docker's JSON messages through o->progress (called
 * on the thread doing the work). */
#ifndef BERTH_REGISTRY_H
#define BERTH_REGISTRY_H

#include <jansson.h>
#include <stdatomic.h>
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
/* Is it a Docker Hub image (where mirrors apply)? */
bool reg_ref_is_hub(const struct reg_ref *r);

/* Credentials, from the API's X-Registry-Auth or POST /auth body. */
struct reg_auth {
	char *username;
	char *password;
	char *identity_token; /* an OAuth refresh token (sent as the token's password) */
	char *registry_token; /* a bearer token to use as is */
	char *server;	      /* serveraddress */
};
/* Decode X-Registry-Auth (base64url JSON; NULL or "" are no credentials). */
int reg_auth_decode(const char *header, struct reg_auth *ret, struct berr **err);
/* From a JSON object {"username", "password", "serveraddress", ...}. */
void reg_auth_from_json(json_t *o, struct reg_auth *ret);
void reg_auth_done(struct reg_auth *a);

struct reg_opts {
	char *const *insecure; /* --insecure-registry: HOST[:PORT] or CIDRs */
	char *const *mirrors;  /* --registry-mirror URLs (for Docker Hub) */
	const char *certs_dir; /* <config>/certs.d, or NULL */
	const char *tmp_dir;   /* where blobs are downloaded to */
	const char *blob_dir;  /* where the blobs a layer had are remembered */
	unsigned timeout_s;    /* a transfer making no progress this long fails */
	const struct reg_auth *auth;
	/* A progress message (the callee takes msg); may be NULL. */
	void (*progress)(void *arg, json_t *msg);
	void *progress_arg;
	/* Set (by another thread) to stop the transfer: EINTR. */
	const atomic_bool *abort;
};

/* What reg_fetch downloaded, for reg_commit. */
struct reg_pulled;

/* Fetch ref's manifest, config and the layers the store lacks.  Errors:
 * ENOENT for an unknown repository, tag or digest (Docker's "manifest
 * unknown"), EACCES when the registry wants (other) credentials,
 * EHOSTUNREACH when it cannot be reached, EPROTO for garbage, EINVAL for a
 * digest mismatch or an image for another platform only.  The first
 * progress message is sent once the manifest is known. */
int reg_fetch(struct img_store *is, const char *ref, const struct reg_opts *o,
	      struct reg_pulled **ret, struct berr **err);
/* Store what was fetched (job thread): layers, then the image and its tag.
 * Nothing half-stored on failure.  ret_ref: the reference pulled, as the
 * pull event names it. */
int reg_commit(struct img_store *is, struct reg_pulled *p, const struct reg_opts *o,
	       struct image **ret, struct berr **err);
void reg_pulled_free(struct reg_pulled *p);
const char *reg_pulled_ref(const struct reg_pulled *p);

/* One image to push: under which tag, its config and its layers' streams
 * (opened by the caller, so that an rmi meanwhile cannot take them). */
struct reg_push_item {
	char *tag;
	char *config; /* the config document, as stored */
	size_t config_len;
	char **diff_ids; /* bottom first, NULL-terminated */
	int *fds;	 /* the layers' tar streams, one per diff id */
	char image_id[72];
	char digest[72]; /* the manifest's, once pushed */
};
void reg_push_item_done(struct reg_push_item *it);

/* Push items to the repository of ref (HOST/REPO, no tag). */
int reg_push(const char *ref, struct reg_push_item *items, size_t n, const struct reg_opts *o,
	     struct berr **err);

/* Check credentials against a registry (POST /auth): server is a host
 * [:port] or URL ("https://index.docker.io/v1/" is Docker Hub). */
int reg_login(const struct reg_auth *a, const struct reg_opts *o, struct berr **err);

#endif
