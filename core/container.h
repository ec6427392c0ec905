/* container.h - the container object of the model: what a user created
 * with `create`/`run` (Docker's Config and HostConfig, defaults filled in),
 * its state, and its JSON codecs (inspect, list, store).  Owned by the
 * controller; pure model code that knows neither HTTP nor the kernel. */
#ifndef BERTH_CONTAINER_H
#define BERTH_CONTAINER_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>
#include <time.h>

#include "core/berr.h"
#include "core/endpoint.h"

struct image;

enum ctr_status {
	CTR_CREATED,
	CTR_RUNNING,
	CTR_EXITED,
	CTR_REMOVING,
	CTR_DEAD,
};

const char *ctr_status_to_string(enum ctr_status s);

struct container {
	char id[65];
	char *name; /* without the leading '/' */
	struct timespec created;
	char *image_ref; /* as the user wrote it */
	char image_id[72];
	json_t *config;	     /* Docker's Config: Cmd, Env, Tty, Labels, ... */
	json_t *host_config; /* Docker's HostConfig */
	char **argv;	     /* Entrypoint + Cmd (image defaults applied) */
	/* state */
	enum ctr_status status;
	pid_t pid;
	int exit_code;
	bool oom_killed;
	struct timespec started;
	struct timespec finished;
	char *error;
	int restart_count;
	bool stop_requested;   /* exited because of stop/kill: no restart */
	json_t *mounts;	       /* resolved mount points: the inspect "Mounts" array */
	struct ep_port *ports; /* published ports (HostConfig.PortBindings, -P) */
	size_t n_ports;
	/* loop-side, not stored */
	void *priv;
};

void ctr_free(struct container *c);

/* Docker's name rule: [a-zA-Z0-9][a-zA-Z0-9_.-]+ (a leading '/' is dropped). */
int ctr_name_validate(const char *name, struct berr **err);
/* A generated name like Docker's "adjective_surname"; digits > 0 appends
 * that many decimal digits (Docker appends one when a name is taken). */
char *ctr_name_generate(unsigned seed, unsigned digits);

/* A draft container from a POST /containers/create body and the image it
 * names: types and values checked (Cmd, Env, User, Memory, NanoCpus,
 * NetworkMode, Binds, Mounts, RestartPolicy, ...), image defaults applied. */
int ctr_from_create_json(json_t *body, const struct image *img, struct container **ret,
			 struct berr **err);

/* net_settings: the NetworkSettings object (taken; NULL for {}); ports:
 * the list's "Ports" (taken; NULL for []). */
json_t *ctr_to_inspect_json(const struct container *c, json_t *net_settings);
json_t *ctr_to_summary_json(const struct container *c, json_t *net_settings, json_t *ports);
json_t *ctr_to_store_json(const struct container *c);
int ctr_from_store_json(json_t *obj, struct container **ret, struct berr **err);

/* "Up 3 minutes", "Exited (0) 5 seconds ago", "Created". */
char *ctr_status_text(const struct container *c);

/* One -v / Binds entry: "/host:/ctr[:opts]", "name:/ctr[:opts]" or
 * "/ctr" (an anonymous volume).  opts: ro, rw, z, Z, nocopy and the
 * propagation modes, comma-separated. */
struct ctr_bind {
	char *source; /* host path, volume name, or NULL (anonymous) */
	char *target;
	char *mode; /* opts as given, "" when none */
	bool readonly;
	bool nocopy;
};

/* Parse and check one Binds entry; ctr_bind_done frees the fields. */
int ctr_bind_parse(const char *spec, struct ctr_bind *ret, struct berr **err);
void ctr_bind_done(struct ctr_bind *b);

/* The inspect and list "Mounts" array (a new reference; [] when none). */
json_t *ctr_mounts_json(const struct container *c);

/* Config/HostConfig accessors with defaults. */
bool ctr_tty(const struct container *c);
const char *ctr_network_mode(const struct container *c);
bool ctr_auto_remove(const struct container *c);

#endif
