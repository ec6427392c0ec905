/* ctl-container.h - the controller's containers: create, start, stop,
 * kill, remove, restore, through the runtime (runtime/runtime.h) and the
 * image store.  Same rules as the rest of the controller: job-thread
 * writers take the model's write lock only to change it; the loop reads
 * under the read lock. */
#ifndef BERTH_CTL_CONTAINER_H
#define BERTH_CTL_CONTAINER_H

#include <jansson.h>
#include <stdbool.h>

#include "core/berr.h"
#include "core/container.h"

struct ctl;

/* Lookup: full id, name (with or without '/'), unique id prefix.
 * ENOENT "No such container: x". */
int ctl_container_find(struct ctl *ctl, const char *ref, struct container **ret, struct berr **err);

/* Job thread.  name may be NULL (a name is generated). */
int ctl_container_create(struct ctl *ctl, json_t *body, const char *name, struct container **ret,
			 struct berr **err);
/* Give c another name (Docker's rules and messages; the old name is free
 * again). */
int ctl_container_rename(struct ctl *ctl, struct container *c, const char *name, struct berr **err);
/* EALREADY when it runs already (304). */
int ctl_container_start(struct ctl *ctl, struct container *c, struct berr **err);
/* Send a signal; EBUSY-style 409 "is not running" when it is not. */
int ctl_container_kill(struct ctl *ctl, struct container *c, int sig, struct berr **err);
/* Record an exit reported by the runtime (exit.json).  Returns true when
 * the state changed. */
bool ctl_container_reap(struct ctl *ctl, struct container *c);
/* Remove a stopped container (force: kill it first and wait). */
int ctl_container_remove(struct ctl *ctl, struct container *c, bool force, struct berr **err);
/* The same, and then its anonymous volumes no other container mounts
 * (rm -v). */
int ctl_container_remove_volumes(struct ctl *ctl, struct container *c, bool force,
				 struct berr **err);
/* Persist the container's record. */
int ctl_container_save(struct ctl *ctl, struct container *c, struct berr **err);

/* Job thread: an exec's User ("", "uid[:gid]", "name[:group]") as the
 * container's /etc/passwd and /etc/group say. */
int ctl_container_exec_user(struct ctl *ctl, const struct container *c, const char *user,
			    uid_t *ret_uid, gid_t *ret_gid, struct berr **err);

/* Load containers from the store; running ones whose shim is gone are
 * marked exited with what the runtime recorded. */
int ctl_containers_restore(struct ctl *ctl, struct berr **err);
void ctl_containers_free(struct ctl *ctl);

/* <exec-root>/containers/<id> and <root>/containers/<id>; caller frees. */
char *ctl_container_state_dir(struct ctl *ctl, const struct container *c);
char *ctl_container_bundle(struct ctl *ctl, const struct container *c);
char *ctl_container_log_path(struct ctl *ctl, const struct container *c);

/* Signal names and numbers: "HUP", "SIGHUP", "1".  -EINVAL if unknown. */
int ctl_signal_parse(const char *s);

/* The servers c's names are forwarded to by the embedded DNS (a JSON
 * array of addresses): HostConfig.Dns, else berthd --dns, else the
 * daemon's resolv.conf nameservers. */
json_t *ctl_dns_upstreams(struct ctl *ctl, const struct container *c);

#endif
