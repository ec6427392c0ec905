/* controller.c - the model's networks: create, delete, prune, lookup and
 * restore after a restart.  Calls the IPAM and network drivers through
 * their tables and persists through the store.  Every operation that fails
 * half way undoes what it did, in reverse order.  Callers: the API job
 * handlers (job thread) and main.c (restore). */
#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "core/controller.h"
#include "core/ctl-cluster.h"
#include "core/ctl-container.h"
#include "core/ctl-endpoint.h"
#include "core/ctl-volume.h"
#include "core/dns-client.h"
#include "core/filters.h"
#include "core/log.h"
#include "core/nl.h"
#include "core/plugin.h"
#include "core/store.h"
#include "core/util.h"
#include "drivers/driver.h"
#include "drivers/overlay.h"
#include "ipam/remote.h"
#include "runtime/image.h"

static const char *const ctl_predefined[] = {"bridge", "host", "none"};

int ctl_new(const struct ctl_config *cfg, struct ctl **ret, struct berr **err)
{
	struct ctl *ctl = xcalloc(1, sizeof(*ctl));
	int r;

	pthread_rwlock_init(&ctl->lock, NULL);
	r = store_open(cfg->root, &ctl->store, err);
	if (r == 0)
		r = ipam_default_new(cfg->pools, cfg->n_pools, ctl->store, &ctl->ipam, err);
	if (r == 0)
		r = img_store_open(cfg->root, ctl->store, &ctl->images, err);
	if (r < 0) {
		ctl_free(ctl);
		return r;
	}
	ctl->bip = cfg->bip ? xstrdup(cfg->bip) : NULL;
	ctl->root = xstrdup(cfg->root);
	ctl->exec_root = xstrdup(cfg->exec_root);
	ctl->cgroup_parent = xstrdup(cfg->cgroup_parent ? cfg->cgroup_parent : "berth");
	ctl->resolv_conf = xstrdup(cfg->resolv_conf ? cfg->resolv_conf : "/etc/resolv.conf");
	ctl->default_bridge = xstrdup(cfg->default_bridge ? cfg->default_bridge : "berth0");
	ctl->dns = xcalloc(1, sizeof(*ctl->dns));
	for (size_t i = 0; cfg->dns && cfg->dns[i]; i++) {
		ctl->dns = xrealloc(ctl->dns, (i + 2) * sizeof(*ctl->dns));
		ctl->dns[i] = xstrdup(cfg->dns[i]);
		ctl->dns[i + 1] = NULL;
	}
	ctl->cluster_store = cfg->cluster_store ? xstrdup(cfg->cluster_store) : NULL;
	ctl->cluster_advertise = cfg->cluster_advertise ? xstrdup(cfg->cluster_advertise) : NULL;
	overlay_configure(ctl->exec_root, ctl->cluster_advertise);
	ctl->remote_dns = json_object();
	ctl->dnsc = dnsc_new(ctl->exec_root, cfg->log_level, ctl_dns_resync, ctl);
	ctl->plugins = plugins_new((const char *const *)cfg->plugin_dirs,
				   cfg->plugin_timeout_ms ? cfg->plugin_timeout_ms : 60000, 30000);
	remote_configure(ctl->plugins);
	*ret = ctl;
	return 0;
}

void ctl_free(struct ctl *ctl)
{
	if (!ctl)
		return;
	for (size_t i = 0; i < ctl->n_nets; i++)
		net_free(ctl->nets[i]);
	free(ctl->nets);
	ipam_free(ctl->ipam);
	remote_configure(NULL);
	ipam_remote_free_all();
	plugins_free(ctl->plugins);
	img_store_free(ctl->images);
	store_free(ctl->store);
	free(ctl->bip);
	free(ctl->default_bridge);
	free(ctl->root);
	free(ctl->exec_root);
	free(ctl->cgroup_parent);
	free(ctl->resolv_conf);
	for (size_t i = 0; ctl->dns && ctl->dns[i]; i++)
		free(ctl->dns[i]);
	free(ctl->dns);
	dnsc_free(ctl->dnsc);
	json_decref(ctl->remote_dns);
	free(ctl->cluster_store);
	free(ctl->cluster_advertise);
	ctl_containers_free(ctl);
	ctl_endpoints_free(ctl);
	ctl_volumes_free(ctl);
	pthread_rwlock_destroy(&ctl->lock);
	free(ctl);
}

void ctl_read_lock(struct ctl *ctl)
{
	pthread_rwlock_rdlock(&ctl->lock);
}

void ctl_read_unlock(struct ctl *ctl)
{
	pthread_rwlock_unlock(&ctl->lock);
}

/* Publish a network in the model. */
void ctl_net_insert(struct ctl *ctl, struct network *net)
{
	pthread_rwlock_wrlock(&ctl->lock);
	xgrow(&ctl->nets, &ctl->cap_nets, ctl->n_nets + 1, sizeof(*ctl->nets));
	ctl->nets[ctl->n_nets++] = net;
	pthread_rwlock_unlock(&ctl->lock);
}

/* Take a network out of the model (it is freed by the caller). */
void ctl_net_remove(struct ctl *ctl, struct network *net)
{
	pthread_rwlock_wrlock(&ctl->lock);
	for (size_t i = 0; i < ctl->n_nets; i++)
		if (ctl->nets[i] == net) {
			memmove(&ctl->nets[i], &ctl->nets[i + 1],
				(ctl->n_nets - i - 1) * sizeof(*ctl->nets));
			ctl->n_nets--;
			break;
		}
	pthread_rwlock_unlock(&ctl->lock);
}

static struct network *ctl_net_by_name(struct ctl *ctl, const char *name)
{
	for (size_t i = 0; i < ctl->n_nets; i++)
		if (streq(ctl->nets[i]->name, name))
			return ctl->nets[i];
	return NULL;
}

int ctl_network_find(struct ctl *ctl, const char *ref, struct network **ret, struct berr **err)
{
	struct network *found = NULL;
	size_t len = strlen(ref), n = 0;

	for (size_t i = 0; i < ctl->n_nets; i++)
		if (streq(ctl->nets[i]->id, ref)) {
			*ret = ctl->nets[i];
			return 0;
		}
	found = ctl_net_by_name(ctl, ref);
	if (found) {
		*ret = found;
		return 0;
	}
	for (size_t i = 0; len && i < ctl->n_nets; i++)
		if (strncmp(ctl->nets[i]->id, ref, len) == 0) {
			found = ctl->nets[i];
			n++;
		}
	if (n == 1) {
		*ret = found;
		return 0;
	}
	if (n > 1)
		return berr_set(err, EINVAL,
				"network %s is ambiguous (%zu matches found based on ID prefix)",
				ref, n);
	return berr_set(err, ENOENT, "network %s not found", ref);
}

static bool ctl_is_predefined_name(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(ctl_predefined); i++)
		if (streq(name, ctl_predefined[i]))
			return true;
	return false;
}

/* Prefixes routed in the daemon's namespace that are not our own networks'
 * (our bridges carry our subnets: those are IPAM's business). */
static int ctl_host_prefixes(struct ctl *ctl, int family, struct prefix **ret, size_t *ret_n,
			     struct berr **err)
{
	struct prefix *all = NULL;
	size_t n_all = 0, n = 0;
	int r;

	r = nl_prefixes_in_use(family, NULL, &all, &n_all, err);
	if (r < 0)
		return berr_wrap(err, "cannot list the routes of the daemon's namespace");
	for (size_t i = 0; i < n_all; i++) {
		bool ours = false;

		for (size_t j = 0; j < ctl->n_nets && !ours; j++)
			for (size_t k = 0; k < ctl->nets[j]->n_ipam && !ours; k++)
				ours = cidr_prefix_within(&ctl->nets[j]->ipam[k].subnet, &all[i]);
		if (!ours)
			all[n++] = all[i];
	}
	*ret = all;
	*ret_n = n;
	return 0;
}

/* An explicit subnet must not overlap what the namespace already routes. */
static int ctl_check_routed(const struct network *net, const struct prefix *host, size_t n_host,
			    struct berr **err)
{
	char a[CIDR_STRLEN], b[CIDR_STRLEN];

	for (size_t i = 0; i < net->n_ipam; i++) {
		const struct net_ipam_config *c = &net->ipam[i];

		for (size_t j = 0; !c->auto_subnet && j < n_host; j++)
			if (cidr_overlaps(&c->subnet, &host[j]))
				return berr_set(err, EPERM,
						"subnet %s overlaps %s, which is in use in the "
						"daemon's network namespace (an address or route)",
						cidr_prefix_str(&c->subnet, a),
						cidr_prefix_str(&host[j], b));
	}
	return 0;
}

int ctl_ipam_of(struct ctl *ctl, const struct network *net, struct ipam **ret, struct berr **err)
{
	if (!net->ipam_driver || streq(net->ipam_driver, "default")) {
		*ret = ctl->ipam;
		return 0;
	}
	return ipam_remote_get(ctl->plugins, net->ipam_driver, ret, err);
}

/* Give back every pool of a network (its gateway and aux addresses first,
 * as Docker does: a plugin counts them). */
static void ctl_ipam_release(struct ctl *ctl, struct network *net)
{
	struct ipam *ipam = NULL;
	struct berr *err = NULL;

	if (ctl_ipam_of(ctl, net, &ipam, &err) < 0) {
		log_error("network %s: its addresses cannot be given back: %s", net->name,
			  berr_msg(err));
		berr_free(err);
		return;
	}
	for (size_t i = 0; i < net->n_ipam; i++) {
		struct net_ipam_config *c = &net->ipam[i];
		const char *name;
		json_t *v;

		if (!c->pool_id)
			continue;
		if (ipam->driver != ctl->ipam->driver) { /* (the default's go with the pool) */
			if (c->has_gateway)
				ipam->driver->address_release(ipam, c->pool_id, &c->gateway, NULL);
			json_object_foreach (c->aux, name, v) {
				struct ipaddr aux;

				if (cidr_parse_addr(json_string_value(v), &aux, NULL) == 0)
					ipam->driver->address_release(ipam, c->pool_id, &aux, NULL);
			}
		}
		if (ipam->driver->pool_release(ipam, c->pool_id, &err) < 0)
			log_error("network %s: %s", net->name, berr_msg(err));
		berr_free(err);
		err = NULL;
		free(c->pool_id);
		c->pool_id = NULL;
	}
}

/* Reserve the gateway (given, named by the IPAM driver with the pool, the
 * driver's choice, or the first address) and aux addresses. */
static int ctl_ipam_reserve(struct ipam *ipam, struct net_ipam_config *c,
			    const struct ipam_pool_reply *reply, struct berr **err)
{
	const struct ipam_driver *drv = ipam->driver;
	struct ipaddr want = c->gateway, got;
	bool pick = false;
	const char *name;
	json_t *v;
	int r;

	if (!c->has_gateway && reply->has_gateway) {
		c->gateway = reply->gateway; /* (nothing to reserve: the driver's own) */
		c->has_gateway = true;
		goto aux;
	}
	if (!c->has_gateway && drv->picks_gateway)
		pick = true;
	else if (!c->has_gateway && cidr_at(&c->subnet, 1, &want) < 0) {
		char buf[CIDR_STRLEN];

		return berr_set(err, EINVAL, "subnet %s has no room for a gateway",
				cidr_prefix_str(&c->subnet, buf));
	}
	r = drv->address_request(ipam, c->pool_id, pick ? NULL : &want, IPAM_ADDR_GATEWAY, NULL,
				 &got, err);
	if (r < 0)
		return berr_wrap(err, "cannot reserve the gateway");
	c->gateway = got;
	c->has_gateway = true;
aux:
	json_object_foreach (c->aux, name, v) {
		struct ipaddr aux;

		cidr_parse_addr(json_string_value(v), &aux, NULL);
		r = drv->address_request(ipam, c->pool_id, &aux, IPAM_ADDR_AUX, NULL, &got, err);
		if (r < 0)
			return berr_wrap(err, "cannot reserve auxiliary address %s", name);
	}
	return 0;
}

/* Pools and gateways for every IPAM entry; all or nothing. */
static int ctl_ipam_acquire(struct ctl *ctl, struct network *net, const struct prefix *avoid,
			    size_t n_avoid, struct berr **err)
{
	struct ipam *ipam;
	int r;

	if ((r = ctl_ipam_of(ctl, net, &ipam, err)) < 0)
		return r;
	for (size_t i = 0; i < net->n_ipam; i++) {
		struct net_ipam_config *c = &net->ipam[i];
		struct ipam_pool_req req = {
			.family = c->subnet.addr.family,
			.subnet = c->auto_subnet ? NULL : &c->subnet,
			.range = c->has_range ? &c->range : NULL,
			.avoid = avoid,
			.n_avoid = n_avoid,
			.owner = net->id,
			.options = net->ipam_options,
		};
		struct ipam_pool_reply reply = {0};

		r = ipam->driver->pool_request(ipam, &req, &reply, err);
		if (r == 0) {
			c->pool_id = reply.pool_id;
			c->subnet = reply.subnet;
			r = ctl_ipam_reserve(ipam, c, &reply, err);
		}
		if (r < 0) {
			ctl_ipam_release(ctl, net);
			return r;
		}
	}
	return 0;
}

/* An IPAM entry asking for an automatic subnet of a family. */
static void ctl_ipam_add_auto(struct network *net, int family)
{
	struct net_ipam_config c = {.auto_subnet = true};

	c.subnet.addr.family = family;
	net->ipam = xrealloc(net->ipam, (net->n_ipam + 1) * sizeof(*net->ipam));
	net->ipam[net->n_ipam++] = c;
}

static bool ctl_has_family(const struct network *net, int family)
{
	for (size_t i = 0; i < net->n_ipam; i++)
		if (net->ipam[i].subnet.addr.family == family)
			return true;
	return false;
}

/* Everything about a draft that depends on the rest of the model. */
static int ctl_net_prepare(struct ctl *ctl, struct network *net, struct berr **err)
{
	net->driver = driver_find(net->driver_name);
	if (net->driver && net->driver->scope == NET_SCOPE_GLOBAL && !ctl->cluster_store)
		return berr_set(err, EAGAIN,
				"overlay networks need a cluster store: start berthd with "
				"--cluster-store etcd://HOST:PORT --cluster-advertise ADDR");
	if (!net->driver)
		return berr_set(err, ENOENT, "plugin \"%s\" not found", net->driver_name);
	if (net->scope != NET_SCOPE_LOCAL && net->scope != net->driver->scope)
		return berr_set(err, EINVAL, "driver %s does not support %s scope",
				net->driver_name, net_scope_to_string(net->scope));
	net->scope = net->driver->scope;
	if (!net->predefined && ctl_is_predefined_name(net->name))
		return berr_set(err, EPERM, "operation is not permitted on predefined %s network",
				net->name);
	if (ctl_net_by_name(ctl, net->name))
		return berr_set(err, EEXIST, "network with name %s already exists", net->name);
	if (net->driver->no_ipam)
		return 0;
	if (net->enable_ipv4 && !ctl_has_family(net, AF_INET))
		ctl_ipam_add_auto(net, AF_INET);
	if (net->enable_ipv6 && !ctl_has_family(net, AF_INET6))
		ctl_ipam_add_auto(net, AF_INET6);
	return 0;
}

/* Addresses for a network whose driver routes its subnets. */
static int ctl_net_addresses(struct ctl *ctl, struct network *net, struct berr **err)
{
	struct prefix *host = NULL;
	size_t n_host = 0;
	int r = 0;

	if (net->driver->no_ipam)
		return 0;
	if (net->driver->routed_subnets) {
		bool v4 = ctl_has_family(net, AF_INET), v6 = ctl_has_family(net, AF_INET6);

		/* dump only the families the network uses: the IPv6 table of a
		 * namespace with many bridges is large */
		r = ctl_host_prefixes(ctl,
				      v4 && v6 ? AF_UNSPEC
				      : v6     ? AF_INET6
					       : AF_INET,
				      &host, &n_host, err);
		if (r == 0)
			r = ctl_check_routed(net, host, n_host, err);
	}
	if (r == 0)
		r = ctl_ipam_acquire(ctl, net, host, n_host, err);
	free(host);
	return r;
}

/* Create a network from a draft: driver checks, addresses, kernel objects,
 * store, then the model.  Undone in reverse order on failure. */
static int ctl_net_create(struct ctl *ctl, struct network *net, struct network **ret,
			  struct berr **err)
{
	const struct net_driver *drv;
	int r;

	r = ctl_net_prepare(ctl, net, err);
	if (r < 0)
		goto fail;
	drv = net->driver;
	util_random_id(net->id);
	clock_gettime(CLOCK_REALTIME, &net->created);
	if (drv->network_validate && (r = drv->network_validate(net, err)) < 0)
		goto fail;
	if (drv->scope == NET_SCOPE_GLOBAL) {
		/* addresses, name and store: the cluster's */
		if ((r = ctl_global_net_create(ctl, net, err)) < 0)
			goto fail;
		if (ret)
			*ret = net;
		return 0;
	}
	if ((r = ctl_net_addresses(ctl, net, err)) < 0)
		goto fail;
	if (drv->network_create && (r = drv->network_create(net, err)) < 0)
		goto fail_ipam;
	json_t *obj = net_to_store_json(net);
	r = store_put(ctl->store, CTL_KIND_NETWORKS, net->id, obj, err);
	json_decref(obj);
	if (r < 0)
		goto fail_driver;
	ctl_net_insert(ctl, net);
	log_info("network %s (%.12s, driver %s) created", net->name, net->id, net->driver_name);
	if (ret)
		*ret = net;
	return 0;
fail_driver:
	if (drv->network_delete)
		drv->network_delete(net, NULL);
fail_ipam:
	ctl_ipam_release(ctl, net);
fail:
	net_free(net);
	return r;
}

int ctl_network_create(struct ctl *ctl, struct network *draft, struct network **ret,
		       struct berr **err)
{
	draft->predefined = false;
	return ctl_net_create(ctl, draft, ret, err);
}

/* The options of a bridge network berth makes itself: its Linux bridge,
 * traffic between its containers or not, masquerade. */
static void ctl_bridge_options(struct network *net, const char *bridge, bool icc)
{
	json_object_set_new(net->options, "com.docker.network.bridge.name", json_string(bridge));
	json_object_set_new(net->options, "com.docker.network.bridge.enable_icc",
			    json_string(icc ? "true" : "false"));
	json_object_set_new(net->options, "com.docker.network.bridge.enable_ip_masquerade",
			    json_string("true"));
}

int ctl_gwbridge_network(struct ctl *ctl, struct network **ret, struct berr **err)
{
	struct network *net = ctl_net_by_name(ctl, CTL_GWBRIDGE);
	int r;

	if (net) {
		if (!streq(net->driver_name, "bridge"))
			return berr_set(err, EINVAL,
					"network %s is not a bridge network (driver %s): overlay "
					"containers have no way out",
					CTL_GWBRIDGE, net->driver_name);
		*ret = net;
		return 0;
	}
	net = net_new();
	net->name = xstrdup(CTL_GWBRIDGE);
	net->driver_name = xstrdup("bridge");
	ctl_bridge_options(net, "berth_gwbridge", false);
	if ((r = ctl_net_create(ctl, net, ret, err)) < 0)
		return berr_wrap(err, "cannot create network %s", CTL_GWBRIDGE);
	return 0;
}

/* Remove a network: kernel objects, store file, addresses, model. */
static int ctl_net_delete(struct ctl *ctl, struct network *net, struct berr **err)
{
	const struct net_driver *drv = net->driver;
	int r;

	if (drv->scope == NET_SCOPE_GLOBAL)
		return ctl_global_net_delete(ctl, net, err);
	if (drv->network_delete && (r = drv->network_delete(net, err)) < 0)
		return r;
	r = store_del(ctl->store, CTL_KIND_NETWORKS, net->id, err);
	if (r < 0) {
		/* still in the store: bring its kernel objects back */
		if (drv->network_restore)
			drv->network_restore(net, NULL);
		return r;
	}
	ctl_ipam_release(ctl, net);
	ctl_net_remove(ctl, net);
	log_info("network %s (%.12s) deleted", net->name, net->id);
	net_free(net);
	return 0;
}

int ctl_network_delete(struct ctl *ctl, const char *ref, struct berr **err)
{
	_cleanup_free_ char *users = NULL;
	struct network *net;
	int r;

	r = ctl_network_find(ctl, ref, &net, err);
	if (r < 0)
		return r;

	if (net->predefined)
		return berr_set(err, EPERM, "%s is a pre-defined network and cannot be removed",
				net->name);
	if (ctl_network_in_use(ctl, net, &users))
		return berr_set(err, EPERM,
				"error while removing network: network %s has active endpoints "
				"(%s)",
				net->name, users);
	return ctl_net_delete(ctl, net, err);
}

/* Prune candidates: not predefined, labels as asked (label, label!), older
 * than until. */
static bool ctl_prune_match(struct ctl *ctl, struct network *net, json_t *filters,
			    const struct timespec *until)
{
	json_t *not = filters_get(filters, "label!"), *v;
	size_t i;

	if (net->predefined || !filters_match_labels(filters, "label", net->labels) ||
	    ctl_network_in_use(ctl, net, NULL))
		return false;
	json_array_foreach (not, i, v)
		if (filters_label_holds(json_string_value(v), net->labels))
			return false;
	return !until || net->created.tv_sec < until->tv_sec ||
	       (net->created.tv_sec == until->tv_sec && net->created.tv_nsec < until->tv_nsec);
}

int ctl_network_prune(struct ctl *ctl, json_t *filters, json_t **ret, struct berr **err)
{
	json_t *until_v = filters_get(filters, "until"), *names;
	struct network **victims;
	struct timespec until;
	size_t n = 0;
	int r;

	if (until_v) {
		r = filters_time(json_string_value(json_array_get(until_v, 0)), &until, err);
		if (r < 0)
			return r;
	}
	victims = xcalloc(ctl->n_nets + 1, sizeof(*victims));
	for (size_t i = 0; i < ctl->n_nets; i++)
		if (ctl_prune_match(ctl, ctl->nets[i], filters, until_v ? &until : NULL))
			victims[n++] = ctl->nets[i];
	names = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *what = json_pack("{s:s, s:s, s:s}", "id", victims[i]->id, "name",
					 victims[i]->name, "driver", victims[i]->driver_name);
		_cleanup_free_ char *name = xstrdup(victims[i]->name);
		struct berr *e = NULL;

		if (ctl_net_delete(ctl, victims[i], &e) == 0)
			json_array_append(names, what);
		else
			log_warn("prune: network %s: %s", name, berr_msg(e));
		json_decref(what);
		berr_free(e);
	}
	free(victims);
	*ret = names;
	return 0;
}

/* Load one stored network and re-adopt its kernel objects. */
static int ctl_load_network(const char *key, json_t *obj, void *data, struct berr **err)
{
	struct ctl *ctl = data;
	struct network *net;
	struct berr *e = NULL;

	(void)err;
	if (net_from_store_json(obj, &net, &e) < 0) {
		log_error("store: network %s: %s; skipped", key, berr_msg(e));
		berr_free(e);
		return 0;
	}
	net->driver = driver_find(net->driver_name);
	if (!net->driver) {
		log_error("network %s: driver %s is unknown; skipped", net->name, net->driver_name);
		net_free(net);
		return 0;
	}
	/* a global network's copy: the cluster's resync confirms or drops it */
	if (net->driver->scope == NET_SCOPE_GLOBAL)
		net->scope = NET_SCOPE_GLOBAL;
	if (net->driver->network_restore && net->driver->network_restore(net, &e) < 0) {
		log_error("network %s: cannot restore: %s", net->name, berr_msg(e));
		berr_free(e);
	}
	ctl_net_insert(ctl, net);
	return 0;
}

/* The default "bridge" network: --bip, or the first free default pool. */
static int ctl_default_bridge(struct ctl *ctl, struct network *net, struct berr **err)
{
	struct net_ipam_config c = {0};
	int r;

	json_object_set_new(net->options, "com.docker.network.bridge.default_bridge",
			    json_string("true"));
	ctl_bridge_options(net, ctl->default_bridge, true);
	json_object_set_new(net->options, "com.docker.network.bridge.host_binding_ipv4",
			    json_string("0.0.0.0"));
	if (!ctl->bip)
		return 0;
	r = cidr_parse_addr_prefix(ctl->bip, &c.gateway, &c.subnet, err);
	if (r < 0)
		return berr_wrap(err, "invalid --bip");
	c.has_gateway = true;
	net->ipam = xcalloc(1, sizeof(*net->ipam));
	net->ipam[0] = c;
	net->n_ipam = 1;
	return 0;
}

static int ctl_create_predefined(struct ctl *ctl, const char *name, struct berr **err)
{
	struct network *net = net_new();
	int r = 0;

	net->name = xstrdup(name);
	net->driver_name = xstrdup(streq(name, "none") ? "null" : name);
	net->predefined = true;
	if (streq(name, "bridge"))
		r = ctl_default_bridge(ctl, net, err);
	if (r < 0) {
		net_free(net);
		return r;
	}
	r = ctl_net_create(ctl, net, NULL, err);
	return r < 0 ? berr_wrap(err, "cannot create the predefined network %s", name) : 0;
}

/* --bip changed since the default bridge was made: make it again. */
static bool ctl_bip_changed(struct ctl *ctl, struct network *net)
{
	struct ipaddr gw;
	struct prefix subnet;

	if (!ctl->bip || !streq(net->name, "bridge") || net->n_ipam == 0 ||
	    cidr_parse_addr_prefix(ctl->bip, &gw, &subnet, NULL) < 0)
		return false;
	return !cidr_addr_eq(&gw, &net->ipam[0].gateway) || subnet.len != net->ipam[0].subnet.len ||
	       !cidr_addr_eq(&subnet.addr, &net->ipam[0].subnet.addr);
}

static int ctl_count_endpoint(const char *key, json_t *obj, void *data, struct berr **err)
{
	struct {
		const char *net_id;
		size_t n;
	} *x = data;

	(void)key;
	(void)err;
	const char *net = json_string_value(json_object_get(obj, "Network"));

	if (net && streq(net, x->net_id))
		x->n++;
	return 0;
}

/* Are there endpoints on net in the store (before they are loaded)? */
static bool ctl_stored_endpoints_on(struct ctl *ctl, const struct network *net)
{
	struct {
		const char *net_id;
		size_t n;
	} x = {net->id, 0};

	store_load(ctl->store, "endpoints", ctl_count_endpoint, &x, NULL);
	return x.n > 0;
}

int ctl_restore(struct ctl *ctl, struct berr **err)
{
	struct network *net;
	int r;

	r = store_load(ctl->store, CTL_KIND_NETWORKS, ctl_load_network, ctl, err);
	if (r < 0)
		return r;
	net = ctl_net_by_name(ctl, "bridge");
	if (net && ctl_bip_changed(ctl, net) && ctl_stored_endpoints_on(ctl, net)) {
		log_warn("--bip %s differs from the default bridge's address, but containers "
			 "have endpoints on it: keeping it",
			 ctl->bip);
	} else if (net && ctl_bip_changed(ctl, net)) {
		log_info("--bip %s differs from the default bridge's address: re-creating it",
			 ctl->bip);
		if ((r = ctl_net_delete(ctl, net, err)) < 0)
			return r;
	}
	for (size_t i = 0; i < ARRAY_SIZE(ctl_predefined); i++) {
		if (ctl_net_by_name(ctl, ctl_predefined[i]))
			continue;
		r = ctl_create_predefined(ctl, ctl_predefined[i], err);
		if (r < 0)
			return r;
	}
	log_info("%zu networks loaded", ctl->n_nets);
	return 0;
}
