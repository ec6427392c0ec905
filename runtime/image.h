/* image.h - the image and layer store.  An image is a stack of read-only
 * layers, each unpacked once under <root>/layers/<layer-id>/ (shared by every
 * image that uses it), plus a config (Env, Cmd, Entrypoint, WorkingDir,
 * User, ExposedPorts, Labels) and names (repo:tag).  Metadata lives in
 * <root>/images/<id>.json through the store.  Callers: the image API
 * handlers (job thread) and the container code (layer paths, config). */
#ifndef BERTH_IMAGE_H
#define BERTH_IMAGE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "core/berr.h"

struct store;
struct img_store;

struct image {
	char id[72];	/* "sha256:<64 hex>" of the config */
	char **tags;	/* "busybox:latest", NULL-terminated */
	char **layers;	/* layer ids, bottom first, NULL-terminated */
	json_t *config; /* Docker's image Config object (Env, Cmd, ...) */
	struct timespec created;
	char *comment;
	char *parent; /* image id it was committed from, or NULL */
	int64_t size; /* bytes of all layers */
	/* the config document whose sha256 is id, as it was hashed (NULL for
	 * images of an older berth: img_config_bytes makes one again) */
	char *config_doc;
	/* "127.0.0.1:5000/team/bb@sha256:..." manifests it was pulled or
	 * pushed as, NULL-terminated (may be NULL) */
	char **digests;
};

int img_store_open(const char *root, struct store *store, struct img_store **ret,
		   struct berr **err);
void img_store_free(struct img_store *is);

/* Import a tar stream read from fd as a one-layer image (docker import):
 * changes are Dockerfile-like lines ("CMD [\"/bin/sh\"]", "ENV A=b", ...),
 * ref "repo[:tag]" or NULL.  Entries that escape the layer (.., absolute
 * paths, symlinks leading out, device nodes when not root) are refused; a
 * partly written layer is removed. */
int img_import(struct img_store *is, int fd, const char *ref, char *const *changes,
	       const char *message, struct image **ret, struct berr **err);

/* Docker's lookup: name[:tag] (default tag latest), full id, id prefix
 * (with or without "sha256:").  Borrowed. ENOENT "No such image: x". */
int img_find(struct img_store *is, const char *ref, struct image **ret, struct berr **err);

/* Record a repository digest (RepoDigests; one per repository). */
int img_add_digest(struct img_store *is, struct image *img, const char *repo_digest,
		   struct berr **err);
/* Add a tag; moves it from another image if taken. */
int img_tag(struct img_store *is, struct image *img, const char *ref, struct berr **err);

/* Remove a tag or, when it is the last one (or ref is an id), the image and
 * the layers no other image uses.  user: the id of a container using the
 * image, or NULL; then refused (EBUSY, Docker's message naming it) unless
 * force, and with force only untagged (the container keeps its layers).
 * ret_deleted: Docker's [{"Untagged": ...}, {"Deleted": ...}] list. */
int img_remove(struct img_store *is, const char *ref, bool force, const char *user,
	       json_t **ret_deleted, struct berr **err);

/* What img_prune may remove: the images want() picks (the caller leaves
 * out the ones a container uses), only untagged ones when dangling_only.
 * failed (may be NULL) hears of each removal that failed for another
 * reason than a conflict; that image stays and the prune goes on. */
struct img_prune_opts {
	bool dangling_only;
	bool (*want)(const struct image *img, void *data);
	void (*failed)(const char *ref, const struct berr *e, void *data);
	void *data;
};

/* docker image prune: each image picked goes as img_remove without force
 * takes it, by each of its tags (a parent with children is only untagged)
 * or by its id when it has none (an untagged parent waits for its
 * children).  Rounds run until one changes nothing, so the parent of a
 * child removed goes too.  ret_deleted: Docker's ImagesDeleted list
 * (Untagged and Deleted entries, layers included; caller frees);
 * ret_reclaimed: bytes of the layers removed, none of which another image
 * still has. */
void img_prune(struct img_store *is, const struct img_prune_opts *o, json_t **ret_deleted,
	       int64_t *ret_reclaimed);

/* Normalise "repo[:tag]" to Docker's familiar "repo:tag" (tag latest by
 * default, "docker.io/library/" dropped).  EINVAL "invalid reference
 * format..." otherwise.  Caller frees. */
int img_ref_parse(const char *ref, char **ret, struct berr **err);

/* Apply one `docker import -c` line (CMD, ENTRYPOINT, ENV, LABEL, EXPOSE,
 * WORKDIR, USER, VOLUME, STOPSIGNAL; JSON-array or shell form) to a Config
 * object. */
int img_change_apply(json_t *config, const char *line, struct berr **err);

/* Directories of an image's layers, top first (for overlayfs lowerdir).
 * NULL-terminated; caller frees the array and the strings. */
char **img_layer_dirs(struct img_store *is, const struct image *img);

/* Commit a container's upper dir as a new layer on top of img. */
int img_commit(struct img_store *is, const struct image *img, const char *upper_dir,
	       const char *ref, json_t *config, const char *comment, struct image **ret,
	       struct berr **err);

/* For image archives and registries (runtime/imgarchive.c) --- */

/* A layer from the tar stream read from fd (compressed or not): its id
 * (the diff id) in ret_id; *ret_created when it is new (then
 * img_layer_drop undoes it while no image uses it). */
int img_layer_add(struct img_store *is, int fd, char ret_id[72], bool *ret_created,
		  struct berr **err);
void img_layer_drop(struct img_store *is, const char *id, bool created);
/* The file holding the layer's tar stream as it came (its sha256 is the
 * layer id), or NULL for a layer of an older berth.  Caller frees. */
char *img_layer_stream(struct img_store *is, const char *id);
/* Is the layer (a diff id) in the store? */
bool img_has_layer(struct img_store *is, const char *id);
/* Go's name of this machine's architecture ("amd64", "arm64", ...). */
const char *img_arch(void);
/* The layer's directory (caller frees). */
char *img_layer_path(struct img_store *is, const char *id);
/* An image from its config document (doc: len bytes, JSON; its sha256 is
 * the image id) whose rootfs.diff_ids must be the layers, which are in the
 * store.  The image that exists already with that id is returned as it
 * is. */
int img_add_config(struct img_store *is, const char *doc, size_t len, struct image **ret,
		   struct berr **err);
/* The config document of img (caller frees). */
char *img_config_bytes(const struct image *img);

/* API shapes: GET /images/json entries and GET /images/{name}/json. */
json_t *img_to_summary_json(const struct image *img, int containers);
json_t *img_to_inspect_json(const struct image *img);

/* GET /images/{name}/history: img and its parents, newest first. */
json_t *img_history_json(struct img_store *is, const struct image *img);

/* Readers on the loop thread hold the read lock while they use images;
 * the job thread (the only writer) needs none. */
void img_read_lock(struct img_store *is);
void img_read_unlock(struct img_store *is);

/* Bytes of every layer in the store. */
int64_t img_store_size(struct img_store *is);

/* Iterate (borrowed). */
size_t img_count(struct img_store *is);
struct image *img_at(struct img_store *is, size_t i);

#endif
