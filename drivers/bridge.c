/* bridge.c - the bridge network driver: one Linux bridge per network in the
 * daemon's namespace, carrying the network's gateway addresses.  The
 * controller calls it through bridge_driver on the job thread; it talks to
 * the kernel only through core/nl. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/nl.h"
#include "core/util.h"
#include "drivers/driver.h"

#define BRIDGE_OPT_NAME	      "com.docker.network.bridge.name"
#define BRIDGE_OPT_MTU	      "com.docker.network.driver.mtu"
#define BRIDGE_OPT_ICC	      "com.docker.network.bridge.enable_icc"
#define BRIDGE_OPT_MASQUERADE "com.docker.network.bridge.enable_ip_masquerade"

#define BRIDGE_MTU_MIN 68
#define BRIDGE_MTU_MAX 65535

/* Room for "br-" and 12 hex digits of the id, or any valid name. */
#define BRIDGE_NAME_BUF (NL_IFNAME_MAX + 1)

/* The bridge's name: the option if given, else br-<12 hex of the id>.
 * Returns buf or the option's string (borrowed from net). */
static const char *bridge_name(const struct network *net, char buf[static BRIDGE_NAME_BUF])
{
	const char *name = net_option(net, BRIDGE_OPT_NAME, NULL);

	if (name)
		return name;
	snprintf(buf, BRIDGE_NAME_BUF, "br-%.12s", net->id);
	return buf;
}

/* The MTU option: 0 when absent, else an integer in 68..65535. */
static int bridge_mtu_option(const struct network *net, unsigned *ret, struct berr **err)
{
	const char *s = net_option(net, BRIDGE_OPT_MTU, NULL);
	char *end;
	long v;

	if (!s) {
		*ret = 0;
		return 0;
	}
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < BRIDGE_MTU_MIN || v > BRIDGE_MTU_MAX)
		return berr_set(err, EINVAL,
				"invalid MTU number: \"%s\" (an integer from %d to %d)", s,
				BRIDGE_MTU_MIN, BRIDGE_MTU_MAX);
	*ret = (unsigned)v;
	return 0;
}

/* The MTU for a new bridge: the option, else that of the default route's
 * device (so that containers do not send more than the way out carries). */
static int bridge_mtu(const struct network *net, unsigned *ret, struct berr **err)
{
	unsigned mtu;
	int r;

	r = bridge_mtu_option(net, &mtu, err);
	if (r < 0)
		return r;
	if (!mtu && (r = nl_default_route_mtu(&mtu, err)) < 0)
		return r;
	*ret = mtu;
	return 0;
}

/* Does a link called name exist, and is it a bridge?  1 bridge, 0 absent,
 * -EEXIST (with a message) another kind of link. */
static int bridge_probe(const char *name, struct berr **err)
{
	_cleanup_free_ char *kind = NULL;
	int r;

	r = nl_link_get(name, NULL, &kind, err);
	if (r <= 0)
		return r;
	if (!streq(kind, "bridge"))
		return berr_set(err, EEXIST, "interface %s exists and is not a bridge (%s)", name,
				*kind ? kind : "no kind");
	return 1;
}

/* The options this driver knows must parse. */
static int bridge_options_check(const struct network *net, struct berr **err)
{
	unsigned mtu;
	bool b;
	int r;

	r = bridge_mtu_option(net, &mtu, err);
	if (r == 0)
		r = net_option_bool(net, BRIDGE_OPT_ICC, true, &b, err);
	if (r == 0)
		r = net_option_bool(net, BRIDGE_OPT_MASQUERADE, true, &b, err);
	return r;
}

/* A valid name that no link has yet; the default bridge (predefined) may
 * find a bridge of its name that an earlier run left, and adopts it. */
static int bridge_name_check(const struct network *net, const char *name, struct berr **err)
{
	int r;

	r = nl_ifname_validate(name, err);
	if (r < 0)
		return r;
	if (net->predefined) {
		r = bridge_probe(name, err);
		return r < 0 ? r : 0;
	}
	r = nl_link_get(name, NULL, NULL, err);
	if (r < 0)
		return r;
	if (r == 1)
		return berr_set(err, EEXIST,
				"bridge name %s is already in use by another interface", name);
	return 0;
}

static int bridge_network_validate(struct network *net, struct berr **err)
{
	char buf[BRIDGE_NAME_BUF];
	const char *name = bridge_name(net, buf);
	int r;

	r = bridge_name_check(net, name, err);
	if (r == 0)
		r = bridge_options_check(net, err);
	return r;
}

/* Gateway addresses, the MTU when given, then up: what an existing or new
 * bridge needs to carry the network.  mtu 0 leaves the MTU alone. */
static int bridge_setup(const struct network *net, const char *name, unsigned mtu,
			struct berr **err)
{
	int r;

	if (mtu && (r = nl_link_set_mtu(name, mtu, err)) < 0)
		return r;
	for (size_t i = 0; i < net->n_ipam; i++) {
		const struct net_ipam_config *c = &net->ipam[i];

		if (!c->has_gateway)
			continue;
		r = nl_addr_add(name, &c->gateway, c->subnet.len, err);
		if (r < 0)
			return r;
	}
	return nl_link_set_up(name, err);
}

/* A new bridge with its addresses, up; deleted again if a step fails. */
static int bridge_make(const struct network *net, const char *name, struct berr **err)
{
	unsigned mtu;
	int r;

	r = bridge_mtu(net, &mtu, err);
	if (r < 0)
		return r;
	r = nl_bridge_add(name, mtu, err);
	if (r < 0)
		return r;
	r = bridge_setup(net, name, 0, err);
	if (r < 0)
		nl_link_del(name, NULL);
	return r;
}

/* Bring an existing bridge in line with net: MTU only when the option sets
 * it (the default route's MTU may have moved since; not our business). */
static int bridge_adopt(const struct network *net, const char *name, struct berr **err)
{
	unsigned mtu;
	int r;

	r = bridge_mtu_option(net, &mtu, err);
	if (r < 0)
		return r;
	return bridge_setup(net, name, mtu, err);
}

static int bridge_network_create(struct network *net, struct berr **err)
{
	char buf[BRIDGE_NAME_BUF];
	const char *name = bridge_name(net, buf);
	int r;

	/* only the default bridge may find its bridge already there */
	if (net->predefined && (r = bridge_probe(name, err)) != 0)
		return r < 0 ? r : bridge_adopt(net, name, err);
	return bridge_make(net, name, err);
}

/* Remove the bridge; gone already is success, and a link of that name that
 * is not a bridge is not ours to remove. */
static int bridge_network_delete(struct network *net, struct berr **err)
{
	char buf[BRIDGE_NAME_BUF];
	const char *name = bridge_name(net, buf);
	_cleanup_free_ char *kind = NULL;
	int r;

	r = nl_link_get(name, NULL, &kind, err);
	if (r <= 0 || !streq(kind, "bridge"))
		return r < 0 ? r : 0;
	return nl_link_del(name, err);
}

/* After a restart: adopt the bridge if it is there, make it if not. */
static int bridge_network_restore(struct network *net, struct berr **err)
{
	char buf[BRIDGE_NAME_BUF];
	const char *name = bridge_name(net, buf);
	int r;

	r = bridge_probe(name, err);
	if (r < 0)
		return r;
	return r ? bridge_adopt(net, name, err) : bridge_make(net, name, err);
}

const struct net_driver bridge_driver = {
	.name = "bridge",
	.scope = NET_SCOPE_LOCAL,
	.routed_subnets = true,
	.network_validate = bridge_network_validate,
	.network_create = bridge_network_create,
	.network_delete = bridge_network_delete,
	.network_restore = bridge_network_restore,
};
