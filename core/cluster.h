/* cluster.h - berthd as a node of a cluster (--cluster-store): its record in
 * etcd under CLUSTER_PREFIX "nodes/<engine id>", bound to a lease that a
 * thread of this module keeps alive, and a watch of everything under
 * CLUSTER_PREFIX whose changes are applied on the job thread, in order.
 *
 * etcd may be down at any time, at start too: the module keeps trying (the
 * lease, the node record, the watch) and the rest of berthd works on; once
 * etcd answers, the consumer gets the whole state again (a RESYNC) and the
 * changes after it. */
#ifndef BERTH_CLUSTER_H
#define BERTH_CLUSTER_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/berr.h"
#include "core/etcd.h"

#define CLUSTER_PREFIX	  "/berth/v1/"
#define CLUSTER_LEASE_TTL 10 /* seconds: a node gone this long is gone */

struct cluster;
struct jobq;

/* A change under CLUSTER_PREFIX, owned by the module for the call. */
struct cluster_event {
	enum etcd_event_type type; /* PUT, DELETE or RESYNC */
	int64_t revision;
	const struct etcd_kv *kv;  /* PUT, DELETE */
	const struct etcd_kv *kvs; /* RESYNC: everything under the prefix */
	size_t n_kvs;
};

/* Runs on the job thread. */
typedef void (*cluster_apply_fn)(void *arg, const struct cluster_event *ev);
/* Runs on the job thread when the node has a (new) lease: what this node
 * publishes with it (its endpoints) must be published again. */
typedef void (*cluster_lease_fn)(void *arg, int64_t lease);

struct cluster_config {
	const char *store;     /* --cluster-store */
	const char *advertise; /* --cluster-advertise address */
	unsigned port;	       /* its port, or 0 */
	const char *node_id;   /* the engine id */
	const char *exec_root; /* where the lease id is kept across restarts */
	struct jobq *jobq;
	cluster_apply_fn apply;
	cluster_lease_fn lease_changed;
	void *arg;
};

/* Start (never fails for an etcd that is down: only for bad options). */
int cluster_start(const struct cluster_config *cfg, struct cluster **ret, struct berr **err);
/* Stop the threads: no more jobs come from the module (etcd calls still
 * work).  The lease is left to run out (a restart within CLUSTER_LEASE_TTL
 * takes it over), so the node's records stay meanwhile.  Idempotent. */
void cluster_stop(struct cluster *c);
/* Stop and free.  NULL is fine. */
void cluster_free(struct cluster *c);

struct etcd *cluster_etcd(struct cluster *c);
const char *cluster_node_id(const struct cluster *c);
const char *cluster_advertise(const struct cluster *c);
/* The lease this node's records are bound to; 0 while etcd has not
 * answered: a caller that needs it fails with cluster_unreachable. */
int64_t cluster_lease(struct cluster *c);
/* The error of an operation that needs etcd while it is away (EAGAIN). */
int cluster_unreachable(struct cluster *c, struct berr **err);

#endif
