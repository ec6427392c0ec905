/* macvlan.c - the macvlan network driver: each container gets a macvlan
 * link of a parent link in the daemon's namespace, with a MAC of its own,
 * straight on the parent's wire; the network's gateway is a router out
 * there (IPAM only reserves its address).  The parent (-o parent=):
 *
 *   eth0        an existing link, used as it is and never removed;
 *   eth0.10     an existing link, or, when absent and eth0 exists, VLAN 10
 *               on eth0 made by berth (up) and removed with the network;
 *   (none)      a stand-in made by berth, dm-<first 12 of the id> (a dummy
 *               link, or an ifb link on kernels without dummy), removed
 *               with the network: its containers talk only to each other,
 *               so the network is internal.
 *
 * -o macvlan_mode= bridge (default), private, vepa or passthru.  One network
 * per parent: the driver keeps every network's parent (network_create and
 * network_restore add it, network_delete removes it).  That berth made a
 * VLAN parent is kept in the network's options (MV_OPT_CREATED), which the
 * store keeps across restarts.  The controller calls this on the job
 * thread; the kernel is reached through core/nl only. */
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
#include "core/sandbox.h"
#include "core/util.h"
#include "drivers/driver.h"

#define MV_OPT_PARENT "parent"
#define MV_OPT_MODE   "macvlan_mode"
/* berth's own: "true" when berth made the VLAN parent (never from users) */
#define MV_OPT_CREATED "com.berth.macvlan.created_parent"

#define MV_STANDIN_PREFIX "dm-" /* Docker's name for the no-parent link */
#define MV_VLAN_MAX	  4094

/* Room for any valid link name. */
#define MV_NAME_BUF (NL_IFNAME_MAX + 1)

/* The parent of every macvlan network, to refuse a second one on it. */
struct mv_parent {
	char net_id[65];
	char *net_name;
	char *link;
};

static struct {
	struct mv_parent *v;
	size_t n, cap;
} mv_parents;

static const char *const mv_modes[] = {"bridge", "private", "vepa", "passthru"};

/* -o parent= as given, or NULL when absent or empty. */
static const char *mv_parent_option(const struct network *net)
{
	const char *p = net_option(net, MV_OPT_PARENT, NULL);

	return p && *p ? p : NULL;
}

/* The parent's name: the option, else dm-<first 12 of the id>.  Returns
 * buf or the option's string (borrowed from net). */
static const char *mv_parent_name(const struct network *net, char buf[static MV_NAME_BUF])
{
	const char *p = mv_parent_option(net);

	if (p)
		return p;
	snprintf(buf, MV_NAME_BUF, MV_STANDIN_PREFIX "%.12s", net->id);
	return buf;
}

/* Is the parent berth's to remove: the stand-in, or a VLAN berth made. */
static bool mv_parent_ours(const struct network *net)
{
	bool made = false;

	if (!mv_parent_option(net))
		return true;
	net_option_bool(net, MV_OPT_CREATED, false, &made, NULL);
	return made;
}

/* -o macvlan_mode=: one of mv_modes (the first when absent). */
static int mv_mode(const struct network *net, const char **ret, struct berr **err)
{
	const char *m = net_option(net, MV_OPT_MODE, NULL);

	if (!m || !*m) {
		*ret = mv_modes[0];
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(mv_modes); i++)
		if (streq(m, mv_modes[i])) {
			*ret = mv_modes[i];
			return 0;
		}
	return berr_set(err, EINVAL,
			"invalid macvlan mode \"%s\": the modes are bridge (the default), private, "
			"vepa and passthru",
			m);
}

/* NAME.VID: the link NAME into base and the number VID.  false when name
 * is not of that form (VID is not checked against the VLAN range). */
static bool mv_vlan_split(const char *name, char base[static MV_NAME_BUF], unsigned long *ret_vid)
{
	const char *dot = strrchr(name, '.');
	char *end;
	unsigned long vid;

	if (!dot || dot == name || !dot[1] || (size_t)(dot - name) >= MV_NAME_BUF)
		return false;
	for (const char *p = dot + 1; *p; p++)
		if (*p < '0' || *p > '9')
			return false;
	errno = 0;
	vid = strtoul(dot + 1, &end, 10);
	if (errno || *end)
		return false;
	memcpy(base, name, (size_t)(dot - name));
	base[dot - name] = '\0';
	*ret_vid = vid;
	return true;
}

/* --- the parents of all macvlan networks --- */

static struct mv_parent *mv_parents_find(const char *link)
{
	for (size_t i = 0; i < mv_parents.n; i++)
		if (streq(mv_parents.v[i].link, link))
			return &mv_parents.v[i];
	return NULL;
}

static void mv_parents_del(const char *net_id)
{
	for (size_t i = 0; i < mv_parents.n; i++) {
		if (!streq(mv_parents.v[i].net_id, net_id))
			continue;
		free(mv_parents.v[i].net_name);
		free(mv_parents.v[i].link);
		mv_parents.v[i] = mv_parents.v[--mv_parents.n];
		return;
	}
}

/* Record net's parent (replacing what net had). */
static void mv_parents_add(const struct network *net, const char *link)
{
	struct mv_parent *p;

	mv_parents_del(net->id);
	xgrow(&mv_parents.v, &mv_parents.cap, mv_parents.n + 1, sizeof(*mv_parents.v));
	p = &mv_parents.v[mv_parents.n++];
	snprintf(p->net_id, sizeof(p->net_id), "%s", net->id);
	p->net_name = xstrdup(net->name ? net->name : net->id);
	p->link = xstrdup(link);
}

/* --- the network --- */

/* An absent -o parent=NAME.VID that berth may make: NAME exists, VID is a
 * VLAN id and the kernel has 802.1q.  Anything else is refused. */
static int mv_vlan_check(const char *parent, struct berr **err)
{
	char base[MV_NAME_BUF];
	unsigned long vid;
	int r;

	if (!mv_vlan_split(parent, base, &vid))
		return berr_set(err, EINVAL, "parent interface %s not found", parent);
	if ((r = nl_link_get(base, NULL, NULL, err)) < 0)
		return r;
	if (r == 0)
		return berr_set(err, EINVAL,
				"parent interface %s not found, nor %s to make VLAN %lu on", parent,
				base, vid);
	if (vid < 1 || vid > MV_VLAN_MAX)
		return berr_set(err, EINVAL, "parent interface %s: VLAN id %lu is not within 1-%d",
				parent, vid, MV_VLAN_MAX);
	if ((r = nl_link_kind_supported("vlan", err)) < 0)
		return r;
	if (r == 0)
		return berr_set(err, EOPNOTSUPP,
				"cannot make VLAN link %s: 802.1q VLANs are not supported by this "
				"kernel (the 8021q module is missing)",
				parent);
	return 0;
}

static int macvlan_network_validate(struct network *net, struct berr **err)
{
	char buf[MV_NAME_BUF];
	const char *parent = mv_parent_name(net, buf), *mode;
	struct mv_parent *other;
	int r;

	if (json_object_get(net->options, MV_OPT_CREATED))
		return berr_set(err, EINVAL, "option %s is berth's own and cannot be set",
				MV_OPT_CREATED);
	if ((r = mv_mode(net, &mode, err)) < 0)
		return r;
	if (streq(parent, "lo"))
		return berr_set(err, EINVAL,
				"loopback interface is not a valid macvlan parent link");
	if ((r = nl_ifname_validate(parent, err)) < 0)
		return berr_wrap(err, "invalid parent");
	if ((other = mv_parents_find(parent)))
		return berr_set(err, EEXIST, "network %s is already using parent interface %s",
				other->net_name, parent);
	if (!mv_parent_option(net))
		return 0; /* the stand-in is made at create */
	if ((r = nl_link_get(parent, NULL, NULL, err)) != 0)
		return r < 0 ? r : 0;
	return mv_vlan_check(parent, err);
}

/* The stand-in parent of a network without one: a dummy link as Docker's,
 * or, where the kernel has no dummy links, an ifb link (an Ethernet device
 * that is always up and drops what it is sent: macvlans in bridge mode
 * reach each other without it ever carrying a frame). */
static int mv_standin_add(const char *name, struct berr **err)
{
	int r = nl_link_add_kind(name, "dummy", err);

	if (r != -EOPNOTSUPP)
		return r;
	berr_free(err ? *err : NULL);
	if (err)
		*err = NULL;
	log_info("macvlan: this kernel has no dummy links; %s is an ifb link", name);
	return nl_link_add_kind(name, "ifb", err);
}

/* Make the absent parent: the stand-in, or the VLAN (recorded in the
 * options, which the store keeps). */
static int mv_parent_add(struct network *net, const char *parent, struct berr **err)
{
	char base[MV_NAME_BUF];
	unsigned long vid;
	int r;

	if (!mv_parent_option(net))
		return mv_standin_add(parent, err);
	if (!mv_vlan_split(parent, base, &vid) || vid < 1 || vid > MV_VLAN_MAX)
		return berr_set(err, EINVAL, "parent interface %s not found", parent);
	if ((r = nl_vlan_add(parent, base, (uint16_t)vid, err)) == -EOPNOTSUPP)
		return berr_wrap(err,
				 "802.1q VLANs are not supported by this kernel (the 8021q module "
				 "is missing)");
	if (r < 0)
		return r;
	json_object_set_new(net->options, MV_OPT_CREATED, json_string("true"));
	log_info("macvlan %s: made VLAN link %s (VLAN %lu on %s)", net->name, parent, vid, base);
	return 0;
}

static int macvlan_network_create(struct network *net, struct berr **err)
{
	char buf[MV_NAME_BUF];
	const char *parent = mv_parent_name(net, buf);
	int r;

	/* without a parent nothing leaves: no gateway, no way out */
	if (!mv_parent_option(net))
		net->internal = true;
	if ((r = nl_link_get(parent, NULL, NULL, err)) < 0)
		return r;
	if (r == 0 && (r = mv_parent_add(net, parent, err)) < 0)
		return r;
	mv_parents_add(net, parent);
	return 0;
}

/* The parent goes if berth made it and it is still a link of the kind
 * berth makes (not a link of the same name someone made since). */
static int macvlan_network_delete(struct network *net, struct berr **err)
{
	static const char *const kinds[] = {"vlan", "dummy", "ifb"};
	char buf[MV_NAME_BUF];
	const char *parent = mv_parent_name(net, buf);
	_cleanup_free_ char *kind = NULL;
	bool known = false;
	int r;

	if (mv_parent_ours(net)) {
		if ((r = nl_link_get(parent, NULL, &kind, err)) < 0)
			return r;
		for (size_t i = 0; r == 1 && i < ARRAY_SIZE(kinds); i++)
			known |= streq(kind, kinds[i]);
		if (known && (r = nl_link_del(parent, err)) < 0)
			return r;
	}
	mv_parents_del(net->id);
	return 0;
}

/* After a restart: the parent is recorded; one berth made that is gone
 * (the machine rebooted) is made again. */
static int macvlan_network_restore(struct network *net, struct berr **err)
{
	char buf[MV_NAME_BUF];
	const char *parent = mv_parent_name(net, buf);
	int r;

	mv_parents_add(net, parent);
	if ((r = nl_link_get(parent, NULL, NULL, err)) != 0)
		return r < 0 ? r : 0;
	if (mv_parent_ours(net))
		return mv_parent_add(net, parent, err);
	return berr_set(err, ENODEV, "parent interface %s is gone", parent);
}

/* --- endpoints --- */

struct mv_join {
	struct endpoint *ep;
	bool passthru;
};

/* Inside the sandbox: the MAC (in passthru mode the link took the
 * parent's; setting it sets the parent's, as Docker does), then up with
 * the addresses. */
static int mv_join_inside(void *arg, struct berr **err)
{
	struct mv_join *j = arg;
	int r;

	if (j->passthru && (r = nl_link_set_mac(j->ep->ifname, j->ep->mac, err)) < 0)
		return r;
	return driver_ep_up_inside(j->ep, err);
}

static int mv_leave_inside(void *arg, struct berr **err)
{
	const struct endpoint *ep = arg;

	return nl_link_del(ep->ifname, err);
}

/* A macvlan link on the parent, born in the sandbox with the endpoint's
 * name and MAC and the parent's MTU; then up inside with its addresses. */
static int macvlan_join(struct network *net, struct endpoint *ep, struct sandbox *sb,
			struct berr **err)
{
	char buf[MV_NAME_BUF];
	const char *parent = mv_parent_name(net, buf);
	_cleanup_close_ int fd = open(sb->netns, O_RDONLY | O_CLOEXEC);
	struct nl_macvlan m = {
		.name = ep->ifname,
		.parent = parent,
		.mac = ep->mac,
		.netns_fd = fd,
	};
	struct mv_join j = {.ep = ep};
	int r;

	if (fd < 0)
		return berr_set(err, errno, "cannot open %s: %m", sb->netns);
	if ((r = mv_mode(net, &m.mode, err)) < 0)
		return r;
	j.passthru = streq(m.mode, "passthru");
	if ((r = nl_link_get_mtu(parent, &m.mtu, err)) == -ENODEV)
		return berr_wrap(err, "the parent interface of network %s is gone", net->name);
	if (r < 0)
		return r;
	if ((r = nl_macvlan_add(&m, err)) < 0) {
		if (j.passthru && r == -EINVAL)
			return berr_wrap(err,
					 "network %s is in passthru mode: its parent %s carries "
					 "one container at a time",
					 net->name, parent);
		return r;
	}
	if ((r = sb_netns_run(sb->netns, mv_join_inside, &j, err)) < 0) {
		sb_netns_run(sb->netns, mv_leave_inside, ep, NULL);
		return r;
	}
	ep->host_ifname[0] = '\0'; /* no end of it stays here */
	return 0;
}

/* Delete the link from inside, unless the whole sandbox is going. */
static int macvlan_leave(struct network *net, struct endpoint *ep, struct sandbox *sb,
			 struct berr **err)
{
	(void)net;
	if (sb->going || !ep->ifname[0])
		return 0;
	return sb_netns_run(sb->netns, mv_leave_inside, ep, err);
}

const struct net_driver macvlan_driver = {
	.name = "macvlan",
	.scope = NET_SCOPE_LOCAL,
	/* its subnets are out on the parent's wire, not routed here */
	.routed_subnets = false,
	.network_validate = macvlan_network_validate,
	.network_create = macvlan_network_create,
	.network_delete = macvlan_network_delete,
	.network_restore = macvlan_network_restore,
	.join = macvlan_join,
	.leave = macvlan_leave,
};
