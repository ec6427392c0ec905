/* ctl-endpoint.h - the controller's endpoints and sandboxes: which
 * networks a container is on (allocated at create and connect, released at
 * remove and disconnect), and its network namespace while it runs (made at
 * start, joined by every endpoint through its network's driver, removed at
 * stop).  Job thread, except the *_json readers (loop, under the read lock). */
#ifndef BERTH_CTL_ENDPOINT_H
#define BERTH_CTL_ENDPOINT_H

#include <jansson.h>
#include <stdbool.h>

#include "core/berr.h"

struct ctl;
struct container;
struct network;
struct endpoint;

/* The endpoints a new container asks for: its NetworkMode network and
 * every entry of NetworkingConfig.EndpointsConfig.  Checks that the
 * networks exist and the mode is possible; allocates addresses.  All or
 * nothing.  Called before the container is published. */
int ctl_endpoints_create(struct ctl *ctl, struct container *c, json_t *networking,
			 struct berr **err);
/* The container's new name on its endpoints (caller holds the write lock). */
void ctl_endpoints_rename(struct ctl *ctl, struct container *c);
/* Release every endpoint of c (addresses, store files). */
void ctl_endpoints_remove(struct ctl *ctl, struct container *c);

/* POST /networks/{id}/connect and /disconnect. */
int ctl_network_connect(struct ctl *ctl, const char *net_ref, const char *ctr_ref, json_t *config,
			struct berr **err);
int ctl_network_disconnect(struct ctl *ctl, const char *net_ref, const char *ctr_ref, bool force,
			   struct berr **err);

/* At start: make c's sandbox and join its endpoints, publish its ports.
 * *ret_netns gets the namespace the container must join (NULL for
 * --network none/host).  Undoes everything on failure. */
int ctl_sandbox_up(struct ctl *ctl, struct container *c, char **ret_netns, struct berr **err);
/* At stop: withdraw ports, leave, remove the namespace. */
void ctl_sandbox_down(struct ctl *ctl, struct container *c);
/* After a restart, for a container still running: endpoints joined again
 * in the model, ports held again. */
void ctl_sandbox_restore(struct ctl *ctl, struct container *c);

/* The embedded DNS: c's names as they are now (after a rename, say), when
 * it runs. */
void ctl_sandbox_dns_update(struct ctl *ctl, struct container *c);
/* The dnsc_resync_fn of ctl->dnsc: every running container again. */
int ctl_dns_resync(void *arg, struct berr **err);
/* After a restart: take over the berth-dns that kept answering (or start
 * one if a running container needs it) and bring it up to date. */
int ctl_dns_restore(struct ctl *ctl, struct berr **err);

/* Lines for the container's /etc/hosts: its addresses with its hostname,
 * and its --link entries (caller frees). */
char *ctl_container_hosts_lines(struct ctl *ctl, struct container *c, const char *hostname);
/* Environment variables of --link, Docker's: a JSON array of "K=V". */
json_t *ctl_container_link_env(struct ctl *ctl, const struct container *c);
/* HostConfig.Links: every linked container must exist (at create, which
 * also stores them in Docker's "/name:/ctr/alias" form) and run (at start,
 * starting true). */
int ctl_container_links_check(struct ctl *ctl, struct container *c, bool starting,
			      struct berr **err);

/* NetworkSettings of inspect (full) or of the list (summary). */
json_t *ctl_container_network_settings(struct ctl *ctl, const struct container *c, bool summary);
/* The list's "Ports". */
json_t *ctl_container_ports_summary(struct ctl *ctl, const struct container *c);
/* Is c on net (for the network= filter)? */
bool ctl_container_on_network(struct ctl *ctl, const struct container *c, const char *net_ref);
/* The Containers map of network inspect. */
json_t *ctl_network_containers_json(struct ctl *ctl, const struct network *net);
/* Does any endpoint use net?  *ret_names (optional) gets "web, db". */
bool ctl_network_in_use(struct ctl *ctl, const struct network *net, char **ret_names);

/* Load endpoints from the store (after networks and containers). */
int ctl_endpoints_restore(struct ctl *ctl, struct berr **err);
void ctl_endpoints_free(struct ctl *ctl);

#endif
