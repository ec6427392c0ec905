/* ctl-cluster.h - the controller's global (overlay) networks, kept in the
 * cluster store (see ctl-cluster.c for the keys).  Job thread. */
#ifndef BERTH_CTL_CLUSTER_H
#define BERTH_CTL_CLUSTER_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/berr.h"

struct ctl;
struct network;
struct cluster_event;

/* Make net (prepared and validated by the controller) in the cluster: its
 * VNI, subnets and name reserved in one transaction; then in the model.
 * EAGAIN when etcd is away, EEXIST for a taken name or VNI, EPERM for an
 * overlapping subnet.  Does not free net on failure. */
int ctl_global_net_create(struct ctl *ctl, struct network *net, struct berr **err);
/* Remove it from the cluster (refused while another host has endpoints on
 * it) and from the model; frees net. */
int ctl_global_net_delete(struct ctl *ctl, struct network *net, struct berr **err);
struct endpoint;
struct ipaddr;

/* An address of family for ep on global net: want (checked by the caller
 * against the subnet) or the first free one, taken in the cluster on this
 * node's lease (EEXIST when want is taken). */
int ctl_global_ep_addr(struct ctl *ctl, struct network *net, struct endpoint *ep, int family,
		       const struct ipaddr *want, struct berr **err);
/* Give ep's addresses back (failures are logged). */
void ctl_global_ep_release(struct ctl *ctl, struct network *net, struct endpoint *ep);
/* Tell the other hosts that ep runs here (up) or no longer does. */
int ctl_global_ep_publish(struct ctl *ctl, struct network *net, struct endpoint *ep, bool up,
			  struct berr **err);

/* network inspect's Peers of a global network: the hosts with endpoints
 * on it, this one included ({"Name": node id, "IP": underlay address});
 * NULL for a local network.  Loop thread, under the read lock. */
json_t *ctl_network_peers_json(struct ctl *ctl, const struct network *net);

/* The cluster_lease_fn: this node's addresses and endpoints claimed again
 * on a new lease. */
void ctl_cluster_lease(void *arg, int64_t lease);

/* The cluster_apply_fn: what the watch saw, applied to the model. */
void ctl_cluster_apply(void *arg, const struct cluster_event *ev);

#endif
