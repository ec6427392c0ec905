/* network.c - the network object: construction, validation of what a user
 * sends in POST /networks/create, and its two JSON codecs (the API shape
 * Docker clients parse, and the store shape).  Pure model code: it knows
 * neither HTTP nor the kernel. */
#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "core/network.h"
#include "core/util.h"
#include "drivers/driver.h"

static const char *const net_scope_names[] = {
	[NET_SCOPE_LOCAL] = "local",
	[NET_SCOPE_GLOBAL] = "global",
	[NET_SCOPE_SWARM] = "swarm",
};

const char *net_scope_to_string(enum net_scope scope)
{
	return net_scope_names[scope];
}

int net_scope_from_string(const char *s)
{
	for (size_t i = 0; i < ARRAY_SIZE(net_scope_names); i++)
		if (streq(s, net_scope_names[i]))
			return (int)i;
	return -EINVAL;
}

struct network *net_new(void)
{
	struct network *net = xcalloc(1, sizeof(*net));

	net->enable_ipv4 = true;
	net->options = json_object();
	net->labels = json_object();
	net->ipam_options = json_object();
	net->ipam_driver = xstrdup("default");
	return net;
}

void net_free(struct network *net)
{
	if (!net)
		return;
	if (net->driver && net->driver->network_free)
		net->driver->network_free(net);
	for (size_t i = 0; i < net->n_ipam; i++) {
		json_decref(net->ipam[i].aux);
		free(net->ipam[i].pool_id);
	}
	free(net->ipam);
	free(net->name);
	free(net->driver_name);
	free(net->ipam_driver);
	json_decref(net->ipam_options);
	json_decref(net->options);
	json_decref(net->labels);
	free(net);
}

static bool net_name_char(char c, bool first)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return !first && (c == '_' || c == '.' || c == '-');
}

int net_name_validate(const char *name, struct berr **err)
{
	size_t len = strlen(name);

	if (len == 0)
		return berr_set(err, EINVAL, "network name cannot be empty");
	if (len > NET_NAME_MAX)
		return berr_set(err, EINVAL,
				"network name is too long (%zu characters, at most %d)", len,
				NET_NAME_MAX);
	for (size_t i = 0; i < len; i++)
		if (!net_name_char(name[i], i == 0))
			return berr_set(
				err, EINVAL,
				"invalid network name \"%s\": only [a-zA-Z0-9][a-zA-Z0-9_.-] are "
				"allowed",
				name);
	return 0;
}

const char *net_option(const struct network *net, const char *key, const char *def)
{
	const char *v = json_string_value(json_object_get(net->options, key));

	return v ? v : def;
}

/* Docker's boolean rule for strings: strconv.ParseBool. */
static int net_parse_bool(const char *s, bool *ret)
{
	static const char *const yes[] = {"1", "t", "T", "true", "TRUE", "True"};
	static const char *const no[] = {"0", "f", "F", "false", "FALSE", "False"};

	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (streq(s, yes[i])) {
			*ret = true;
			return 0;
		}
		if (streq(s, no[i])) {
			*ret = false;
			return 0;
		}
	}
	return -EINVAL;
}

int net_option_bool(const struct network *net, const char *key, bool def, bool *ret,
		    struct berr **err)
{
	const char *v = net_option(net, key, NULL);

	if (!v) {
		*ret = def;
		return 0;
	}
	if (net_parse_bool(v, ret) < 0)
		return berr_set(err, EINVAL, "invalid value for %s: \"%s\" is not a boolean", key,
				v);
	return 0;
}

/* A JSON value that must be an object of strings (or null/absent). */
static int net_string_map(json_t *v, const char *what, json_t **ret, struct berr **err)
{
	const char *key;
	json_t *val;

	if (!v || json_is_null(v)) {
		*ret = json_object();
		return 0;
	}
	if (!json_is_object(v))
		return berr_set(err, EINVAL, "%s must be an object of strings", what);
	json_object_foreach (v, key, val)
		if (!json_is_string(val))
			return berr_set(err, EINVAL, "%s: value of \"%s\" must be a string", what,
					key);
	*ret = json_deep_copy(v);
	return 0;
}

/* A JSON string field (absent or null gives def). */
static int net_string_field(json_t *obj, const char *key, const char *def, const char **ret,
			    struct berr **err)
{
	json_t *v = json_object_get(obj, key);

	if (!v || json_is_null(v)) {
		*ret = def;
		return 0;
	}
	if (!json_is_string(v))
		return berr_set(err, EINVAL, "%s must be a string", key);
	*ret = json_string_value(v);
	return 0;
}

static int net_bool_field(json_t *obj, const char *key, bool def, bool *ret, struct berr **err)
{
	json_t *v = json_object_get(obj, key);

	if (!v || json_is_null(v)) {
		*ret = def;
		return 0;
	}
	if (!json_is_boolean(v))
		return berr_set(err, EINVAL, "%s must be a boolean", key);
	*ret = json_is_true(v);
	return 0;
}

/* Every auxiliary address must be an address inside the entry's subnet. */
static int net_aux_check(const struct net_ipam_config *c, json_t *aux, struct berr **err)
{
	char sbuf[CIDR_STRLEN];
	const char *name;
	json_t *v;
	int r;

	json_object_foreach (aux, name, v) {
		struct ipaddr a;

		if ((r = cidr_parse_addr(json_string_value(v), &a, err)) < 0)
			return berr_wrap(err, "invalid auxiliary address %s", name);
		if (c->auto_subnet || !cidr_contains(&c->subnet, &a))
			return berr_set(err, EINVAL,
					"auxiliary address %s (%s) is not within subnet %s", name,
					json_string_value(v), cidr_prefix_str(&c->subnet, sbuf));
	}
	return 0;
}

/* Parse the address fields of one IPAM.Config entry and check that they
 * lie inside its subnet. */
static int net_ipam_entry_from_json(json_t *obj, struct net_ipam_config *ret, struct berr **err)
{
	struct net_ipam_config c = {0};
	char sbuf[CIDR_STRLEN];
	const char *subnet = NULL, *range = NULL, *gw = NULL;
	json_t *aux;
	int r;

	if (!json_is_object(obj))
		return berr_set(err, EINVAL, "IPAM.Config entries must be objects");
	if ((r = net_string_field(obj, "Subnet", "", &subnet, err)) < 0 ||
	    (r = net_string_field(obj, "IPRange", "", &range, err)) < 0 ||
	    (r = net_string_field(obj, "Gateway", "", &gw, err)) < 0)
		return r;
	if (!*subnet) {
		if (*range || *gw)
			return berr_set(err, EINVAL,
					"IPAM config with an IP range or gateway must "
					"have a subnet");
		c.auto_subnet = true;
		c.subnet.addr.family = AF_INET;
	} else if ((r = cidr_parse_prefix(subnet, &c.subnet, err)) < 0)
		return r;
	cidr_prefix_str(&c.subnet, sbuf);
	if (*range) {
		r = cidr_parse_prefix(range, &c.range, err);
		if (r < 0)
			return berr_wrap(err, "invalid ip-range");
		if (!cidr_prefix_within(&c.subnet, &c.range))
			return berr_set(err, EINVAL, "ip-range %s is not within subnet %s", range,
					sbuf);
		c.has_range = true;
	}
	if (*gw) {
		if ((r = cidr_parse_addr(gw, &c.gateway, err)) < 0)
			return berr_wrap(err, "invalid gateway");
		if (!cidr_contains(&c.subnet, &c.gateway))
			return berr_set(err, EINVAL, "gateway %s is not within subnet %s", gw,
					sbuf);
		c.has_gateway = true;
	}
	r = net_string_map(json_object_get(obj, "AuxiliaryAddresses"), "AuxiliaryAddresses", &aux,
			   err);
	if (r < 0)
		return r;
	r = net_aux_check(&c, aux, err);
	if (r < 0) {
		json_decref(aux);
		return r;
	}
	c.aux = aux;
	*ret = c;
	return 0;
}

static void net_ipam_add(struct network *net, const struct net_ipam_config *c)
{
	net->ipam = xrealloc(net->ipam, (net->n_ipam + 1) * sizeof(*net->ipam));
	net->ipam[net->n_ipam++] = *c;
}

/* Order the entries IPv4 first, then IPv6, each family in the order given
 * (a stable partition: the store relies on the order it wrote). */
static void net_ipam_order(struct network *net)
{
	struct net_ipam_config *sorted = xcalloc(net->n_ipam, sizeof(*sorted));
	size_t n = 0;

	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < net->n_ipam; i++) {
			const struct net_ipam_config *c = &net->ipam[i];
			bool v6 = c->subnet.addr.family == AF_INET6;

			if (v6 == (pass == 1))
				sorted[n++] = *c;
		}
	free(net->ipam);
	net->ipam = sorted;
}

/* No two subnets of one network may overlap. */
static int net_ipam_check_overlap(const struct network *net, struct berr **err)
{
	for (size_t i = 0; i < net->n_ipam; i++)
		for (size_t j = i + 1; j < net->n_ipam; j++) {
			const struct net_ipam_config *a = &net->ipam[i], *b = &net->ipam[j];

			if (a->auto_subnet || b->auto_subnet)
				continue;
			if (a->subnet.addr.family == b->subnet.addr.family &&
			    cidr_overlaps(&a->subnet, &b->subnet))
				return berr_set(err, EINVAL,
						"multiple overlapping subnet configuration is not "
						"allowed");
		}
	return 0;
}

static int net_ipam_from_json(json_t *ipam, struct network *net, struct berr **err)
{
	const char *driver = NULL;
	json_t *config, *entry;
	size_t i;
	int r;

	if (!ipam || json_is_null(ipam))
		return 0;
	if (!json_is_object(ipam))
		return berr_set(err, EINVAL, "IPAM must be an object");
	if ((r = net_string_field(ipam, "Driver", "default", &driver, err)) < 0)
		return r;
	free(net->ipam_driver);
	net->ipam_driver = xstrdup(*driver ? driver : "default");
	json_decref(net->ipam_options);
	net->ipam_options = NULL;
	r = net_string_map(json_object_get(ipam, "Options"), "IPAM.Options", &net->ipam_options,
			   err);
	if (r < 0)
		return r;
	config = json_object_get(ipam, "Config");
	if (config && !json_is_null(config) && !json_is_array(config))
		return berr_set(err, EINVAL, "IPAM.Config must be a list");
	json_array_foreach (config, i, entry) {
		struct net_ipam_config c;

		if ((r = net_ipam_entry_from_json(entry, &c, err)) < 0)
			return r;
		net_ipam_add(net, &c);
	}
	if (net->n_ipam)
		net_ipam_order(net);
	return net_ipam_check_overlap(net, err);
}

/* Fields of a create request, parsed one by one. */
static int net_fields_from_json(json_t *body, struct network *net, struct berr **err)
{
	const char *name = NULL, *driver = NULL, *scope = NULL;
	int r;

	if ((r = net_string_field(body, "Name", "", &name, err)) < 0 ||
	    (r = net_name_validate(name, err)) < 0)
		return r;
	net->name = xstrdup(name);
	if ((r = net_string_field(body, "Driver", "bridge", &driver, err)) < 0)
		return r;
	net->driver_name = xstrdup(*driver ? driver : "bridge");
	if ((r = net_string_field(body, "Scope", "", &scope, err)) < 0)
		return r;
	if (*scope && net_scope_from_string(scope) < 0)
		return berr_set(err, EINVAL, "invalid scope \"%s\"", scope);
	net->scope = *scope ? (enum net_scope)net_scope_from_string(scope) : NET_SCOPE_LOCAL;
	if ((r = net_bool_field(body, "EnableIPv4", true, &net->enable_ipv4, err)) < 0 ||
	    (r = net_bool_field(body, "EnableIPv6", false, &net->enable_ipv6, err)) < 0 ||
	    (r = net_bool_field(body, "Internal", false, &net->internal, err)) < 0 ||
	    (r = net_bool_field(body, "Attachable", false, &net->attachable, err)) < 0 ||
	    (r = net_bool_field(body, "Ingress", false, &net->ingress, err)) < 0 ||
	    (r = net_bool_field(body, "ConfigOnly", false, &net->config_only, err)) < 0)
		return r;
	json_decref(net->options);
	json_decref(net->labels);
	net->options = net->labels = NULL;
	if ((r = net_string_map(json_object_get(body, "Options"), "Options", &net->options, err)) <
		    0 ||
	    (r = net_string_map(json_object_get(body, "Labels"), "Labels", &net->labels, err)) < 0)
		return r;
	return net_ipam_from_json(json_object_get(body, "IPAM"), net, err);
}

/* Features of Docker's that berth does not have: refused, never ignored. */
static int net_check_supported(const struct network *net, json_t *body, struct berr **err)
{
	json_t *from = json_object_get(body, "ConfigFrom");

	if (net->ingress)
		return berr_set(err, EINVAL,
				"ingress networks are a swarm feature; berth has no "
				"swarm mode");
	if (net->config_only ||
	    (json_is_object(from) && json_string_length(json_object_get(from, "Network"))))
		return berr_set(err, EINVAL,
				"config-only networks (--config-only, --config-from) "
				"are not supported by berth");
	if (!net->enable_ipv4 && !net->enable_ipv6)
		return berr_set(err, EINVAL, "a network must have IPv4 or IPv6 enabled");
	for (size_t i = 0; i < net->n_ipam; i++) {
		const struct net_ipam_config *c = &net->ipam[i];
		char buf[CIDR_STRLEN];

		if (c->auto_subnet)
			continue;
		if (c->subnet.addr.family == AF_INET6 && !net->enable_ipv6)
			return berr_set(err, EINVAL,
					"subnet %s is IPv6 but IPv6 is not enabled (use --ipv6)",
					cidr_prefix_str(&c->subnet, buf));
		if (c->subnet.addr.family == AF_INET && !net->enable_ipv4)
			return berr_set(err, EINVAL, "subnet %s is IPv4 but IPv4 is disabled",
					cidr_prefix_str(&c->subnet, buf));
	}
	return 0;
}

int net_from_create_json(json_t *body, struct network **ret, struct berr **err)
{
	struct network *net;
	int r;

	if (!json_is_object(body))
		return berr_set(err, EINVAL, "request body must be a JSON object");
	net = net_new();
	r = net_fields_from_json(body, net, err);
	if (r == 0)
		r = net_check_supported(net, body, err);
	if (r < 0) {
		net_free(net);
		return r;
	}
	*ret = net;
	return 0;
}

static json_t *net_ipam_entry_to_json(const struct net_ipam_config *c)
{
	char buf[CIDR_STRLEN];
	json_t *o = json_object();

	json_object_set_new(o, "Subnet", json_string(cidr_prefix_str(&c->subnet, buf)));
	if (c->has_range)
		json_object_set_new(o, "IPRange", json_string(cidr_prefix_str(&c->range, buf)));
	if (c->has_gateway)
		json_object_set_new(o, "Gateway", json_string(cidr_addr_str(&c->gateway, buf)));
	if (c->aux && json_object_size(c->aux))
		json_object_set(o, "AuxiliaryAddresses", c->aux);
	return o;
}

static json_t *net_ipam_to_json(const struct network *net, bool store)
{
	json_t *config = json_array();

	for (size_t i = 0; i < net->n_ipam; i++) {
		json_t *e = net_ipam_entry_to_json(&net->ipam[i]);

		if (store && net->ipam[i].pool_id)
			json_object_set_new(e, "PoolID", json_string(net->ipam[i].pool_id));
		if (store && net->ipam[i].auto_subnet)
			json_object_set_new(e, "Auto", json_true());
		json_array_append_new(config, e);
	}
	return json_pack("{s:s, s:O, s:o}", "Driver", net->ipam_driver, "Options",
			 net->ipam_options, "Config", config);
}

json_t *net_to_json(const struct network *net, json_t *containers)
{
	char created[48];

	util_time_rfc3339(&net->created, created, sizeof(created));
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:b, s:o, s:b, s:b, s:b, s:{s:s}, s:b,"
			 " s:o, s:O, s:O}",
			 "Name", net->name, "Id", net->id, "Created", created, "Scope",
			 net_scope_to_string(net->scope), "Driver", net->driver_name, "EnableIPv4",
			 net->enable_ipv4, "EnableIPv6", net->enable_ipv6, "IPAM",
			 net_ipam_to_json(net, false), "Internal", net->internal, "Attachable",
			 net->attachable, "Ingress", net->ingress, "ConfigFrom", "Network", "",
			 "ConfigOnly", net->config_only, "Containers",
			 containers ? json_incref(containers) : json_object(), "Options",
			 net->options, "Labels", net->labels);
}

json_t *net_to_store_json(const struct network *net)
{
	json_t *o = net_to_json(net, NULL);

	json_object_del(o, "Containers");
	json_object_set_new(o, "IPAM", net_ipam_to_json(net, true));
	json_object_set_new(o, "Predefined", json_boolean(net->predefined));
	return o;
}

/* The store-only fields of each IPAM.Config entry, in the order written. */
static int net_store_ipam_extra(json_t *obj, struct network *net, struct berr **err)
{
	json_t *config = json_object_get(json_object_get(obj, "IPAM"), "Config");
	json_t *e;
	size_t i;

	if (json_array_size(config) != net->n_ipam)
		return berr_set(err, EINVAL, "IPAM.Config does not match");
	json_array_foreach (config, i, e) {
		const char *pool = json_string_value(json_object_get(e, "PoolID"));

		net->ipam[i].pool_id = pool ? xstrdup(pool) : NULL;
		net->ipam[i].auto_subnet = json_is_true(json_object_get(e, "Auto"));
	}
	return 0;
}

int net_from_store_json(json_t *obj, struct network **ret, struct berr **err)
{
	struct network *net = net_new();
	const char *id, *created;
	int r;

	r = net_fields_from_json(obj, net, err);
	if (r < 0)
		goto fail;
	id = json_string_value(json_object_get(obj, "Id"));
	created = json_string_value(json_object_get(obj, "Created"));
	if (!id || strlen(id) != 64 || !created || util_time_parse(created, &net->created) < 0) {
		r = berr_set(err, EINVAL, "network %s: missing or malformed Id or Created",
			     net->name);
		goto fail;
	}
	memcpy(net->id, id, sizeof(net->id));
	net->predefined = json_is_true(json_object_get(obj, "Predefined"));
	r = net_store_ipam_extra(obj, net, err);
	if (r < 0)
		goto fail;
	*ret = net;
	return 0;
fail:
	net_free(net);
	return r;
}
