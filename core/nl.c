/* nl.c - routing netlink through libnl-route-3 (see nl.h).  Drivers and the
 * controller call it from the job thread (or a helper thread inside a
 * sandbox's namespace).  It is the only module that knows libnl: every
 * failure leaves here as a negative errno value and a message that names
 * the object, with the kernel's extended-ack text when it sent one. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <net/if.h>
#include <sys/socket.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>

#include <netlink/netlink.h>
#include <netlink/errno.h>
#include <netlink/socket.h>
#include <netlink/cache.h>
#include <netlink/msg.h>
#include <netlink/attr.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/link/macvlan.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/link/vlan.h>
#include <netlink/route/link/vxlan.h>
#include <netlink/route/neighbour.h>
#include <netlink/route/route.h>

#include "core/nl.h"
#include "core/util.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

/* How often a dump is retried when the kernel flags it inconsistent (the
 * table changed while it was being read). */
#define NL_DUMP_TRIES 3

#define NL_DEFAULT_MTU 1500

/* What the kernel said about the last failed request of this thread. */
struct nl_kernel_error {
	int code;  /* positive errno, 0 when the kernel sent no error */
	char *msg; /* extended-ack text, or NULL */
};

static __thread struct nl_sock *nl_sk;
static __thread struct nl_kernel_error nl_kerr;

static void nl_link_putp(struct rtnl_link **link)
{
	if (*link)
		rtnl_link_put(*link);
}

static void nl_rtaddr_putp(struct rtnl_addr **addr)
{
	if (*addr)
		rtnl_addr_put(*addr);
}

static void nl_naddr_putp(struct nl_addr **addr)
{
	if (*addr)
		nl_addr_put(*addr);
}

static void nl_route_putp(struct rtnl_route **rt)
{
	if (*rt)
		rtnl_route_put(*rt);
}

static void nl_cache_freep(struct nl_cache **cache)
{
	if (*cache)
		nl_cache_free(*cache);
}

static void nl_neigh_putp(struct rtnl_neigh **n)
{
	if (*n)
		rtnl_neigh_put(*n);
}

#define _cleanup_neigh_	 _cleanup_(nl_neigh_putp)
#define _cleanup_link_	 _cleanup_(nl_link_putp)
#define _cleanup_rtaddr_ _cleanup_(nl_rtaddr_putp)
#define _cleanup_naddr_	 _cleanup_(nl_naddr_putp)
#define _cleanup_cache_	 _cleanup_(nl_cache_freep)

static void nl_kerr_reset(void)
{
	free(nl_kerr.msg);
	nl_kerr.msg = NULL;
	nl_kerr.code = 0;
}

/* The extended-ack message of an NLMSG_ERROR, or NULL.  libnl hands the
 * error callback only the payload; the header sits right before it in the
 * same receive buffer, and its flags say whether TLVs follow the payload
 * (after the echoed request, unless the kernel capped it). */
static char *nl_extack_msg(const struct nlmsgerr *e)
{
	const struct nlmsghdr *hdr = (const void *)((const char *)e - NLMSG_HDRLEN);
	size_t off = NLMSG_HDRLEN + sizeof(*e);
	struct nlattr *tlvs, *a;

	if (!(hdr->nlmsg_flags & NLM_F_ACK_TLVS))
		return NULL;
	if (!(hdr->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - NLMSG_HDRLEN;
	if (off >= hdr->nlmsg_len)
		return NULL;
	tlvs = (struct nlattr *)((char *)hdr + off);
	a = nla_find(tlvs, (int)(hdr->nlmsg_len - off), NLMSGERR_ATTR_MSG);
	if (!a || nla_len(a) < 1)
		return NULL;
	return xstrndup(nla_data(a), (size_t)nla_len(a));
}

/* Error callback: remember the kernel's errno and text, then let libnl
 * stop and return its own (lossy) code as usual. */
static int nl_on_error(struct sockaddr_nl *who, struct nlmsgerr *e, void *arg)
{
	(void)who, (void)arg;
	nl_kerr_reset();
	nl_kerr.code = -e->error;
	nl_kerr.msg = nl_extack_msg(e);
	return NL_STOP;
}

/* errno for a libnl code that did not come from a kernel reply. */
static int nl_errno_of(int nlerr)
{
	static const int map[] = {
		[NLE_FAILURE] = EIO,
		[NLE_INTR] = EINTR,
		[NLE_BAD_SOCK] = EBADF,
		[NLE_AGAIN] = EAGAIN,
		[NLE_NOMEM] = ENOMEM,
		[NLE_EXIST] = EEXIST,
		[NLE_INVAL] = EINVAL,
		[NLE_RANGE] = ERANGE,
		[NLE_MSGSIZE] = EMSGSIZE,
		[NLE_OPNOTSUPP] = EOPNOTSUPP,
		[NLE_AF_NOSUPPORT] = EAFNOSUPPORT,
		[NLE_OBJ_NOTFOUND] = ENOENT,
		[NLE_NOATTR] = ENODATA,
		[NLE_MISSING_ATTR] = EINVAL,
		[NLE_AF_MISMATCH] = EINVAL,
		[NLE_SEQ_MISMATCH] = EPROTO,
		[NLE_MSG_OVERFLOW] = EOVERFLOW,
		[NLE_MSG_TRUNC] = EMSGSIZE,
		[NLE_NOADDR] = EADDRNOTAVAIL,
		[NLE_SRCRT_NOSUPPORT] = EOPNOTSUPP,
		[NLE_MSG_TOOSHORT] = EPROTO,
		[NLE_MSGTYPE_NOSUPPORT] = EOPNOTSUPP,
		[NLE_OBJ_MISMATCH] = EINVAL,
		[NLE_NOCACHE] = ENOENT,
		[NLE_BUSY] = EBUSY,
		[NLE_PROTO_MISMATCH] = EPROTONOSUPPORT,
		[NLE_NOACCESS] = EACCES,
		[NLE_PERM] = EPERM,
		[NLE_PKTLOC_FILE] = ENOENT,
		[NLE_PARSE_ERR] = EPROTO,
		[NLE_NODEV] = ENODEV,
		[NLE_IMMUTABLE] = EPERM,
		[NLE_DUMP_INTR] = EAGAIN,
		[NLE_ATTRSIZE] = EINVAL,
	};

	if (nlerr < 0)
		nlerr = -nlerr;
	if ((size_t)nlerr < ARRAY_SIZE(map) && map[nlerr])
		return map[nlerr];
	return EIO;
}

/* errno of a failed libnl call: the kernel's own value when it answered
 * with one (libnl folds several into one code), else the mapped code. */
static int nl_errno(int nlerr)
{
	return nl_kerr.code > 0 ? nl_kerr.code : nl_errno_of(nlerr);
}

/* Set *err to "<what>: <strerror>[: <kernel text>]" and return -errno. */
static int nl_fail(struct berr **err, int nlerr, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int nl_fail(struct berr **err, int nlerr, const char *fmt, ...)
{
	_cleanup_free_ char *what = NULL;
	int code = nl_errno(nlerr);
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&what, fmt, ap) < 0)
		abort();
	va_end(ap);
	if (nl_kerr.msg)
		return berr_set(err, code, "%s: %s: %s", what, strerror(code), nl_kerr.msg);
	return berr_set(err, code, "%s: %s", what, strerror(code));
}

/* Ask for extended acks (the kernel's reason in words) and capped acks
 * (an error does not echo the whole request back).  Older kernels lack
 * them, which costs only the detail in messages. */
static void nl_sock_ext_ack(struct nl_sock *sk)
{
	int one = 1;

	setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	/* dump requests carry real headers, so the kernel can filter them */
	setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, NETLINK_GET_STRICT_CHK, &one, sizeof(one));
}

/* This thread's socket, opened on first use.  A netlink socket stays in
 * the namespace it was opened in, whatever setns() the thread does later:
 * hence nl_thread_done() before a thread changes namespace. */
static int nl_thread_sock(struct nl_sock **ret, struct berr **err)
{
	struct nl_sock *sk = NULL;
	int r;

	nl_kerr_reset();
	if (nl_sk) {
		*ret = nl_sk;
		return 0;
	}
	sk = nl_socket_alloc();
	if (!sk)
		return berr_set(err, ENOMEM, "cannot allocate a netlink socket");
	/* libnl opens it with SOCK_CLOEXEC */
	r = nl_connect(sk, NETLINK_ROUTE);
	if (r < 0) {
		nl_socket_free(sk);
		return nl_fail(err, r, "cannot open a routing netlink socket");
	}
	nl_socket_modify_err_cb(sk, NL_CB_CUSTOM, nl_on_error, NULL);
	nl_sock_ext_ack(sk);
	nl_sk = sk;
	*ret = sk;
	return 0;
}

void nl_thread_done(void)
{
	if (nl_sk)
		nl_socket_free(nl_sk);
	nl_sk = NULL;
	nl_kerr_reset();
}

int nl_ifname_validate(const char *name, struct berr **err)
{
	if (!name || !*name)
		return berr_set(err, EINVAL, "interface name must not be empty");
	if (strlen(name) > NL_IFNAME_MAX)
		return berr_set(err, EINVAL,
				"interface name \"%s\" is too long (at most %d characters)", name,
				NL_IFNAME_MAX);
	if (streq(name, ".") || streq(name, ".."))
		return berr_set(err, EINVAL, "interface name \"%s\" is not allowed", name);
	for (const char *p = name; *p; p++)
		if (*p == '/' || *p == ':' || isspace((unsigned char)*p))
			return berr_set(err, EINVAL,
					"interface name \"%s\" contains invalid characters "
					"('/', ':' and white space are not allowed)",
					name);
	return 0;
}

/* Look a link up by name in the kernel.  0 and *ret = NULL when absent. */
static int nl_link_lookup(struct nl_sock *sk, const char *name, struct rtnl_link **ret,
			  struct berr **err)
{
	struct rtnl_link *link = NULL;
	int r;

	/* rtnl_link_get_kernel installs its own error callback, so only
	 * libnl's code tells "no such link" here */
	r = rtnl_link_get_kernel(sk, 0, name, &link);
	if (r == -NLE_NODEV || r == -NLE_OBJ_NOTFOUND) {
		*ret = NULL;
		return 0;
	}
	if (r < 0)
		return nl_fail(err, r, "cannot look up link %s", name);
	*ret = link;
	return 0;
}

/* The kernel's link of that name, which must exist (ENODEV otherwise). */
static int nl_link_need(struct nl_sock *sk, const char *name, struct rtnl_link **ret,
			struct berr **err)
{
	struct rtnl_link *link = NULL;
	int r;

	r = nl_link_lookup(sk, name, &link, err);
	if (r < 0)
		return r;
	if (!link)
		return berr_set(err, ENODEV, "link %s not found", name);
	*ret = link;
	return 0;
}

int nl_bridge_add(const char *name, unsigned mtu, struct berr **err)
{
	_cleanup_link_ struct rtnl_link *link = NULL;
	struct nl_sock *sk = NULL;
	int r;

	r = nl_thread_sock(&sk, err);
	if (r < 0)
		return r;
	link = rtnl_link_bridge_alloc();
	if (!link)
		return berr_set(err, ENOMEM, "cannot add bridge %s: out of memory", name);
	rtnl_link_set_name(link, name);
	if (mtu)
		rtnl_link_set_mtu(link, mtu);
	r = rtnl_link_add(sk, link, NLM_F_CREATE | NLM_F_EXCL);
	if (r < 0)
		return nl_fail(err, r, "cannot add bridge %s", name);
	return 0;
}

int nl_link_del(const char *name, struct berr **err)
{
	_cleanup_link_ struct rtnl_link *link = NULL;
	struct nl_sock *sk = NULL;
	int r;

	r = nl_thread_sock(&sk, err);
	if (r < 0)
		return r;
	link = rtnl_link_alloc();
	if (!link)
		return berr_set(err, ENOMEM, "cannot delete link %s: out of memory", name);
	rtnl_link_set_name(link, name);
	r = rtnl_link_delete(sk, link);
	if (r < 0 && nl_errno(r) != ENODEV)
		return nl_fail(err, r, "cannot delete link %s", name);
	return 0;
}

int nl_link_get(const char *name, int *ret_ifindex, char **ret_kind, struct berr **err)
{
	_cleanup_link_ struct rtnl_link *link = NULL;
	struct nl_sock *sk = NULL;
	const char *kind;
	int r;

	r = nl_thread_sock(&sk, err);
	if (r < 0)
		return r;
	r = nl_link_lookup(sk, name, &link, err);
	if (r < 0 || !link)
		return r;
	if (ret_ifindex)
		*ret_ifindex = rtnl_link_get_ifindex(link);
	if (ret_kind) {
		kind = rtnl_link_get_type(link);
		*ret_kind = xstrdup(kind ? kind : "");
	}
	return 1;
}

/* Apply `changes` (flags, MTU) to the link called name. */
static int nl_link_change(const char *name, struct rtnl_link *changes, const char *what,
			  struct berr **err)
{
	_cleanup_link_ struct rtnl_link *link = NULL;
	struct nl_sock *sk = NULL;
	int r;

	r = nl_thread_sock(&sk, err);
	if (r < 0)
		return r;
	r = nl_link_need(sk, name, &link, err);
	if (r < 0)
		return berr_wrap(err, "cannot %s", what);
	r = rtnl_link_change(sk, link, changes, 0);
	if (r < 0)
		return nl_fail(err, r, "cannot %s", what);
	return 0;
}

int nl_link_set_up(const char *name, struct berr **err)
{
	_cleanup_link_ struct rtnl_link *changes = rtnl_link_alloc();
	_cleanup_free_ char *what = xasprintf("set link %s up", name);

	if (!changes)
		return berr_set(err, ENOMEM, "cannot %s: out of memory", what);
	rtnl_link_set_flags(changes, IFF_UP);
	return nl_link_change(name, changes, what, err);
}

int nl_link_set_mtu(const char *name, unsigned mtu, struct berr **err)
{
	_cleanup_link_ struct rtnl_link *changes = rtnl_link_alloc();
	_cleanup_free_ char *what = xasprintf("set MTU %u on link %s", mtu, name);

	if (!changes)
		return berr_set(err, ENOMEM, "cannot %s: out of memory", what);
	rtnl_link_set_mtu(changes, mtu);
	return nl_link_change(name, changes, what, err);
}

int nl_veth_add(const char *name, const char *peer, int peer_netns_fd, unsigned mtu,
		struct berr **err)
{
	struct nl_veth v = {
		.name = name,
		.peer = peer,
		.peer_netns_fd = peer_netns_fd,
		.mtu = mtu,
	};

	return nl_veth_add_ex(&v, err);
}

int nl_veth_add_ex(const struct nl_veth *v, struct berr **err)
{
	_cleanup_link_ struct rtnl_link *link = NULL;
	_cleanup_naddr_ struct nl_addr *mac = NULL;
	struct rtnl_link *p;
	struct nl_sock *sk = NULL;
	int master = 0, r;

	if ((r = nl_thread_sock(&sk, err)) < 0)
		return r;
	if (v->master && (r = nl_link_get(v->master, &master, NULL, err)) <= 0)
		return r < 0 ? r : berr_set(err, ENODEV, "link %s not found", v->master);
	link = rtnl_link_veth_alloc();
	if (!link)
		return berr_set(err, ENOMEM, "cannot add veth %s: out of memory", v->name);
	p = rtnl_link_veth_get_peer(link);
	rtnl_link_set_name(link, v->name);
	rtnl_link_set_name(p, v->peer);
	if (v->mtu) {
		rtnl_link_set_mtu(link, v->mtu);
		rtnl_link_set_mtu(p, v->mtu);
	}
	if (master)
		rtnl_link_set_master(link, master);
	/* only the host end: the kernel configures the peer before the pair
	 * is linked, and opening it then fails (ENOTCONN) */
	if (v->up)
		rtnl_link_set_flags(link, IFF_UP);
	if (v->peer_mac && (mac = nl_addr_build(AF_LLC, v->peer_mac, 6)))
		rtnl_link_set_addr(p, mac);
	/* the peer is born in the sandbox: nothing is moved afterwards */
	if (v->peer_netns_fd >= 0)
		rtnl_link_set_ns_fd(p, v->peer_netns_fd);
	r = rtnl_link_add(sk, link, NLM_F_CREATE | NLM_F_EXCL);
	rtnl_link_put(p);
	if (r < 0)
		return nl_fail(err, r, "cannot add veth pair %s/%s", v->name, v->peer);
	return 0;
}

struct nl_mac_find {
	const uint8_t *mac;
	char *name;
	size_t len;
	bool found;
};

static void nl_match_mac(struct nl_object *obj, void *data)
{
	struct rtnl_link *link = (struct rtnl_link *)obj;
	struct nl_addr *a = rtnl_link_get_addr(link);
	struct nl_mac_find *f = data;

	if (!f->found && a && nl_addr_get_len(a) == 6 &&
	    memcmp(nl_addr_get_binary_addr(a), f->mac, 6) == 0) {
		snprintf(f->name, f->len, "%s", rtnl_link_get_name(link));
		f->found = true;
	}
}

int nl_link_find_mac(const uint8_t mac[6], char *name, size_t len, struct berr **err)
{
	_cleanup_(nl_cache_freep) struct nl_cache *cache = NULL;
	struct nl_mac_find f = {.mac = mac, .name = name, .len = len};
	struct nl_sock *sk = NULL;
	int r;

	if ((r = nl_thread_sock(&sk, err)) < 0)
		return r;
	r = rtnl_link_alloc_cache(sk, AF_UNSPEC, &cache);
	if (r < 0)
		return nl_fail(err, r, "cannot list links");
	nl_cache_foreach(cache, nl_match_mac, &f);
	return f.found ? 1 : 0;
}

int nl_link_get_mtu(const char *name, unsigned *ret, struct berr **err)
{
	_cleanup_link_ struct rtnl_link *link = NULL;
	struct nl_sock *sk = NULL;
	int r;

	if ((r = nl_thread_sock(&sk, err)) < 0 || (r = nl_link_need(sk, name, &link, err)) < 0)
		return r;
	*ret = rtnl_link_get_mtu(link);
	return 0;
}

int nl_link_set_master(const char *name, const char *master, struct berr **err)
{
	_cleanup_link_ struct rtnl_link *changes = rtnl_link_alloc();
	_cleanup_free_ char *what = xasprintf("attach link %s to %s", name, master);
	int ifindex = 0, r;

	if (!changes)
		return berr_set(err, ENOMEM, "cannot %s: out of memory", what);
	r = nl_link_get(master, &ifindex, NULL, err);
	if (r == 0)
		r = berr_set(err, ENODEV, "cannot %s: link %s not found", what, master);
	if (r < 0)
		return r;
	rtnl_link_set_master(changes, ifindex);
	return nl_link_change(name, changes, what, err);
}

int nl_bridge_port_hairpin(const char *name, struct berr **err)
{
	_cleanup_link_ struct rtnl_link *changes = rtnl_link_alloc();
	_cleanup_free_ char *what = xasprintf("set hairpin mode on bridge port %s", name);

	_cleanup_link_ struct rtnl_link *link = NULL;
	struct nl_sock *sk = NULL;
	int r;

	if (!changes)
		return berr_set(err, ENOMEM, "cannot %s: out of memory", what);
	if ((r = nl_thread_sock(&sk, err)) < 0 || (r = nl_link_need(sk, name, &link, err)) < 0)
		return r;
	/* AF_BRIDGE on both: the kernel's bridge handler takes the request,
	 * libnl puts the port flags in IFLA_PROTINFO */
	rtnl_link_set_family(link, AF_BRIDGE);
	rtnl_link_set_family(changes, AF_BRIDGE);
	rtnl_link_bridge_set_flags(changes, RTNL_BRIDGE_HAIRPIN_MODE);
	r = rtnl_link_change(sk, link, changes, 0);
	if (r < 0)
		return nl_fail(err, r, "cannot %s", what);
	return 0;
}

int nl_link_set_mac(const char *name, const uint8_t mac[6], struct berr **err)
{
	_cleanup_link_ struct rtnl_link *changes = rtnl_link_alloc();
	_cleanup_naddr_ struct nl_addr *a = nl_addr_build(AF_LLC, mac, 6);
	_cleanup_free_ char *what = xasprintf("set the MAC address of %s", name);

	if (!changes || !a)
		return berr_set(err, ENOMEM, "cannot %s: out of memory", what);
	rtnl_link_set_addr(changes, a);
	return nl_link_change(name, changes, what, err);
}

int nl_route_add(const struct prefix *dst, const struct ipaddr *gw, const char *ifname,
		 struct berr **err)
{
	_cleanup_(nl_route_putp) struct rtnl_route *rt = rtnl_route_alloc();
	_cleanup_naddr_ struct nl_addr *to = NULL, *via = NULL;
	struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
	int family = dst->addr.family;
	struct nl_sock *sk = NULL;
	char a[CIDR_STRLEN], d[CIDR_STRLEN];
	int ifindex = 0, r;

	snprintf(d, sizeof(d), "%s", cidr_prefix_str(dst, a));
	to = nl_addr_build(family, dst->addr.b, cidr_family_bytes(family));
	via = gw ? nl_addr_build(family, gw->b, cidr_family_bytes(family)) : NULL;
	if (!rt || !nh || !to || (gw && !via)) {
		if (nh)
			rtnl_route_nh_free(nh);
		return berr_set(err, ENOMEM, "cannot add a route to %s: out of memory", d);
	}
	if ((r = nl_thread_sock(&sk, err)) < 0 ||
	    (r = nl_link_get(ifname, &ifindex, NULL, err)) <= 0) {
		rtnl_route_nh_free(nh);
		return r < 0 ? r : berr_set(err, ENODEV, "link %s not found", ifname);
	}
	nl_addr_set_prefixlen(to, (int)dst->len);
	rtnl_route_set_family(rt, (uint8_t)family);
	rtnl_route_set_dst(rt, to);
	rtnl_route_set_table(rt, RT_TABLE_MAIN);
	if (!gw)
		rtnl_route_set_scope(rt, RT_SCOPE_LINK);
	if (via)
		rtnl_route_nh_set_gateway(nh, via);
	rtnl_route_nh_set_ifindex(nh, ifindex);
	rtnl_route_add_nexthop(rt, nh);
	r = rtnl_route_add(sk, rt, NLM_F_CREATE | NLM_F_REPLACE);
	if (r < 0)
		return nl_fail(err, r, "cannot add a route to %s%s%s dev %s", d, gw ? " via " : "",
			       gw ? cidr_addr_str(gw, a) : "", ifname);
	return 0;
}

int nl_route_add_default(const struct ipaddr *gw, const char *ifname, struct berr **err)
{
	struct prefix any = {.addr = {.family = gw->family}, .len = 0};

	return nl_route_add(&any, gw, ifname, err);
}

/* Move name (here) into the namespace netns_fd, renamed new_name there (as
 * `ip link set NAME netns NS name NEW`); it arrives down. */
int nl_link_move(const char *name, int netns_fd, const char *new_name, struct berr **err)
{
	_cleanup_link_ struct rtnl_link *changes = rtnl_link_alloc();
	_cleanup_free_ char *what =
		xasprintf("move link %s to another namespace as %s", name, new_name);

	if (!changes)
		return berr_set(err, ENOMEM, "cannot %s: out of memory", what);
	rtnl_link_set_ns_fd(changes, netns_fd);
	rtnl_link_set_name(changes, new_name);
	return nl_link_change(name, changes, what, err);
}

/* An rtnl_addr for addr/plen on ifindex.  NULL only on out-of-memory. */
static struct rtnl_addr *nl_rtaddr_new(int ifindex, const struct ipaddr *addr, unsigned plen)
{
	_cleanup_rtaddr_ struct rtnl_addr *ra = rtnl_addr_alloc();
	_cleanup_naddr_ struct nl_addr *local = NULL;

	local = nl_addr_build(addr->family, addr->b, cidr_family_bytes(addr->family));
	if (!ra || !local)
		return NULL;
	nl_addr_set_prefixlen(local, (int)plen);
	rtnl_addr_set_ifindex(ra, ifindex);
	if (rtnl_addr_set_local(ra, local) < 0)
		return NULL;
	rtnl_addr_set_prefixlen(ra, (int)plen);
	/* berth hands out IPv6 addresses itself: no duplicate address
	 * detection, so they work at once instead of seconds later */
	if (addr->family == AF_INET6)
		rtnl_addr_set_flags(ra, IFA_F_NODAD);
	return TAKE_PTR(ra);
}

int nl_addr_add(const char *ifname, const struct ipaddr *addr, unsigned plen, struct berr **err)
{
	_cleanup_rtaddr_ struct rtnl_addr *ra = NULL;
	_cleanup_link_ struct rtnl_link *link = NULL;
	char a[CIDR_STRLEN];
	struct nl_sock *sk = NULL;
	int r;

	cidr_addr_str(addr, a);
	r = nl_thread_sock(&sk, err);
	if (r < 0)
		return r;
	r = nl_link_need(sk, ifname, &link, err);
	if (r < 0)
		return berr_wrap(err, "cannot add address %s/%u", a, plen);
	ra = nl_rtaddr_new(rtnl_link_get_ifindex(link), addr, plen);
	if (!ra)
		return berr_set(err, ENOMEM, "cannot add address %s/%u: out of memory", a, plen);
	/* no NLM_F_REPLACE: an address already there is left as it is */
	r = rtnl_addr_add(sk, ra, 0);
	if (r < 0 && nl_errno(r) != EEXIST)
		return nl_fail(err, r, "cannot add address %s/%u to %s", a, plen, ifname);
	return 0;
}

int nl_addr_del(const char *ifname, const struct ipaddr *addr, unsigned plen, struct berr **err)
{
	_cleanup_rtaddr_ struct rtnl_addr *ra = NULL;
	_cleanup_link_ struct rtnl_link *link = NULL;
	char a[CIDR_STRLEN];
	struct nl_sock *sk = NULL;
	int r;

	cidr_addr_str(addr, a);
	r = nl_thread_sock(&sk, err);
	if (r < 0)
		return r;
	r = nl_link_lookup(sk, ifname, &link, err);
	if (r < 0)
		return berr_wrap(err, "cannot delete address %s/%u", a, plen);
	if (!link)
		return 0;
	ra = nl_rtaddr_new(rtnl_link_get_ifindex(link), addr, plen);
	if (!ra)
		return berr_set(err, ENOMEM, "cannot delete address %s/%u: out of memory", a, plen);
	r = rtnl_addr_delete(sk, ra, 0);
	if (r < 0 && nl_errno(r) != EADDRNOTAVAIL && nl_errno(r) != ENODEV)
		return nl_fail(err, r, "cannot delete address %s/%u from %s", a, plen, ifname);
	return 0;
}

/* A libnl address as a prefix (host bits cleared).  false when it is not
 * an IPv4/IPv6 address. */
static bool nl_prefix_of(struct nl_addr *na, int plen, struct prefix *ret)
{
	int family = na ? nl_addr_get_family(na) : AF_UNSPEC;
	struct prefix p = {0};

	if (family != AF_INET && family != AF_INET6)
		return false;
	if (nl_addr_get_len(na) != cidr_family_bytes(family) || plen < 0 ||
	    (unsigned)plen > cidr_family_bits(family))
		return false;
	p.addr.family = family;
	memcpy(p.addr.b, nl_addr_get_binary_addr(na), cidr_family_bytes(family));
	p.len = (unsigned)plen;
	cidr_prefix_mask(&p);
	*ret = p;
	return true;
}

/* Prefixes that never clash with a network's subnet: loopback, link-local
 * and multicast.  Default routes are left out by nl_prefix_set_add. */
static bool nl_prefix_ignored(const struct prefix *p)
{
	static const char *const ignored[] = {
		"127.0.0.0/8", "169.254.0.0/16", "224.0.0.0/4", "::1/128", "fe80::/10", "ff00::/8",
	};
	struct prefix q;

	for (size_t i = 0; i < ARRAY_SIZE(ignored); i++)
		if (cidr_parse_prefix(ignored[i], &q, NULL) == 0 && cidr_prefix_within(&q, p))
			return true;
	return false;
}

/* The set being built by nl_prefixes_in_use: no duplicates. */
struct nl_prefix_set {
	struct prefix *v;
	size_t n, cap;
	const int *except; /* ifindexes to ignore */
	size_t n_except;
};

static void nl_prefix_set_add(struct nl_prefix_set *s, const struct prefix *p)
{
	if (p->len == 0 || nl_prefix_ignored(p))
		return;
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].len == p->len && cidr_addr_eq(&s->v[i].addr, &p->addr))
			return;
	xgrow(&s->v, &s->cap, s->n + 1, sizeof(*s->v));
	s->v[s->n++] = *p;
}

static bool nl_prefix_set_excepts(const struct nl_prefix_set *s, int ifindex)
{
	for (size_t i = 0; i < s->n_except; i++)
		if (s->except[i] == ifindex)
			return true;
	return false;
}

/* Cache iterator: the network of one address. */
static void nl_collect_addr(struct nl_object *obj, void *data)
{
	struct rtnl_addr *ra = (struct rtnl_addr *)obj;
	struct nl_prefix_set *s = data;
	struct prefix p;

	if (nl_prefix_set_excepts(s, rtnl_addr_get_ifindex(ra)))
		return;
	if (nl_prefix_of(rtnl_addr_get_local(ra), rtnl_addr_get_prefixlen(ra), &p))
		nl_prefix_set_add(s, &p);
}

/* A route whose every next hop leaves through an excepted link. */
static bool nl_route_excepted(const struct nl_prefix_set *s, struct rtnl_route *rt)
{
	int n = rtnl_route_get_nnexthops(rt);

	if (n == 0 || s->n_except == 0)
		return false;
	for (int i = 0; i < n; i++)
		if (!nl_prefix_set_excepts(s,
					   rtnl_route_nh_get_ifindex(rtnl_route_nexthop_n(rt, i))))
			return false;
	return true;
}

/* Cache iterator: the destination of one main-table route. */
static void nl_collect_route(struct nl_object *obj, void *data)
{
	struct rtnl_route *rt = (struct rtnl_route *)obj;
	struct nl_prefix_set *s = data;
	struct nl_addr *dst = rtnl_route_get_dst(rt);
	struct prefix p;

	if (rtnl_route_get_table(rt) != RT_TABLE_MAIN || !dst)
		return;
	switch (rtnl_route_get_type(rt)) {
	case RTN_LOCAL:
	case RTN_BROADCAST:
	case RTN_ANYCAST:
	case RTN_MULTICAST:
		return;
	}
	if (nl_route_excepted(s, rt))
		return;
	if (nl_prefix_of(dst, nl_addr_get_prefixlen(dst), &p))
		nl_prefix_set_add(s, &p);
}

/* Send a dump request whose header is hdr (hdr_len bytes), main-table
 * filtered for routes, and parse the answer into a cache of type cache_name.
 * The socket has strict checking on, so the kernel filters the dump itself
 * (only the main table: the local table holds two routes per address). */
static int nl_dump_cache(struct nl_sock *sk, int type, void *hdr, size_t hdr_len,
			 const char *cache_name, struct nl_cache **ret)
{
	struct nl_cache *cache = NULL;
	struct nl_msg *msg;
	int r;

	msg = nlmsg_alloc_simple(type, NLM_F_DUMP);
	if (!msg)
		return -NLE_NOMEM;
	r = nlmsg_append(msg, hdr, hdr_len, NLMSG_ALIGNTO);
	if (r >= 0 && type == RTM_GETROUTE)
		r = nla_put_u32(msg, RTA_TABLE, RT_TABLE_MAIN);
	if (r >= 0)
		r = nl_send_auto(sk, msg);
	nlmsg_free(msg);
	if (r >= 0)
		r = nl_cache_alloc_name(cache_name, &cache);
	if (r >= 0)
		r = nl_cache_pickup(sk, cache);
	if (r < 0) {
		if (cache)
			nl_cache_free(cache);
		return r;
	}
	*ret = cache;
	return 0;
}

/* Dump the addresses (route == false) or main-table routes of a family
 * into a cache, retrying when the kernel flags the dump as interrupted by
 * a change. */
static int nl_table_dump(struct nl_sock *sk, bool route, int family, struct nl_cache **ret,
			 struct berr **err)
{
	struct rtmsg rtm = {.rtm_family = (unsigned char)family, .rtm_table = RT_TABLE_MAIN};
	struct ifaddrmsg ifa = {.ifa_family = (unsigned char)family};
	int r = 0;

	for (int i = 0; i < NL_DUMP_TRIES; i++) {
		nl_kerr_reset();
		if (route)
			r = nl_dump_cache(sk, RTM_GETROUTE, &rtm, sizeof(rtm), "route/route", ret);
		else
			r = nl_dump_cache(sk, RTM_GETADDR, &ifa, sizeof(ifa), "route/addr", ret);
		if (r != -NLE_DUMP_INTR)
			break;
	}
	if (r < 0)
		return nl_fail(err, r, "cannot list %s", route ? "routes" : "addresses");
	return 0;
}

/* ifindexes of the links named in except that exist. */
static int nl_except_indexes(struct nl_sock *sk, const char *const *except, int **ret,
			     size_t *ret_n, struct berr **err)
{
	_cleanup_free_ int *v = NULL;
	size_t n = 0, cap = 0;
	int r;

	for (size_t i = 0; except && except[i]; i++) {
		_cleanup_link_ struct rtnl_link *link = NULL;

		r = nl_link_lookup(sk, except[i], &link, err);
		if (r < 0)
			return r;
		if (!link)
			continue;
		xgrow(&v, &cap, n + 1, sizeof(*v));
		v[n++] = rtnl_link_get_ifindex(link);
	}
	*ret = TAKE_PTR(v);
	*ret_n = n;
	return 0;
}

int nl_prefixes_in_use(int family, const char *const *except, struct prefix **ret, size_t *ret_n,
		       struct berr **err)
{
	_cleanup_cache_ struct nl_cache *addrs = NULL, *routes = NULL;
	_cleanup_free_ int *except_idx = NULL;
	struct nl_prefix_set s = {0};
	struct nl_sock *sk = NULL;
	int r;

	r = nl_thread_sock(&sk, err);
	if (r < 0)
		return r;
	r = nl_except_indexes(sk, except, &except_idx, &s.n_except, err);
	if (r < 0)
		return r;
	s.except = except_idx;
	r = nl_table_dump(sk, false, family, &addrs, err);
	if (r < 0)
		return r;
	r = nl_table_dump(sk, true, family, &routes, err);
	if (r < 0)
		return r;
	nl_cache_foreach(addrs, nl_collect_addr, &s);
	nl_cache_foreach(routes, nl_collect_route, &s);
	*ret = s.v;
	*ret_n = s.n;
	return 0;
}

/* Cache iterator: the main-table IPv4 default route with the lowest
 * metric, as the kernel would pick it. */
static void nl_find_default(struct nl_object *obj, void *data)
{
	struct rtnl_route *rt = (struct rtnl_route *)obj, **best = data;
	struct nl_addr *dst = rtnl_route_get_dst(rt);

	if (rtnl_route_get_table(rt) != RT_TABLE_MAIN || rtnl_route_get_type(rt) != RTN_UNICAST ||
	    (dst && nl_addr_get_prefixlen(dst) != 0) || rtnl_route_get_nnexthops(rt) < 1)
		return;
	if (!*best || rtnl_route_get_priority(rt) < rtnl_route_get_priority(*best))
		*best = rt;
}

int nl_default_route_mtu(unsigned *ret, struct berr **err)
{
	_cleanup_cache_ struct nl_cache *routes = NULL;
	_cleanup_link_ struct rtnl_link *link = NULL;
	struct rtnl_route *best = NULL;
	struct nl_sock *sk = NULL;
	int ifindex, r;

	r = nl_thread_sock(&sk, err);
	if (r < 0)
		return r;
	r = nl_table_dump(sk, true, AF_INET, &routes, err);
	if (r < 0)
		return r;
	nl_cache_foreach(routes, nl_find_default, &best);
	if (!best) {
		*ret = NL_DEFAULT_MTU;
		return 0;
	}
	ifindex = rtnl_route_nh_get_ifindex(rtnl_route_nexthop_n(best, 0));
	r = rtnl_link_get_kernel(sk, ifindex, NULL, &link);
	if (r < 0)
		return nl_fail(err, r, "cannot look up link %d of the default route", ifindex);
	*ret = rtnl_link_get_mtu(link) ? rtnl_link_get_mtu(link) : NL_DEFAULT_MTU;
	return 0;
}

/* --- VXLAN: the overlay's device, its forwarding and neighbour entries --- */

int nl_vxlan_add(const struct nl_vxlan *v, struct berr **err)
{
	_cleanup_link_ struct rtnl_link *link = rtnl_link_vxlan_alloc();
	_cleanup_link_ struct rtnl_link *changes = NULL;
	_cleanup_naddr_ struct nl_addr *local = NULL;
	_cleanup_free_ char *what = xasprintf("create VXLAN link %s (VNI %u)", v->name, v->vni);
	struct nl_sock *sk = NULL;
	int r;

	if (!link)
		return berr_set(err, ENOMEM, "cannot %s: out of memory", what);
	if ((r = nl_thread_sock(&sk, err)) < 0)
		return r;
	rtnl_link_set_name(link, v->name);
	rtnl_link_vxlan_set_id(link, v->vni);
	rtnl_link_vxlan_set_port(link, v->port);
	/* the control plane says where every remote MAC is: no learning from
	 * traffic; ARP answered from the neighbour entries (proxy) */
	rtnl_link_vxlan_set_learning(link, 0);
	rtnl_link_vxlan_set_proxy(link, 1);
	if (v->local) {
		local = nl_addr_build(v->local->family, v->local->b,
				      cidr_family_bytes(v->local->family));
		if (!local)
			return berr_set(err, ENOMEM, "cannot %s: out of memory", what);
		rtnl_link_vxlan_set_local(link, local); /* LOCAL or LOCAL6, by family */
	}
	if (v->mtu)
		rtnl_link_set_mtu(link, v->mtu);
	r = rtnl_link_add(sk, link, NLM_F_CREATE | NLM_F_EXCL);
	if (r < 0)
		return nl_fail(err, r, "cannot %s", what);
	if (v->netns_fd < 0)
		return 0;
	/* made here so that its UDP socket lives here, on the underlay; the
	 * device itself goes to the overlay's namespace */
	changes = rtnl_link_alloc();
	if (!changes) {
		nl_link_del(v->name, NULL);
		return berr_set(err, ENOMEM, "cannot %s: out of memory", what);
	}
	rtnl_link_set_ns_fd(changes, v->netns_fd);
	if ((r = nl_link_change(v->name, changes, what, err)) < 0)
		nl_link_del(v->name, NULL);
	return r;
}

/* A neighbour (family AF_INET/AF_INET6) or FDB entry (AF_BRIDGE) on
 * ifname, for add (replacing) or delete. */
static int nl_neigh_op(const char *ifname, int family, const uint8_t mac[6],
		       const struct ipaddr *ip, bool add, const char *what, struct berr **err)
{
	_cleanup_neigh_ struct rtnl_neigh *n = rtnl_neigh_alloc();
	_cleanup_naddr_ struct nl_addr *ll = mac ? nl_addr_build(AF_LLC, mac, 6) : NULL;
	_cleanup_naddr_ struct nl_addr *dst =
		ip ? nl_addr_build(ip->family, ip->b, cidr_family_bytes(ip->family)) : NULL;
	struct nl_sock *sk = NULL;
	int ifindex = 0, r;

	if (!n || (mac && !ll) || (ip && !dst))
		return berr_set(err, ENOMEM, "cannot %s: out of memory", what);
	if ((r = nl_thread_sock(&sk, err)) < 0 ||
	    (r = nl_link_get(ifname, &ifindex, NULL, err)) < 0)
		return r;
	if (r == 0)
		return berr_set(err, ENODEV, "cannot %s: link %s not found", what, ifname);
	rtnl_neigh_set_ifindex(n, ifindex);
	/* the destination first: libnl refuses one whose family is not the
	 * entry's, and an FDB entry (AF_BRIDGE) has an IP destination */
	if (dst)
		rtnl_neigh_set_dst(n, dst);
	rtnl_neigh_set_family(n, family);
	if (ll)
		rtnl_neigh_set_lladdr(n, ll);
	if (family == AF_BRIDGE)
		rtnl_neigh_set_flags(n, NTF_SELF); /* the VXLAN device's own table */
	rtnl_neigh_set_state(n, NUD_PERMANENT);
	r = add ? rtnl_neigh_add(sk, n, NLM_F_CREATE | NLM_F_REPLACE) : rtnl_neigh_delete(sk, n, 0);
	if (r < 0 && !(!add && (r == -NLE_OBJ_NOTFOUND || r == -NLE_NOADDR)))
		return nl_fail(err, r, "cannot %s", what);
	return 0;
}

int nl_fdb_add(const char *ifname, const uint8_t mac[6], const struct ipaddr *remote,
	       struct berr **err)
{
	char ip[CIDR_STRLEN];
	_cleanup_free_ char *what = xasprintf(
		"add forwarding entry %02x:%02x:%02x:%02x:%02x:%02x via %s on %s", mac[0], mac[1],
		mac[2], mac[3], mac[4], mac[5], cidr_addr_str(remote, ip), ifname);

	return nl_neigh_op(ifname, AF_BRIDGE, mac, remote, true, what, err);
}

int nl_fdb_del(const char *ifname, const uint8_t mac[6], const struct ipaddr *remote,
	       struct berr **err)
{
	_cleanup_free_ char *what = xasprintf("remove a forwarding entry on %s", ifname);

	return nl_neigh_op(ifname, AF_BRIDGE, mac, remote, false, what, err);
}

int nl_neigh_add(const char *ifname, const struct ipaddr *ip, const uint8_t mac[6],
		 struct berr **err)
{
	char a[CIDR_STRLEN];
	_cleanup_free_ char *what =
		xasprintf("add neighbour %s on %s", cidr_addr_str(ip, a), ifname);

	return nl_neigh_op(ifname, ip->family, mac, ip, true, what, err);
}

int nl_neigh_del(const char *ifname, const struct ipaddr *ip, struct berr **err)
{
	char a[CIDR_STRLEN];
	_cleanup_free_ char *what =
		xasprintf("remove neighbour %s on %s", cidr_addr_str(ip, a), ifname);

	return nl_neigh_op(ifname, ip->family, NULL, ip, false, what, err);
}

struct nl_neigh_walk {
	int ifindex;
	nl_neigh_cb cb;
	void *arg;
};

static void nl_neigh_visit(struct nl_object *obj, void *data)
{
	struct rtnl_neigh *n = (struct rtnl_neigh *)obj;
	struct nl_neigh_walk *w = data;
	struct nl_addr *ll = rtnl_neigh_get_lladdr(n), *dst = rtnl_neigh_get_dst(n);
	int family = rtnl_neigh_get_family(n);
	struct ipaddr ip = {0};
	size_t len;

	if (rtnl_neigh_get_ifindex(n) != w->ifindex || !(rtnl_neigh_get_state(n) & NUD_PERMANENT) ||
	    !ll || nl_addr_get_len(ll) != 6 || !dst)
		return;
	if (family == AF_BRIDGE && !(rtnl_neigh_get_flags(n) & NTF_SELF))
		return; /* (the bridge's own entries for its port) */
	if (family != AF_BRIDGE && family != AF_INET && family != AF_INET6)
		return;
	len = nl_addr_get_len(dst);
	if (len != 4 && len != 16)
		return;
	ip.family = len == 4 ? AF_INET : AF_INET6;
	memcpy(ip.b, nl_addr_get_binary_addr(dst), len);
	w->cb(family, nl_addr_get_binary_addr(ll), &ip, w->arg);
}

/* A dump of the neighbour table of one family into a new cache.  (Not
 * rtnl_neigh_alloc_cache: its short request header is refused by the
 * strict checking this socket asks for, and AF_UNSPEC leaves out the
 * bridge family's forwarding entries.) */
static int nl_neigh_dump(struct nl_sock *sk, int family, struct nl_cache **ret)
{
	struct ndmsg ndm = {.ndm_family = (uint8_t)family};
	_cleanup_(nl_cache_freep) struct nl_cache *cache =
		nl_cache_alloc(nl_cache_ops_lookup_safe("route/neigh"));
	struct nl_msg *msg = nlmsg_alloc_simple(RTM_GETNEIGH, NLM_F_DUMP);
	int r;

	if (!cache || !msg || nlmsg_append(msg, &ndm, sizeof(ndm), NLMSG_ALIGNTO) < 0) {
		nlmsg_free(msg);
		return -NLE_NOMEM;
	}
	r = nl_send_auto(sk, msg);
	nlmsg_free(msg);
	if (r >= 0)
		r = nl_cache_pickup(sk, cache);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(cache);
	return 0;
}

int nl_neigh_list(const char *ifname, nl_neigh_cb cb, void *arg, struct berr **err)
{
	struct nl_neigh_walk w = {.cb = cb, .arg = arg};
	static const int families[] = {AF_INET, AF_INET6, AF_BRIDGE};
	struct nl_sock *sk = NULL;
	int r;

	if ((r = nl_thread_sock(&sk, err)) < 0 ||
	    (r = nl_link_get(ifname, &w.ifindex, NULL, err)) < 0)
		return r;
	if (r == 0)
		return berr_set(err, ENODEV, "cannot list the entries of %s: no such link", ifname);
	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
		_cleanup_(nl_cache_freep) struct nl_cache *cache = NULL;

		if ((r = nl_neigh_dump(sk, families[i], &cache)) < 0)
			return nl_fail(err, r, "cannot list the entries of %s", ifname);
		nl_cache_foreach(cache, nl_neigh_visit, &w);
	}
	return 0;
}

/* --- macvlan: its links, the VLAN links and stand-in parents it may make --- */

int nl_link_kind_supported(const char *kind, struct berr **err)
{
	_cleanup_link_ struct rtnl_link *link = rtnl_link_alloc();
	struct nl_sock *sk = NULL;
	int r;

	if (!link)
		return berr_set(err, ENOMEM, "cannot ask the kernel about %s links: out of memory",
				kind);
	if ((r = nl_thread_sock(&sk, err)) < 0)
		return r;
	if ((r = rtnl_link_set_type(link, kind)) < 0)
		return nl_fail(err, r, "cannot ask the kernel about %s links", kind);
	/* no name and no lower link: the kernel looks the kind up first
	 * (EOPNOTSUPP, "Unknown device type", when it has none, after trying
	 * to load its module), then refuses the missing lower link */
	r = rtnl_link_add(sk, link, NLM_F_CREATE | NLM_F_EXCL);
	if (r == 0)
		return 1;
	switch (nl_errno(r)) {
	case EOPNOTSUPP:
		return 0;
	case EINVAL:
	case ENODEV:
		return 1;
	default:
		return nl_fail(err, r, "cannot ask the kernel about %s links", kind);
	}
}

int nl_macvlan_add(const struct nl_macvlan *m, struct berr **err)
{
	_cleanup_link_ struct rtnl_link *link = rtnl_link_macvlan_alloc();
	_cleanup_naddr_ struct nl_addr *mac = NULL;
	_cleanup_free_ char *what = xasprintf("add macvlan link %s on %s", m->name, m->parent);
	struct nl_sock *sk = NULL;
	int mode = rtnl_link_macvlan_str2mode(m->mode);
	int parent = 0, r;

	if (!link)
		return berr_set(err, ENOMEM, "cannot %s: out of memory", what);
	if (mode < 0)
		return berr_set(err, EINVAL, "cannot %s: unknown macvlan mode %s", what, m->mode);
	if ((r = nl_thread_sock(&sk, err)) < 0 ||
	    (r = nl_link_get(m->parent, &parent, NULL, err)) < 0)
		return r;
	if (r == 0)
		return berr_set(err, ENODEV, "cannot %s: link %s not found", what, m->parent);
	rtnl_link_set_name(link, m->name);
	rtnl_link_set_link(link, parent);
	rtnl_link_macvlan_set_mode(link, (uint32_t)mode);
	if (m->mtu)
		rtnl_link_set_mtu(link, m->mtu);
	if (m->mac) {
		if (!(mac = nl_addr_build(AF_LLC, m->mac, 6)))
			return berr_set(err, ENOMEM, "cannot %s: out of memory", what);
		rtnl_link_set_addr(link, mac);
	}
	/* born in the sandbox (its name is checked there); the parent is
	 * looked up here, in the namespace of the request */
	if (m->netns_fd >= 0)
		rtnl_link_set_ns_fd(link, m->netns_fd);
	r = rtnl_link_add(sk, link, NLM_F_CREATE | NLM_F_EXCL);
	if (r < 0)
		return nl_fail(err, r, "cannot %s", what);
	return 0;
}

int nl_vlan_add(const char *name, const char *parent, uint16_t vid, struct berr **err)
{
	_cleanup_link_ struct rtnl_link *link = rtnl_link_vlan_alloc();
	_cleanup_free_ char *what =
		xasprintf("add VLAN link %s (VLAN %u on %s)", name, vid, parent);
	struct nl_sock *sk = NULL;
	int ifindex = 0, r;

	if (!link)
		return berr_set(err, ENOMEM, "cannot %s: out of memory", what);
	if ((r = nl_thread_sock(&sk, err)) < 0 ||
	    (r = nl_link_get(parent, &ifindex, NULL, err)) < 0)
		return r;
	if (r == 0)
		return berr_set(err, ENODEV, "cannot %s: link %s not found", what, parent);
	rtnl_link_set_name(link, name);
	rtnl_link_set_link(link, ifindex);
	rtnl_link_vlan_set_id(link, vid);
	rtnl_link_set_flags(link, IFF_UP);
	r = rtnl_link_add(sk, link, NLM_F_CREATE | NLM_F_EXCL);
	if (r < 0)
		return nl_fail(err, r, "cannot %s", what);
	return 0;
}

int nl_link_add_kind(const char *name, const char *kind, struct berr **err)
{
	_cleanup_link_ struct rtnl_link *link = rtnl_link_alloc();
	struct nl_sock *sk = NULL;
	int r;

	if (!link)
		return berr_set(err, ENOMEM, "cannot add %s link %s: out of memory", kind, name);
	if ((r = nl_thread_sock(&sk, err)) < 0)
		return r;
	if ((r = rtnl_link_set_type(link, kind)) < 0)
		return nl_fail(err, r, "cannot add %s link %s", kind, name);
	rtnl_link_set_name(link, name);
	rtnl_link_set_flags(link, IFF_UP);
	r = rtnl_link_add(sk, link, NLM_F_CREATE | NLM_F_EXCL);
	if (r < 0)
		return nl_fail(err, r, "cannot add %s link %s", kind, name);
	return 0;
}
