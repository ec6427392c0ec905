/* bridge.c - the bridge network driver: one Linux bridge per network in the
 * daemon's namespace, carrying the network's gateway addresses.  The
 * controller calls it through bridge_driver on the job thread; it talks to
 * the kernel only through core/nl. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/endpoint.h"
#include "core/nl.h"
#include "core/sandbox.h"
#include "core/util.h"
#include "drivers/bridge-fw.h"
#include "drivers/driver.h"
#include "drivers/portmap.h"

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

/* --- the firewall --- */

/* Between the first network_restore and restore_done the firewall is not
 * touched element by element: what is restored is recorded here, and
 * restore_done reconciles the table with all of it at once. */
static struct {
	bool active;
	struct fw_net *nets;
	size_t n_nets, cap_nets;
	struct fw_port *ports;
	size_t n_ports, cap_ports;
} bridge_restoring;

static bool bridge_fw_ready;

/* The firewall's tables, once per daemon. */
static int bridge_fw_init(struct berr **err)
{
	int r;

	if (bridge_fw_ready)
		return 0;
	if ((r = fw_init(false, err)) < 0)
		return r;
	bridge_fw_ready = true;
	return 0;
}

/* The firewall's view of net; subnets must have room for net->n_ipam. */
static void bridge_fw_net(const struct network *net, const char *br, struct prefix *subnets,
			  struct fw_net *ret)
{
	bool icc = true, masq = true;

	net_option_bool(net, BRIDGE_OPT_ICC, true, &icc, NULL);
	net_option_bool(net, BRIDGE_OPT_MASQUERADE, true, &masq, NULL);
	for (size_t i = 0; i < net->n_ipam; i++)
		subnets[i] = net->ipam[i].subnet;
	*ret = (struct fw_net){
		.bridge = br,
		.subnets = subnets,
		.n_subnets = net->n_ipam,
		.internal = net->internal,
		.icc = icc,
		.masquerade = masq,
	};
}

static int bridge_fw_add(const struct network *net, const char *br, struct berr **err)
{
	_cleanup_free_ struct prefix *subnets = xcalloc(net->n_ipam + 1, sizeof(*subnets));
	struct fw_net f;
	int r;

	bridge_fw_net(net, br, subnets, &f);
	if (bridge_restoring.active) {
		struct fw_net *copy;

		xgrow(&bridge_restoring.nets, &bridge_restoring.cap_nets,
		      bridge_restoring.n_nets + 1, sizeof(*bridge_restoring.nets));
		copy = &bridge_restoring.nets[bridge_restoring.n_nets++];
		*copy = f;
		copy->bridge = xstrdup(br);
		copy->subnets = TAKE_PTR(subnets);
		return 0;
	}
	if ((r = bridge_fw_init(err)) < 0)
		return r;
	if (net->enable_ipv6 && (r = fw_init(true, err)) < 0)
		return r;
	return fw_network_add(&f, err);
}

static int bridge_fw_del(const struct network *net, const char *br, struct berr **err)
{
	_cleanup_free_ struct prefix *subnets = xcalloc(net->n_ipam + 1, sizeof(*subnets));
	struct fw_net f;

	bridge_fw_net(net, br, subnets, &f);
	return fw_network_del(&f, err);
}

static void bridge_restoring_free(void)
{
	for (size_t i = 0; i < bridge_restoring.n_nets; i++) {
		free((char *)bridge_restoring.nets[i].bridge);
		free((struct prefix *)bridge_restoring.nets[i].subnets);
	}
	free(bridge_restoring.nets);
	free(bridge_restoring.ports);
	memset(&bridge_restoring, 0, sizeof(bridge_restoring));
}

/* Everything restored is known: reconcile the firewall with it. */
static int bridge_restore_done(struct berr **err)
{
	int r = 0;

	if (!bridge_restoring.active)
		return 0;
	if ((r = bridge_fw_init(err)) == 0)
		r = fw_reconcile(bridge_restoring.nets, bridge_restoring.n_nets,
				 bridge_restoring.ports, bridge_restoring.n_ports, err);
	bridge_restoring_free();
	return r;
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
		r = r < 0 ? r : bridge_adopt(net, name, err);
	else
		r = bridge_make(net, name, err);
	if (r < 0)
		return r;
	if ((r = bridge_fw_add(net, name, err)) < 0 && !net->predefined)
		nl_link_del(name, NULL);
	return r;
}

/* Remove the bridge; gone already is success, and a link of that name that
 * is not a bridge is not ours to remove. */
static int bridge_network_delete(struct network *net, struct berr **err)
{
	char buf[BRIDGE_NAME_BUF];
	const char *name = bridge_name(net, buf);
	_cleanup_free_ char *kind = NULL;
	int r;

	if ((r = bridge_fw_del(net, name, err)) < 0)
		return r;
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
	r = r ? bridge_adopt(net, name, err) : bridge_make(net, name, err);
	if (r < 0)
		return r;
	bridge_restoring.active = true;
	return bridge_fw_add(net, name, err);
}

/* --- endpoints --- */

/* A fresh host-side name, "veth" and 7 random hex digits: the host end of
 * a sandbox that is being removed may still hold the last one. */
/* A veth pair whose peer is born in the sandbox with the endpoint's name
 * and MAC, its host end on the bridge, both up: one netlink message.  Then
 * the addresses inside. */
static int bridge_join(struct network *net, struct endpoint *ep, struct sandbox *sb,
		       struct berr **err)
{
	char buf[BRIDGE_NAME_BUF], host[16];
	const char *br = bridge_name(net, buf);
	_cleanup_close_ int fd = open(sb->netns, O_RDONLY | O_CLOEXEC);
	struct nl_veth v = {
		.name = host,
		.peer = ep->ifname,
		.peer_netns_fd = fd,
		.master = br,
		.peer_mac = ep->mac,
		.up = true,
	};
	int r;

	if (fd < 0)
		return berr_set(err, errno, "cannot open %s: %m", sb->netns);
	if ((r = nl_link_get_mtu(br, &v.mtu, err)) < 0)
		return r;
	for (int tries = 0; tries < 4; tries++) {
		driver_veth_name(host);
		r = nl_veth_add_ex(&v, err);
		if (r != -EEXIST)
			break;
		berr_free(err ? *err : NULL);
		if (err)
			*err = NULL;
	}
	if (r < 0)
		return r;
	r = nl_bridge_port_hairpin(host, err);
	if (r == 0)
		r = sb_netns_run(sb->netns, driver_ep_up_inside, ep, err);
	if (r < 0) {
		nl_link_del(host, NULL);
		return r;
	}
	memcpy(ep->host_ifname, host, sizeof(ep->host_ifname));
	return 0;
}

static int bridge_leave_inside(void *arg, struct berr **err)
{
	const struct endpoint *ep = arg;

	return nl_link_del(ep->ifname, err);
}

/* Delete the pair from inside (its host end goes with it), unless the
 * whole sandbox is going. */
static int bridge_leave(struct network *net, struct endpoint *ep, struct sandbox *sb,
			struct berr **err)
{
	(void)net;
	if (sb->going || !ep->ifname[0])
		return 0;
	return sb_netns_run(sb->netns, bridge_leave_inside, ep, err);
}

/* The firewall's view of ep's published ports (v4 and v6 as the endpoint
 * has addresses); *ret_n entries, caller frees. */
static struct fw_port *bridge_fw_ports(const struct endpoint *ep, size_t *ret_n)
{
	struct fw_port *v = xcalloc(ep->n_ports * 2 + 1, sizeof(*v));
	size_t n = 0;

	for (size_t i = 0; i < ep->n_ports; i++) {
		const struct ep_port *p = &ep->ports[i];
		struct fw_port f = {
			.proto = p->proto,
			.host_ip = p->host_ip,
			.host_port = p->bound,
			.ctr_port = p->ctr_port,
		};

		if (ep->has4 && p->host_ip.family != AF_INET6) {
			f.ctr_ip = ep->addr4;
			v[n++] = f;
		}
		if (ep->has6 && p->host_ip.family != AF_INET) {
			f.ctr_ip = ep->addr6;
			v[n++] = f;
		}
	}
	*ret_n = n;
	return v;
}

/* Published ports: host ports held, then DNAT elements. */
static int bridge_external_program(struct network *net, struct endpoint *ep, struct berr **err)
{
	(void)net; /* ports are keyed by the host side only */
	_cleanup_free_ struct fw_port *fw = NULL;
	size_t n;
	int r;

	if ((r = portmap_reserve(ep->ports, ep->n_ports, err)) < 0)
		return berr_wrap(err,
				 "driver failed programming external connectivity on endpoint "
				 "%s (%.12s)",
				 ep->ctr_name ? ep->ctr_name : "", ep->id);
	fw = bridge_fw_ports(ep, &n);
	if (bridge_restoring.active) {
		for (size_t i = 0; i < n; i++) {
			xgrow(&bridge_restoring.ports, &bridge_restoring.cap_ports,
			      bridge_restoring.n_ports + 1, sizeof(*bridge_restoring.ports));
			bridge_restoring.ports[bridge_restoring.n_ports++] = fw[i];
		}
		return 0;
	}
	if ((r = fw_ports_add(fw, n, err)) < 0) {
		portmap_release(ep->ports, ep->n_ports);
		return r;
	}
	return 0;
}

static int bridge_external_revoke(struct network *net, struct endpoint *ep, struct berr **err)
{
	(void)net; /* ports are keyed by the host side only */
	_cleanup_free_ struct fw_port *fw = NULL;
	size_t n;
	int r;

	fw = bridge_fw_ports(ep, &n);
	r = fw_ports_del(fw, n, err);
	portmap_release(ep->ports, ep->n_ports);
	return r;
}

const struct net_driver bridge_driver = {
	.name = "bridge",
	.scope = NET_SCOPE_LOCAL,
	.routed_subnets = true,
	.network_validate = bridge_network_validate,
	.network_create = bridge_network_create,
	.network_delete = bridge_network_delete,
	.network_restore = bridge_network_restore,
	.join = bridge_join,
	.leave = bridge_leave,
	.external_program = bridge_external_program,
	.external_revoke = bridge_external_revoke,
	.restore_done = bridge_restore_done,
};
