/* ctl-endpoint.c - the controller's endpoints and sandboxes (see
 * ctl-endpoint.h).  An endpoint's addresses come from IPAM when it is made
 * and stay until it goes; its kernel side (veth, addresses, routes, ports)
 * exists only while its container runs, inside the container's sandbox
 * namespace <exec-root>/netns/<container id>.  The sandbox's default route
 * goes through the endpoint with the highest GwPriority that has a gateway
 * (first connected on a tie). */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/container.h"
#include "core/controller.h"
#include "core/ctl-container.h"
#include "core/ctl-cluster.h"
#include "core/ctl-endpoint.h"
#include "core/dns-client.h"
#include "core/endpoint.h"
#include "core/log.h"
#include "core/nl.h"
#include "core/sandbox.h"
#include "core/store.h"
#include "core/util.h"
#include "drivers/driver.h"

#define CTL_KIND_ENDPOINTS "endpoints"

/* --- the model's list of endpoints --- */

static void ctl_ep_insert(struct ctl *ctl, struct endpoint *ep)
{
	pthread_rwlock_wrlock(&ctl->lock);
	xgrow(&ctl->eps, &ctl->cap_eps, ctl->n_eps + 1, sizeof(*ctl->eps));
	ctl->eps[ctl->n_eps++] = ep;
	pthread_rwlock_unlock(&ctl->lock);
}

static void ctl_ep_unlink(struct ctl *ctl, struct endpoint *ep)
{
	pthread_rwlock_wrlock(&ctl->lock);
	for (size_t i = 0; i < ctl->n_eps; i++)
		if (ctl->eps[i] == ep) {
			ctl->eps[i] = ctl->eps[--ctl->n_eps];
			break;
		}
	pthread_rwlock_unlock(&ctl->lock);
}

void ctl_endpoints_free(struct ctl *ctl)
{
	for (size_t i = 0; i < ctl->n_eps; i++)
		ep_free(ctl->eps[i]);
	free(ctl->eps);
	ctl->eps = NULL;
	ctl->n_eps = ctl->cap_eps = 0;
}

static int ctl_ep_seq_cmp(const void *a, const void *b)
{
	const struct endpoint *x = *(struct endpoint *const *)a, *y = *(struct endpoint *const *)b;

	return (x->seq > y->seq) - (x->seq < y->seq);
}

static struct endpoint **ctl_eps_collect(struct ctl *ctl, const struct container *c, bool all,
					 size_t *ret_n)
{
	struct endpoint **v = xcalloc(ctl->n_eps + 1, sizeof(*v));
	size_t n = 0;

	for (size_t i = 0; i < ctl->n_eps; i++)
		if (streq(ctl->eps[i]->ctr_id, c->id) && (all || !ctl->eps[i]->gwbridge))
			v[n++] = ctl->eps[i];
	qsort(v, n, sizeof(*v), ctl_ep_seq_cmp);
	*ret_n = n;
	return v;
}

/* c's endpoints on its networks in connect order (caller frees the array,
 * not them) ... */
static struct endpoint **ctl_eps_of(struct ctl *ctl, const struct container *c, size_t *ret_n)
{
	return ctl_eps_collect(ctl, c, false, ret_n);
}

/* ... and with its way out on docker_gwbridge, for what the sandbox holds. */
static struct endpoint **ctl_eps_all(struct ctl *ctl, const struct container *c, size_t *ret_n)
{
	return ctl_eps_collect(ctl, c, true, ret_n);
}

static struct endpoint *ctl_ep_find(struct ctl *ctl, const struct container *c,
				    const struct network *net)
{
	for (size_t i = 0; i < ctl->n_eps; i++)
		if (streq(ctl->eps[i]->ctr_id, c->id) && streq(ctl->eps[i]->net_id, net->id) &&
		    !ctl->eps[i]->gwbridge)
			return ctl->eps[i];
	return NULL;
}

static struct endpoint *ctl_gwbridge_ep(struct ctl *ctl, const struct container *c)
{
	for (size_t i = 0; i < ctl->n_eps; i++)
		if (ctl->eps[i]->gwbridge && streq(ctl->eps[i]->ctr_id, c->id))
			return ctl->eps[i];
	return NULL;
}

static struct network *ctl_net_by_id(struct ctl *ctl, const char *id)
{
	for (size_t i = 0; i < ctl->n_nets; i++)
		if (streq(ctl->nets[i]->id, id))
			return ctl->nets[i];
	return NULL;
}

static char *ctl_netns_path(struct ctl *ctl, const struct container *c)
{
	return xasprintf("%s/netns/%s", ctl->exec_root, c->id);
}

/* --- addresses --- */

/* The IPAM entry of a family (the first one), or NULL. */
static struct net_ipam_config *ctl_net_ipam(struct network *net, int family)
{
	for (size_t i = 0; i < net->n_ipam; i++)
		if (net->ipam[i].subnet.addr.family == family && net->ipam[i].pool_id)
			return &net->ipam[i];
	return NULL;
}

static void ctl_ep_release_addrs(struct ctl *ctl, struct network *net, struct endpoint *ep)
{
	struct net_ipam_config *c4 = ctl_net_ipam(net, AF_INET);
	struct net_ipam_config *c6 = ctl_net_ipam(net, AF_INET6);
	struct ipam *ipam = NULL;
	struct berr *e = NULL;

	if (net->scope == NET_SCOPE_GLOBAL) {
		ctl_global_ep_release(ctl, net, ep);
		ep->has4 = ep->has6 = false;
		return;
	}

	if ((ep->has4 || ep->has6) && ctl_ipam_of(ctl, net, &ipam, &e) < 0) {
		log_warn("endpoint %.12s: its addresses cannot be given back: %s", ep->id,
			 berr_msg(e));
		berr_free(e);
	}
	if (ipam && ep->has4 && c4)
		ipam->driver->address_release(ipam, c4->pool_id, &ep->addr4, NULL);
	if (ipam && ep->has6 && c6)
		ipam->driver->address_release(ipam, c6->pool_id, &ep->addr6, NULL);
	ep->has4 = ep->has6 = false;
}

/* Docker's rules for a static address: only on user-defined networks with
 * a subnet the user gave, and inside it. */
static int ctl_ep_check_static(struct network *net, struct net_ipam_config *ic,
			       const struct ipaddr *want, struct berr **err)
{
	char buf[CIDR_STRLEN];

	if (net->predefined)
		return berr_set(err, EINVAL,
				"user specified IP address is supported on user defined "
				"networks only");
	if (!ic || ic->auto_subnet)
		return berr_set(err, EINVAL,
				"user specified IP address is supported only when connecting to "
				"networks with user configured subnets");
	if (!cidr_contains(&ic->subnet, want))
		return berr_set(err, EINVAL,
				"no configured subnet or ip-range contain the IP address %s",
				cidr_addr_str(want, buf));
	return 0;
}

/* One address of a family for ep: the one asked for, or the next free. */
static int ctl_ep_addr(struct ctl *ctl, struct network *net, struct endpoint *ep, int family,
		       struct berr **err)
{
	struct net_ipam_config *ic = ctl_net_ipam(net, family);
	struct ipam *ipam;
	struct ipaddr want, got;
	bool has_want = ep_config_addr(ep->config, family, &want) == 1;
	int r;

	if (net->scope == NET_SCOPE_GLOBAL) {
		/* addresses of the cluster (their subnets are not the local IPAM's) */
		for (size_t i = 0; i < net->n_ipam && !ic; i++)
			if (net->ipam[i].subnet.addr.family == family)
				ic = &net->ipam[i];
		if (has_want && (r = ctl_ep_check_static(net, ic, &want, err)) < 0)
			return r;
		return ctl_global_ep_addr(ctl, net, ep, family, has_want ? &want : NULL, err);
	}
	if (has_want && (r = ctl_ep_check_static(net, ic, &want, err)) < 0)
		return r;
	if (!ic)
		return 0;
	if ((r = ctl_ipam_of(ctl, net, &ipam, err)) < 0)
		return r;
	r = ipam->driver->address_request(ipam, ic->pool_id, has_want ? &want : NULL, 0, ep->mac,
					  &got, err);
	if (r == -ENOSPC)
		return berr_set(err, ENOSPC, "no available IPv%c addresses on network %s",
				family == AF_INET ? '4' : '6', net->name);
	if (r == -EPERM) {
		char buf[CIDR_STRLEN];

		berr_free(err ? *err : NULL);
		if (err)
			*err = NULL;
		return berr_set(err, EEXIST, "Address already in use: %s on network %s",
				cidr_addr_str(&want, buf), net->name);
	}
	if (r < 0)
		return r;
	ep_set_addr(ep, &got, ic->subnet.len);
	return 0;
}

/* --- making and removing endpoints --- */

/* Can c be on net at all? */
static int ctl_ep_check_net(struct network *net, struct berr **err)
{
	if (net->driver->no_ipam)
		return berr_set(err, EPERM,
				"container cannot be disconnected from host network or connected "
				"to host network");
	if (net->config_only)
		return berr_set(err, EPERM, "cannot attach to config-only network %s", net->name);
	/* Docker's rule: containers (not services) need --attachable */
	if (net->scope == NET_SCOPE_GLOBAL && !net->attachable)
		return berr_set(err, EPERM,
				"Could not attach to network %s: network %s not manually "
				"attachable (create it with --attachable)",
				net->name, net->name);
	return 0;
}

static unsigned ctl_next_seq(struct ctl *ctl, const struct container *c)
{
	unsigned seq = 0;

	for (size_t i = 0; i < ctl->n_eps; i++)
		if (streq(ctl->eps[i]->ctr_id, c->id) && ctl->eps[i]->seq >= seq)
			seq = ctl->eps[i]->seq + 1;
	return seq;
}

/* A new endpoint of c on net with config (borrowed, may be NULL):
 * addresses, MAC, store file, model.  All or nothing.  gwbridge: c's way
 * out on docker_gwbridge, which nothing else may join. */
static int ctl_ep_make(struct ctl *ctl, struct container *c, struct network *net, json_t *config,
		       bool gwbridge, struct endpoint **ret, struct berr **err)
{
	struct endpoint *ep = ep_new();
	const char *mac;
	json_t *stored;
	int r;

	if (!gwbridge && streq(net->name, CTL_GWBRIDGE)) {
		r = berr_set(err, EPERM,
			     "network %s is the way out of overlay containers: berth connects "
			     "them to it, containers cannot join it by hand",
			     CTL_GWBRIDGE);
		goto fail;
	}
	ep->gwbridge = gwbridge;
	if ((r = ctl_ep_check_net(net, err)) < 0 || (r = ep_config_check(config, err)) < 0)
		goto fail;
	if (json_is_object(config)) {
		json_decref(ep->config);
		ep->config = json_deep_copy(config);
	}
	util_random_id(ep->id);
	memcpy(ep->ctr_id, c->id, sizeof(ep->ctr_id));
	memcpy(ep->net_id, net->id, sizeof(ep->net_id));
	ep->ctr_name = xstrdup(c->name);
	ep->seq = ctl_next_seq(ctl, c);
	ep->gw_prio = json_integer_value(json_object_get(ep->config, "GwPriority"));
	mac = json_string_value(json_object_get(ep->config, "MacAddress"));
	if (mac && *mac)
		ep_mac_parse(mac, ep->mac, NULL);
	else
		ep_mac_random(ep->mac);
	if ((r = ctl_ep_addr(ctl, net, ep, AF_INET, err)) < 0)
		goto fail;
	if (net->enable_ipv6 && (r = ctl_ep_addr(ctl, net, ep, AF_INET6, err)) < 0)
		goto fail_addrs;
	stored = ep_to_store_json(ep);
	r = store_put(ctl->store, CTL_KIND_ENDPOINTS, ep->id, stored, err);
	json_decref(stored);
	if (r < 0)
		goto fail_addrs;
	ctl_ep_insert(ctl, ep);
	*ret = ep;
	return 0;
fail_addrs:
	ctl_ep_release_addrs(ctl, net, ep);
fail:
	ep_free(ep);
	return r;
}

/* Remove an endpoint that is not joined: addresses, store file, model. */
static void ctl_ep_destroy(struct ctl *ctl, struct endpoint *ep)
{
	struct network *net = ctl_net_by_id(ctl, ep->net_id);
	struct berr *e = NULL;

	if (net)
		ctl_ep_release_addrs(ctl, net, ep);
	if (store_del(ctl->store, CTL_KIND_ENDPOINTS, ep->id, &e) < 0)
		log_warn("endpoint %.12s: %s", ep->id, berr_msg(e));
	berr_free(e);
	ctl_ep_unlink(ctl, ep);
	ep_free(ep);
}

void ctl_endpoints_rename(struct ctl *ctl, struct container *c)
{
	for (size_t i = 0; i < ctl->n_eps; i++)
		if (streq(ctl->eps[i]->ctr_id, c->id)) {
			free(ctl->eps[i]->ctr_name);
			ctl->eps[i]->ctr_name = xstrdup(c->name);
		}
}

void ctl_endpoints_remove(struct ctl *ctl, struct container *c)
{
	size_t n;
	struct endpoint **eps = ctl_eps_all(ctl, c, &n);

	for (size_t i = 0; i < n; i++)
		ctl_ep_destroy(ctl, eps[i]);
	free(eps);
}

/* The network a NetworkMode names ("bridge", "default", a name or id);
 * NULL for none, host and container:. */
static int ctl_mode_network(struct ctl *ctl, const char *mode, struct network **ret,
			    struct berr **err)
{
	*ret = NULL;
	if (streq(mode, "none") || streq(mode, "host") || strprefix(mode, "container:"))
		return 0;
	return ctl_network_find(ctl, streq(mode, "default") ? "bridge" : mode, ret, err);
}

/* container:<ref> must name another container. */
static int ctl_check_container_mode(struct ctl *ctl, struct container *c, const char *mode,
				    struct berr **err)
{
	struct container *other;
	int r;

	if (!strprefix(mode, "container:"))
		return 0;
	if ((r = ctl_container_find(ctl, mode + strlen("container:"), &other, err)) < 0)
		return r;
	if (other == c)
		return berr_set(err, EINVAL, "cannot join own network namespace");
	return 0;
}

/* A 404 at create would make the docker CLI try to pull the image (it
 * takes any 404 for a missing image): a network or container that is not
 * there is a bad parameter of the create. */
static int ctl_create_bad_ref(int r, struct berr **err)
{
	if (r == -ENOENT && err && *err) {
		(*err)->code = EINVAL;
		return -EINVAL;
	}
	return r;
}

static int ctl_endpoints_make(struct ctl *ctl, struct container *c, json_t *networking,
			      struct berr **err);

/* The network mode's network, and the extra networks of EndpointsConfig. */
int ctl_endpoints_create(struct ctl *ctl, struct container *c, json_t *networking,
			 struct berr **err)
{
	return ctl_create_bad_ref(ctl_endpoints_make(ctl, c, networking, err), err);
}

static int ctl_endpoints_make(struct ctl *ctl, struct container *c, json_t *networking,
			      struct berr **err)
{
	const char *mode = ctr_network_mode(c), *key;
	json_t *epcs = json_object_get(networking, "EndpointsConfig"), *cfg;
	struct network *primary, *net;
	struct endpoint *ep;
	int r;

	if ((r = ctl_check_container_mode(ctl, c, mode, err)) < 0 ||
	    (r = ctl_mode_network(ctl, mode, &primary, err)) < 0)
		return r;
	if (primary && primary->driver->no_ipam) /* --network NAME of the host or null driver */
		primary = NULL;
	if (primary) {
		cfg = json_object_get(epcs, primary->name);
		if (!cfg)
			cfg = json_object_get(epcs, mode);
		if (!cfg)
			cfg = json_object_get(epcs, "default");
		if ((r = ctl_ep_make(ctl, c, primary, cfg, false, &ep, err)) < 0)
			return r;
	}
	json_object_foreach (epcs, key, cfg) {
		if ((r = ctl_network_find(ctl, streq(key, "default") ? "bridge" : key, &net, err)) <
		    0)
			goto fail;
		if (net == primary || (!primary && net->driver->no_ipam))
			continue;
		if (!primary) {
			r = berr_set(err, EINVAL,
				     "conflicting options: network mode %s cannot be combined with "
				     "network %s",
				     mode, key);
			goto fail;
		}
		if ((r = ctl_ep_make(ctl, c, net, cfg, false, &ep, err)) < 0)
			goto fail;
	}
	return 0;
fail:
	ctl_endpoints_remove(ctl, c);
	return r;
}

/* --- the sandbox --- */

static bool ctl_ep_has_gateway(struct ctl *ctl, const struct endpoint *ep)
{
	struct network *net = ctl_net_by_id(ctl, ep->net_id);

	/* (an overlay's gateway address leads nowhere: its way out will be a
	 * local bridge beside it, as Docker's docker_gwbridge) */
	if (!net || net->internal || !ep->has4 || net->scope == NET_SCOPE_GLOBAL)
		return false;
	if (net->driver->gw_from_join)
		return ep->join_gw4;
	for (size_t i = 0; i < net->n_ipam; i++)
		if (net->ipam[i].subnet.addr.family == AF_INET && net->ipam[i].has_gateway)
			return true;
	return false;
}

/* The joined endpoint that should give the default route, or NULL: the
 * way out on docker_gwbridge only when no network of the container has a
 * gateway. */
static struct endpoint *ctl_pick_gateway(struct ctl *ctl, struct endpoint **eps, size_t n)
{
	struct endpoint *best = NULL, *gwbridge = NULL;

	for (size_t i = 0; i < n; i++) {
		if (!eps[i]->joined || !ctl_ep_has_gateway(ctl, eps[i]))
			continue;
		if (eps[i]->gwbridge)
			gwbridge = eps[i];
		else if (!best || eps[i]->gw_prio > best->gw_prio)
			best = eps[i];
	}
	return best ? best : gwbridge;
}

/* Does c need a way out on docker_gwbridge?  When it is on an overlay
 * network that is not --internal and none of its networks has a gateway
 * (Docker's rule). */
static bool ctl_needs_gwbridge(struct ctl *ctl, struct endpoint **eps, size_t n)
{
	bool overlay = false;

	for (size_t i = 0; i < n; i++) {
		struct network *net = ctl_net_by_id(ctl, eps[i]->net_id);

		if (eps[i]->gwbridge || !eps[i]->joined || !net)
			continue;
		if (ctl_ep_has_gateway(ctl, eps[i]))
			return false;
		/* (a plugin's network that gives no gateway either, unless it
		 * said it wants none: Docker's gateway service) */
		overlay |=
			!net->internal && (net->scope == NET_SCOPE_GLOBAL ||
					   (net->driver->gw_from_join && !eps[i]->no_gw_service));
	}
	return overlay;
}

struct ctl_route_ctx {
	struct ipaddr gw4, gw6;
	bool has6;
	const char *ifname;
};

static int ctl_route_inside(void *arg, struct berr **err)
{
	struct ctl_route_ctx *x = arg;
	int r;

	r = nl_route_add_default(&x->gw4, x->ifname, err);
	if (r == 0 && x->has6)
		r = nl_route_add_default(&x->gw6, x->ifname, err);
	return r;
}

/* The default route (and IPv6 one) through ep's network's gateway. */
static int ctl_set_default_route(struct ctl *ctl, const char *netns, struct endpoint *ep,
				 struct berr **err)
{
	struct network *net = ctl_net_by_id(ctl, ep->net_id);
	struct ctl_route_ctx x = {.ifname = ep->ifname};

	if (net->driver->gw_from_join) {
		x.gw4 = ep->gw4;
		x.gw6 = ep->gw6;
		x.has6 = ep->join_gw6;
		return sb_netns_run(netns, ctl_route_inside, &x, err);
	}
	for (size_t i = 0; i < net->n_ipam; i++) {
		const struct net_ipam_config *ic = &net->ipam[i];

		if (!ic->has_gateway)
			continue;
		if (ic->subnet.addr.family == AF_INET)
			x.gw4 = ic->gateway;
		else if (ep->has6 && !x.has6) {
			x.gw6 = ic->gateway;
			x.has6 = true;
		}
	}
	return sb_netns_run(netns, ctl_route_inside, &x, err);
}

/* The lowest free "ethN" among c's joined endpoints. */
static void ctl_ep_ifname(struct endpoint *ep, struct endpoint **eps, size_t n)
{
	for (unsigned idx = 0;; idx++) {
		char name[16];
		bool taken = false;

		snprintf(name, sizeof(name), "eth%u", idx);
		for (size_t i = 0; i < n && !taken; i++)
			taken = eps[i] != ep && eps[i]->joined && streq(eps[i]->ifname, name);
		if (!taken) {
			memcpy(ep->ifname, name, sizeof(ep->ifname));
			return;
		}
	}
}

/* What a driver's join said of the endpoint (its gateways, the plugin's
 * name for its interface), stored so that a restarted daemon still knows
 * them.  A store that fails is logged: the endpoint works on. */
static void ctl_ep_store_join(struct ctl *ctl, struct endpoint *ep)
{
	json_t *stored = ep_to_store_json(ep);
	struct berr *e = NULL;

	if (store_put(ctl->store, CTL_KIND_ENDPOINTS, ep->id, stored, &e) < 0)
		log_warn("endpoint %.12s: %s", ep->id, berr_msg(e));
	berr_free(e);
	json_decref(stored);
}

static int ctl_ep_join(struct ctl *ctl, struct endpoint *ep, struct sandbox *sb,
		       struct endpoint **eps, size_t n, struct berr **err)
{
	struct network *net = ctl_net_by_id(ctl, ep->net_id);
	int r;

	if (!net)
		return berr_set(err, ENOENT, "network %s not found", ep->net_id);
	ctl_ep_ifname(ep, eps, n);
	if (net->driver->join && (r = net->driver->join(net, ep, sb, err)) < 0)
		return r;
	/* the other hosts learn where it is */
	if (net->scope == NET_SCOPE_GLOBAL &&
	    (r = ctl_global_ep_publish(ctl, net, ep, true, err)) < 0) {
		if (net->driver->leave)
			net->driver->leave(net, ep, sb, NULL);
		return r;
	}
	pthread_rwlock_wrlock(&ctl->lock);
	ep->joined = true;
	pthread_rwlock_unlock(&ctl->lock);
	if (net->driver->gw_from_join)
		ctl_ep_store_join(ctl, ep);
	return 0;
}

static void ctl_ep_leave(struct ctl *ctl, struct endpoint *ep, struct sandbox *sb)
{
	struct network *net = ctl_net_by_id(ctl, ep->net_id);
	struct berr *e = NULL;

	if (net && net->scope == NET_SCOPE_GLOBAL &&
	    ctl_global_ep_publish(ctl, net, ep, false, &e) < 0)
		log_warn("endpoint %.12s: the other hosts are not told it left: %s", ep->id,
			 berr_msg(e));
	berr_free(e);
	e = NULL;
	if (net && net->driver->leave && net->driver->leave(net, ep, sb, &e) < 0)
		log_warn("endpoint %.12s: leave: %s", ep->id, berr_msg(e));
	berr_free(e);
	pthread_rwlock_wrlock(&ctl->lock);
	ep->joined = false;
	ep->is_gw = false;
	ep->ifname[0] = 0;
	pthread_rwlock_unlock(&ctl->lock);
	if (net && net->driver->gw_from_join)
		ctl_ep_store_join(ctl, ep);
}

static int ctl_ports_program(struct ctl *ctl, struct container *c, struct endpoint *ep,
			     struct berr **err)
{
	struct network *net = ctl_net_by_id(ctl, ep->net_id);
	int r;

	if (!c->n_ports || !net->driver->external_program)
		return 0;
	ep->ports = c->ports;
	ep->n_ports = c->n_ports;
	r = net->driver->external_program(net, ep, err);
	if (r < 0) {
		ep->ports = NULL;
		ep->n_ports = 0;
	}
	return r;
}

static void ctl_ports_revoke(struct ctl *ctl, struct endpoint *ep)
{
	struct network *net = ctl_net_by_id(ctl, ep->net_id);
	struct berr *e = NULL;

	if (!ep->n_ports)
		return;
	if (net && net->driver->external_revoke && net->driver->external_revoke(net, ep, &e) < 0)
		log_warn("endpoint %.12s: ports: %s", ep->id, berr_msg(e));
	berr_free(e);
	pthread_rwlock_wrlock(&ctl->lock);
	ep->ports = NULL;
	ep->n_ports = 0;
	pthread_rwlock_unlock(&ctl->lock);
}

/* c's way out on docker_gwbridge: an endpoint made and joined now. */
static int ctl_gwbridge_join(struct ctl *ctl, struct container *c, const char *netns,
			     struct berr **err)
{
	struct sandbox sb = {.netns = netns, .ctr_id = c->id};
	struct network *net;
	struct endpoint *ep;
	size_t n;
	_cleanup_free_ struct endpoint **eps = NULL;
	int r;

	if ((r = ctl_gwbridge_network(ctl, &net, err)) < 0 ||
	    (r = ctl_ep_make(ctl, c, net, NULL, true, &ep, err)) < 0)
		return r;
	eps = ctl_eps_all(ctl, c, &n);
	if ((r = ctl_ep_join(ctl, ep, &sb, eps, n, err)) < 0) {
		ctl_ep_destroy(ctl, ep);
		return berr_wrap(err, "container %s: no way out through %s", c->name, CTL_GWBRIDGE);
	}
	return 0;
}

static void ctl_gwbridge_leave(struct ctl *ctl, struct endpoint *ep, const char *netns, bool going)
{
	struct sandbox sb = {.netns = netns, .ctr_id = ep->ctr_id, .going = going};

	ctl_ports_revoke(ctl, ep);
	if (ep->joined)
		ctl_ep_leave(ctl, ep, &sb);
	ctl_ep_destroy(ctl, ep);
}

/* Choose the gateway endpoint again (after a join or a leave): the way out
 * on docker_gwbridge comes or goes, default route and published ports
 * follow the gateway. */
static int ctl_sandbox_gateway(struct ctl *ctl, struct container *c, const char *netns,
			       struct berr **err)
{
	size_t n;
	_cleanup_free_ struct endpoint **eps = ctl_eps_all(ctl, c, &n);
	struct endpoint *gwb = ctl_gwbridge_ep(ctl, c), *gw, *old = NULL;
	bool need = ctl_needs_gwbridge(ctl, eps, n);
	int r;

	if (need && !gwb) {
		if ((r = ctl_gwbridge_join(ctl, c, netns, err)) < 0)
			return r;
		free(eps);
		eps = ctl_eps_all(ctl, c, &n);
	}
	gw = ctl_pick_gateway(ctl, eps, n);
	if (gwb && !need && gw == gwb)
		gw = NULL; /* (going: no route through it) */
	for (size_t i = 0; i < n; i++)
		if (eps[i]->is_gw)
			old = eps[i];
	if (gw != old) {
		if (old) {
			ctl_ports_revoke(ctl, old);
			old->is_gw = false;
		}
		if (gw) {
			if ((r = ctl_set_default_route(ctl, netns, gw, err)) < 0 ||
			    (r = ctl_ports_program(ctl, c, gw, err)) < 0)
				return r;
			pthread_rwlock_wrlock(&ctl->lock);
			gw->is_gw = true;
			pthread_rwlock_unlock(&ctl->lock);
		}
	}
	/* no longer needed: gone once the route is elsewhere */
	if (gwb && !need)
		ctl_gwbridge_leave(ctl, gwb, netns, false);
	return 0;
}

/* Ports of a container without a gateway endpoint (internal networks
 * only, or none): published on its first endpoint so that the host can
 * still reach them. */
static int ctl_sandbox_ports_fallback(struct ctl *ctl, struct container *c, struct berr **err)
{
	size_t n;
	_cleanup_free_ struct endpoint **eps = ctl_eps_all(ctl, c, &n);

	for (size_t i = 0; i < n; i++)
		if (eps[i]->is_gw || eps[i]->n_ports)
			return 0;
	return n && c->n_ports ? ctl_ports_program(ctl, c, eps[0], err) : 0;
}

/* --- the embedded DNS --- */

/* berth-dns's view of c: its records on every joined user-defined network
 * and the networks whose names it sees, or nothing when serve is false. */
static json_t *ctl_dns_set_json(struct ctl *ctl, struct container *c, bool serve)
{
	json_t *nets = json_array(), *eps_json = json_array();
	size_t n;
	_cleanup_free_ struct endpoint **eps = serve ? ctl_eps_of(ctl, c, &n) : NULL;
	bool outside = false;

	for (size_t i = 0; eps && i < n; i++) {
		struct network *net = ctl_net_by_id(ctl, eps[i]->net_id);

		if (!net || !eps[i]->joined)
			continue;
		outside |= !net->internal;
		if (net->predefined)
			continue;
		json_array_append_new(nets, json_string(net->id));
		json_array_append_new(eps_json, ep_dns_record(eps[i], net, c->name));
	}
	/* Forwarding only for a container that may reach the outside (as
	 * Docker 26: on --internal networks only, nothing leaves); and the
	 * upstreams read resolv.conf: only for a container that has names. */
	return json_pack("{s:s, s:o, s:o, s:o}", "ctr", c->id, "nets", nets, "endpoints", eps_json,
			 "upstreams",
			 json_array_size(nets) && outside ? ctl_dns_upstreams(ctl, c)
							  : json_array());
}

/* Tell berth-dns what c's names and sandbox are now.  A resolver that
 * cannot be reached is logged: the container runs on without names. */
static void ctl_dns_update(struct ctl *ctl, struct container *c, const char *netns, bool serve)
{
	json_t *set = ctl_dns_set_json(ctl, c, serve);
	struct berr *e = NULL;

	if (dnsc_set(ctl->dnsc, set, netns, &e) < 0)
		log_warn("container %s: embedded DNS: %s", c->name, berr_msg(e));
	berr_free(e);
	json_decref(set);
}

void ctl_sandbox_dns_update(struct ctl *ctl, struct container *c)
{
	_cleanup_free_ char *netns = ctl_netns_path(ctl, c);

	/* (with no endpoint left, its last network disconnected: withdrawn) */
	if (c->status == CTR_RUNNING)
		ctl_dns_update(ctl, c, netns, true);
}

int ctl_dns_resync(void *arg, struct berr **err)
{
	struct ctl *ctl = arg;

	(void)err;
	const char *key;
	json_t *set;

	for (size_t i = 0; i < ctl->n_ctrs; i++)
		ctl_sandbox_dns_update(ctl, ctl->ctrs[i]);
	/* and the containers of other hosts on global networks */
	json_object_foreach (ctl->remote_dns, key, set)
		if (dnsc_set(ctl->dnsc, set, NULL, err) < 0)
			return -EPIPE;
	return 0;
}

int ctl_dns_restore(struct ctl *ctl, struct berr **err)
{
	bool needed = false;

	for (size_t i = 0; i < ctl->n_eps && !needed; i++) {
		struct network *net = ctl_net_by_id(ctl, ctl->eps[i]->net_id);

		needed = ctl->eps[i]->joined && net && !net->predefined;
	}
	return dnsc_attach(ctl->dnsc, needed, err);
}

static void ctl_sandbox_teardown(struct ctl *ctl, struct container *c, const char *netns)
{
	struct sandbox sb = {.netns = netns, .ctr_id = c->id, .going = true};
	size_t n;
	_cleanup_free_ struct endpoint **eps = ctl_eps_all(ctl, c, &n);
	struct berr *e = NULL;

	ctl_dns_update(ctl, c, NULL, false);
	for (size_t i = n; i-- > 0;) {
		if (eps[i]->gwbridge) {
			ctl_gwbridge_leave(ctl, eps[i], netns, true);
			continue;
		}
		ctl_ports_revoke(ctl, eps[i]);
		if (eps[i]->joined)
			ctl_ep_leave(ctl, eps[i], &sb);
	}
	if (sb_netns_del(netns, &e) < 0)
		log_warn("container %s: %s", c->name, berr_msg(e));
	berr_free(e);
}

/* container:<ref>: the other container's namespace, which must be there.
 * (A --network none container has no bind-mounted namespace: a container
 * joining it gets a namespace of its own with only lo, which is what it
 * would see there.) */
static int ctl_shared_netns(struct ctl *ctl, const char *mode, char **ret_netns, struct berr **err)
{
	struct container *other;
	_cleanup_free_ char *path = NULL;
	int r;

	if ((r = ctl_container_find(ctl, mode + strlen("container:"), &other, err)) < 0)
		return r;
	if (other->status != CTR_RUNNING)
		return berr_set(err, EBUSY, "cannot join network of a non running container: %s",
				other->name);
	mode = ctr_network_mode(other);
	if (streq(mode, "host") || strprefix(mode, "container:"))
		return berr_set(err, EINVAL,
				"cannot join network namespace of container %s: it has no "
				"sandbox of its own (network mode %s)",
				other->name, mode);
	if (streq(mode, "none")) {
		*ret_netns = NULL;
		return 0;
	}
	path = ctl_netns_path(ctl, other);
	if (access(path, F_OK) < 0)
		return berr_set(err, ENOENT, "container %s has no network namespace", other->name);
	*ret_netns = TAKE_PTR(path);
	return 0;
}

int ctl_sandbox_up(struct ctl *ctl, struct container *c, char **ret_netns, struct berr **err)
{
	const char *mode = ctr_network_mode(c);
	_cleanup_free_ char *dir = xasprintf("%s/netns", ctl->exec_root);
	_cleanup_free_ char *netns = NULL;
	_cleanup_free_ struct endpoint **eps = NULL;
	struct sandbox sb = {.ctr_id = c->id};
	size_t n;
	int r;

	*ret_netns = NULL;
	if (strprefix(mode, "container:"))
		return ctl_shared_netns(ctl, mode, ret_netns, err);
	eps = ctl_eps_all(ctl, c, &n);
	if (n == 0)
		return 0;
	netns = ctl_netns_path(ctl, c);
	sb.netns = netns;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return berr_set(err, errno, "cannot create %s: %m", dir);
	sb_netns_del(netns, NULL); /* a leftover of a crash */
	if ((r = sb_netns_add(netns, err)) < 0)
		return r;
	for (size_t i = 0; i < n; i++)
		if ((r = ctl_ep_join(ctl, eps[i], &sb, eps, n, err)) < 0)
			goto fail;
	if ((r = ctl_sandbox_gateway(ctl, c, netns, err)) < 0 ||
	    (r = ctl_sandbox_ports_fallback(ctl, c, err)) < 0)
		goto fail;
	ctl_dns_update(ctl, c, netns, true);
	*ret_netns = TAKE_PTR(netns);
	return 0;
fail:
	ctl_sandbox_teardown(ctl, c, netns);
	return r;
}

void ctl_sandbox_down(struct ctl *ctl, struct container *c)
{
	_cleanup_free_ char *netns = ctl_netns_path(ctl, c);
	size_t n;
	_cleanup_free_ struct endpoint **eps = ctl_eps_all(ctl, c, &n);

	/* (a container disconnected from its last network still has its
	 * namespace) */
	if (n || access(netns, F_OK) == 0)
		ctl_sandbox_teardown(ctl, c, netns);
	for (size_t i = 0; i < c->n_ports; i++)
		c->ports[i].bound = 0;
}

struct ctl_find_ifs {
	struct endpoint **eps;
	size_t n;
};

/* Inside the sandbox: each endpoint's interface, found by its MAC. */
static int ctl_find_ifs_inside(void *arg, struct berr **err)
{
	struct ctl_find_ifs *x = arg;

	for (size_t i = 0; i < x->n; i++)
		if (nl_link_find_mac(x->eps[i]->mac, x->eps[i]->ifname, sizeof(x->eps[i]->ifname),
				     err) < 0)
			return -EIO;
	return 0;
}

void ctl_sandbox_restore(struct ctl *ctl, struct container *c)
{
	_cleanup_free_ char *netns = ctl_netns_path(ctl, c);
	size_t n;
	_cleanup_free_ struct endpoint **eps = ctl_eps_all(ctl, c, &n);
	struct ctl_find_ifs x = {eps, n};
	struct endpoint *gw;
	struct berr *e = NULL;

	if (!n)
		return;
	if (sb_netns_run(netns, ctl_find_ifs_inside, &x, &e) < 0) {
		log_warn("container %s: its sandbox cannot be read: %s", c->name, berr_msg(e));
		berr_free(e);
		return;
	}
	for (size_t i = 0; i < n; i++)
		eps[i]->joined = eps[i]->ifname[0] != 0;
	gw = ctl_pick_gateway(ctl, eps, n);
	if (gw)
		gw->is_gw = true;
	else if (c->n_ports)
		gw = eps[0];
	if (!gw || !c->n_ports)
		return;
	if (ctl_ports_program(ctl, c, gw, &e) < 0)
		log_warn("container %s: cannot publish its ports again: %s", c->name, berr_msg(e));
	berr_free(e);
}

/* --- connect and disconnect --- */

static int ctl_connect_check(struct ctl *ctl, struct container *c, struct network *net,
			     struct berr **err)
{
	const char *mode = ctr_network_mode(c);

	if (streq(mode, "host") || streq(mode, "none") || strprefix(mode, "container:"))
		return berr_set(err, EPERM,
				"container sharing network namespace with another container or "
				"host cannot be connected to any other network");
	if (ctl_ep_find(ctl, c, net))
		return berr_set(err, EPERM, "endpoint with name %s already exists in network %s",
				c->name, net->name);
	if (c->status == CTR_RUNNING && !c->pid)
		return berr_set(err, EBUSY, "container %s is not ready", c->name);
	return 0;
}

/* Join a running container's sandbox now. */
static int ctl_connect_live(struct ctl *ctl, struct container *c, struct endpoint *ep,
			    struct berr **err)
{
	_cleanup_free_ char *netns = ctl_netns_path(ctl, c);
	struct sandbox sb = {.netns = netns, .ctr_id = c->id};
	size_t n;
	_cleanup_free_ struct endpoint **eps = ctl_eps_all(ctl, c, &n);
	int r;

	if ((r = ctl_ep_join(ctl, ep, &sb, eps, n, err)) < 0)
		return r;
	if ((r = ctl_sandbox_gateway(ctl, c, netns, err)) < 0) {
		ctl_ep_leave(ctl, ep, &sb);
		ctl_sandbox_gateway(ctl, c, netns, NULL);
		return r;
	}
	ctl_dns_update(ctl, c, netns, true);
	return 0;
}

int ctl_network_connect(struct ctl *ctl, const char *net_ref, const char *ctr_ref, json_t *config,
			struct berr **err)
{
	struct network *net;
	struct container *c;
	struct endpoint *ep;
	int r;

	if ((r = ctl_network_find(ctl, net_ref, &net, err)) < 0 ||
	    (r = ctl_container_find(ctl, ctr_ref, &c, err)) < 0 ||
	    (r = ctl_ep_check_net(net, err)) < 0 || (r = ctl_connect_check(ctl, c, net, err)) < 0)
		return r;
	if ((r = ctl_ep_make(ctl, c, net, config, false, &ep, err)) < 0)
		return r;
	if (c->status == CTR_RUNNING && (r = ctl_connect_live(ctl, c, ep, err)) < 0) {
		ctl_ep_destroy(ctl, ep);
		return r;
	}
	log_info("container %s connected to network %s", c->name, net->name);
	return 0;
}

int ctl_network_disconnect(struct ctl *ctl, const char *net_ref, const char *ctr_ref, bool force,
			   struct berr **err)
{
	struct network *net;
	struct container *c;
	struct endpoint *ep;
	int r;

	if ((r = ctl_network_find(ctl, net_ref, &net, err)) < 0 ||
	    (r = ctl_container_find(ctl, ctr_ref, &c, err)) < 0)
		return r;
	if (net->driver->no_ipam && !force)
		return ctl_ep_check_net(net, err);
	ep = ctl_ep_find(ctl, c, net);
	if (!ep)
		return berr_set(err, EINVAL, "container %s is not connected to network %s", c->id,
				net->name);
	if (ep->joined) {
		_cleanup_free_ char *netns = ctl_netns_path(ctl, c);
		struct sandbox sb = {.netns = netns, .ctr_id = c->id};
		struct berr *e = NULL;

		ctl_ports_revoke(ctl, ep);
		ctl_ep_leave(ctl, ep, &sb);
		/* the endpoint goes anyway: a missing route is logged */
		if (ctl_sandbox_gateway(ctl, c, netns, &e) < 0)
			log_warn("container %s: no new default route: %s", c->name, berr_msg(e));
		berr_free(e);
	}
	ctl_ep_destroy(ctl, ep);
	if (c->status == CTR_RUNNING)
		ctl_sandbox_dns_update(ctl, c);
	log_info("container %s disconnected from network %s", c->name, net->name);
	return 0;
}

/* --- what inspect and list show --- */

json_t *ctl_container_network_settings(struct ctl *ctl, const struct container *c, bool summary)
{
	json_t *nets = json_object(), *top = json_object();
	const char *mode = ctr_network_mode(c);
	size_t n;
	_cleanup_free_ struct endpoint **eps = ctl_eps_of(ctl, c, &n);
	struct endpoint *ports_ep = NULL;

	for (size_t i = 0; i < n; i++) {
		struct network *net = ctl_net_by_id(ctl, eps[i]->net_id);

		if (!net)
			continue;
		json_object_set_new(nets, net->name, ep_to_settings_json(eps[i], net, c->name));
		if (eps[i]->n_ports)
			ports_ep = eps[i];
		if (streq(net->name, "bridge") && !summary)
			json_object_update(top, json_object_get(nets, net->name));
	}
	if (!ports_ep) { /* (an overlay container's, on its way out) */
		struct endpoint *gwb = ctl_gwbridge_ep(ctl, c);

		if (gwb && gwb->n_ports)
			ports_ep = gwb;
	}
	if (!n && (streq(mode, "host") || streq(mode, "none")))
		json_object_set_new(nets, mode,
				    json_pack("{s:s, s:s, s:s, s:s, s:i}", "NetworkID", "",
					      "EndpointID", "", "Gateway", "", "IPAddress", "",
					      "IPPrefixLen", 0));
	if (summary) {
		json_decref(top);
		return json_pack("{s:o}", "Networks", nets);
	}
	json_object_del(top, "IPAMConfig");
	json_object_del(top, "Links");
	json_object_del(top, "Aliases");
	json_object_del(top, "DriverOpts");
	json_object_del(top, "GwPriority");
	json_object_del(top, "NetworkID");
	json_object_del(top, "DNSNames");
	{
		_cleanup_free_ char *key =
			n && c->status == CTR_RUNNING ? ctl_netns_path(ctl, c) : xstrdup("");

		json_object_set_new(top, "SandboxID", json_string(*key ? c->id : ""));
		json_object_set_new(top, "SandboxKey", json_string(key));
	}
	json_object_set_new(top, "Ports",
			    c->status == CTR_RUNNING
				    ? ep_ports_json(c->config, c->ports, ports_ep ? c->n_ports : 0)
				    : json_object());
	json_object_set_new(top, "Networks", nets);
	return top;
}

json_t *ctl_container_ports_summary(struct ctl *ctl, const struct container *c)
{
	(void)ctl;
	return ep_ports_summary_json(c->config, c->ports,
				     c->status == CTR_RUNNING ? c->n_ports : 0);
}

bool ctl_container_on_network(struct ctl *ctl, const struct container *c, const char *net_ref)
{
	struct network *net;

	if (ctl_network_find(ctl, net_ref, &net, NULL) < 0)
		return false;
	if (net->driver->no_ipam)
		return streq(ctr_network_mode(c), net->name);
	return ctl_ep_find(ctl, c, net) != NULL;
}

json_t *ctl_network_containers_json(struct ctl *ctl, const struct network *net)
{
	json_t *o = json_object();

	for (size_t i = 0; i < ctl->n_eps; i++) {
		const struct endpoint *ep = ctl->eps[i];

		if (ep->joined && streq(ep->net_id, net->id))
			json_object_set_new(o, ep->ctr_id, ep_to_network_json(ep));
	}
	return o;
}

bool ctl_network_in_use(struct ctl *ctl, const struct network *net, char **ret_names)
{
	char *names = NULL;

	for (size_t i = 0; i < ctl->n_eps; i++) {
		const struct endpoint *ep = ctl->eps[i];
		char *s;

		if (!streq(ep->net_id, net->id))
			continue;
		if (!ret_names)
			return true;
		s = xasprintf("%s%s%s", names ? names : "", names ? ", " : "", ep->ctr_name);
		free(names);
		names = s;
	}
	if (ret_names)
		*ret_names = names;
	return names != NULL;
}

/* --- /etc/hosts and links --- */

/* One HostConfig.Links entry, "name:alias", "name" or Docker's stored
 * form "/name:/ctr/alias": the linked container's name and the alias. */
static void ctl_link_split(const char *link, char **ret_name, char **ret_alias)
{
	const char *name = link[0] == '/' ? link + 1 : link;
	const char *colon = strchr(name, ':');
	const char *alias = colon ? colon + 1 : name, *slash = strrchr(alias, '/');

	*ret_name = colon ? xstrndup(name, (size_t)(colon - name)) : xstrdup(name);
	*ret_alias = xstrdup(slash ? slash + 1 : alias);
}

struct ctl_link {
	struct container *peer;
	struct endpoint *ep; /* the peer's endpoint on the default bridge */
	char *alias;
};

/* c's links that resolve to a container with an address on the default
 * bridge (caller frees with ctl_links_free). */
static struct ctl_link *ctl_links_of(struct ctl *ctl, const struct container *c, size_t *ret_n)
{
	json_t *links = json_object_get(c->host_config, "Links"), *v;
	struct ctl_link *out = xcalloc(json_array_size(links) + 1, sizeof(*out));
	struct network *bridge = NULL;
	size_t i, n = 0;

	ctl_network_find(ctl, "bridge", &bridge, NULL);
	json_array_foreach (links, i, v) {
		_cleanup_free_ char *name = NULL;
		struct container *peer;
		char *alias;

		if (!json_is_string(v))
			continue;
		ctl_link_split(json_string_value(v), &name, &alias);
		if (!bridge || ctl_container_find(ctl, name, &peer, NULL) < 0 ||
		    !ctl_ep_find(ctl, peer, bridge)) {
			free(alias);
			continue;
		}
		out[n++] = (struct ctl_link){peer, ctl_ep_find(ctl, peer, bridge), alias};
	}
	*ret_n = n;
	return out;
}

static void ctl_links_free(struct ctl_link *links, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(links[i].alias);
	free(links);
}

int ctl_container_links_check(struct ctl *ctl, struct container *c, bool starting,
			      struct berr **err)
{
	json_t *links = json_object_get(c->host_config, "Links"), *v, *norm = json_array();
	size_t i;

	json_array_foreach (links, i, v) {
		_cleanup_free_ char *name = NULL, *alias = NULL, *stored = NULL;
		struct container *peer;

		if (!json_is_string(v) || !*json_string_value(v)) {
			json_decref(norm);
			return berr_set(err, EINVAL,
					"invalid link: HostConfig.Links holds strings");
		}
		ctl_link_split(json_string_value(v), &name, &alias);
		if (ctl_container_find(ctl, name, &peer, NULL) < 0) {
			json_decref(norm);
			return berr_set(err, EINVAL, "could not get container for %s", name);
		}
		if (starting && peer->status != CTR_RUNNING) {
			json_decref(norm);
			return berr_set(err, EINVAL,
					"Cannot link to a non running container: /%s AS /%s/%s",
					peer->name, c->name, alias);
		}
		stored = xasprintf("/%s:/%s/%s", peer->name, c->name, alias);
		json_array_append_new(norm, json_string(stored));
	}
	if (!starting && json_array_size(links))
		json_object_set(c->host_config, "Links", norm);
	json_decref(norm);
	return 0;
}

static char *ctl_append(char *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static char *ctl_append(char *s, const char *fmt, ...)
{
	va_list ap;
	char *add, *out;

	va_start(ap, fmt);
	if (vasprintf(&add, fmt, ap) < 0)
		abort();
	va_end(ap);
	out = xasprintf("%s%s", s, add);
	free(s);
	free(add);
	return out;
}

char *ctl_container_hosts_lines(struct ctl *ctl, struct container *c, const char *hostname)
{
	char *out = xstrdup("");
	size_t n, nl;
	_cleanup_free_ struct endpoint **eps = ctl_eps_of(ctl, c, &n);
	struct ctl_link *links = ctl_links_of(ctl, c, &nl);
	char buf[CIDR_STRLEN];

	/* legacy links: "address alias short-id name", as Docker writes them */
	for (size_t i = 0; i < nl; i++)
		if (links[i].ep->has4)
			out = ctl_append(out, "%s\t%s %.12s %s\n",
					 cidr_addr_str(&links[i].ep->addr4, buf), links[i].alias,
					 links[i].peer->id, links[i].peer->name);
	ctl_links_free(links, nl);
	for (size_t i = 0; i < n; i++) {
		if (eps[i]->has4)
			out = ctl_append(out, "%s\t%s\n", cidr_addr_str(&eps[i]->addr4, buf),
					 hostname);
		if (eps[i]->has6)
			out = ctl_append(out, "%s\t%s\n", cidr_addr_str(&eps[i]->addr6, buf),
					 hostname);
	}
	return out;
}

static int ctl_port_key_cmp(const void *a, const void *b)
{
	return atoi(*(const char *const *)a) - atoi(*(const char *const *)b);
}

/* The variables of one link, Docker's names: ALIAS_NAME, ALIAS_PORT,
 * ALIAS_PORT_80_TCP{,_ADDR,_PORT,_PROTO}, ALIAS_ENV_X. */
static void ctl_link_env(const struct container *c, const struct ctl_link *l, json_t *env)
{
	_cleanup_free_ char *up = xstrdup(l->alias);
	json_t *exposed = json_object_get(l->peer->config, "ExposedPorts"), *v;
	const char **keys = xcalloc(json_object_size(exposed) + 1, sizeof(*keys));
	char ip[CIDR_STRLEN];
	const char *key;
	size_t n = 0, i;

	for (char *p = up; *p; p++)
		*p = *p == '-' || *p == '.' ? '_' : (char)toupper((unsigned char)*p);
	cidr_addr_str(&l->ep->addr4, ip);
	json_object_foreach (exposed, key, v)
		keys[n++] = key;
	qsort(keys, n, sizeof(*keys), ctl_port_key_cmp);
	for (i = 0; i < n; i++) {
		const char *slash = strchr(keys[i], '/');
		_cleanup_free_ char *proto = xstrdup(slash ? slash + 1 : "tcp"), *uproto = NULL;
		int port = atoi(keys[i]);

		uproto = xstrdup(proto);
		for (char *p = uproto; *p; p++)
			*p = (char)toupper((unsigned char)*p);
		if (i == 0)
			json_array_append_new(
				env, json_sprintf("%s_PORT=%s://%s:%d", up, proto, ip, port));
		json_array_append_new(env, json_sprintf("%s_PORT_%d_%s=%s://%s:%d", up, port,
							uproto, proto, ip, port));
		json_array_append_new(env,
				      json_sprintf("%s_PORT_%d_%s_ADDR=%s", up, port, uproto, ip));
		json_array_append_new(
			env, json_sprintf("%s_PORT_%d_%s_PORT=%d", up, port, uproto, port));
		json_array_append_new(
			env, json_sprintf("%s_PORT_%d_%s_PROTO=%s", up, port, uproto, proto));
	}
	free(keys);
	json_array_append_new(env, json_sprintf("%s_NAME=/%s/%s", up, c->name, l->alias));
	json_array_foreach (json_object_get(l->peer->config, "Env"), i, v) {
		const char *kv = json_string_value(v), *eq = kv ? strchr(kv, '=') : NULL;

		/* HOME and PATH say nothing about the linked container */
		if (!eq || strprefix(kv, "HOME=") || strprefix(kv, "PATH="))
			continue;
		json_array_append_new(env, json_sprintf("%s_ENV_%s", up, kv));
	}
}

json_t *ctl_container_link_env(struct ctl *ctl, const struct container *c)
{
	json_t *env = json_array();
	size_t n;
	struct ctl_link *links = ctl_links_of(ctl, c, &n);

	for (size_t i = 0; i < n; i++)
		if (links[i].ep->has4)
			ctl_link_env(c, &links[i], env);
	ctl_links_free(links, n);
	return env;
}

/* --- restore --- */

static int ctl_load_endpoint(const char *key, json_t *obj, void *data, struct berr **err)
{
	struct ctl *ctl = data;
	struct endpoint *ep;
	struct container *c;
	struct berr *e = NULL;

	(void)err;
	if (ep_from_store_json(obj, &ep, &e) < 0) {
		log_error("store: endpoint %s: %s; skipped", key, berr_msg(e));
		berr_free(e);
		return 0;
	}
	if (!ctl_net_by_id(ctl, ep->net_id) || ctl_container_find(ctl, ep->ctr_id, &c, NULL) < 0) {
		log_warn("store: endpoint %.12s: its network or container is gone; removed", key);
		store_del(ctl->store, CTL_KIND_ENDPOINTS, key, NULL);
		ep_free(ep);
		return 0;
	}
	ep->ctr_name = xstrdup(c->name);
	ctl_ep_insert(ctl, ep);
	return 0;
}

int ctl_endpoints_restore(struct ctl *ctl, struct berr **err)
{
	return store_load(ctl->store, CTL_KIND_ENDPOINTS, ctl_load_endpoint, ctl, err);
}
