/* overlay.c - the overlay network driver: one network across every host of
 * a cluster (--cluster-store), its frames carried in VXLAN over the hosts'
 * underlay.  The network itself lives in the cluster store (core/ctl-cluster.c
 * allocates its VNI and subnet there).  Here, its data path on this host,
 * made when the first local container joins:
 *
 *   <exec-root>/overlay/<net id>: a namespace with bridge br0 and the VXLAN
 *   device (made in the daemon's namespace, so its UDP socket is on the
 *   underlay, learning off, proxy ARP on), MTU = underlay MTU - 50;
 *   containers join by veth pairs (host end on br0, peer in the sandbox);
 *   every endpoint on another host is a forwarding entry (its MAC via its
 *   host's address) and a neighbour entry (its address -> its MAC) on the
 *   VXLAN device, kept from the cluster watch (peer_set / peer_del). */
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "core/endpoint.h"
#include "core/log.h"
#include "core/nl.h"
#include "core/sandbox.h"
#include "core/util.h"
#include "drivers/driver.h"
#include "drivers/overlay.h"

#define OV_VXLAN_OVERHEAD 50 /* outer IPv4 20 + UDP 8 + VXLAN 8 + inner Ethernet 14 */
#define OV_BRIDGE	  "br0"

static char *ov_exec_root;
static struct ipaddr ov_local;
static bool ov_has_local;

void overlay_configure(const char *exec_root, const char *advertise)
{
	free(ov_exec_root);
	ov_exec_root = xstrdup(exec_root);
	ov_has_local = advertise && cidr_parse_addr(advertise, &ov_local, NULL) == 0;
}

struct ov_peer {
	char *id;
	uint8_t mac[6];
	bool has4;
	struct ipaddr addr4, vtep;
};

/* net->driver_priv */
struct ov_net {
	char *netns; /* the overlay's namespace file */
	char vxlan[16];
	uint32_t vni;
	uint16_t port; /* its UDP port on every host */
	unsigned mtu;
	bool up; /* the namespace and its devices exist */
	struct ov_peer *peers;
	size_t n_peers;
};

/* -o vxlan_port=N: the VXLAN UDP port of the network on every host. */
static int ov_port_option(const struct network *net, uint16_t *ret, struct berr **err)
{
	const char *v = json_string_value(json_object_get(net->options, OVERLAY_OPT_PORT));
	char *end;
	unsigned long n;

	*ret = OVERLAY_PORT;
	if (!v)
		return 0;
	n = strtoul(v, &end, 10);
	if (!*v || *end || n < 1 || n > 65535)
		return berr_set(err, EINVAL, "%s: invalid UDP port %s (a number from 1 to 65535)",
				OVERLAY_OPT_PORT, v);
	*ret = (uint16_t)n;
	return 0;
}

static struct ov_net *ov_of(struct network *net)
{
	struct ov_net *ov = net->driver_priv;
	uint32_t vni = 0;

	if (ov)
		return ov;
	ov = xcalloc(1, sizeof(*ov));
	overlay_vni_option(net, &vni, NULL);
	ov->vni = vni;
	ov_port_option(net, &ov->port, NULL);
	snprintf(ov->vxlan, sizeof(ov->vxlan), "vx%06x", vni & 0xffffff);
	ov->netns =
		xasprintf("%s/overlay/%.12s", ov_exec_root ? ov_exec_root : "/run/berth", net->id);
	net->driver_priv = ov;
	return ov;
}

int overlay_vni_option(const struct network *net, uint32_t *ret, struct berr **err)
{
	const char *v = json_string_value(json_object_get(net->options, OVERLAY_OPT_VNI));
	char *end;
	unsigned long n;

	*ret = 0;
	if (!v)
		return 0;
	n = strtoul(v, &end, 10);
	if (!*v || *end || n < 1 || n > OVERLAY_VNI_MAX)
		return berr_set(err, EINVAL, "%s: invalid VXLAN id %s (a number from 1 to %u)",
				OVERLAY_OPT_VNI, v, OVERLAY_VNI_MAX);
	*ret = (uint32_t)n;
	return 0;
}

/* The MTU of the link holding this host's underlay address, less the
 * VXLAN overhead (1450 when it cannot be found). */
static unsigned ov_mtu(void)
{
	struct ifaddrs *ifs = NULL;
	unsigned mtu = 1500;

	if (ov_has_local && getifaddrs(&ifs) == 0) {
		for (struct ifaddrs *i = ifs; i; i = i->ifa_next) {
			struct ipaddr a = {0};

			if (!i->ifa_addr || i->ifa_addr->sa_family != ov_local.family)
				continue;
			a.family = ov_local.family;
			if (a.family == AF_INET)
				memcpy(a.b, &((struct sockaddr_in *)(void *)i->ifa_addr)->sin_addr,
				       4);
			else
				memcpy(a.b,
				       &((struct sockaddr_in6 *)(void *)i->ifa_addr)->sin6_addr,
				       16);
			if (cidr_addr_eq(&a, &ov_local)) {
				nl_link_get_mtu(i->ifa_name, &mtu, NULL);
				break;
			}
		}
		freeifaddrs(ifs);
	}
	return mtu - OV_VXLAN_OVERHEAD;
}

struct ov_peer_op {
	struct ov_net *ov;
	const struct ov_peer *peer;
	bool add;
};

/* Inside the overlay's namespace. */
static int ov_peer_inside(void *arg, struct berr **err)
{
	struct ov_peer_op *op = arg;
	const struct ov_peer *p = op->peer;
	int r;

	if (!op->add) {
		static const uint8_t none[6];

		if (memcmp(p->mac, none, 6) != 0) /* (zero: the neighbour entry only) */
			nl_fdb_del(op->ov->vxlan, p->mac, &p->vtep, NULL);
		if (p->has4)
			nl_neigh_del(op->ov->vxlan, &p->addr4, NULL);
		return 0;
	}
	r = nl_fdb_add(op->ov->vxlan, p->mac, &p->vtep, err);
	if (r == 0 && p->has4)
		r = nl_neigh_add(op->ov->vxlan, &p->addr4, p->mac, err);
	return r;
}

static int ov_peer_program(struct ov_net *ov, const struct ov_peer *p, bool add, struct berr **err)
{
	struct ov_peer_op op = {ov, p, add};

	/* (a namespace a previous berthd made is taken over as it is) */
	if (!ov->up && access(ov->netns, F_OK) == 0)
		ov->up = true;
	if (!ov->up)
		return 0;
	return sb_netns_run(ov->netns, ov_peer_inside, &op, err);
}

/* Inside the new namespace: the bridge, the VXLAN device on it, both up,
 * and every peer known so far. */
static int ov_up_inside(void *arg, struct berr **err)
{
	struct ov_net *ov = arg;
	int r;

	if ((r = nl_bridge_add(OV_BRIDGE, ov->mtu, err)) < 0 ||
	    (r = nl_link_set_master(ov->vxlan, OV_BRIDGE, err)) < 0 ||
	    (r = nl_link_set_up(ov->vxlan, err)) < 0 || (r = nl_link_set_up(OV_BRIDGE, err)) < 0)
		return r;
	for (size_t i = 0; i < ov->n_peers; i++) {
		struct ov_peer_op op = {ov, &ov->peers[i], true};

		if ((r = ov_peer_inside(&op, err)) < 0)
			return r;
	}
	return 0;
}

/* The data path of net on this host: taken over when a previous berthd
 * left it, made otherwise. */
static int ov_up(struct network *net, struct ov_net *ov, struct berr **err)
{
	_cleanup_free_ char *dir =
		xasprintf("%s/overlay", ov_exec_root ? ov_exec_root : "/run/berth");
	_cleanup_close_ int fd = -1;
	struct nl_vxlan v = {ov->vxlan, ov->vni, ov->port, ov_has_local ? &ov_local : NULL, 0, -1};
	int r;

	if (ov->up)
		return 0;
	if (access(ov->netns, F_OK) == 0) {
		ov->up = true; /* berthd restarted: it is there, peers come again */
		for (size_t i = 0; i < ov->n_peers; i++)
			ov_peer_program(ov, &ov->peers[i], true, NULL);
		return 0;
	}
	if (!ov->vni)
		return berr_set(err, EINVAL, "network %s has no VXLAN id", net->name);
	ov->mtu = ov_mtu();
	v.mtu = ov->mtu;
	if ((mkdir(dir, 0700) < 0 && errno != EEXIST))
		return berr_set(err, errno, "cannot create %s: %m", dir);
	if ((r = sb_netns_add(ov->netns, err)) < 0)
		return r;
	fd = open(ov->netns, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		r = berr_set(err, errno, "cannot open %s: %m", ov->netns);
		goto fail;
	}
	v.netns_fd = fd;
	/* a device of a crashed daemon still holding the VNI: gone first */
	nl_link_del(ov->vxlan, NULL);
	if ((r = nl_vxlan_add(&v, err)) < 0)
		goto fail;
	ov->up = true;
	if ((r = sb_netns_run(ov->netns, ov_up_inside, ov, err)) < 0) {
		ov->up = false;
		goto fail;
	}
	log_info("overlay %s: VXLAN %u on UDP port %u, MTU %u, on this host now", net->name,
		 ov->vni, ov->port, ov->mtu);
	return 0;
fail:
	sb_netns_del(ov->netns, NULL);
	return r;
}

struct ov_join {
	struct nl_veth v;
};

static int ov_veth_inside(void *arg, struct berr **err)
{
	struct ov_join *j = arg;

	return nl_veth_add_ex(&j->v, err);
}

static int ov_del_host(void *arg, struct berr **err)
{
	return nl_link_del(arg, err);
}

/* The overlay's namespace (made on the first join), then a veth pair made
 * inside it: the host end on br0, the peer born in the sandbox. */
static int overlay_join(struct network *net, struct endpoint *ep, struct sandbox *sb,
			struct berr **err)
{
	struct ov_net *ov = ov_of(net);
	_cleanup_close_ int fd = -1;
	char host[16];
	struct ov_join j;
	int r;

	if ((r = ov_up(net, ov, err)) < 0)
		return r;
	fd = open(sb->netns, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return berr_set(err, errno, "cannot open %s: %m", sb->netns);
	j.v = (struct nl_veth){.name = host,
			       .peer = ep->ifname,
			       .peer_netns_fd = fd,
			       .mtu = ov->mtu ? ov->mtu : ov_mtu(),
			       .master = OV_BRIDGE,
			       .peer_mac = ep->mac,
			       .up = true};
	for (int tries = 0; tries < 4; tries++) {
		driver_veth_name(host);
		r = sb_netns_run(ov->netns, ov_veth_inside, &j, err);
		if (r != -EEXIST)
			break;
		berr_free(err ? *err : NULL);
		if (err)
			*err = NULL;
	}
	if (r < 0)
		return r;
	if ((r = sb_netns_run(sb->netns, driver_ep_up_inside, ep, err)) < 0) {
		/* the pair goes with its host end */
		sb_netns_run(ov->netns, ov_del_host, host, NULL);
		return r;
	}
	memcpy(ep->host_ifname, host, sizeof(ep->host_ifname));
	return 0;
}

static int ov_leave_inside(void *arg, struct berr **err)
{
	const struct endpoint *ep = arg;

	return nl_link_del(ep->ifname, err);
}

static int overlay_leave(struct network *net, struct endpoint *ep, struct sandbox *sb,
			 struct berr **err)
{
	(void)net;
	if (sb->going || !ep->ifname[0])
		return 0;
	return sb_netns_run(sb->netns, ov_leave_inside, ep, err);
}

/* The network went (here or elsewhere): its namespace goes, the VXLAN
 * device and the ports with it. */
static int overlay_network_delete(struct network *net, struct berr **err)
{
	struct ov_net *ov = ov_of(net);

	ov->up = false;
	return sb_netns_del(ov->netns, err);
}

static void overlay_network_free(struct network *net)
{
	struct ov_net *ov = net->driver_priv;

	if (!ov)
		return;
	for (size_t i = 0; i < ov->n_peers; i++)
		free(ov->peers[i].id);
	free(ov->peers);
	free(ov->netns);
	free(ov);
	net->driver_priv = NULL;
}

static int overlay_peer_set(struct network *net, const struct net_peer *peer, struct berr **err)
{
	struct ov_net *ov = ov_of(net);
	struct ov_peer *p = NULL;

	for (size_t i = 0; i < ov->n_peers && !p; i++)
		if (streq(ov->peers[i].id, peer->id))
			p = &ov->peers[i];
	if (p) {
		struct ov_peer old = *p;
		bool same_mac = memcmp(old.mac, peer->mac, 6) == 0;
		int r;

		if (same_mac && old.has4 == peer->has4 && cidr_addr_eq(&old.vtep, &peer->vtep) &&
		    (!old.has4 || cidr_addr_eq(&old.addr4, &peer->addr4)))
			return 0; /* the same again (its host published it anew) */
		/* moved: the new entries replace the old ones in place (no
		 * window without them); what the new ones do not cover goes */
		memcpy(p->mac, peer->mac, 6);
		p->has4 = peer->has4;
		p->addr4 = peer->addr4;
		p->vtep = peer->vtep;
		r = ov_peer_program(ov, p, true, err);
		if (!same_mac ||
		    (old.has4 && (!peer->has4 || !cidr_addr_eq(&old.addr4, &peer->addr4)))) {
			old.has4 = old.has4 &&
				   (!peer->has4 || !cidr_addr_eq(&old.addr4, &peer->addr4));
			if (same_mac) /* only the neighbour entry is stale */
				memset(old.mac, 0, 6);
			ov_peer_program(ov, &old, false, NULL);
		}
		return r;
	} else {
		ov->peers = xrealloc(ov->peers, (ov->n_peers + 1) * sizeof(*ov->peers));
		p = &ov->peers[ov->n_peers++];
		*p = (struct ov_peer){.id = xstrdup(peer->id)};
	}
	memcpy(p->mac, peer->mac, 6);
	p->has4 = peer->has4;
	p->addr4 = peer->addr4;
	p->vtep = peer->vtep;
	return ov_peer_program(ov, p, true, err);
}

static void overlay_peer_del(struct network *net, const char *peer_id)
{
	struct ov_net *ov = ov_of(net);

	for (size_t i = 0; i < ov->n_peers; i++)
		if (streq(ov->peers[i].id, peer_id)) {
			struct berr *e = NULL;

			if (ov_peer_program(ov, &ov->peers[i], false, &e) < 0)
				log_warn("overlay %s: %s", net->name, berr_msg(e));
			berr_free(e);
			free(ov->peers[i].id);
			ov->peers[i] = ov->peers[--ov->n_peers];
			return;
		}
}

struct ov_stale {
	struct ov_net *ov;
	unsigned removed;
};

/* (inside the overlay's namespace) an entry no peer accounts for goes */
static void ov_stale_entry(int family, const uint8_t mac[6], const struct ipaddr *ip, void *arg)
{
	struct ov_stale *x = arg;
	struct ov_net *ov = x->ov;

	for (size_t i = 0; i < ov->n_peers; i++) {
		const struct ov_peer *p = &ov->peers[i];

		if (memcmp(p->mac, mac, 6) != 0)
			continue;
		if (family == AF_BRIDGE ? cidr_addr_eq(&p->vtep, ip)
					: p->has4 && cidr_addr_eq(&p->addr4, ip))
			return;
	}
	if (family == AF_BRIDGE)
		nl_fdb_del(ov->vxlan, mac, ip, NULL);
	else
		nl_neigh_del(ov->vxlan, ip, NULL);
	x->removed++;
}

static int ov_reconcile_inside(void *arg, struct berr **err)
{
	struct ov_stale *x = arg;

	return nl_neigh_list(x->ov->vxlan, ov_stale_entry, x, err);
}

static void overlay_peers_synced(struct network *net)
{
	struct ov_net *ov = ov_of(net);
	struct ov_stale x = {ov, 0};
	struct berr *e = NULL;

	if (!ov->up && access(ov->netns, F_OK) == 0)
		ov->up = true; /* (a previous daemon's, taken over) */
	if (!ov->up)
		return;
	if (sb_netns_run(ov->netns, ov_reconcile_inside, &x, &e) < 0)
		log_warn("overlay %s: cannot reconcile its entries: %s", net->name, berr_msg(e));
	else if (x.removed)
		log_info("overlay %s: %u stale forwarding/neighbour entries removed", net->name,
			 x.removed);
	berr_free(e);
}

static int overlay_network_validate(struct network *net, struct berr **err)
{
	uint32_t vni;
	uint16_t port;
	int r;

	if (json_object_get(net->options, "encrypted"))
		return berr_set(err, EINVAL,
				"encrypted overlay networks are not supported yet: create it "
				"without -o encrypted");
	if ((r = ov_port_option(net, &port, err)) < 0)
		return r;
	return overlay_vni_option(net, &vni, err);
}

const struct net_driver overlay_driver = {
	.name = "overlay",
	.scope = NET_SCOPE_GLOBAL,
	.network_validate = overlay_network_validate,
	.network_delete = overlay_network_delete,
	.network_free = overlay_network_free,
	.join = overlay_join,
	.leave = overlay_leave,
	.peer_set = overlay_peer_set,
	.peer_del = overlay_peer_del,
	.peers_synced = overlay_peers_synced,
};
