/* imgarchive.h - images to and from the docker-archive tar format (docker
 * save / docker load): manifest.json ([{"Config", "RepoTags", "Layers"}]),
 * each image's config document (<id hex>.json), each layer's tar stream
 * (<diff id hex>/layer.tar, with the legacy VERSION and json beside it) and
 * repositories.  What berth writes, Docker loads; berth loads what Docker
 * writes (also the OCI-layout archives of Docker 25+, through their
 * manifest.json).  Job thread. */
#ifndef BERTH_IMGARCHIVE_H
#define BERTH_IMGARCHIVE_H

#include <jansson.h>

#include "core/berr.h"
#include "runtime/image.h"

/* Write the images named by refs (names, name:tag or ids; n of them) as
 * one archive to fd.  A name:tag is saved with that tag, an id with none,
 * a bare name with its tags.  ENOENT when one is not there. */
int imgar_save(struct img_store *is, char *const *refs, size_t n, int fd, struct berr **err);

/* Load the archive read from fd.  tmp_dir: where it is unpacked on the
 * way (same file system as the store is best).  *ret_loaded: Docker's
 * messages, one string per image ("Loaded image: busybox:latest",
 * "Loaded image ID: sha256:..."); nothing is kept of an archive that fails
 * (a digest that does not match, a missing file, a path leading out). */
int imgar_load(struct img_store *is, int fd, const char *tmp_dir, json_t **ret_loaded,
	       struct berr **err);

#endif
