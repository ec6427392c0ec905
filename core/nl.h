/* nl.h - the kernel's routing netlink, through libnl-route-3.  The only
 * module that knows libnl: it turns libnl error codes into negative errno
 * values with a message naming the object.  Each thread that calls it gets
 * its own netlink socket (opened on first use, in the network namespace the
 * thread is in at that moment).  Drivers call it; nothing calls ip(8). */
#ifndef BERTH_NL_H
#define BERTH_NL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/berr.h"
#include "ipam/cidr.h"

/* Linux's IFNAMSIZ - 1. */
#define NL_IFNAME_MAX 15

/* A valid interface name: 1..15 bytes, no '/', ':' or whitespace, not "."
 * or "..".  The message names what is wrong. */
int nl_ifname_validate(const char *name, struct berr **err);

/* Add a bridge (down); EEXIST if a link of that name exists.  mtu 0: kernel default. */
int nl_bridge_add(const char *name, unsigned mtu, struct berr **err);
/* Delete a link by name; a missing link is success. */
int nl_link_del(const char *name, struct berr **err);
/* Does a link exist?  ret_kind (optional) gets "bridge", "veth", ... or ""
 * (caller frees); ret_ifindex (optional) its index.  0 = no, 1 = yes. */
int nl_link_get(const char *name, int *ret_ifindex, char **ret_kind, struct berr **err);
int nl_link_set_up(const char *name, struct berr **err);
int nl_link_set_mtu(const char *name, unsigned mtu, struct berr **err);
/* Add addr/plen on a link; already present is success. */
int nl_addr_add(const char *ifname, const struct ipaddr *addr, unsigned plen, struct berr **err);
/* Delete addr/plen from a link; absent is success. */
int nl_addr_del(const char *ifname, const struct ipaddr *addr, unsigned plen, struct berr **err);

/* A veth pair: name here, peer created directly in the namespace open at
 * peer_netns_fd (-1: here too).  mtu 0: kernel default.  EEXIST if taken. */
int nl_veth_add(const char *name, const char *peer, int peer_netns_fd, unsigned mtu,
		struct berr **err);
/* The same in one message, with more set at birth: the host end's master
 * (a bridge, or NULL), the peer's MAC (or NULL), the host end up (the
 * peer cannot be brought up in the same message). */
struct nl_veth {
	const char *name, *peer;
	int peer_netns_fd;
	unsigned mtu;
	const char *master;
	const uint8_t *peer_mac;
	bool up;
};
int nl_veth_add_ex(const struct nl_veth *v, struct berr **err);
/* A VXLAN device: learning off, proxy ARP on (the control plane fills
 * its forwarding and neighbour entries).  Made in the calling thread's
 * namespace, where its UDP socket stays, then moved into the namespace
 * open at netns_fd (-1: stays).  port: UDP destination port (4789);
 * local: source address (NULL: any); mtu 0: kernel default.  EEXIST when
 * the name, or the VNI on that port, is taken. */
struct nl_vxlan {
	const char *name;
	uint32_t vni;
	uint16_t port;
	const struct ipaddr *local;
	unsigned mtu;
	int netns_fd;
};
int nl_vxlan_add(const struct nl_vxlan *v, struct berr **err);
/* The VXLAN device's own forwarding entry: frames for mac go to the VTEP
 * remote (`bridge fdb replace MAC dev IF dst IP self permanent`). */
int nl_fdb_add(const char *ifname, const uint8_t mac[6], const struct ipaddr *remote,
	       struct berr **err);
/* Remove it; an absent entry is success. */
int nl_fdb_del(const char *ifname, const uint8_t mac[6], const struct ipaddr *remote,
	       struct berr **err);
/* A permanent neighbour entry ip -> mac on ifname (replacing). */
int nl_neigh_add(const char *ifname, const struct ipaddr *ip, const uint8_t mac[6],
		 struct berr **err);
/* Remove it; an absent entry is success. */
int nl_neigh_del(const char *ifname, const struct ipaddr *ip, struct berr **err);
/* Every permanent entry on ifname that nl_fdb_add / nl_neigh_add make:
 * the device's own forwarding entries with a remote (family AF_BRIDGE, ip
 * the remote) and neighbours (AF_INET / AF_INET6, ip the neighbour).  From
 * one dump, so cb may remove entries. */
typedef void (*nl_neigh_cb)(int family, const uint8_t mac[6], const struct ipaddr *ip, void *arg);
int nl_neigh_list(const char *ifname, nl_neigh_cb cb, void *arg, struct berr **err);
/* The name of the link with that MAC (into name[len]): 1 found, 0 not. */
int nl_link_find_mac(const uint8_t mac[6], char *name, size_t len, struct berr **err);
int nl_link_get_mtu(const char *name, unsigned *ret, struct berr **err);
/* Make master (a bridge) the master of link name. */
int nl_link_set_master(const char *name, const char *master, struct berr **err);
/* Let a bridge port send frames back the way they came (a container
 * reaching its own published port). */
int nl_bridge_port_hairpin(const char *name, struct berr **err);
int nl_link_set_mac(const char *name, const uint8_t mac[6], struct berr **err);
/* A main-table default route via gw out of ifname (replacing one there). */
int nl_route_add_default(const struct ipaddr *gw, const char *ifname, struct berr **err);
/* A route to dst through gw (NULL: on-link) on ifname, replacing one
 * that is there. */
int nl_route_add(const struct prefix *dst, const struct ipaddr *gw, const char *ifname,
		 struct berr **err);
/* Move name (here) into the namespace netns_fd, renamed new_name there. */
int nl_link_move(const char *name, int netns_fd, const char *new_name, struct berr **err);

/* Every prefix of a family (AF_INET, AF_INET6 or AF_UNSPEC for both) in use
 * in this namespace: the networks of addresses on links and the
 * destinations of routes (main table), without default routes, link-local
 * and loopback.  Links whose names are in
 * `except` (NULL-terminated, may be NULL) are ignored.  Caller frees *ret. */
int nl_prefixes_in_use(int family, const char *const *except, struct prefix **ret, size_t *ret_n,
		       struct berr **err);

/* MTU of the device of the IPv4 default route; 1500 when there is none. */
int nl_default_route_mtu(unsigned *ret, struct berr **err);

/* Close this thread's socket (before a thread exits or changes namespace). */
void nl_thread_done(void);

/* Does the kernel know links of this kind?  1 yes, 0 no (it answered
 * "Unknown device type": not built in and no module to load).  Asks by a
 * creation request without a name or a lower link, so it is only for
 * kinds that need one (macvlan, ipvlan, vlan): nothing is made. */
int nl_link_kind_supported(const char *kind, struct berr **err);
/* A macvlan link on parent (a link here), born in the namespace open at
 * netns_fd (-1: here) as name, down.  mode: "bridge", "private", "vepa"
 * or "passthru"; mac NULL: the kernel's (passthru takes the parent's
 * anyway); mtu 0: the parent's.  EEXIST if the name is taken there. */
struct nl_macvlan {
	const char *name, *parent;
	const char *mode;
	const uint8_t *mac;
	unsigned mtu;
	int netns_fd;
};
int nl_macvlan_add(const struct nl_macvlan *m, struct berr **err);
/* An 802.1q VLAN link name with id vid on parent, up (the parent must be
 * up).  EOPNOTSUPP when the kernel has no 802.1q (module 8021q). */
int nl_vlan_add(const char *name, const char *parent, uint16_t vid, struct berr **err);
/* A link of a kind that needs no attributes (dummy, ifb), up.  EOPNOTSUPP
 * when the kernel lacks that kind. */
int nl_link_add_kind(const char *name, const char *kind, struct berr **err);

#endif
