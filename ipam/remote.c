/* remote.c - IPAM by a plugin speaking libnetwork's IpamDriver protocol
 * (../shared/docs/reference/network-plugin-protocols.md §5): the same
 * vtable as the default driver, each call one request to the plugin. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/log.h"
#include "core/plugin.h"
#include "core/util.h"
#include "ipam/remote.h"

#define IPAM_GATEWAY_TYPE "com.docker.network.gateway"
#define IPAM_MAC_OPTION	  "com.docker.network.endpoint.macaddress"

struct ipam_remote {
	struct ipam ipam; /* first: the instance the controller holds */
	char *name;
	struct plugin *p;
	bool requires_mac;
	char *space; /* its local default address space */
	struct ipam_remote *next;
};

static struct ipam_remote *ipam_remotes;

static struct ipam_remote *ipam_remote_of(struct ipam *ipam)
{
	return (struct ipam_remote *)ipam;
}

static int ipam_remote_pool_request(struct ipam *ipam, const struct ipam_pool_req *req,
				    struct ipam_pool_reply *ret, struct berr **err)
{
	struct ipam_remote *ir = ipam_remote_of(ipam);
	char sub[CIDR_STRLEN] = "", range[CIDR_STRLEN] = "";
	_cleanup_json_ json_t *reply = NULL;
	_cleanup_json_ json_t *body = NULL;
	const char *id, *pool, *gw;
	int r;

	if (req->subnet)
		cidr_prefix_str(req->subnet, sub);
	if (req->range)
		cidr_prefix_str(req->range, range);
	body = json_pack("{s:s, s:s, s:s, s:o, s:b}", "AddressSpace", ir->space, "Pool", sub,
			 "SubPool", range, "Options",
			 json_is_object(req->options) ? json_incref(req->options) : json_object(),
			 "V6", req->family == AF_INET6);
	if ((r = plugin_call(ir->p, "IpamDriver.RequestPool", body, 0, &reply, err)) < 0)
		return r;
	id = json_string_value(json_object_get(reply, "PoolID"));
	pool = json_string_value(json_object_get(reply, "Pool"));
	*ret = (struct ipam_pool_reply){0};
	if (!id || !*id || !pool || cidr_parse_prefix(pool, &ret->subnet, NULL) < 0 ||
	    ret->subnet.addr.family != req->family) {
		r = berr_set(err, EPROTO,
			     "plugin %s: IpamDriver.RequestPool: no usable PoolID and IPv%c Pool "
			     "in the reply",
			     ir->name, req->family == AF_INET ? '4' : '6');
		goto undo;
	}
	gw = json_string_value(
		json_object_get(json_object_get(reply, "Data"), "com.docker.network.gateway"));
	if (gw && cidr_parse_addr_prefix(gw, &ret->gateway, NULL, NULL) == 0)
		ret->has_gateway = ret->gateway.family == req->family;
	ret->pool_id = xstrdup(id);
	return 0;
undo:
	if (id && *id) {
		_cleanup_json_ json_t *rel = json_pack("{s:s}", "PoolID", id);

		plugin_call(ir->p, "IpamDriver.ReleasePool", rel, PLUGIN_NO_RETRY, NULL, NULL);
	}
	return r;
}

static int ipam_remote_pool_release(struct ipam *ipam, const char *pool_id, struct berr **err)
{
	struct ipam_remote *ir = ipam_remote_of(ipam);
	_cleanup_json_ json_t *body = json_pack("{s:s}", "PoolID", pool_id);

	return plugin_call(ir->p, "IpamDriver.ReleasePool", body, 0, NULL, err);
}

static int ipam_remote_address_request(struct ipam *ipam, const char *pool_id,
				       const struct ipaddr *want, unsigned flags,
				       const uint8_t *mac, struct ipaddr *ret, struct berr **err)
{
	struct ipam_remote *ir = ipam_remote_of(ipam);
	char a[CIDR_STRLEN] = "", m[18];
	_cleanup_json_ json_t *reply = NULL;
	_cleanup_json_ json_t *body = NULL;
	json_t *opts = json_null();
	const char *got;
	int r;

	if (want)
		cidr_addr_str(want, a);
	if (flags & IPAM_ADDR_GATEWAY) {
		opts = json_pack("{s:s}", "RequestAddressType", IPAM_GATEWAY_TYPE);
	} else if (mac && ir->requires_mac) {
		snprintf(m, sizeof(m), "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2],
			 mac[3], mac[4], mac[5]);
		opts = json_pack("{s:s}", IPAM_MAC_OPTION, m);
	}
	body = json_pack("{s:s, s:s, s:o}", "PoolID", pool_id, "Address", a, "Options", opts);
	if ((r = plugin_call(ir->p, "IpamDriver.RequestAddress", body, 0, &reply, err)) < 0)
		return r;
	got = json_string_value(json_object_get(reply, "Address"));
	if (!got || cidr_parse_addr_prefix(got, ret, NULL, NULL) < 0 ||
	    (want && !cidr_addr_eq(ret, want))) {
		_cleanup_json_ json_t *rel = NULL;

		if (got && cidr_parse_addr_prefix(got, ret, NULL, NULL) == 0) {
			char b[CIDR_STRLEN];

			rel = json_pack("{s:s, s:s}", "PoolID", pool_id, "Address",
					cidr_addr_str(ret, b));
			plugin_call(ir->p, "IpamDriver.ReleaseAddress", rel, PLUGIN_NO_RETRY, NULL,
				    NULL);
		}
		return berr_set(err, EPROTO,
				"plugin %s: IpamDriver.RequestAddress: %s (reply \"%s\")", ir->name,
				want ? "not the address asked for" : "no address returned",
				got ? got : "");
	}
	return 0;
}

static int ipam_remote_address_release(struct ipam *ipam, const char *pool_id,
				       const struct ipaddr *addr, struct berr **err)
{
	struct ipam_remote *ir = ipam_remote_of(ipam);
	char a[CIDR_STRLEN];
	_cleanup_json_ json_t *body =
		json_pack("{s:s, s:s}", "PoolID", pool_id, "Address", cidr_addr_str(addr, a));

	return plugin_call(ir->p, "IpamDriver.ReleaseAddress", body, PLUGIN_NO_RETRY, NULL, err);
}

static const struct ipam_driver ipam_remote_driver = {
	.name = "remote",
	.picks_gateway = true,
	.pool_request = ipam_remote_pool_request,
	.pool_release = ipam_remote_pool_release,
	.address_request = ipam_remote_address_request,
	.address_release = ipam_remote_address_release,
};

int ipam_remote_get(struct plugins *reg, const char *name, struct ipam **ret, struct berr **err)
{
	struct ipam_remote *ir;
	struct plugin *p;
	_cleanup_json_ json_t *caps = NULL;
	_cleanup_json_ json_t *spaces = NULL;
	const char *space;
	int r;

	for (ir = ipam_remotes; ir; ir = ir->next)
		if (streq(ir->name, name)) {
			*ret = &ir->ipam;
			return 0;
		}
	if (!reg)
		return berr_set(err, ENOENT, "plugin \"%s\" not found", name);
	if ((r = plugins_get(reg, name, "IpamDriver", &p, err)) < 0)
		return r;
	/* optional: any failure means no capabilities (Docker's rule) */
	if (plugin_call(p, "IpamDriver.GetCapabilities", NULL, PLUGIN_OPTIONAL, &caps, NULL) < 0)
		log_info("IPAM plugin %s does not tell its capabilities", name);
	if ((r = plugin_call(p, "IpamDriver.GetDefaultAddressSpaces", NULL, 0, &spaces, err)) < 0)
		return r;
	space = json_string_value(json_object_get(spaces, "LocalDefaultAddressSpace"));
	ir = xcalloc(1, sizeof(*ir));
	ir->ipam.driver = &ipam_remote_driver;
	ir->name = xstrdup(name);
	ir->p = p;
	ir->requires_mac = json_is_true(json_object_get(caps, "RequiresMACAddress"));
	ir->space = xstrdup(space && *space ? space : "LocalDefault");
	ir->next = ipam_remotes;
	ipam_remotes = ir;
	*ret = &ir->ipam;
	return 0;
}

const char *ipam_address_space(const struct ipam *ipam)
{
	return ipam && ipam->driver == &ipam_remote_driver
		       ? ((const struct ipam_remote *)ipam)->space
		       : "LocalDefault";
}

bool ipam_requires_mac(const struct ipam *ipam)
{
	return ipam && ipam->driver == &ipam_remote_driver &&
	       ((const struct ipam_remote *)ipam)->requires_mac;
}

void ipam_remote_free_all(void)
{
	while (ipam_remotes) {
		struct ipam_remote *ir = ipam_remotes;

		ipam_remotes = ir->next;
		free(ir->name);
		free(ir->space);
		free(ir);
	}
}
