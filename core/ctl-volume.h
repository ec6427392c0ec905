/* ctl-volume.h - the controller's volumes: create, find, remove, prune,
 * restore, and what containers need of them (named and anonymous volumes,
 * VolumesFrom, copy-up of the image's content).  Same rules as the rest of
 * the controller: job-thread writers take the model's write lock only to
 * change it; the loop reads ctl->vols under the read lock. */
#ifndef BERTH_CTL_VOLUME_H
#define BERTH_CTL_VOLUME_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/berr.h"
#include "core/volume.h"

struct ctl;
struct container;
struct image;

/* By exact name; ENOENT "get x: no such volume".  The volume is borrowed
 * while the caller holds the lock (or is the job thread). */
int ctl_volume_find(struct ctl *ctl, const char *name, struct volume **ret, struct berr **err);

/* Job thread.  Takes ownership of draft (a vol_from_create_json result).
 * A volume of that name already there is returned as it is (Docker's
 * create is idempotent).  *ret is borrowed from the model. */
int ctl_volume_create(struct ctl *ctl, struct volume *draft, struct volume **ret,
		      struct berr **err);

/* Ids of the containers (any state) that mount the volume; caller decrefs. */
json_t *ctl_volume_users(struct ctl *ctl, const char *name);

/* Job thread.  EBUSY "remove x: volume is in use - [ids]" when a
 * container mounts it; force: a missing volume is no error. */
int ctl_volume_remove(struct ctl *ctl, const char *name, bool force, struct berr **err);

/* Job thread.  Remove every unused volume matching filters (label,
 * label!); *ret_names gets their names, *ret_space the bytes freed. */
int ctl_volume_prune(struct ctl *ctl, json_t *filters, json_t **ret_names, uint64_t *ret_space,
		     struct berr **err);

/* Job thread, container create.  Resolve c's mount points (VolumesFrom,
 * Binds, Mounts, Config.Volumes and the image's Volumes) into c->mounts
 * (the inspect "Mounts" array), creating the named and anonymous volumes
 * it needs and filling new empty ones from the image.  On failure the
 * volumes made here are removed again. */
int ctl_volumes_attach(struct ctl *ctl, struct container *c, const struct image *img,
		       struct berr **err);
/* Job thread, after c left the model: remove its anonymous volumes that
 * no other container mounts (rm -v, --rm, a failed create). */
void ctl_volumes_detach(struct ctl *ctl, struct container *c);

int ctl_volumes_restore(struct ctl *ctl, struct berr **err);
void ctl_volumes_free(struct ctl *ctl);

#endif
