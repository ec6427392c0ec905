/* volume.h - the volume object of the model: a named directory under
 * <root>/volumes/<name>/_data that containers mount, its validation and
 * its JSON codecs (API and store).  Owned by the controller
 * (ctl-volume.c); pure model code that knows neither HTTP nor the kernel. */
#ifndef BERTH_VOLUME_H
#define BERTH_VOLUME_H

#include <jansson.h>
#include <stdbool.h>
#include <time.h>

#include "core/berr.h"

struct volume {
	char *name;
	char *driver;	 /* "local" */
	json_t *labels;	 /* object of strings */
	json_t *options; /* DriverOpts: object of strings */
	struct timespec created;
	char *mountpoint; /* <root>/volumes/<name>/_data */
	bool anonymous;	  /* made for one container (Config.Volumes, -v /path) */
};

void vol_free(struct volume *v);

/* Docker's rule for local volume names: [a-zA-Z0-9][a-zA-Z0-9_.-]+. */
int vol_name_validate(const char *name, struct berr **err);

/* A draft from a POST /volumes/create body ({"Name", "Driver",
 * "DriverOpts", "Labels"}).  No Name: a 64-hex name is generated and the
 * volume counts as anonymous.  mountpoint is left NULL for the controller. */
int vol_from_create_json(json_t *body, struct volume **ret, struct berr **err);

/* {"Name","Driver","Mountpoint","CreatedAt","Labels","Options","Scope"}. */
json_t *vol_to_json(const struct volume *v);
/* The API object plus what only the store keeps (Anonymous). */
json_t *vol_to_store_json(const struct volume *v);
int vol_from_store_json(json_t *obj, struct volume **ret, struct berr **err);

#endif
