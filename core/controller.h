/* controller.h - the in-memory model and the operations that change it.
 * One controller per daemon.  Writers: the job thread only, which takes the
 * write lock just for the moment it changes the model, never across a
 * kernel or plugin call.  Readers: the loop thread, under the read lock
 * (ctl_read_lock / ctl_read_unlock). */
#ifndef BERTH_CONTROLLER_H
#define BERTH_CONTROLLER_H

#include <jansson.h>
#include <pthread.h>
#include <stddef.h>

#include "core/berr.h"
#include "core/network.h"
#include "ipam/ipam.h"

struct store;
struct img_store;
struct container;
struct volume;
struct endpoint;

struct cluster;

/* The local store's kind for networks (global ones are copies of the
 * cluster's, so that a restart finds them even while etcd is away). */
#define CTL_KIND_NETWORKS "networks"

struct ctl_config {
	const char *root;
	const char *exec_root;
	const struct ipam_pool_spec *pools; /* default-address-pools; NULL for Docker's */
	size_t n_pools;
	const char *bip;	    /* --bip "172.17.0.1/16", or NULL */
	const char *default_bridge; /* Linux bridge of the "bridge" network */
	const char *cgroup_parent;  /* containers' cgroup, "berth" */
	const char *resolv_conf;    /* where containers' DNS settings come from */
	char *const *dns;	    /* berthd --dns, NULL-terminated, or NULL */
	const char *log_level;	    /* berthd's, passed on to berth-dns */
	const char *cluster_store;  /* --cluster-store, or NULL */
	const char *cluster_advertise;
	char *const *plugin_dirs;   /* --plugin-dir, NULL-terminated; NULL: Docker's */
	unsigned plugin_timeout_ms; /* one plugin call's ceiling; 0: 60 s */
};

struct ctl {
	pthread_rwlock_t lock;
	struct network **nets;
	size_t n_nets, cap_nets;
	struct store *store;
	struct ipam *ipam;	 /* the default IPAM driver's */
	struct plugins *plugins; /* remote drivers and IPAM (plugin.h) */
	struct img_store *images;
	char *bip;
	char *default_bridge;
	char *root;
	char *exec_root;
	char *cgroup_parent;
	char *resolv_conf;
	char **dns;		 /* --dns, NULL-terminated */
	struct dnsc *dnsc;	 /* the embedded DNS (dns-client.h) */
	char *cluster_store;	 /* --cluster-store, or NULL: no global networks */
	struct cluster *cluster; /* set by the daemon once the jobs run; NULL before */
	json_t *remote_dns;	 /* endpoint id -> berth-dns set of another host's endpoint */
	char *cluster_advertise;
	struct container **ctrs; /* see ctl-container.c */
	size_t n_ctrs, cap_ctrs;
	struct volume **vols; /* see ctl-volume.c */
	size_t n_vols, cap_vols;
	struct endpoint **eps; /* see ctl-endpoint.c */
	size_t n_eps, cap_eps;
};

int ctl_new(const struct ctl_config *cfg, struct ctl **ret, struct berr **err);
void ctl_free(struct ctl *ctl);

/* Publish a network in the model / take it out (caller frees). */
void ctl_net_insert(struct ctl *ctl, struct network *net);
void ctl_net_remove(struct ctl *ctl, struct network *net);

/* Load the store, re-adopt kernel state, and create the predefined networks
 * (bridge, host, none) when missing.  Runs before the loop serves requests. */
int ctl_restore(struct ctl *ctl, struct berr **err);

void ctl_read_lock(struct ctl *ctl);
void ctl_read_unlock(struct ctl *ctl);

/* Docker's lookup order: full id, exact name, unique id prefix.  ENOENT
 * "network X not found"; several name matches: EINVAL "ambiguous".  The
 * network is borrowed while the caller holds the lock (or is the job thread). */
int ctl_network_find(struct ctl *ctl, const char *ref, struct network **ret, struct berr **err);

/* Job thread.  Takes ownership of draft (a net_from_create_json result);
 * on success *ret is the model's network (borrowed). */
int ctl_network_create(struct ctl *ctl, struct network *draft, struct network **ret,
		       struct berr **err);
int ctl_network_delete(struct ctl *ctl, const char *ref, struct berr **err);

/* The IPAM instance of net's IPAM driver (default, or a plugin activated
 * now on first use: ENOENT when it is not found). */
int ctl_ipam_of(struct ctl *ctl, const struct network *net, struct ipam **ret, struct berr **err);

/* The local bridge network that gives overlay containers their way out
 * (Docker's docker_gwbridge): the one of that name, made now with Docker's
 * settings (no inter-container traffic, masquerade, the next free default
 * pool) when there is none.  A user may make it first with other options. */
#define CTL_GWBRIDGE "docker_gwbridge"
int ctl_gwbridge_network(struct ctl *ctl, struct network **ret, struct berr **err);
/* Delete every removable, unused network matching filters (label, label!,
 * until); *ret gets the removed ones: [{"id", "name", "driver"}]. */
int ctl_network_prune(struct ctl *ctl, json_t *filters, json_t **ret, struct berr **err);

#endif
