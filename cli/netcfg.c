/* netcfg.c - `network create` flags into the request body (see netcfg.h).
 * The grouping and its refusals follow what the docker CLI does before it
 * sends anything, so berth and docker refuse the same input with the same
 * words; everything else (host bits, families, overlaps with other
 * networks) is left to the daemon.  Called by cmd-network.c. */
#include <errno.h>
#include <string.h>

#include "cli/netcfg.h"
#include "core/util.h"
#include "ipam/cidr.h"

/* Does subnet contain data (an address, or the address part of a CIDR)?
 * A subnet that does not parse is an error; so is a CIDR data that does
 * not; a bare address that does not parse matches nothing. */
static int netcfg_matches(const char *subnet, const char *data, bool *ret, struct berr **err)
{
	struct prefix net, ignored;
	struct ipaddr ip;
	int r;

	r = cidr_parse_addr_prefix(subnet, &ip, &net, err);
	if (r < 0)
		return berr_wrap(err, "invalid subnet");
	if (strchr(data, '/')) {
		r = cidr_parse_addr_prefix(data, &ip, &ignored, err);
		if (r < 0)
			return r;
		*ret = cidr_contains(&net, &ip);
	} else {
		*ret = cidr_parse_addr(data, &ip, NULL) == 0 && cidr_contains(&net, &ip);
	}
	return 0;
}

/* Refuse a subnet that contains, or lies in, one before it. */
static int netcfg_check_overlaps(const struct strv *subnets, struct berr **err)
{
	for (size_t i = 0; i < subnets->n; i++) {
		for (size_t k = 0; k < i; k++) {
			bool a, b;
			int r;

			r = netcfg_matches(subnets->v[i], subnets->v[k], &a, err);
			if (r == 0)
				r = netcfg_matches(subnets->v[k], subnets->v[i], &b, err);
			if (r < 0)
				return r;
			if (a || b)
				return berr_set(err, EINVAL,
						"multiple overlapping subnet configuration is not "
						"supported");
		}
	}
	return 0;
}

/* Index of the subnet containing data in *ret (-1: none). */
static int netcfg_find_subnet(const struct strv *subnets, const char *data, ssize_t *ret,
			      struct berr **err)
{
	*ret = -1;
	for (size_t i = 0; i < subnets->n; i++) {
		bool ok;
		int r = netcfg_matches(subnets->v[i], data, &ok, err);

		if (r < 0)
			return r;
		if (ok) {
			*ret = (ssize_t)i;
			return 0;
		}
	}
	return 0;
}

/* Put each value of vals (ranges or gateways) as key of its subnet's entry;
 * what names the key in errors: "range" or "gateway". */
static int netcfg_place(json_t *cfg, const struct strv *subnets, const struct strv *vals,
			const char *key, const char *what, struct berr **err)
{
	for (size_t i = 0; i < vals->n; i++) {
		ssize_t s;
		json_t *entry;
		const char *have;
		int r = netcfg_find_subnet(subnets, vals->v[i], &s, err);

		if (r < 0)
			return r;
		if (s < 0)
			return berr_set(err, EINVAL, "no matching subnet for %s %s", what,
					vals->v[i]);
		entry = json_array_get(cfg, (size_t)s);
		have = json_string_value(json_object_get(entry, key));
		if (have)
			return berr_set(
				err, EINVAL,
				streq(what, "range")
					? "cannot configure multiple ranges (%s, %s) on the "
					  "same subnet (%s)"
					: "cannot configure multiple gateways (%s, %s) for the "
					  "same subnet (%s)",
				vals->v[i], have, subnets->v[s]);
		json_object_set_new(entry, key, json_string(vals->v[i]));
	}
	return 0;
}

/* --aux-address name=IP under the subnet holding IP. */
static int netcfg_place_aux(json_t *cfg, const struct strv *subnets, const struct strv *aux,
			    struct berr **err)
{
	for (size_t i = 0; i < aux->n; i++) {
		_cleanup_free_ char *name = NULL, *ip = NULL;
		json_t *entry, *map;
		ssize_t s;
		int r;

		opts_split_kv(aux->v[i], &name, &ip);
		r = netcfg_find_subnet(subnets, ip, &s, err);
		if (r < 0)
			return r;
		if (s < 0)
			return berr_set(err, EINVAL, "no matching subnet for aux-address %s", ip);
		entry = json_array_get(cfg, (size_t)s);
		map = json_object_get(entry, "AuxiliaryAddresses");
		if (!map)
			json_object_set_new(entry, "AuxiliaryAddresses", map = json_object());
		json_object_set_new(map, name, json_string(ip));
	}
	return 0;
}

int netcfg_ipam_config(const struct strv *subnets, const struct strv *ranges,
		       const struct strv *gateways, const struct strv *aux, json_t **ret,
		       struct berr **err)
{
	json_t *cfg;
	int r;

	if (subnets->n < ranges->n || subnets->n < gateways->n)
		return berr_set(err, EINVAL,
				"every ip-range or gateway must have a corresponding subnet");
	r = netcfg_check_overlaps(subnets, err);
	if (r < 0)
		return r;
	cfg = json_array();
	for (size_t i = 0; i < subnets->n; i++)
		json_array_append_new(cfg, json_pack("{s:s}", "Subnet", subnets->v[i]));
	r = netcfg_place(cfg, subnets, ranges, "IPRange", "range", err);
	if (r == 0)
		r = netcfg_place(cfg, subnets, gateways, "Gateway", "gateway", err);
	if (r == 0)
		r = netcfg_place_aux(cfg, subnets, aux, err);
	if (r < 0) {
		json_decref(cfg);
		return r;
	}
	*ret = cfg;
	return 0;
}

/* -o k=v, --ipam-opt k=v and --label k[=v] lists into an object. */
static json_t *netcfg_map(const struct strv *kvs)
{
	json_t *map = json_object();

	for (size_t i = 0; i < kvs->n; i++) {
		_cleanup_free_ char *k = NULL, *v = NULL;

		opts_split_kv(kvs->v[i], &k, &v);
		json_object_set_new(map, k, json_string(v));
	}
	return map;
}

/* docker refuses a label without a name when the flag is parsed. */
static int netcfg_check_labels(const struct strv *labels, struct berr **err)
{
	for (size_t i = 0; i < labels->n; i++) {
		const char *s = labels->v[i];

		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '=' || !*s)
			return berr_set(err, EINVAL, "invalid label '%s': empty name",
					labels->v[i]);
	}
	return 0;
}

int netcfg_body(const char *name, const struct netcfg_opts *o, json_t **ret, struct berr **err)
{
	json_t *cfg, *body;
	int r;

	r = netcfg_check_labels(&o->labels, err);
	if (r == 0)
		r = netcfg_ipam_config(&o->subnets, &o->ranges, &o->gateways, &o->aux, &cfg, err);
	if (r < 0)
		return r;
	body = json_pack("{s:s, s:s}", "Driver", o->driver ? o->driver : "bridge", "Scope",
			 o->scope ? o->scope : "");
	if (o->ipv4.set)
		json_object_set_new(body, "EnableIPv4", json_boolean(o->ipv4.value));
	if (o->ipv6.set)
		json_object_set_new(body, "EnableIPv6", json_boolean(o->ipv6.value));
	json_object_set_new(body, "IPAM",
			    json_pack("{s:s, s:o, s:o}", "Driver",
				      o->ipam_driver ? o->ipam_driver : "default", "Options",
				      netcfg_map(&o->ipam_opts), "Config", cfg));
	json_object_set_new(body, "Internal", json_boolean(o->internal));
	json_object_set_new(body, "Attachable", json_boolean(o->attachable));
	json_object_set_new(body, "Ingress", json_boolean(o->ingress));
	json_object_set_new(body, "ConfigOnly", json_boolean(o->config_only));
	json_object_set_new(body, "ConfigFrom",
			    o->config_from ? json_pack("{s:s}", "Network", o->config_from)
					   : json_null());
	json_object_set_new(body, "Options", netcfg_map(&o->opts));
	json_object_set_new(body, "Labels", netcfg_map(&o->labels));
	json_object_set_new(body, "Name", json_string(name));
	json_object_set_new(body, "CheckDuplicate", json_true());
	*ret = body;
	return 0;
}
