/* ctl-cluster.c - the controller's global (overlay) networks.  They live in
 * the cluster store, not in the local one:
 *
 *   /berth/v1/networks/<id>        the network (store JSON)
 *   /berth/v1/netnames/<name>      <id>: names are unique in the cluster
 *   /berth/v1/vnis/<vni>           <id>
 *   /berth/v1/subnets/<a.b.c.d_n>  <id>: subnets do not overlap
 *   /berth/v1/nodes/<engine id>    each node, on its lease (core/cluster.c)
 *   /berth/v1/ipam/<id>/<address>  <endpoint id>: an address taken, on the
 *                                  lease of the node whose endpoint has it
 *   /berth/v1/endpoints/<id>/<ep>  a running endpoint (node, VTEP, MAC,
 *                                  addresses, name), on its node's lease
 *
 * A create is one transaction that holds only if the name, the VNI and the
 * subnets are all still free, so two hosts creating at the same moment
 * never get the same; the loser reads again and retries (or is told the
 * name is taken).  Every node learns of networks made or removed elsewhere
 * through the cluster watch (ctl_cluster_apply, job thread). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/cluster.h"
#include "core/controller.h"
#include "core/ctl-cluster.h"
#include "core/dns-client.h"
#include "core/endpoint.h"
#include "core/log.h"
#include "core/store.h"
#include "core/util.h"
#include "drivers/driver.h"
#include "drivers/overlay.h"

#define KEY_NETS	 CLUSTER_PREFIX "networks/"
#define KEY_NAMES	 CLUSTER_PREFIX "netnames/"
#define KEY_VNIS	 CLUSTER_PREFIX "vnis/"
#define KEY_SUBNETS	 CLUSTER_PREFIX "subnets/"
#define KEY_EPS		 CLUSTER_PREFIX "endpoints/"
#define KEY_IPAM	 CLUSTER_PREFIX "ipam/"
#define GLOBAL_POOL	 "10.0.0.0/8" /* automatic subnets, as Docker's overlay: /24s */
#define GLOBAL_POOL_SIZE 24
#define CREATE_TRIES	 8

/* "10.0.1.0/24" -> "10.0.1.0_24": one path element. */
static char *ctl_subnet_key(const struct prefix *p)
{
	char buf[CIDR_STRLEN];

	cidr_prefix_str(p, buf);
	*strchr(buf, '/') = '_';
	return xasprintf(KEY_SUBNETS "%s", buf);
}

/* The subnets taken in the cluster. */
static int ctl_taken_subnets(struct etcd *e, struct prefix **ret, size_t *ret_n, struct berr **err)
{
	struct etcd_kv *kvs = NULL;
	size_t n = 0, k = 0;
	struct prefix *out;
	int r;

	if ((r = etcd_get_prefix(e, KEY_SUBNETS, &kvs, &n, NULL, err)) < 0)
		return r;
	out = xcalloc(n + 1, sizeof(*out));
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *s = xstrdup(kvs[i].key + strlen(KEY_SUBNETS));
		char *us = strrchr(s, '_');

		if (us)
			*us = '/';
		if (cidr_parse_prefix(s, &out[k], NULL) == 0)
			k++;
	}
	etcd_kvs_free(kvs, n);
	*ret = out;
	*ret_n = k;
	return 0;
}

static bool ctl_overlaps_any(const struct prefix *p, const struct prefix *taken, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (cidr_overlaps(p, &taken[i]))
			return true;
	return false;
}

/* Subnets (the first free /24 of GLOBAL_POOL for an automatic one) and
 * gateways (the first address) of net. */
static int ctl_global_subnets(struct network *net, const struct prefix *taken, size_t n_taken,
			      struct berr **err)
{
	struct prefix pool, cand;

	cidr_parse_prefix(GLOBAL_POOL, &pool, NULL);
	for (size_t i = 0; i < net->n_ipam; i++) {
		struct net_ipam_config *ic = &net->ipam[i];

		if (ic->auto_subnet) {
			uint64_t count = 1ull << (GLOBAL_POOL_SIZE - pool.len), k;

			if (ic->subnet.addr.family != AF_INET)
				return berr_set(err, EINVAL,
						"an IPv6 overlay network needs a --subnet");
			for (k = 0; k < count; k++) {
				cand.len = GLOBAL_POOL_SIZE;
				cidr_at(&pool, k << (32 - GLOBAL_POOL_SIZE), &cand.addr);
				if (!ctl_overlaps_any(&cand, taken, n_taken))
					break;
			}
			if (k == count)
				return berr_set(err, ENOSPC,
						"could not find an available, non-overlapping "
						"address pool for the overlay network");
			ic->subnet = cand;
		} else if (ctl_overlaps_any(&ic->subnet, taken, n_taken)) {
			return berr_set(err, EPERM,
					"Pool overlaps with other one on this address space");
		}
		for (size_t j = 0; j < i; j++)
			if (cidr_overlaps(&ic->subnet, &net->ipam[j].subnet))
				return berr_set(err, EPERM,
						"Pool overlaps with other one on this address "
						"space");
		if (!ic->has_gateway) {
			cidr_at(&ic->subnet, 1, &ic->gateway);
			ic->has_gateway = true;
		} else if (!cidr_contains(&ic->subnet, &ic->gateway)) {
			return berr_set(err, EINVAL, "gateway is not in the subnet");
		}
	}
	return 0;
}

/* The lowest VNI from OVERLAY_VNI_FIRST that no network has. */
static int ctl_free_vni(struct etcd *e, uint32_t *ret, struct berr **err)
{
	struct etcd_kv *kvs = NULL;
	size_t n = 0;
	uint32_t vni = OVERLAY_VNI_FIRST;
	bool again = true;
	int r;

	if ((r = etcd_get_prefix(e, KEY_VNIS, &kvs, &n, NULL, err)) < 0)
		return r;
	while (again) {
		again = false;
		for (size_t i = 0; i < n; i++)
			if (strtoul(kvs[i].key + strlen(KEY_VNIS), NULL, 10) == vni) {
				vni++;
				again = true;
			}
	}
	etcd_kvs_free(kvs, n);
	*ret = vni;
	return 0;
}

static int ctl_key_exists(struct etcd *e, const char *key, struct berr **err)
{
	struct etcd_kv *kv = NULL;
	int r = etcd_get(e, key, &kv, err);

	etcd_kv_free(kv);
	return r;
}

/* Reset what one try of a create decided. */
static void ctl_global_reset(struct network *net, const bool *was_auto, const bool *had_gw)
{
	for (size_t i = 0; i < net->n_ipam; i++) {
		if (was_auto[i])
			net->ipam[i].subnet.len = 0;
		net->ipam[i].has_gateway = had_gw[i];
	}
}

/* One try: 1 made, 0 lost a race (try again), or an error. */
static int ctl_global_try(struct ctl *ctl, struct network *net, uint32_t want_vni,
			  struct berr **err)
{
	struct etcd *e = cluster_etcd(ctl->cluster);
	_cleanup_free_ struct prefix *taken = NULL;
	_cleanup_free_ char *net_key = NULL, *name_key = NULL, *vni_key = NULL, *value = NULL;
	_cleanup_free_ char *vni_str = NULL;
	char *subnet_keys[8] = {0};
	struct etcd_cmp cmps[10];
	struct etcd_op ops[11];
	size_t n_taken = 0, nc = 0, no = 0;
	uint32_t vni = want_vni;
	json_t *obj;
	int r;

	if (net->n_ipam > ARRAY_SIZE(subnet_keys))
		return berr_set(err, EINVAL, "too many subnets");
	if ((r = ctl_taken_subnets(e, &taken, &n_taken, err)) < 0 ||
	    (r = ctl_global_subnets(net, taken, n_taken, err)) < 0 ||
	    (!vni && (r = ctl_free_vni(e, &vni, err)) < 0))
		return r;
	vni_str = xasprintf("%u", vni);
	if (!net->options)
		net->options = json_object();
	json_object_set_new(net->options, OVERLAY_OPT_VNI, json_string(vni_str));
	net_key = xasprintf(KEY_NETS "%s", net->id);
	name_key = xasprintf(KEY_NAMES "%s", net->name);
	vni_key = xasprintf(KEY_VNIS "%u", vni);
	obj = net_to_store_json(net);
	value = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(obj);
	cmps[nc++] = (struct etcd_cmp){.key = name_key, .target = ETCD_CMP_CREATE};
	cmps[nc++] = (struct etcd_cmp){.key = vni_key, .target = ETCD_CMP_CREATE};
	ops[no++] = (struct etcd_op){ETCD_OP_PUT, net_key, value, strlen(value), 0};
	ops[no++] = (struct etcd_op){ETCD_OP_PUT, name_key, net->id, strlen(net->id), 0};
	ops[no++] = (struct etcd_op){ETCD_OP_PUT, vni_key, net->id, strlen(net->id), 0};
	for (size_t i = 0; i < net->n_ipam; i++) {
		subnet_keys[i] = ctl_subnet_key(&net->ipam[i].subnet);
		cmps[nc++] = (struct etcd_cmp){.key = subnet_keys[i], .target = ETCD_CMP_CREATE};
		ops[no++] =
			(struct etcd_op){ETCD_OP_PUT, subnet_keys[i], net->id, strlen(net->id), 0};
	}
	r = etcd_txn(e, cmps, nc, ops, no, NULL, err);
	for (size_t i = 0; i < ARRAY_SIZE(subnet_keys); i++)
		free(subnet_keys[i]);
	if (r != 0)
		return r;
	/* lost: a name or a VNI the user asked for that is taken is final */
	if ((r = ctl_key_exists(e, name_key, err)) != 0)
		return r < 0 ? r
			     : berr_set(err, EEXIST, "network with name %s already exists",
					net->name);
	if (want_vni && (r = ctl_key_exists(e, vni_key, err)) != 0)
		return r < 0 ? r : berr_set(err, EEXIST, "VXLAN id %u is in use", want_vni);
	return 0;
}

/* The local copy of a global network (see CTL_KIND_NETWORKS). */
static void ctl_global_cache(struct ctl *ctl, const struct network *net, bool keep)
{
	struct berr *e = NULL;
	json_t *obj = keep ? net_to_store_json(net) : NULL;

	if ((keep ? store_put(ctl->store, CTL_KIND_NETWORKS, net->id, obj, &e)
		  : store_del(ctl->store, CTL_KIND_NETWORKS, net->id, &e)) < 0)
		log_warn("network %s: local copy: %s", net->name, berr_msg(e));
	berr_free(e);
	json_decref(obj);
}

int ctl_global_net_create(struct ctl *ctl, struct network *net, struct berr **err)
{
	bool was_auto[8], had_gw[8];
	uint32_t want_vni;
	int r;

	if (!ctl->cluster || !cluster_lease(ctl->cluster))
		return ctl->cluster ? cluster_unreachable(ctl->cluster, err)
				    : berr_set(err, EAGAIN, "no cluster store");
	if ((r = overlay_vni_option(net, &want_vni, err)) < 0)
		return r;
	for (size_t i = 0; i < net->n_ipam && i < ARRAY_SIZE(was_auto); i++) {
		was_auto[i] = net->ipam[i].auto_subnet;
		had_gw[i] = net->ipam[i].has_gateway;
	}
	for (int tries = 0; tries < CREATE_TRIES; tries++) {
		r = ctl_global_try(ctl, net, want_vni, err);
		if (r != 0)
			break;
		ctl_global_reset(net, was_auto, had_gw);
	}
	if (r == 0)
		return berr_set(err, EAGAIN, "the cluster store is busy: try again");
	if (r < 0)
		return r;
	ctl_net_insert(ctl, net);
	ctl_global_cache(ctl, net, true);
	log_info("network %s (%.12s, driver %s, VNI %s) created in the cluster", net->name, net->id,
		 net->driver_name,
		 json_string_value(json_object_get(net->options, OVERLAY_OPT_VNI)));
	return 0;
}

int ctl_global_net_delete(struct ctl *ctl, struct network *net, struct berr **err)
{
	struct etcd *e;
	_cleanup_free_ char *eps = xasprintf(KEY_IPAM "%s/", net->id);
	_cleanup_free_ char *net_key = xasprintf(KEY_NETS "%s", net->id);
	_cleanup_free_ char *name_key = xasprintf(KEY_NAMES "%s", net->name);
	const char *vni = json_string_value(json_object_get(net->options, OVERLAY_OPT_VNI));
	_cleanup_free_ char *vni_key = xasprintf(KEY_VNIS "%s", vni ? vni : "0");
	char *subnet_keys[8] = {0};
	struct etcd_op ops[12];
	struct etcd_cmp cmp = {
		.key = net_key, .target = ETCD_CMP_CREATE, .result = ETCD_CMP_GREATER};
	struct etcd_kv *kvs = NULL;
	size_t n = 0, no = 0;
	int r;

	if (!ctl->cluster || !cluster_lease(ctl->cluster))
		return ctl->cluster ? cluster_unreachable(ctl->cluster, err)
				    : berr_set(err, EAGAIN, "no cluster store");
	e = cluster_etcd(ctl->cluster);
	/* endpoints on other hosts (running or not: their addresses) */
	if ((r = etcd_get_prefix(e, eps, &kvs, &n, NULL, err)) < 0)
		return r;
	etcd_kvs_free(kvs, n);
	if (n)
		return berr_set(err, EPERM,
				"error while removing network: network %s has active endpoints "
				"on other hosts",
				net->name);
	ops[no++] = (struct etcd_op){ETCD_OP_DELETE, net_key, NULL, 0, 0};
	ops[no++] = (struct etcd_op){ETCD_OP_DELETE_PREFIX, eps, NULL, 0, 0};
	ops[no++] = (struct etcd_op){ETCD_OP_DELETE, name_key, NULL, 0, 0};
	ops[no++] = (struct etcd_op){ETCD_OP_DELETE, vni_key, NULL, 0, 0};
	for (size_t i = 0; i < net->n_ipam && i < ARRAY_SIZE(subnet_keys); i++) {
		subnet_keys[i] = ctl_subnet_key(&net->ipam[i].subnet);
		ops[no++] = (struct etcd_op){ETCD_OP_DELETE, subnet_keys[i], NULL, 0, 0};
	}
	r = etcd_txn(e, &cmp, 1, ops, no, NULL, err);
	for (size_t i = 0; i < ARRAY_SIZE(subnet_keys); i++)
		free(subnet_keys[i]);
	if (r < 0)
		return r;
	/* (r == 0: another host removed it first: gone either way) */
	log_info("network %s (%.12s) deleted from the cluster", net->name, net->id);
	if (net->driver->network_delete)
		net->driver->network_delete(net, NULL);
	ctl_global_cache(ctl, net, false);
	ctl_net_remove(ctl, net);
	net_free(net);
	return 0;
}

static struct network *ctl_global_by_id(struct ctl *ctl, const char *id)
{
	for (size_t i = 0; i < ctl->n_nets; i++)
		if (ctl->nets[i]->scope == NET_SCOPE_GLOBAL && streq(ctl->nets[i]->id, id))
			return ctl->nets[i];
	return NULL;
}

/* A network another node made (or this one, seen again). */
static void ctl_global_upsert(struct ctl *ctl, const struct etcd_kv *kv)
{
	json_t *obj = json_loadb(kv->value, kv->value_len, 0, NULL);
	struct network *net = NULL;
	struct berr *e = NULL;

	if (!obj || net_from_store_json(obj, &net, &e) < 0) {
		log_warn("cluster store: %s: not a network (%s)", kv->key, berr_msg(e));
		goto out;
	}
	if (ctl_global_by_id(ctl, net->id))
		goto out; /* known (networks do not change once made) */
	net->driver = driver_find(net->driver_name);
	if (!net->driver || net->driver->scope != NET_SCOPE_GLOBAL) {
		log_warn("cluster store: network %s: driver %s is not a global one", net->name,
			 net->driver_name);
		goto out;
	}
	net->scope = NET_SCOPE_GLOBAL;
	ctl_global_cache(ctl, net, true);
	ctl_net_insert(ctl, TAKE_PTR(net));
	log_info("network %s (%.12s) appeared in the cluster", ctl->nets[ctl->n_nets - 1]->name,
		 ctl->nets[ctl->n_nets - 1]->id);
out:
	net_free(net);
	berr_free(e);
	json_decref(obj);
}

/* The names of other hosts' endpoints on net, out of berth-dns. */
static void ctl_remote_forget(struct ctl *ctl, const struct network *net)
{
	json_t *gone = json_array(), *set, *id;
	const char *key;
	size_t i;

	json_object_foreach (ctl->remote_dns, key, set)
		if (streq(json_string_value(json_array_get(json_object_get(set, "nets"), 0)),
			  net->id))
			json_array_append_new(gone, json_string(key));
	json_array_foreach (gone, i, id) {
		_cleanup_free_ char *ctr = xasprintf("remote:%s", json_string_value(id));
		json_t *withdraw = json_pack("{s:s, s:[], s:[], s:[], s:b}", "ctr", ctr, "nets",
					     "endpoints", "upstreams", "remote", 1);

		dnsc_set(ctl->dnsc, withdraw, NULL, NULL);
		json_decref(withdraw);
		pthread_rwlock_wrlock(&ctl->lock);
		json_object_del(ctl->remote_dns, json_string_value(id));
		pthread_rwlock_unlock(&ctl->lock);
	}
	json_decref(gone);
}

static void ctl_global_gone(struct ctl *ctl, const char *id)
{
	struct network *net = ctl_global_by_id(ctl, id);

	if (!net)
		return;
	log_info("network %s (%.12s) was removed from the cluster", net->name, net->id);
	ctl_remote_forget(ctl, net);
	if (net->driver->network_delete)
		net->driver->network_delete(net, NULL);
	ctl_global_cache(ctl, net, false);
	ctl_net_remove(ctl, net);
	net_free(net);
}

static void ctl_global_peer(struct ctl *ctl, const struct etcd_kv *kv, bool put);

/* After a RESYNC: other hosts' endpoints that went while the watch could
 * not see it (etcd compacted that history) go here too. */
static void ctl_global_prune_peers(struct ctl *ctl, const struct cluster_event *ev)
{
	json_t *gone = json_array(), *set, *id;
	const char *key;
	size_t i;

	json_object_foreach (ctl->remote_dns, key, set) {
		const char *net_id =
			json_string_value(json_array_get(json_object_get(set, "nets"), 0));
		_cleanup_free_ char *want = xasprintf(KEY_EPS "%s/%s", net_id ? net_id : "", key);
		bool seen = false;

		for (size_t k = 0; k < ev->n_kvs && !seen; k++)
			seen = streq(ev->kvs[k].key, want);
		if (!seen)
			json_array_append_new(gone, json_string(want));
	}
	json_array_foreach (gone, i, id) {
		struct etcd_kv kv = {.key = (char *)json_string_value(id)};

		ctl_global_peer(ctl, &kv, false);
	}
	json_decref(gone);
}

void ctl_cluster_apply(void *arg, const struct cluster_event *ev)
{
	struct ctl *ctl = arg;
	const size_t plen = strlen(KEY_NETS);

	if (ev->type == ETCD_EVENT_RESYNC) {
		/* the whole state: add what is new, drop what went */
		for (size_t i = 0; i < ev->n_kvs; i++)
			if (strprefix(ev->kvs[i].key, KEY_NETS))
				ctl_global_upsert(ctl, &ev->kvs[i]);
		for (size_t i = ctl->n_nets; i-- > 0;) {
			struct network *net = ctl->nets[i];
			_cleanup_free_ char *key = xasprintf(KEY_NETS "%s", net->id);
			bool seen = false;

			if (net->scope != NET_SCOPE_GLOBAL)
				continue;
			for (size_t k = 0; k < ev->n_kvs && !seen; k++)
				seen = streq(ev->kvs[k].key, key);
			if (!seen)
				ctl_global_gone(ctl, net->id);
		}
		for (size_t i = 0; i < ev->n_kvs; i++)
			if (strprefix(ev->kvs[i].key, KEY_EPS))
				ctl_global_peer(ctl, &ev->kvs[i], true);
		ctl_global_prune_peers(ctl, ev);
		for (size_t i = 0; i < ctl->n_nets; i++)
			if (ctl->nets[i]->scope == NET_SCOPE_GLOBAL &&
			    ctl->nets[i]->driver->peers_synced)
				ctl->nets[i]->driver->peers_synced(ctl->nets[i]);
		return;
	}
	if (ev->kv && strprefix(ev->kv->key, KEY_EPS)) {
		ctl_global_peer(ctl, ev->kv, ev->type == ETCD_EVENT_PUT);
		return;
	}
	if (!ev->kv || !strprefix(ev->kv->key, KEY_NETS) || strchr(ev->kv->key + plen, '/'))
		return;
	if (ev->type == ETCD_EVENT_PUT)
		ctl_global_upsert(ctl, ev->kv);
	else if (ev->type == ETCD_EVENT_DELETE)
		ctl_global_gone(ctl, ev->kv->key + plen);
}

/* --- endpoints of global networks --- */

static char *ctl_ipam_key(const struct network *net, const struct ipaddr *a)
{
	char buf[CIDR_STRLEN];

	return xasprintf(KEY_IPAM "%s/%s", net->id, cidr_addr_str(a, buf));
}

static int ctl_kv_key_cmp(const void *a, const void *b)
{
	return strcmp(((const struct etcd_kv *)a)->key, ((const struct etcd_kv *)b)->key);
}

int ctl_global_ep_addr(struct ctl *ctl, struct network *net, struct endpoint *ep, int family,
		       const struct ipaddr *want, struct berr **err)
{
	struct net_ipam_config *ic = NULL;
	_cleanup_free_ char *prefix = xasprintf(KEY_IPAM "%s/", net->id);
	struct etcd_kv *kvs = NULL;
	struct etcd *e;
	struct ipaddr got;
	int64_t lease;
	size_t n = 0;
	int r = 0;

	for (size_t i = 0; i < net->n_ipam && !ic; i++)
		if (net->ipam[i].subnet.addr.family == family)
			ic = &net->ipam[i];
	if (!ic)
		return 0;
	if (!ctl->cluster || !(lease = cluster_lease(ctl->cluster)))
		return ctl->cluster ? cluster_unreachable(ctl->cluster, err)
				    : berr_set(err, EAGAIN, "no cluster store");
	e = cluster_etcd(ctl->cluster);
	if (want) {
		_cleanup_free_ char *key = ctl_ipam_key(net, want);
		char buf[CIDR_STRLEN];

		if ((r = etcd_create(e, key, ep->id, strlen(ep->id), lease, NULL, err)) < 0)
			return r;
		if (r == 0)
			return berr_set(err, EEXIST, "Address already in use: %s on network %s",
					cidr_addr_str(want, buf), net->name);
		got = *want;
	} else {
		uint64_t limit = cidr_last_offset(&ic->subnet) + (family == AF_INET6), off = 0;

		/* next fit from where this host took its last one: one create,
		 * as a rule; the whole list of taken ones only when a few in a
		 * row are (another host took them, or the range wrapped) */
		r = 0;
		for (int tries = 0; tries < 4 && r == 0; tries++) {
			_cleanup_free_ char *key = NULL;

			off = ic->next_off >= 1 && ic->next_off < limit ? ic->next_off : 1;
			ic->next_off = off + 1;
			if (cidr_at(&ic->subnet, off, &got) < 0 ||
			    (ic->has_gateway && cidr_addr_eq(&got, &ic->gateway)))
				continue;
			key = ctl_ipam_key(net, &got);
			if ((r = etcd_create(e, key, ep->id, strlen(ep->id), lease, NULL, err)) < 0)
				return r;
		}
		if (r == 0 && (r = etcd_get_prefix(e, prefix, &kvs, &n, NULL, err)) < 0)
			return r;
		if (n)
			qsort(kvs, n, sizeof(*kvs), ctl_kv_key_cmp);
		/* the first free one after the gateway (IPv4: not the broadcast) */
		for (off = 1; off < limit && r == 0; off++) {
			_cleanup_free_ char *key = NULL;
			struct etcd_kv probe = {0};

			if (cidr_at(&ic->subnet, off, &got) < 0)
				break;
			if (ic->has_gateway && cidr_addr_eq(&got, &ic->gateway))
				continue;
			key = ctl_ipam_key(net, &got);
			probe.key = key;
			if (!bsearch(&probe, kvs, n, sizeof(*kvs), ctl_kv_key_cmp) &&
			    (r = etcd_create(e, key, ep->id, strlen(ep->id), lease, NULL, err)) < 0)
				break;
			if (r == 1)
				ic->next_off = off + 1;
		}
		etcd_kvs_free(kvs, n);
		if (r < 0)
			return r;
		if (r == 0)
			return berr_set(err, ENOSPC, "no available IPv%c addresses on network %s",
					family == AF_INET ? '4' : '6', net->name);
	}
	ep_set_addr(ep, &got, ic->subnet.len);
	return 0;
}

void ctl_global_ep_release(struct ctl *ctl, struct network *net, struct endpoint *ep)
{
	struct berr *e = NULL;

	if (!ctl->cluster)
		return;
	for (int f = 0; f < 2; f++) {
		bool has = f ? ep->has6 : ep->has4;
		_cleanup_free_ char *key =
			has ? ctl_ipam_key(net, f ? &ep->addr6 : &ep->addr4) : NULL;

		if (key && etcd_delete(cluster_etcd(ctl->cluster), key, &e) < 0) {
			log_warn("network %s: address of endpoint %.12s not released: %s",
				 net->name, ep->id, berr_msg(e));
			berr_free(e);
			e = NULL;
		}
	}
}

int ctl_global_ep_publish(struct ctl *ctl, struct network *net, struct endpoint *ep, bool up,
			  struct berr **err)
{
	_cleanup_free_ char *key = xasprintf(KEY_EPS "%s/%s", net->id, ep->id);
	_cleanup_free_ char *value = NULL;
	char a4[CIDR_STRLEN], a6[CIDR_STRLEN], mac[18];
	int64_t lease;
	json_t *obj;
	int r;

	if (!ctl->cluster)
		return 0;
	if (!up) {
		r = etcd_delete(cluster_etcd(ctl->cluster), key, err);
		return r < 0 ? r : 0;
	}
	if (!(lease = cluster_lease(ctl->cluster)))
		return cluster_unreachable(ctl->cluster, err);
	snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", ep->mac[0], ep->mac[1],
		 ep->mac[2], ep->mac[3], ep->mac[4], ep->mac[5]);
	obj = json_pack("{s:s, s:s, s:s, s:s?, s:s?, s:s, s:s, s:O?}", "Node",
			cluster_node_id(ctl->cluster), "VTEP", cluster_advertise(ctl->cluster),
			"MAC", mac, "IPv4", ep->has4 ? cidr_addr_str(&ep->addr4, a4) : NULL, "IPv6",
			ep->has6 ? cidr_addr_str(&ep->addr6, a6) : NULL, "Name",
			ep->ctr_name ? ep->ctr_name : "", "Container", ep->ctr_id, "Aliases",
			json_object_get(ep->config, "Aliases"));
	value = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(obj);
	r = etcd_put(cluster_etcd(ctl->cluster), key, value, strlen(value), lease, NULL, err);
	return r < 0 ? r : 0;
}

/* The names of another host's endpoint (obj, its record) in the embedded
 * DNS of this one, or no more (obj NULL). */
static void ctl_remote_dns(struct ctl *ctl, struct network *net, const char *ep_id, json_t *obj)
{
	_cleanup_free_ char *ctr = xasprintf("remote:%s", ep_id);
	const char *name = json_string_value(json_object_get(obj, "Name"));
	const char *cid = json_string_value(json_object_get(obj, "Container"));
	json_t *set, *aliases = json_array(), *a;
	struct berr *e = NULL;
	size_t i;

	if (cid && strlen(cid) >= 12)
		json_array_append_new(aliases, json_stringn(cid, 12));
	json_array_foreach (json_object_get(obj, "Aliases"), i, a)
		if (json_is_string(a))
			json_array_append(aliases, a);
	if (obj && name && *name) {
		/* (node and vtep are for network inspect's Peers; berth-dns
		 * reads neither) */
		set = json_pack("{s:s, s:[s], s:[{s:s, s:s, s:s, s:s, s:O, s:O?, s:O?}], s:[], s:b,"
				" s:O?, s:O?}",
				"ctr", ctr, "nets", net->id, "endpoints", "id", ep_id, "net_id",
				net->id, "net_name", net->name, "name", name, "aliases", aliases,
				"ipv4", json_object_get(obj, "IPv4"), "ipv6",
				json_object_get(obj, "IPv6"), "upstreams", "remote", 1, "node",
				json_object_get(obj, "Node"), "vtep", json_object_get(obj, "VTEP"));
		pthread_rwlock_wrlock(&ctl->lock);
		json_object_set(ctl->remote_dns, ep_id, set);
		pthread_rwlock_unlock(&ctl->lock);
	} else {
		set = json_pack("{s:s, s:[], s:[], s:[], s:b}", "ctr", ctr, "nets", "endpoints",
				"upstreams", "remote", 1);
		pthread_rwlock_wrlock(&ctl->lock);
		json_object_del(ctl->remote_dns, ep_id);
		pthread_rwlock_unlock(&ctl->lock);
	}
	json_decref(aliases);
	if (set && dnsc_set(ctl->dnsc, set, NULL, &e) < 0)
		log_warn("network %s: the names of endpoint %.12s: %s", net->name, ep_id,
			 berr_msg(e));
	berr_free(e);
	json_decref(set);
}

/* endpoints/<net>/<ep>: a peer of the driver, unless it is this node's. */
static void ctl_global_peer(struct ctl *ctl, const struct etcd_kv *kv, bool put)
{
	_cleanup_free_ char *rest = xstrdup(kv->key + strlen(KEY_EPS));
	char *slash = strchr(rest, '/');
	struct network *net;
	json_t *obj = NULL;
	struct berr *e = NULL;

	if (!slash)
		return;
	*slash = 0;
	net = ctl_global_by_id(ctl, rest);
	if (!net || !net->driver->peer_set)
		return;
	if (!put) {
		net->driver->peer_del(net, slash + 1);
		ctl_remote_dns(ctl, net, slash + 1, NULL);
		return;
	}
	obj = json_loadb(kv->value, kv->value_len, 0, NULL);
	if (obj && !streq(json_string_value(json_object_get(obj, "Node")),
			  cluster_node_id(ctl->cluster))) {
		struct net_peer p = {.id = slash + 1};
		const char *v4 = json_string_value(json_object_get(obj, "IPv4"));
		const char *mac = json_string_value(json_object_get(obj, "MAC"));
		const char *vtep = json_string_value(json_object_get(obj, "VTEP"));

		if (mac && vtep && ep_mac_parse(mac, p.mac, NULL) == 0 &&
		    cidr_parse_addr(vtep, &p.vtep, NULL) == 0) {
			p.has4 = v4 && cidr_parse_addr(v4, &p.addr4, NULL) == 0;
			if (net->driver->peer_set(net, &p, &e) < 0)
				log_warn("network %s: peer %.12s: %s", net->name, p.id,
					 berr_msg(e));
			ctl_remote_dns(ctl, net, p.id, obj);
		}
	}
	berr_free(e);
	json_decref(obj);
}

void ctl_cluster_lease(void *arg, int64_t lease)
{
	struct ctl *ctl = arg;

	(void)lease;
	/* a new lease (the old one ran out while etcd or this node was away):
	 * this node's addresses and running endpoints are claimed again */
	for (size_t i = 0; i < ctl->n_eps; i++) {
		struct endpoint *ep = ctl->eps[i];
		struct network *net = ctl_global_by_id(ctl, ep->net_id);
		struct berr *e = NULL;

		if (!net)
			continue;
		for (int f = 0; f < 2; f++) {
			bool has = f ? ep->has6 : ep->has4;
			_cleanup_free_ char *key =
				has ? ctl_ipam_key(net, f ? &ep->addr6 : &ep->addr4) : NULL;
			int64_t l = cluster_lease(ctl->cluster);
			struct etcd_kv *kv = NULL;
			int r;

			if (!key)
				continue;
			r = etcd_create(cluster_etcd(ctl->cluster), key, ep->id, strlen(ep->id), l,
					&kv, &e);
			if (r == 0 && kv && !streq(kv->value, ep->id))
				log_error("network %s: address %s of %s was taken by another host "
					  "while this one was away",
					  net->name, key + strlen(KEY_IPAM), ep->ctr_name);
			else if (r == 0)
				etcd_put(cluster_etcd(ctl->cluster), key, ep->id, strlen(ep->id), l,
					 NULL, NULL);
			etcd_kv_free(kv);
			berr_free(e);
			e = NULL;
		}
		if (ep->joined && ctl_global_ep_publish(ctl, net, ep, true, &e) < 0)
			log_warn("endpoint %.12s: not published again: %s", ep->id, berr_msg(e));
		berr_free(e);
	}
}

json_t *ctl_network_peers_json(struct ctl *ctl, const struct network *net)
{
	json_t *peers, *set;
	const char *key;
	bool here = false;

	if (net->scope != NET_SCOPE_GLOBAL || !ctl->cluster)
		return NULL;
	peers = json_array();
	for (size_t i = 0; i < ctl->n_eps && !here; i++)
		here = ctl->eps[i]->joined && streq(ctl->eps[i]->net_id, net->id);
	if (here)
		json_array_append_new(peers,
				      json_pack("{s:s, s:s}", "Name", cluster_node_id(ctl->cluster),
						"IP", cluster_advertise(ctl->cluster)));
	json_object_foreach (ctl->remote_dns, key, set) {
		const char *vtep = json_string_value(json_object_get(set, "vtep"));
		const char *node = json_string_value(json_object_get(set, "node"));
		bool seen = false;
		size_t i;
		json_t *p;

		if (!vtep || !node ||
		    !streq(json_string_value(json_array_get(json_object_get(set, "nets"), 0)),
			   net->id))
			continue;
		json_array_foreach (peers, i, p)
			seen |= streq(json_string_value(json_object_get(p, "IP")), vtep);
		if (!seen)
			json_array_append_new(peers,
					      json_pack("{s:s, s:s}", "Name", node, "IP", vtep));
	}
	return peers;
}
