/* kernel-floor.c - the kernel work of a container's bridge data path done
 * directly, in one process, through libnl-route-3 (the library berthd
 * uses), with nothing else around it: no API, no store, no IPAM, no
 * firewall.  What berthd does above these figures is its own cost.
 *
 *   kernel-floor BRIDGE0 BRIDGE1 DIR ROUNDS [OUT.json]
 *
 * Run inside a network namespace that holds BRIDGE0 (10.99.0.1/16, up) and
 * BRIDGE1 (10.98.0.1/16, up); run.sh makes them.  Each round:
 *
 *   netns add   unshare(CLONE_NEWNET), bind-mount it on DIR/nsN, lo up
 *   join        one RTM_NEWLINK: veth pair, host end on BRIDGE0 and up,
 *               peer "eth0" born in the namespace; then inside it: eth0
 *               up, 10.99.x.y/16, default route via 10.99.0.1
 *   connect     the same onto BRIDGE1 as eth1 (address, no route)
 *   disconnect  inside: delete eth1 (its host end goes with it); the
 *               kernel waits for RCU grace periods here, 20-35 ms on the
 *               2-CPU machine depending on its load
 *   netns del   unmount and unlink (the namespace, eth0 and its host end
 *               go when the kernel's cleanup runs, as for berthd)
 *
 * The calling thread moves between namespaces with setns(); a netlink
 * socket is opened in each namespace it talks to, as berthd's helper
 * threads do.  Prints median and p99 per step; never fails on a time. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <time.h>
#include <unistd.h>

#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/route.h>

enum {
	S_NETNS,
	S_JOIN,
	S_CONNECT,
	S_DISCONNECT,
	S_DEL,
	S_N
};
static const char *step_name[S_N] = {
	"netns add (bind-mounted, lo up)", "join: veth born in ns + addr + route",
	"connect: 2nd veth + addr", "disconnect: delete 2nd veth inside",
	"netns del (unmount, unlink)"};
static const char *step_key[S_N + 1] = {"netns_add",  "join",	   "connect",
					"disconnect", "netns_del", "total"};

static void die(const char *what, int err)
{
	fprintf(stderr, "kernel-floor: %s: %s\n", what, err < 0 ? nl_geterror(err) : strerror(err));
	exit(1);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static struct nl_sock *sock_here(void)
{
	struct nl_sock *sk = nl_socket_alloc();
	int r;

	if (!sk)
		die("nl_socket_alloc", ENOMEM);
	if ((r = nl_connect(sk, NETLINK_ROUTE)) < 0)
		die("nl_connect", r);
	return sk;
}

static int ifindex(struct nl_sock *sk, const char *name)
{
	struct rtnl_link *l = NULL;
	int r = rtnl_link_get_kernel(sk, 0, name, &l), idx;

	if (r < 0)
		die(name, r);
	idx = rtnl_link_get_ifindex(l);
	rtnl_link_put(l);
	return idx;
}

static void link_up(struct nl_sock *sk, const char *name)
{
	struct rtnl_link *l = NULL, *c = rtnl_link_alloc();
	int r = rtnl_link_get_kernel(sk, 0, name, &l);

	if (r < 0)
		die(name, r);
	rtnl_link_set_flags(c, IFF_UP);
	if ((r = rtnl_link_change(sk, l, c, 0)) < 0)
		die("link up", r);
	rtnl_link_put(l);
	rtnl_link_put(c);
}

/* the host end on the bridge and up, the peer born in the namespace */
static void veth_add(struct nl_sock *sk, const char *host, const char *peer, int master, int nsfd)
{
	struct rtnl_link *l = rtnl_link_veth_alloc(), *p;
	int r;

	if (!l)
		die("rtnl_link_veth_alloc", ENOMEM);
	p = rtnl_link_veth_get_peer(l);
	rtnl_link_set_name(l, host);
	rtnl_link_set_name(p, peer);
	rtnl_link_set_master(l, master);
	rtnl_link_set_flags(l, IFF_UP);
	rtnl_link_set_ns_fd(p, nsfd);
	r = rtnl_link_add(sk, l, NLM_F_CREATE | NLM_F_EXCL);
	rtnl_link_put(p);
	rtnl_link_veth_release(l);
	if (r < 0)
		die("veth add", r);
}

static void addr_add(struct nl_sock *sk, int idx, const char *cidr)
{
	struct rtnl_addr *a = rtnl_addr_alloc();
	struct nl_addr *local = NULL;
	int r;

	if ((r = nl_addr_parse(cidr, AF_INET, &local)) < 0)
		die(cidr, r);
	rtnl_addr_set_ifindex(a, idx);
	rtnl_addr_set_local(a, local);
	if ((r = rtnl_addr_add(sk, a, 0)) < 0)
		die("addr add", r);
	nl_addr_put(local);
	rtnl_addr_put(a);
}

static void route_default(struct nl_sock *sk, int idx, const char *gw)
{
	struct rtnl_route *rt = rtnl_route_alloc();
	struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
	struct nl_addr *dst = NULL, *via = NULL;
	int r;

	if ((r = nl_addr_parse("0.0.0.0/0", AF_INET, &dst)) < 0 ||
	    (r = nl_addr_parse(gw, AF_INET, &via)) < 0)
		die("route parse", r);
	rtnl_route_set_family(rt, AF_INET);
	rtnl_route_set_dst(rt, dst);
	rtnl_route_nh_set_gateway(nh, via);
	rtnl_route_nh_set_ifindex(nh, idx);
	rtnl_route_add_nexthop(rt, nh);
	if ((r = rtnl_route_add(sk, rt, NLM_F_CREATE)) < 0)
		die("route add", r);
	nl_addr_put(dst);
	nl_addr_put(via);
	rtnl_route_put(rt);
}

static void link_del(struct nl_sock *sk, const char *name)
{
	struct rtnl_link *l = rtnl_link_alloc();
	int r;

	rtnl_link_set_name(l, name);
	if ((r = rtnl_link_delete(sk, l)) < 0)
		die("link del", r);
	rtnl_link_put(l);
}

static void enter(int fd)
{
	if (setns(fd, CLONE_NEWNET) < 0)
		die("setns", errno);
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double pct(double *v, int n, double p)
{
	int i = (int)(p / 100.0 * (n - 1) + 0.5);

	return v[i < n ? i : n - 1];
}

int main(int argc, char **argv)
{
	if (argc < 5) {
		fprintf(stderr, "usage: kernel-floor BRIDGE0 BRIDGE1 DIR ROUNDS [OUT.json]\n");
		return 2;
	}
	const char *br0 = argv[1], *br1 = argv[2], *dir = argv[3];
	int rounds = atoi(argv[4]);
	double *t[S_N + 1];
	int home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	struct nl_sock *hsk = sock_here();
	int m0 = ifindex(hsk, br0), m1 = ifindex(hsk, br1);

	if (home < 0 || rounds < 1)
		die("setup", home < 0 ? errno : EINVAL);
	for (int s = 0; s <= S_N; s++)
		t[s] = calloc(rounds, sizeof(double));
	for (int i = 0; i < rounds + 1; i++) { /* round 0 warms up */
		char path[4096], host0[IFNAMSIZ], host1[IFNAMSIZ], a0[32], a1[32];
		double c[S_N + 1];
		struct nl_sock *sk;
		int fd;

		snprintf(path, sizeof(path), "%s/ns%d", dir, i);
		snprintf(host0, sizeof(host0), "kf%da", i);
		snprintf(host1, sizeof(host1), "kf%db", i);
		snprintf(a0, sizeof(a0), "10.99.%d.%d/16", 1 + i / 250, 2 + i % 250);
		snprintf(a1, sizeof(a1), "10.98.%d.%d/16", 1 + i / 250, 2 + i % 250);

		c[0] = now_ms();
		/* netns add */
		if (unshare(CLONE_NEWNET) < 0)
			die("unshare", errno);
		if ((fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444)) < 0)
			die(path, errno);
		close(fd);
		if (mount("/proc/thread-self/ns/net", path, NULL, MS_BIND, NULL) < 0)
			die("bind mount", errno);
		sk = sock_here();
		link_up(sk, "lo");
		nl_socket_free(sk);
		enter(home);
		c[1] = now_ms();
		/* join */
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
			die(path, errno);
		veth_add(hsk, host0, "eth0", m0, fd);
		enter(fd);
		sk = sock_here();
		link_up(sk, "eth0");
		addr_add(sk, ifindex(sk, "eth0"), a0);
		route_default(sk, ifindex(sk, "eth0"), "10.99.0.1");
		nl_socket_free(sk);
		enter(home);
		c[2] = now_ms();
		/* connect */
		veth_add(hsk, host1, "eth1", m1, fd);
		enter(fd);
		sk = sock_here();
		link_up(sk, "eth1");
		addr_add(sk, ifindex(sk, "eth1"), a1);
		nl_socket_free(sk);
		enter(home);
		c[3] = now_ms();
		/* disconnect */
		enter(fd);
		sk = sock_here();
		link_del(sk, "eth1");
		nl_socket_free(sk);
		enter(home);
		close(fd);
		c[4] = now_ms();
		/* netns del */
		if (umount2(path, MNT_DETACH) < 0)
			die("umount", errno);
		if (unlink(path) < 0)
			die("unlink", errno);
		c[5] = now_ms();
		if (i == 0)
			continue;
		for (int s = 0; s < S_N; s++)
			t[s][i - 1] = c[s + 1] - c[s];
		t[S_N][i - 1] = c[S_N] - c[0];
	}
	FILE *out = argc > 5 ? fopen(argv[5], "w") : NULL;

	if (out)
		fputc('{', out);
	for (int s = 0; s <= S_N; s++) {
		qsort(t[s], rounds, sizeof(double), cmp);
		printf("floor %-38s p50 %7.2f ms, p99 %7.2f ms (n %d)\n",
		       s < S_N ? step_name[s] : "total (the five steps)", pct(t[s], rounds, 50),
		       pct(t[s], rounds, 99), rounds);
		if (out)
			fprintf(out, "%s\"%s\": %.4f", s ? ", " : "", step_key[s],
				pct(t[s], rounds, 50));
	}
	if (out) {
		fputs("}\n", out);
		fclose(out);
	}
	nl_socket_free(hsk);
	return 0;
}
