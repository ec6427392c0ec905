/* remote.c - network drivers that are plugins: libnetwork's NetworkDriver
 * protocol (../shared/docs/reference/network-plugin-protocols.md §4) behind
 * the same table as the built-in drivers.  A driver name no built-in
 * driver has is a plugin's; the plugin is found and activated when first
 * needed (network create, or the first call after a daemon restart).
 *
 * The plugin makes an interface in the daemon's namespace at Join; berth
 * moves it into the sandbox under the endpoint's name, gives it the
 * endpoint's MAC and addresses and the static routes the plugin asked for,
 * and at Leave moves it back under its first name for the plugin to remove
 * at DeleteEndpoint.  An endpoint is created at each start (CreateEndpoint
 * and Join) and deleted at each stop, as Docker does. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "core/endpoint.h"
#include "core/log.h"
#include "core/nl.h"
#include "core/plugin.h"
#include "core/sandbox.h"
#include "core/util.h"
#include "drivers/driver.h"
#include "ipam/remote.h"

#define REMOTE_OPT_GENERIC "com.docker.network.generic"

struct remote_driver {
	struct net_driver drv; /* first: what networks point to */
	char *name;
	struct plugin *p; /* NULL until activated */
	bool global;	  /* its capability Scope */
	struct remote_driver *next;
};

static struct plugins *remote_reg;
static struct remote_driver *remotes;

static struct remote_driver *remote_of(const struct network *net)
{
	return (struct remote_driver *)net->driver;
}

/* Activated, capabilities read: once per daemon. */
static int remote_ensure(struct remote_driver *rd, struct berr **err)
{
	_cleanup_json_ json_t *caps = NULL;
	struct plugin *p;
	const char *scope;
	int r;

	if (rd->p)
		return 0;
	if (!remote_reg)
		return berr_set(err, ENOENT, "plugin \"%s\" not found", rd->name);
	if ((r = plugins_get(remote_reg, rd->name, "NetworkDriver", &p, err)) < 0)
		return r;
	if ((r = plugin_call(p, "NetworkDriver.GetCapabilities", NULL, 0, &caps, err)) < 0)
		return r;
	scope = json_string_value(json_object_get(caps, "Scope"));
	if (!scope || (!streq(scope, "local") && !streq(scope, "global")))
		return berr_set(err, EPROTO,
				"plugin %s: invalid capability: expecting 'local' or 'global', "
				"got '%s'",
				rd->name, scope ? scope : "");
	rd->global = streq(scope, "global");
	rd->p = p;
	return 0;
}

/* --- what the plugin is told --- */

/* The network's IPAM instance when it is a plugin's (made when the
 * network's pools were), else NULL. */
static struct ipam *remote_net_ipam(const struct network *net)
{
	struct ipam *ipam = NULL;

	if (net->ipam_driver && !streq(net->ipam_driver, "default"))
		ipam_remote_get(NULL, net->ipam_driver, &ipam, NULL);
	return ipam;
}

static json_t *remote_pool_data(const struct network *net, int family)
{
	json_t *a = json_array();
	const char *space = ipam_address_space(remote_net_ipam(net));
	char buf[CIDR_STRLEN];

	for (size_t i = 0; i < net->n_ipam; i++) {
		const struct net_ipam_config *c = &net->ipam[i];
		json_t *d;
		const char *name;
		json_t *v;

		if (c->subnet.addr.family != family)
			continue;
		d = json_pack("{s:s, s:s}", "AddressSpace", space, "Pool",
			      cidr_prefix_str(&c->subnet, buf));
		if (c->has_gateway) {
			_cleanup_free_ char *gw =
				xasprintf("%s/%u", cidr_addr_str(&c->gateway, buf), c->subnet.len);

			json_object_set_new(d, "Gateway", json_string(gw));
		}
		if (json_object_size(c->aux)) {
			json_t *aux = json_object();

			json_object_foreach (c->aux, name, v) {
				_cleanup_free_ char *s =
					xasprintf("%s/%u", json_string_value(v), c->subnet.len);

				json_object_set_new(aux, name, json_string(s));
			}
			json_object_set_new(d, "AuxAddresses", aux);
		}
		json_array_append_new(a, d);
	}
	return a;
}

static json_t *remote_net_options(const struct network *net)
{
	json_t *o = json_pack("{s:O, s:b, s:b}", REMOTE_OPT_GENERIC, net->options,
			      "com.docker.network.enable_ipv6", net->enable_ipv6,
			      "com.docker.network.enable_ipv4", net->enable_ipv4);

	if (net->internal)
		json_object_set_new(o, "com.docker.network.internal", json_true());
	return o;
}

/* exposedports and portmap as Docker encodes them (IP protocol numbers). */
static json_t *remote_port_options(const struct endpoint *ep)
{
	json_t *exposed = json_array(), *map = json_array();
	char buf[CIDR_STRLEN];

	for (size_t i = 0; i < ep->n_ports; i++) {
		const struct ep_port *p = &ep->ports[i];
		uint16_t hp = p->bound ? p->bound : p->host_port;

		json_array_append_new(
			exposed, json_pack("{s:i, s:i}", "Proto", p->proto, "Port", p->ctr_port));
		json_array_append_new(
			map, json_pack("{s:i, s:s, s:i, s:s, s:i, s:i}", "Proto", p->proto, "IP",
				       "", "Port", p->ctr_port, "HostIP",
				       p->host_ip.family ? cidr_addr_str(&p->host_ip, buf) : "",
				       "HostPort", hp, "HostPortEnd",
				       p->host_port_end ? p->host_port_end : hp));
	}
	return json_pack("{s:o, s:o}", "com.docker.network.endpoint.exposedports", exposed,
			 "com.docker.network.portmap", map);
}

static json_t *remote_ep_ids(const struct network *net, const struct endpoint *ep)
{
	return json_pack("{s:s, s:s}", "NetworkID", net->id, "EndpointID", ep->id);
}

/* --- networks --- */

static int remote_network_validate(struct network *net, struct berr **err)
{
	return remote_ensure(remote_of(net), err);
}

static int remote_network_create(struct network *net, struct berr **err)
{
	struct remote_driver *rd = remote_of(net);
	_cleanup_json_ json_t *body = NULL;
	int r;

	if ((r = remote_ensure(rd, err)) < 0)
		return r;
	/* a global-scope driver is told to allocate first, as a swarm manager
	 * would; what it answers goes to CreateNetwork with the options */
	if (rd->global) {
		_cleanup_json_ json_t *alloc = NULL, *reply = NULL;

		alloc = json_pack("{s:s, s:O, s:o, s:o}", "NetworkID", net->id, "Options",
				  net->options, "IPv4Data", remote_pool_data(net, AF_INET),
				  "IPv6Data", remote_pool_data(net, AF_INET6));
		if ((r = plugin_call(rd->p, "NetworkDriver.AllocateNetwork", alloc, 0, &reply,
				     err)) < 0)
			return r;
		if (json_is_object(json_object_get(reply, "Options")))
			json_object_update(net->options, json_object_get(reply, "Options"));
	}
	body = json_pack("{s:s, s:o, s:o, s:o}", "NetworkID", net->id, "Options",
			 remote_net_options(net), "IPv4Data", remote_pool_data(net, AF_INET),
			 "IPv6Data", remote_pool_data(net, AF_INET6));
	r = plugin_call(rd->p, "NetworkDriver.CreateNetwork", body, 0, NULL, err);
	if (r < 0 && rd->global) {
		_cleanup_json_ json_t *fr = json_pack("{s:s}", "NetworkID", net->id);

		plugin_call(rd->p, "NetworkDriver.FreeNetwork", fr, PLUGIN_NO_RETRY, NULL, NULL);
	}
	return r;
}

/* Idempotent for berth: a plugin that refuses (or is gone) is logged, the
 * network goes anyway (as libnetwork does). */
static int remote_network_delete(struct network *net, struct berr **err)
{
	struct remote_driver *rd = remote_of(net);
	_cleanup_json_ json_t *body = json_pack("{s:s}", "NetworkID", net->id);
	struct berr *e = NULL;

	(void)err;
	if (remote_ensure(rd, &e) == 0 &&
	    plugin_call(rd->p, "NetworkDriver.DeleteNetwork", body, 0, NULL, &e) == 0 && rd->global)
		plugin_call(rd->p, "NetworkDriver.FreeNetwork", body, PLUGIN_NO_RETRY, NULL, &e);
	if (e)
		log_warn("network %s: %s", net->name, berr_msg(e));
	berr_free(e);
	return 0;
}

/* --- endpoints --- */

struct remote_join {
	const struct endpoint *ep;
	json_t *routes; /* StaticRoutes */
	const char *src;
	int home_fd; /* the daemon's namespace */
};

/* Inside the sandbox: MAC, addresses, up, the static routes. */
static int remote_join_inside(void *arg, struct berr **err)
{
	struct remote_join *j = arg;
	const struct endpoint *ep = j->ep;
	size_t i;
	json_t *rt;
	int r;

	if ((r = nl_link_set_mac(ep->ifname, ep->mac, err)) < 0 ||
	    (r = driver_ep_up_inside((void *)ep, err)) < 0)
		return r;
	json_array_foreach (j->routes, i, rt) {
		const char *dst = json_string_value(json_object_get(rt, "Destination"));
		const char *hop = json_string_value(json_object_get(rt, "NextHop"));
		json_int_t type = json_integer_value(json_object_get(rt, "RouteType"));
		struct prefix p;
		struct ipaddr via;

		if (!dst || cidr_parse_prefix(dst, &p, NULL) < 0)
			return berr_set(err, EPROTO, "static route: bad Destination \"%s\"",
					dst ? dst : "");
		if (type == 0 && (!hop || cidr_parse_addr(hop, &via, NULL) < 0))
			return berr_set(err, EPROTO, "static route to %s: bad NextHop \"%s\"", dst,
					hop ? hop : "");
		if ((r = nl_route_add(&p, type == 0 ? &via : NULL, ep->ifname, err)) < 0)
			return r;
	}
	return 0;
}

/* Inside the sandbox: the interface back home under the plugin's name. */
static int remote_give_back_inside(void *arg, struct berr **err)
{
	struct remote_join *j = arg;

	return nl_link_move(j->ep->ifname, j->home_fd, j->src, err);
}

static void remote_delete_endpoint(struct remote_driver *rd, struct network *net,
				   const struct endpoint *ep)
{
	_cleanup_json_ json_t *body = remote_ep_ids(net, ep);
	struct berr *e = NULL;

	if (plugin_call(rd->p, "NetworkDriver.DeleteEndpoint", body, PLUGIN_NO_RETRY, NULL, &e) < 0)
		log_warn("endpoint %.12s: %s", ep->id, berr_msg(e));
	berr_free(e);
}

/* CreateEndpoint: the plugin may fill what was left empty (the MAC when
 * none was given; an address when IPAM gave none), nothing else. */
static int remote_create_endpoint(struct remote_driver *rd, struct network *net,
				  struct endpoint *ep, struct berr **err)
{
	char a4[CIDR_STRLEN + 8] = "", a6[CIDR_STRLEN + 8] = "", buf[CIDR_STRLEN], mac[18] = "";
	const char *user_mac = json_string_value(json_object_get(ep->config, "MacAddress"));
	_cleanup_json_ json_t *body = NULL, *reply = NULL;
	json_t *iface, *opts;
	const char *v;
	int r;

	if (ep->has4)
		snprintf(a4, sizeof(a4), "%s/%u", cidr_addr_str(&ep->addr4, buf), ep->plen4);
	if (ep->has6)
		snprintf(a6, sizeof(a6), "%s/%u", cidr_addr_str(&ep->addr6, buf), ep->plen6);
	/* given by the user, or already told to an IPAM that asked for it */
	if ((user_mac && *user_mac) || ipam_requires_mac(remote_net_ipam(net)))
		ep_mac_str(ep->mac, mac);
	opts = remote_port_options(ep);
	json_object_update(opts, json_object_get(ep->config, "DriverOpts"));
	body = json_pack("{s:s, s:s, s:{s:s, s:s, s:s}, s:o}", "NetworkID", net->id, "EndpointID",
			 ep->id, "Interface", "Address", a4, "AddressIPv6", a6, "MacAddress", mac,
			 "Options", opts);
	if ((r = plugin_call(rd->p, "NetworkDriver.CreateEndpoint", body, 0, &reply, err)) < 0)
		return r;
	iface = json_object_get(reply, "Interface");
	if ((v = json_string_value(json_object_get(iface, "MacAddress"))) && *v) {
		uint8_t m[6];

		if (*mac)
			r = berr_set(err, EPROTO,
				     "plugin %s: driver modified interface MAC address", rd->name);
		else if (ep_mac_parse(v, m, err) < 0)
			r = -EPROTO;
		else
			memcpy(ep->mac, m, 6);
	}
	if (r == 0 && (((v = json_string_value(json_object_get(iface, "Address"))) && *v) ||
		       ((v = json_string_value(json_object_get(iface, "AddressIPv6"))) && *v)))
		r = berr_set(err, EPROTO,
			     "plugin %s: driver modified interface address (berth's IPAM "
			     "gives the addresses)",
			     rd->name);
	if (r < 0)
		remote_delete_endpoint(rd, net, ep);
	return r;
}

/* The name inside the sandbox: the endpoint's ("ethN", chosen by the
 * controller) when the plugin asks for prefix "eth"; else prefix + the
 * lowest free index there. */
struct remote_pick {
	const char *prefix;
	char *ifname; /* the endpoint's (16 bytes) */
};

static int remote_pick_name_inside(void *arg, struct berr **err)
{
	struct remote_pick *pk = arg;
	const char *prefix = pk->prefix;

	(void)err;
	for (unsigned i = 0; i < 1000; i++) {
		char name[16];
		int idx;

		snprintf(name, sizeof(name), "%.11s%u", prefix, i);
		if (nl_link_get(name, &idx, NULL, NULL) == 0) {
			memcpy(pk->ifname, name, sizeof(name));
			return 0;
		}
	}
	return -ENOSPC;
}

static int remote_join(struct network *net, struct endpoint *ep, struct sandbox *sb,
		       struct berr **err)
{
	struct remote_driver *rd = remote_of(net);
	_cleanup_json_ json_t *body = NULL, *reply = NULL;
	_cleanup_close_ int sb_fd = -1, home_fd = -1;
	struct remote_join j = {.ep = ep};
	const char *src, *prefix, *gw;
	json_t *opts;
	int r;

	if ((r = remote_ensure(rd, err)) < 0 || (r = remote_create_endpoint(rd, net, ep, err)) < 0)
		return r;
	opts = remote_port_options(ep);
	body = json_pack("{s:s, s:s, s:s, s:o}", "NetworkID", net->id, "EndpointID", ep->id,
			 "SandboxKey", sb->netns, "Options", opts);
	if ((r = plugin_call(rd->p, "NetworkDriver.Join", body, 0, &reply, err)) < 0)
		goto fail_endpoint;
	src = json_string_value(
		json_object_get(json_object_get(reply, "InterfaceName"), "SrcName"));
	prefix = json_string_value(
		json_object_get(json_object_get(reply, "InterfaceName"), "DstPrefix"));
	if (!src || !*src || strlen(src) > 15) {
		r = berr_set(err, EPROTO, "plugin %s: NetworkDriver.Join: no usable SrcName",
			     rd->name);
		goto fail_leave;
	}
	/* gateways and routes of this endpoint, from the plugin */
	ep->join_gw4 = ep->join_gw6 = false;
	ep->no_gw_service = json_is_true(json_object_get(reply, "DisableGatewayService"));
	if ((gw = json_string_value(json_object_get(reply, "Gateway"))) && *gw) {
		if (cidr_parse_addr(gw, &ep->gw4, NULL) < 0 || ep->gw4.family != AF_INET) {
			r = berr_set(err, EPROTO, "plugin %s: Join: bad Gateway \"%s\"", rd->name,
				     gw);
			goto fail_leave;
		}
		ep->join_gw4 = true;
	}
	if ((gw = json_string_value(json_object_get(reply, "GatewayIPv6"))) && *gw) {
		if (cidr_parse_addr(gw, &ep->gw6, NULL) < 0 || ep->gw6.family != AF_INET6) {
			r = berr_set(err, EPROTO, "plugin %s: Join: bad GatewayIPv6 \"%s\"",
				     rd->name, gw);
			goto fail_leave;
		}
		ep->join_gw6 = true;
	}
	if (prefix && *prefix && !streq(prefix, "eth")) {
		struct remote_pick pk = {.prefix = prefix, .ifname = ep->ifname};

		r = sb_netns_run(sb->netns, remote_pick_name_inside, &pk, err);
		if (r < 0) {
			r = berr_set(err, ENOSPC, "no free interface name %sN in the sandbox",
				     prefix);
			goto fail_leave;
		}
	}
	sb_fd = open(sb->netns, O_RDONLY | O_CLOEXEC);
	home_fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (sb_fd < 0 || home_fd < 0) {
		r = berr_set(err, errno, "cannot open a network namespace: %m");
		goto fail_leave;
	}
	if ((r = nl_link_move(src, sb_fd, ep->ifname, err)) < 0)
		goto fail_leave;
	j.routes = json_object_get(reply, "StaticRoutes");
	j.src = src;
	j.home_fd = home_fd;
	if ((r = sb_netns_run(sb->netns, remote_join_inside, &j, err)) < 0) {
		sb_netns_run(sb->netns, remote_give_back_inside, &j, NULL);
		goto fail_leave;
	}
	/* (the plugin's name for it, to give it back under at Leave; kept
	 * with the gateways across a daemon restart) */
	snprintf(ep->host_ifname, sizeof(ep->host_ifname), "%s", src);
	ep->join_info = true;
	/* (Docker asks for it after a join; what it says is not used) */
	{
		_cleanup_json_ json_t *ids = remote_ep_ids(net, ep);

		plugin_call(rd->p, "NetworkDriver.EndpointOperInfo", ids,
			    PLUGIN_OPTIONAL | PLUGIN_NO_RETRY, NULL, NULL);
	}
	return 0;
fail_leave : {
	_cleanup_json_ json_t *ids = remote_ep_ids(net, ep);

	plugin_call(rd->p, "NetworkDriver.Leave", ids, PLUGIN_NO_RETRY, NULL, NULL);
}
fail_endpoint:
	remote_delete_endpoint(rd, net, ep);
	ep->join_gw4 = ep->join_gw6 = false;
	return r;
}

static int remote_leave(struct network *net, struct endpoint *ep, struct sandbox *sb,
			struct berr **err)
{
	struct remote_driver *rd = remote_of(net);
	_cleanup_json_ json_t *ids = remote_ep_ids(net, ep);
	int r;

	if ((r = remote_ensure(rd, err)) < 0)
		goto out;
	r = plugin_call(rd->p, "NetworkDriver.Leave", ids, PLUGIN_NO_RETRY, NULL, err);
	/* the interface goes back to the daemon's namespace under the
	 * plugin's name, for the plugin to remove (after a daemon restart
	 * that name is not known: it goes with the sandbox) */
	if (ep->host_ifname[0] && ep->ifname[0]) {
		_cleanup_close_ int home_fd =
			open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
		struct remote_join j = {.ep = ep, .src = ep->host_ifname, .home_fd = home_fd};
		struct berr *e = NULL;

		/* (gone already: the plugin removed it at Leave) */
		if (home_fd < 0 || (sb_netns_run(sb->netns, remote_give_back_inside, &j, &e) < 0 &&
				    e && e->code != ENODEV))
			log_warn("endpoint %.12s: its interface stays in the sandbox: %s", ep->id,
				 e ? berr_msg(e) : "cannot open the daemon's namespace");
		berr_free(e);
	}
	remote_delete_endpoint(rd, net, ep);
out:
	ep->host_ifname[0] = 0;
	ep->join_info = ep->no_gw_service = false;
	ep->join_gw4 = ep->join_gw6 = false;
	return r;
}

static int remote_external_program(struct network *net, struct endpoint *ep, struct berr **err)
{
	struct remote_driver *rd = remote_of(net);
	_cleanup_json_ json_t *body = remote_ep_ids(net, ep);
	int r;

	if ((r = remote_ensure(rd, err)) < 0)
		return r;
	json_object_set_new(body, "Options", remote_port_options(ep));
	r = plugin_call(rd->p, "NetworkDriver.ProgramExternalConnectivity", body, PLUGIN_OPTIONAL,
			NULL, err);
	return r == -EOPNOTSUPP ? 0 : r;
}

static int remote_external_revoke(struct network *net, struct endpoint *ep, struct berr **err)
{
	struct remote_driver *rd = remote_of(net);
	_cleanup_json_ json_t *body = remote_ep_ids(net, ep);
	int r;

	if ((r = remote_ensure(rd, err)) < 0)
		return r;
	r = plugin_call(rd->p, "NetworkDriver.RevokeExternalConnectivity", body,
			PLUGIN_OPTIONAL | PLUGIN_NO_RETRY, NULL, err);
	return r == -EOPNOTSUPP ? 0 : r;
}

void remote_configure(struct plugins *reg)
{
	remote_reg = reg;
	if (reg)
		return;
	while (remotes) {
		struct remote_driver *rd = remotes;

		remotes = rd->next;
		free(rd->name);
		free(rd);
	}
}

const struct net_driver *remote_driver(const char *name)
{
	struct remote_driver *rd;

	for (rd = remotes; rd; rd = rd->next)
		if (streq(rd->name, name))
			return &rd->drv;
	if (!remote_reg)
		return NULL;
	rd = xcalloc(1, sizeof(*rd));
	rd->name = xstrdup(name);
	rd->drv = (struct net_driver){
		.name = rd->name,
		.scope = NET_SCOPE_LOCAL,
		.gw_from_join = true,
		.network_validate = remote_network_validate,
		.network_create = remote_network_create,
		.network_delete = remote_network_delete,
		.join = remote_join,
		.leave = remote_leave,
		.external_program = remote_external_program,
		.external_revoke = remote_external_revoke,
	};
	rd->next = remotes;
	remotes = rd;
	return &rd->drv;
}
