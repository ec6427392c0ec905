/* endpoint.c - the endpoint object: construction, the EndpointConfig a
 * user sends, published ports, and the JSON shapes of inspect, network
 * inspect and the store.  Pure model code. */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "core/endpoint.h"
#include "core/network.h"
#include "core/util.h"

struct endpoint *ep_new(void)
{
	struct endpoint *ep = xcalloc(1, sizeof(*ep));

	ep->config = json_object();
	return ep;
}

void ep_free(struct endpoint *ep)
{
	if (!ep)
		return;
	free(ep->ctr_name);
	json_decref(ep->config);
	free(ep);
}

void ep_mac_random(uint8_t mac[6])
{
	if (getrandom(mac, 6, 0) != 6)
		for (int i = 0; i < 6; i++)
			mac[i] = (uint8_t)random();
	mac[0] = (uint8_t)((mac[0] & 0xfe) | 0x02); /* unicast, locally administered */
}

int ep_mac_parse(const char *s, uint8_t mac[6], struct berr **err)
{
	unsigned v[6];
	char tail;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
		   &tail) != 6 ||
	    strlen(s) != 17)
		return berr_set(err, EINVAL, "invalid MAC address: %s", s);
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)v[i];
	if (mac[0] & 1)
		return berr_set(err, EINVAL, "invalid MAC address: %s is a multicast address", s);
	return 0;
}

const char *ep_mac_str(const uint8_t mac[6], char buf[static 18])
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
		 mac[5]);
	return buf;
}

static const char *ep_str(json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s ? s : "";
}

int ep_config_addr(json_t *config, int family, struct ipaddr *ret)
{
	json_t *ipam = json_object_get(config, "IPAMConfig");
	const char *s = ep_str(ipam, family == AF_INET ? "IPv4Address" : "IPv6Address");

	if (!*s || cidr_parse_addr(s, ret, NULL) < 0 || ret->family != family)
		return 0;
	return 1;
}

static int ep_check_addr(json_t *ipam, const char *key, int family, struct berr **err)
{
	json_t *v = json_object_get(ipam, key);
	struct ipaddr a;

	if (!v || json_is_null(v) || streq(ep_str(ipam, key), ""))
		return 0;
	if (!json_is_string(v) || cidr_parse_addr(json_string_value(v), &a, NULL) < 0 ||
	    a.family != family)
		return berr_set(err, EINVAL, "invalid %s address: %s",
				family == AF_INET ? "IPv4" : "IPv6",
				json_is_string(v) ? json_string_value(v) : "(not a string)");
	return 0;
}

static int ep_check_strings(json_t *config, const char *key, struct berr **err)
{
	json_t *arr = json_object_get(config, key), *v;
	size_t i;

	if (!arr || json_is_null(arr))
		return 0;
	if (!json_is_array(arr))
		return berr_set(err, EINVAL, "EndpointConfig.%s must be an array of strings", key);
	json_array_foreach (arr, i, v)
		if (!json_is_string(v) || !*json_string_value(v))
			return berr_set(err, EINVAL,
					"EndpointConfig.%s must hold non-empty strings", key);
	return 0;
}

int ep_config_check(json_t *config, struct berr **err)
{
	json_t *ipam, *gp;
	uint8_t mac[6];
	int r;

	if (!config || json_is_null(config))
		return 0;
	if (!json_is_object(config))
		return berr_set(err, EINVAL, "EndpointConfig must be an object");
	ipam = json_object_get(config, "IPAMConfig");
	if (ipam && !json_is_null(ipam) && !json_is_object(ipam))
		return berr_set(err, EINVAL, "EndpointConfig.IPAMConfig must be an object");
	if ((r = ep_check_addr(ipam, "IPv4Address", AF_INET, err)) < 0 ||
	    (r = ep_check_addr(ipam, "IPv6Address", AF_INET6, err)) < 0 ||
	    (r = ep_check_strings(config, "Aliases", err)) < 0 ||
	    (r = ep_check_strings(config, "Links", err)) < 0)
		return r;
	if (*ep_str(config, "MacAddress") &&
	    ep_mac_parse(ep_str(config, "MacAddress"), mac, err) < 0)
		return -EINVAL;
	gp = json_object_get(config, "GwPriority");
	if (gp && !json_is_null(gp) && !json_is_integer(gp))
		return berr_set(err, EINVAL, "EndpointConfig.GwPriority must be an integer");
	return 0;
}

/* IPAMConfig as inspect shows it: null when no address was asked for. */
static json_t *ep_ipam_config_json(json_t *config)
{
	json_t *ipam = json_object_get(config, "IPAMConfig");

	if (!json_is_object(ipam) ||
	    (!*ep_str(ipam, "IPv4Address") && !*ep_str(ipam, "IPv6Address")))
		return json_null();
	return json_deep_copy(ipam);
}

static json_t *ep_strings_or_null(json_t *config, const char *key)
{
	json_t *v = json_object_get(config, key);

	return json_array_size(v) ? json_deep_copy(v) : json_null();
}

/* The gateway of family fam the network gives its endpoints, or NULL
 * (internal networks give none). */
static const struct ipaddr *ep_net_gateway(const struct network *net, int fam)
{
	if (net->internal)
		return NULL;
	for (size_t i = 0; i < net->n_ipam; i++)
		if (net->ipam[i].subnet.addr.family == fam && net->ipam[i].has_gateway)
			return &net->ipam[i].gateway;
	return NULL;
}

/* DNSNames: the container's name, its short id, then the aliases. */
static json_t *ep_dns_names(const struct endpoint *ep, const char *ctr_name, bool user_defined)
{
	json_t *names, *a;
	size_t i;

	if (!user_defined)
		return json_null();
	names = json_pack("[s, s#]", ctr_name, ep->ctr_id, 12);
	json_array_foreach (json_object_get(ep->config, "Aliases"), i, a)
		json_array_append(names, a);
	return names;
}

json_t *ep_to_settings_json(const struct endpoint *ep, const struct network *net,
			    const char *ctr_name)
{
	const struct ipaddr *gw4 = ep_net_gateway(net, AF_INET);
	const struct ipaddr *gw6 = ep_net_gateway(net, AF_INET6);
	char a4[CIDR_STRLEN] = "", a6[CIDR_STRLEN] = "", g4[CIDR_STRLEN] = "", g6[CIDR_STRLEN] = "",
	     mac[18];
	json_t *opts = json_object_get(ep->config, "DriverOpts");

	if (ep->has4)
		cidr_addr_str(&ep->addr4, a4);
	if (ep->has6)
		cidr_addr_str(&ep->addr6, a6);
	if (gw4 && ep->has4)
		cidr_addr_str(gw4, g4);
	if (gw6 && ep->has6)
		cidr_addr_str(gw6, g6);
	return json_pack(
		"{s:o, s:o, s:o, s:s, s:o, s:I, s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:i,"
		" s:o}",
		"IPAMConfig", ep_ipam_config_json(ep->config), "Links",
		ep_strings_or_null(ep->config, "Links"), "Aliases",
		ep_strings_or_null(ep->config, "Aliases"), "MacAddress", ep_mac_str(ep->mac, mac),
		"DriverOpts", json_object_size(opts) ? json_deep_copy(opts) : json_null(),
		"GwPriority", (json_int_t)ep->gw_prio, "NetworkID", net->id, "EndpointID", ep->id,
		"Gateway", g4, "IPAddress", a4, "IPPrefixLen", ep->has4 ? ep->plen4 : 0,
		"IPv6Gateway", g6, "GlobalIPv6Address", a6, "GlobalIPv6PrefixLen",
		ep->has6 ? ep->plen6 : 0, "DNSNames", ep_dns_names(ep, ctr_name, !net->predefined));
}

json_t *ep_dns_record(const struct endpoint *ep, const struct network *net, const char *ctr_name)
{
	char a4[CIDR_STRLEN], a6[CIDR_STRLEN];
	json_t *names = ep_dns_names(ep, ctr_name, true);

	json_array_remove(names, 0); /* the name is a field of its own */
	return json_pack("{s:s, s:s, s:s, s:s, s:o, s:s?, s:s?}", "id", ep->id, "net_id", net->id,
			 "net_name", net->name, "name", ctr_name, "aliases", names, "ipv4",
			 ep->has4 ? cidr_addr_str(&ep->addr4, a4) : NULL, "ipv6",
			 ep->has6 ? cidr_addr_str(&ep->addr6, a6) : NULL);
}

json_t *ep_to_network_json(const struct endpoint *ep)
{
	char a4[CIDR_STRLEN + 8] = "", a6[CIDR_STRLEN + 8] = "", buf[CIDR_STRLEN], mac[18];
	char gwname[24];

	if (ep->has4)
		snprintf(a4, sizeof(a4), "%s/%u", cidr_addr_str(&ep->addr4, buf), ep->plen4);
	if (ep->has6)
		snprintf(a6, sizeof(a6), "%s/%u", cidr_addr_str(&ep->addr6, buf), ep->plen6);
	/* (as Docker names a sandbox's endpoint on docker_gwbridge) */
	snprintf(gwname, sizeof(gwname), "gateway_%.12s", ep->ctr_id);
	return json_pack("{s:s, s:s, s:s, s:s, s:s}", "Name",
			 ep->gwbridge	? gwname
			 : ep->ctr_name ? ep->ctr_name
					: "",
			 "EndpointID", ep->id, "MacAddress", ep_mac_str(ep->mac, mac),
			 "IPv4Address", a4, "IPv6Address", a6);
}

json_t *ep_to_store_json(const struct endpoint *ep)
{
	char a4[CIDR_STRLEN] = "", a6[CIDR_STRLEN] = "", mac[18];

	if (ep->has4)
		cidr_addr_str(&ep->addr4, a4);
	if (ep->has6)
		cidr_addr_str(&ep->addr6, a6);
	json_t *o = json_pack("{s:s, s:s, s:s, s:I, s:O, s:s, s:i, s:s, s:i, s:s, s:b}", "Id",
			      ep->id, "Container", ep->ctr_id, "Network", ep->net_id, "Seq",
			      (json_int_t)ep->seq, "Config", ep->config, "IPv4", a4, "PrefixLen4",
			      ep->plen4, "IPv6", a6, "PrefixLen6", ep->plen6, "MacAddress",
			      ep_mac_str(ep->mac, mac), "GatewayBridge", ep->gwbridge);

	/* what a driver's join said (a plugin's gateways and interface name) */
	if (ep->join_info) {
		char g4[CIDR_STRLEN] = "", g6[CIDR_STRLEN] = "";

		if (ep->join_gw4)
			cidr_addr_str(&ep->gw4, g4);
		if (ep->join_gw6)
			cidr_addr_str(&ep->gw6, g6);
		json_object_set_new(o, "Join",
				    json_pack("{s:s, s:s, s:b, s:s}", "Gateway", g4, "GatewayIPv6",
					      g6, "DisableGatewayService", ep->no_gw_service,
					      "SrcName", ep->host_ifname));
	}
	return o;
}

static int ep_store_addr(json_t *obj, const char *key, struct ipaddr *ret, bool *has,
			 struct berr **err)
{
	const char *s = ep_str(obj, key);

	*has = *s != 0;
	return *s ? cidr_parse_addr(s, ret, err) : 0;
}

static bool ep_id_ok(const char *s)
{
	return s && strlen(s) == 64;
}

int ep_from_store_json(json_t *obj, struct endpoint **ret, struct berr **err)
{
	struct endpoint *ep = ep_new();
	const char *id = ep_str(obj, "Id"), *ctr = ep_str(obj, "Container"),
		   *net = ep_str(obj, "Network");
	json_t *gp;

	if (!ep_id_ok(id) || !ep_id_ok(ctr) || !ep_id_ok(net)) {
		ep_free(ep);
		return berr_set(err, EINVAL, "endpoint: missing or malformed ids");
	}
	memcpy(ep->id, id, 65);
	memcpy(ep->ctr_id, ctr, 65);
	memcpy(ep->net_id, net, 65);
	ep->seq = (unsigned)json_integer_value(json_object_get(obj, "Seq"));
	ep->gwbridge = json_is_true(json_object_get(obj, "GatewayBridge"));
	if (json_is_object(json_object_get(obj, "Join"))) {
		json_t *j = json_object_get(obj, "Join");
		const char *g4 = json_string_value(json_object_get(j, "Gateway"));
		const char *g6 = json_string_value(json_object_get(j, "GatewayIPv6"));
		const char *src = json_string_value(json_object_get(j, "SrcName"));

		ep->join_info = true;
		ep->join_gw4 = g4 && *g4 && cidr_parse_addr(g4, &ep->gw4, NULL) == 0;
		ep->join_gw6 = g6 && *g6 && cidr_parse_addr(g6, &ep->gw6, NULL) == 0;
		ep->no_gw_service = json_is_true(json_object_get(j, "DisableGatewayService"));
		snprintf(ep->host_ifname, sizeof(ep->host_ifname), "%s", src ? src : "");
	}
	if (json_is_object(json_object_get(obj, "Config"))) {
		json_decref(ep->config);
		ep->config = json_deep_copy(json_object_get(obj, "Config"));
	}
	gp = json_object_get(ep->config, "GwPriority");
	ep->gw_prio = json_integer_value(gp);
	ep->plen4 = (unsigned)json_integer_value(json_object_get(obj, "PrefixLen4"));
	ep->plen6 = (unsigned)json_integer_value(json_object_get(obj, "PrefixLen6"));
	if (ep_store_addr(obj, "IPv4", &ep->addr4, &ep->has4, err) < 0 ||
	    ep_store_addr(obj, "IPv6", &ep->addr6, &ep->has6, err) < 0 ||
	    ep_mac_parse(ep_str(obj, "MacAddress"), ep->mac, err) < 0) {
		ep_free(ep);
		return -EINVAL;
	}
	*ret = ep;
	return 0;
}

/* --- published ports --- */

const char *ep_proto_name(uint8_t proto)
{
	return proto == IPPROTO_UDP ? "udp" : proto == IPPROTO_SCTP ? "sctp" : "tcp";
}

static int ep_port_number(const char *s, uint16_t *ret)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 1 || v > 65535)
		return -EINVAL;
	*ret = (uint16_t)v;
	return 0;
}

/* "80/tcp", "80" (tcp): a container port key of ExposedPorts/PortBindings. */
static int ep_port_key(const char *key, uint16_t *port, uint8_t *proto, struct berr **err)
{
	_cleanup_free_ char *num = xstrdup(key);
	char *slash = strchr(num, '/');
	const char *p = "tcp";

	if (slash) {
		*slash = 0;
		p = slash + 1;
	}
	if (streq(p, "tcp"))
		*proto = IPPROTO_TCP;
	else if (streq(p, "udp"))
		*proto = IPPROTO_UDP;
	else if (streq(p, "sctp"))
		*proto = IPPROTO_SCTP;
	else
		return berr_set(err, EINVAL, "invalid proto: %s", p);
	if (ep_port_number(num, port) < 0)
		return berr_set(err, EINVAL, "invalid containerPort: %s", num);
	return 0;
}

/* HostPort "8080", "8000-8010" or "" (random). */
static int ep_host_ports(const char *s, struct ep_port *p, struct berr **err)
{
	_cleanup_free_ char *lo = xstrdup(s);
	char *dash = strchr(lo, '-');

	if (!*s)
		return 0;
	if (dash)
		*dash = 0;
	if (ep_port_number(lo, &p->host_port) < 0 ||
	    (dash && ep_port_number(dash + 1, &p->host_port_end) < 0))
		return berr_set(err, EINVAL, "invalid hostPort: %s", s);
	if (!dash)
		p->host_port_end = p->host_port;
	if (p->host_port_end < p->host_port)
		return berr_set(err, EINVAL,
				"invalid hostPort: %s (the range ends before it starts)", s);
	return 0;
}

static void ep_ports_push(struct ep_port **v, size_t *n, const struct ep_port *p)
{
	*v = xrealloc(*v, (*n + 1) * sizeof(**v));
	(*v)[(*n)++] = *p;
}

static bool ep_ports_have(const struct ep_port *v, size_t n, uint16_t port, uint8_t proto)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].ctr_port == port && v[i].proto == proto)
			return true;
	return false;
}

/* One PortBindings entry: a key and its array of {HostIp, HostPort}. */
static int ep_binding_parse(const char *key, json_t *list, struct ep_port **v, size_t *n,
			    struct berr **err)
{
	struct ep_port p = {.fd = -1};
	json_t *b;
	size_t i;
	int r;

	if ((r = ep_port_key(key, &p.ctr_port, &p.proto, err)) < 0)
		return r;
	if (list && !json_is_null(list) && !json_is_array(list))
		return berr_set(err, EINVAL, "PortBindings.%s must be an array", key);
	json_array_foreach (list, i, b) {
		struct ep_port q = p;
		const char *ip = ep_str(b, "HostIp");

		if (*ip && cidr_parse_addr(ip, &q.host_ip, NULL) < 0)
			return berr_set(err, EINVAL, "invalid IP address: %s", ip);
		if (*ip && (streq(ip, "0.0.0.0") || streq(ip, "::")))
			q.host_ip.family = 0;
		if ((r = ep_host_ports(ep_str(b, "HostPort"), &q, err)) < 0)
			return r;
		ep_ports_push(v, n, &q);
	}
	return 0;
}

int ep_ports_parse(json_t *config, json_t *host_config, struct ep_port **ret, size_t *ret_n,
		   struct berr **err)
{
	json_t *bindings = json_object_get(host_config, "PortBindings"), *list;
	struct ep_port *v = NULL;
	const char *key;
	size_t n = 0;
	int r = 0;

	if (bindings && !json_is_null(bindings) && !json_is_object(bindings))
		return berr_set(err, EINVAL, "HostConfig.PortBindings must be an object");
	json_object_foreach (bindings, key, list)
		if ((r = ep_binding_parse(key, list, &v, &n, err)) < 0)
			goto fail;
	if (json_is_true(json_object_get(host_config, "PublishAllPorts"))) {
		json_object_foreach (json_object_get(config, "ExposedPorts"), key, list) {
			struct ep_port p = {.fd = -1};

			if ((r = ep_port_key(key, &p.ctr_port, &p.proto, err)) < 0)
				goto fail;
			if (!ep_ports_have(v, n, p.ctr_port, p.proto))
				ep_ports_push(&v, &n, &p);
		}
	}
	*ret = v;
	*ret_n = n;
	return 0;
fail:
	free(v);
	return r;
}

void ep_ports_free(struct ep_port *ports, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (ports[i].fd >= 0)
			close(ports[i].fd);
	free(ports);
}

static const char *ep_port_host_ip(const struct ep_port *p, char buf[static CIDR_STRLEN])
{
	return p->host_ip.family ? cidr_addr_str(&p->host_ip, buf) : "0.0.0.0";
}

json_t *ep_ports_json(json_t *config, const struct ep_port *ports, size_t n)
{
	json_t *o = json_object();
	const char *key;
	json_t *v;

	json_object_foreach (json_object_get(config, "ExposedPorts"), key, v) {
		_cleanup_free_ char *k = strchr(key, '/') ? xstrdup(key) : xasprintf("%s/tcp", key);

		json_object_set_new(o, k, json_null());
	}
	for (size_t i = 0; i < n; i++) {
		const struct ep_port *p = &ports[i];
		_cleanup_free_ char *k = xasprintf("%u/%s", p->ctr_port, ep_proto_name(p->proto));
		_cleanup_free_ char *hp = xasprintf("%u", p->bound);
		char ip[CIDR_STRLEN];
		json_t *list = json_object_get(o, k);

		if (!p->bound)
			continue;
		if (!json_is_array(list)) {
			list = json_array();
			json_object_set_new(o, k, list);
		}
		json_array_append_new(list, json_pack("{s:s, s:s}", "HostIp",
						      ep_port_host_ip(p, ip), "HostPort", hp));
	}
	return o;
}

json_t *ep_ports_summary_json(json_t *config, const struct ep_port *ports, size_t n)
{
	json_t *list = json_array(), *v;
	const char *key;

	for (size_t i = 0; i < n; i++) {
		char ip[CIDR_STRLEN];

		if (ports[i].bound)
			json_array_append_new(list, json_pack("{s:s, s:i, s:i, s:s}", "IP",
							      ep_port_host_ip(&ports[i], ip),
							      "PrivatePort", ports[i].ctr_port,
							      "PublicPort", ports[i].bound, "Type",
							      ep_proto_name(ports[i].proto)));
	}
	json_object_foreach (json_object_get(config, "ExposedPorts"), key, v) {
		uint16_t port;
		uint8_t proto;

		if (ep_port_key(key, &port, &proto, NULL) < 0 ||
		    ep_ports_have(ports, n, port, proto))
			continue;
		json_array_append_new(list, json_pack("{s:i, s:s}", "PrivatePort", port, "Type",
						      ep_proto_name(proto)));
	}
	return list;
}

void ep_set_addr(struct endpoint *ep, const struct ipaddr *a, unsigned plen)
{
	if (a->family == AF_INET) {
		ep->addr4 = *a;
		ep->plen4 = plen;
		ep->has4 = true;
	} else {
		ep->addr6 = *a;
		ep->plen6 = plen;
		ep->has6 = true;
	}
}
