/* test_nl.c - core/nl.c and the bridge, host and null drivers against the
 * kernel.  The test process moves itself into a network namespace of its
 * own (unshare(CLONE_NEWNET)) before anything else, so the machine's own
 * namespace is never touched; without root, the kernel tests are skipped
 * and only the pure checks run.  Kernel state is read back through libc
 * (if_nametoindex, ioctl, getifaddrs) rather than through the code under
 * test; routes are made with ip(8). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/berr.h"
#include "core/network.h"
#include "core/nl.h"
#include "core/util.h"
#include "drivers/driver.h"

/* The test process is in a namespace it made: kernel tests may run. */
static bool have_ns;

#define NEED_NS()                                                                                  \
	do {                                                                                       \
		if (!have_ns)                                                                      \
			skip();                                                                    \
	} while (0)

static struct ipaddr addr(const char *s)
{
	struct ipaddr a;

	assert_int_equal(cidr_parse_addr(s, &a, NULL), 0);
	return a;
}

static struct prefix prefix(const char *s)
{
	struct prefix p;

	assert_int_equal(cidr_parse_prefix(s, &p, NULL), 0);
	return p;
}

/* ifreq flags or MTU of a link, read with an ioctl in this namespace. */
static int link_ioctl(const char *name, unsigned long req)
{
	struct ifreq ifr = {0};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int r;

	assert_true(fd >= 0);
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	r = ioctl(fd, req, &ifr);
	close(fd);
	assert_int_equal(r, 0);
	return req == SIOCGIFMTU ? ifr.ifr_mtu : ifr.ifr_flags;
}

static int link_mtu(const char *name)
{
	return link_ioctl(name, SIOCGIFMTU);
}

static bool link_up(const char *name)
{
	return link_ioctl(name, SIOCGIFFLAGS) & IFF_UP;
}

/* How many times address a (with plen) is on link name. */
static int addr_count(const char *name, const char *a, unsigned plen)
{
	struct ifaddrs *ifa, *i;
	struct ipaddr want = addr(a), got;
	int n = 0;

	assert_int_equal(getifaddrs(&ifa), 0);
	for (i = ifa; i; i = i->ifa_next) {
		if (!i->ifa_addr || !streq(i->ifa_name, name) ||
		    i->ifa_addr->sa_family != want.family)
			continue;
		memset(&got, 0, sizeof(got));
		got.family = want.family;
		if (want.family == AF_INET)
			memcpy(got.b, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, 4);
		else
			memcpy(got.b, &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr, 16);
		if (!cidr_addr_eq(&got, &want))
			continue;
		if (want.family == AF_INET) {
			uint32_t m = ((struct sockaddr_in *)i->ifa_netmask)->sin_addr.s_addr;

			n += (unsigned)__builtin_popcount(m) == plen;
		} else {
			n++;
		}
	}
	freeifaddrs(ifa);
	return n;
}

/* Number of links in this namespace. */
static int link_count(void)
{
	struct if_nameindex *v = if_nameindex(), *i;
	int n = 0;

	assert_non_null(v);
	for (i = v; i->if_index; i++)
		n++;
	if_freenameindex(v);
	return n;
}

static bool exists(const char *name)
{
	return if_nametoindex(name) != 0;
}

/* Run an ip(8) command line in this namespace. */
static void ip(const char *args)
{
	_cleanup_free_ char *cmd = xasprintf("ip %s", args);

	assert_int_equal(system(cmd), 0);
}

static bool has_prefix(const struct prefix *v, size_t n, const char *s)
{
	struct prefix p = prefix(s);

	for (size_t i = 0; i < n; i++)
		if (v[i].len == p.len && cidr_addr_eq(&v[i].addr, &p.addr))
			return true;
	return false;
}

static void test_ifname(void **state)
{
	struct berr *err = NULL;

	(void)state;
	assert_int_equal(nl_ifname_validate("a23456789012345", NULL), 0);
	assert_int_equal(nl_ifname_validate("br-0", NULL), 0);
	assert_int_equal(nl_ifname_validate("...", NULL), 0);
	assert_int_equal(nl_ifname_validate("a234567890123456", &err), -EINVAL);
	assert_string_equal(err->msg, "interface name \"a234567890123456\" is too long "
				      "(at most 15 characters)");
	berr_freep(&err);
	assert_int_equal(nl_ifname_validate("a/b", &err), -EINVAL);
	assert_non_null(strstr(err->msg, "\"a/b\" contains invalid characters"));
	berr_freep(&err);
	assert_int_equal(nl_ifname_validate("a:b", NULL), -EINVAL);
	assert_int_equal(nl_ifname_validate("a b", NULL), -EINVAL);
	assert_int_equal(nl_ifname_validate("a\tb", NULL), -EINVAL);
	assert_int_equal(nl_ifname_validate("", &err), -EINVAL);
	assert_non_null(strstr(err->msg, "empty"));
	berr_freep(&err);
	assert_int_equal(nl_ifname_validate(".", NULL), -EINVAL);
	assert_int_equal(nl_ifname_validate("..", NULL), -EINVAL);
}

static void test_link(void **state)
{
	struct berr *err = NULL;
	char *kind = NULL;
	int ifindex = 0;

	(void)state;
	NEED_NS();
	assert_int_equal(nl_link_get("tb0", &ifindex, &kind, NULL), 0);
	assert_null(kind);
	assert_int_equal(nl_bridge_add("tb0", 0, NULL), 0);
	assert_int_equal(nl_link_get("tb0", &ifindex, &kind, NULL), 1);
	assert_string_equal(kind, "bridge");
	assert_int_equal(ifindex, (int)if_nametoindex("tb0"));
	free(kind);
	assert_false(link_up("tb0"));
	assert_int_equal(nl_bridge_add("tb0", 0, &err), -EEXIST);
	assert_string_equal(err->msg, "cannot add bridge tb0: File exists");
	berr_freep(&err);
	assert_int_equal(nl_link_get("lo", NULL, &kind, NULL), 1);
	assert_string_equal(kind, "");
	free(kind);
	assert_int_equal(nl_link_del("tb0", NULL), 0);
	assert_false(exists("tb0"));
	assert_int_equal(nl_link_del("tb0", NULL), 0);
	assert_int_equal(nl_link_set_up("tb0", &err), -ENODEV);
	assert_non_null(strstr(err->msg, "tb0"));
	berr_freep(&err);
}

static void test_addr_mtu(void **state)
{
	struct ipaddr a4 = addr("10.77.1.1"), a6 = addr("fd00:77::1");
	struct berr *err = NULL;

	(void)state;
	NEED_NS();
	assert_int_equal(nl_bridge_add("tb0", 1400, NULL), 0);
	assert_int_equal(link_mtu("tb0"), 1400);
	assert_int_equal(nl_link_set_mtu("tb0", 1300, NULL), 0);
	assert_int_equal(link_mtu("tb0"), 1300);
	assert_int_equal(nl_link_set_mtu("tb0", 10, &err), -EINVAL);
	assert_non_null(strstr(err->msg, "tb0"));
	berr_freep(&err);
	assert_int_equal(nl_link_set_up("tb0", NULL), 0);
	assert_true(link_up("tb0"));
	assert_int_equal(nl_addr_add("tb0", &a4, 24, NULL), 0);
	assert_int_equal(nl_addr_add("tb0", &a4, 24, NULL), 0);
	assert_int_equal(addr_count("tb0", "10.77.1.1", 24), 1);
	assert_int_equal(nl_addr_add("tb0", &a6, 64, NULL), 0);
	assert_int_equal(nl_addr_add("tb0", &a6, 64, NULL), 0);
	assert_int_equal(addr_count("tb0", "fd00:77::1", 64), 1);
	assert_int_equal(nl_addr_add("tb0", &a4, 33, &err), -EINVAL);
	assert_non_null(strstr(err->msg, "10.77.1.1/33"));
	berr_freep(&err);
	assert_int_equal(nl_addr_del("tb0", &a4, 24, NULL), 0);
	assert_int_equal(addr_count("tb0", "10.77.1.1", 24), 0);
	assert_int_equal(nl_addr_del("tb0", &a4, 24, NULL), 0);
	assert_int_equal(nl_addr_del("tb0", &a6, 64, NULL), 0);
	assert_int_equal(nl_addr_del("tb0", &a6, 64, NULL), 0);
	assert_int_equal(nl_link_del("tb0", NULL), 0);
	assert_int_equal(nl_addr_add("tb0", &a4, 24, &err), -ENODEV);
	assert_non_null(strstr(err->msg, "tb0"));
	berr_freep(&err);
	assert_int_equal(nl_addr_del("tb0", &a4, 24, NULL), 0);
}

static void test_prefixes(void **state)
{
	const char *const except[] = {"tb1", "nosuch0", NULL};
	struct ipaddr gw = addr("10.77.2.1"), ll = addr("169.254.5.5"), a6 = addr("fd00:78::1");
	struct prefix *v;
	unsigned mtu;
	size_t n;

	(void)state;
	NEED_NS();
	assert_int_equal(nl_default_route_mtu(&mtu, NULL), 0);
	assert_int_equal(mtu, 1500);
	assert_int_equal(nl_bridge_add("tb1", 1450, NULL), 0);
	assert_int_equal(nl_addr_add("tb1", &gw, 24, NULL), 0);
	assert_int_equal(nl_addr_add("tb1", &ll, 16, NULL), 0);
	assert_int_equal(nl_addr_add("tb1", &a6, 64, NULL), 0);
	assert_int_equal(nl_link_set_up("tb1", NULL), 0);
	ip("route add 10.98.0.0/16 dev tb1");
	ip("route add blackhole 10.99.0.0/16");
	ip("route add default dev tb1");
	ip("-6 route add default dev tb1");

	assert_int_equal(nl_prefixes_in_use(AF_UNSPEC, NULL, &v, &n, NULL), 0);
	assert_true(has_prefix(v, n, "10.77.2.0/24"));
	assert_true(has_prefix(v, n, "10.98.0.0/16"));
	assert_true(has_prefix(v, n, "10.99.0.0/16"));
	assert_true(has_prefix(v, n, "fd00:78::/64"));
	for (size_t i = 0; i < n; i++) {
		assert_int_not_equal(v[i].len, 0);
		assert_false(cidr_overlaps(&v[i], &(struct prefix){addr("127.0.0.0"), 8}));
		assert_false(cidr_overlaps(&v[i], &(struct prefix){addr("169.254.0.0"), 16}));
		assert_false(cidr_overlaps(&v[i], &(struct prefix){addr("fe80::"), 10}));
		assert_false(cidr_overlaps(&v[i], &(struct prefix){addr("::1"), 128}));
		for (size_t j = 0; j < i; j++)
			assert_false(v[i].len == v[j].len && cidr_addr_eq(&v[i].addr, &v[j].addr));
	}
	free(v);

	assert_int_equal(nl_prefixes_in_use(AF_UNSPEC, except, &v, &n, NULL), 0);
	assert_false(has_prefix(v, n, "10.77.2.0/24"));
	assert_false(has_prefix(v, n, "10.98.0.0/16"));
	assert_false(has_prefix(v, n, "fd00:78::/64"));
	assert_true(has_prefix(v, n, "10.99.0.0/16"));
	free(v);

	assert_int_equal(nl_default_route_mtu(&mtu, NULL), 0);
	assert_int_equal(mtu, 1450);
	ip("route del blackhole 10.99.0.0/16");
	assert_int_equal(nl_link_del("tb1", NULL), 0);
	assert_int_equal(nl_default_route_mtu(&mtu, NULL), 0);
	assert_int_equal(mtu, 1500);
}

/* A bridge network as the controller would hand it over after IPAM. */
static struct network *bridge_net(const char *id, const char *subnet, const char *gw)
{
	struct network *net = net_new();

	snprintf(net->id, sizeof(net->id), "%s", id);
	net->name = xstrdup("n");
	net->driver_name = xstrdup("bridge");
	net->driver = &bridge_driver;
	net->ipam = xcalloc(1, sizeof(*net->ipam));
	net->n_ipam = 1;
	net->ipam[0].subnet = prefix(subnet);
	net->ipam[0].has_gateway = gw != NULL;
	if (gw)
		net->ipam[0].gateway = addr(gw);
	return net;
}

static void set_option(struct network *net, const char *key, const char *value)
{
	json_object_set_new(net->options, key, json_string(value));
}

static void test_bridge_driver(void **state)
{
	struct network *net;
	const char *br = "br-0123456789ab";
	int links;

	(void)state;
	NEED_NS();
	net = bridge_net("0123456789abcdef0123", "10.80.0.0/24", "10.80.0.1");
	links = link_count();
	set_option(net, "com.docker.network.driver.mtu", "1400");
	assert_int_equal(bridge_driver.network_validate(net, NULL), 0);
	assert_int_equal(bridge_driver.network_create(net, NULL), 0);
	assert_true(exists(br));
	assert_true(link_up(br));
	assert_int_equal(link_mtu(br), 1400);
	assert_int_equal(addr_count(br, "10.80.0.1", 24), 1);
	assert_int_equal(link_count(), links + 1);

	assert_int_equal(bridge_driver.network_restore(net, NULL), 0);
	assert_int_equal(bridge_driver.network_restore(net, NULL), 0);
	assert_int_equal(link_count(), links + 1);
	assert_int_equal(addr_count(br, "10.80.0.1", 24), 1);

	assert_int_equal(nl_link_del(br, NULL), 0);
	assert_int_equal(bridge_driver.network_restore(net, NULL), 0);
	assert_true(link_up(br));
	assert_int_equal(link_mtu(br), 1400);
	assert_int_equal(addr_count(br, "10.80.0.1", 24), 1);

	assert_int_equal(bridge_driver.network_delete(net, NULL), 0);
	assert_false(exists(br));
	assert_int_equal(bridge_driver.network_delete(net, NULL), 0);
	assert_int_equal(link_count(), links);
	net_free(net);
}

static void test_bridge_refused(void **state)
{
	static const char *const bad_mtu[] = {"abc", "", "67", "65536", "1500x", "-1"};
	struct network *net;
	struct berr *err = NULL;
	int links;

	(void)state;
	NEED_NS();
	net = bridge_net("fedcba9876543210", "10.81.0.0/24", "10.81.0.1");
	links = link_count();
	set_option(net, "com.docker.network.bridge.name", "a-very-long-name0");
	assert_int_equal(bridge_driver.network_validate(net, &err), -EINVAL);
	assert_string_equal(err->msg, "interface name \"a-very-long-name0\" is too long "
				      "(at most 15 characters)");
	berr_freep(&err);
	assert_int_equal(link_count(), links);

	set_option(net, "com.docker.network.bridge.name", "lab0");
	for (size_t i = 0; i < ARRAY_SIZE(bad_mtu); i++) {
		set_option(net, "com.docker.network.driver.mtu", bad_mtu[i]);
		assert_int_equal(bridge_driver.network_validate(net, &err), -EINVAL);
		assert_non_null(strstr(err->msg, "invalid MTU number"));
		berr_freep(&err);
	}
	set_option(net, "com.docker.network.driver.mtu", "68");
	assert_int_equal(bridge_driver.network_validate(net, NULL), 0);
	set_option(net, "com.docker.network.bridge.enable_icc", "maybe");
	assert_int_equal(bridge_driver.network_validate(net, &err), -EINVAL);
	assert_non_null(strstr(err->msg, "enable_icc"));
	berr_freep(&err);
	set_option(net, "com.docker.network.bridge.enable_icc", "false");
	set_option(net, "com.docker.network.bridge.enable_ip_masquerade", "nope");
	assert_int_equal(bridge_driver.network_validate(net, NULL), -EINVAL);
	set_option(net, "com.docker.network.bridge.enable_ip_masquerade", "1");
	assert_int_equal(bridge_driver.network_validate(net, NULL), 0);
	assert_int_equal(link_count(), links);
	net_free(net);
}

static void test_bridge_name_option(void **state)
{
	struct network *net;
	struct network *dup;
	struct berr *err = NULL;

	(void)state;
	NEED_NS();
	net = bridge_net("aaaaaaaaaaaaaaaaaaaa", "10.82.0.0/24", "10.82.0.254");
	dup = bridge_net("bbbbbbbbbbbbbbbbbbbb", "10.83.0.0/24", "10.83.0.1");
	set_option(net, "com.docker.network.bridge.name", "lab0");
	assert_int_equal(bridge_driver.network_validate(net, NULL), 0);
	assert_int_equal(bridge_driver.network_create(net, NULL), 0);
	assert_true(link_up("lab0"));
	assert_false(exists("br-aaaaaaaaaaaa"));
	assert_int_equal(addr_count("lab0", "10.82.0.254", 24), 1);

	set_option(dup, "com.docker.network.bridge.name", "lab0");
	assert_int_equal(bridge_driver.network_validate(dup, &err), -EEXIST);
	assert_non_null(strstr(err->msg, "lab0"));
	berr_freep(&err);

	/* the default bridge adopts a bridge an earlier run left */
	dup->predefined = true;
	assert_int_equal(bridge_driver.network_validate(dup, NULL), 0);
	assert_int_equal(bridge_driver.network_create(dup, NULL), 0);
	assert_int_equal(addr_count("lab0", "10.83.0.1", 24), 1);
	assert_int_equal(addr_count("lab0", "10.82.0.254", 24), 1);

	assert_int_equal(bridge_driver.network_delete(net, NULL), 0);
	assert_false(exists("lab0"));
	net_free(net);
	net_free(dup);
}

static void test_bridge_not_a_bridge(void **state)
{
	struct network *net;
	struct berr *err = NULL;

	(void)state;
	NEED_NS();
	net = bridge_net("cccccccccccccccccccc", "10.84.0.0/24", "10.84.0.1");
	ip("link add lab1 type veth peer name lab1p");
	set_option(net, "com.docker.network.bridge.name", "lab1");
	net->predefined = true;
	assert_int_equal(bridge_driver.network_validate(net, &err), -EEXIST);
	assert_non_null(strstr(err->msg, "lab1 exists and is not a bridge"));
	berr_freep(&err);
	assert_int_equal(bridge_driver.network_restore(net, NULL), -EEXIST);
	assert_int_equal(bridge_driver.network_delete(net, NULL), 0);
	assert_true(exists("lab1"));
	assert_int_equal(nl_link_del("lab1", NULL), 0);
	assert_false(exists("lab1p"));
	net_free(net);
}

static void test_bridge_default_mtu_and_rollback(void **state)
{
	struct network *net;
	const char *br = "br-dddddddddddd";
	struct berr *err = NULL;
	int links;

	(void)state;
	NEED_NS();
	net = bridge_net("dddddddddddddddddddd", "10.85.0.0/24", "10.85.0.1");
	assert_int_equal(nl_bridge_add("up0", 1420, NULL), 0);
	assert_int_equal(nl_link_set_up("up0", NULL), 0);
	ip("route add default dev up0");
	assert_int_equal(bridge_driver.network_create(net, NULL), 0);
	assert_int_equal(link_mtu(br), 1420);
	assert_int_equal(bridge_driver.network_delete(net, NULL), 0);

	/* a gateway the kernel refuses: the new bridge goes away again */
	links = link_count();
	net->ipam[0].subnet.len = 33;
	assert_int_equal(bridge_driver.network_create(net, &err), -EINVAL);
	assert_non_null(strstr(err->msg, br));
	berr_freep(&err);
	assert_false(exists(br));
	assert_int_equal(link_count(), links);
	assert_int_equal(nl_link_del("up0", NULL), 0);
	net_free(net);
}

static void test_host_null(void **state)
{
	struct network *net = net_new();
	struct berr *err = NULL;

	(void)state;
	assert_int_equal(host_driver.network_validate(net, &err), -EPERM);
	assert_string_equal(err->msg, "only one instance of \"host\" network is allowed");
	berr_freep(&err);
	assert_int_equal(null_driver.network_validate(net, &err), -EPERM);
	assert_string_equal(err->msg, "only one instance of \"null\" network is allowed");
	berr_freep(&err);
	net->predefined = true;
	assert_int_equal(host_driver.network_validate(net, NULL), 0);
	assert_int_equal(null_driver.network_validate(net, NULL), 0);
	assert_true(host_driver.no_ipam && null_driver.no_ipam);
	assert_null(host_driver.network_create);
	assert_null(null_driver.network_delete);
	net_free(net);
}

/* The output of a command (ip, bridge) run in the test's namespace: only
 * once the process is in the namespace it made (never the machine's). */
static char *command_output(const char *cmd)
{
	char *out = xstrdup(""), line[512];
	FILE *f;

	assert_true(have_ns);
	f = popen(cmd, "r");

	while (f && fgets(line, sizeof(line), f)) {
		char *n = xasprintf("%s%s", out, line);

		free(out);
		out = n;
	}
	if (f)
		pclose(f);
	return out;
}

static void *new_netns_thread(void *arg)
{
	int *fd = arg;

	if (unshare(CLONE_NEWNET) == 0)
		*fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	return NULL;
}

/* A second namespace, open (its thread ends; the fd keeps it). */
static int new_netns(void)
{
	pthread_t t;
	int fd = -1;

	pthread_create(&t, NULL, new_netns_thread, &fd);
	pthread_join(t, NULL);
	return fd;
}

struct seen_entries {
	unsigned fdb, neigh;
	struct ipaddr fdb_dst, neigh_ip;
	uint8_t mac[6];
};

static void seen_entry(int family, const uint8_t mac[6], const struct ipaddr *ip, void *arg)
{
	struct seen_entries *s = arg;

	if (family == AF_BRIDGE) {
		s->fdb++;
		s->fdb_dst = *ip;
	} else {
		s->neigh++;
		s->neigh_ip = *ip;
	}
	memcpy(s->mac, mac, 6);
}

static void test_vxlan(void **state)
{
	const uint8_t mac[6] = {0x02, 0x42, 0x0a, 0x00, 0x09, 0x03};
	struct ipaddr local = addr("10.200.0.11"), remote = addr("10.200.0.12");
	struct ipaddr ip = addr("10.0.9.3");
	struct nl_vxlan v = {"tvx0", 4242, 4789, &local, 1450, -1};
	struct berr *err = NULL;
	unsigned mtu = 0;
	char *out;
	int fd;

	(void)state;
	NEED_NS();
	assert_int_equal(nl_vxlan_add(&v, NULL), 0);
	assert_int_equal(nl_link_get_mtu("tvx0", &mtu, NULL), 0);
	assert_int_equal(mtu, 1450);
	out = command_output("ip -d link show tvx0");
	assert_non_null(strstr(out, "vxlan id 4242"));
	assert_non_null(strstr(out, "local 10.200.0.11"));
	assert_non_null(strstr(out, "dstport 4789"));
	assert_non_null(strstr(out, "nolearning"));
	assert_non_null(strstr(out, "proxy"));
	free(out);
	/* the VNI is taken on this port, whatever the name */
	v.name = "tvx1";
	assert_int_equal(nl_vxlan_add(&v, &err), -EEXIST);
	assert_non_null(strstr(err->msg, "VNI 4242"));
	berr_freep(&err);

	/* forwarding and neighbour entries, replaced when added again */
	for (int i = 0; i < 2; i++) {
		assert_int_equal(nl_fdb_add("tvx0", mac, &remote, NULL), 0);
		assert_int_equal(nl_neigh_add("tvx0", &ip, mac, NULL), 0);
	}
	out = command_output("bridge fdb show dev tvx0");
	assert_non_null(strstr(out, "02:42:0a:00:09:03 dst 10.200.0.12 self permanent"));
	free(out);
	out = command_output("ip neigh show dev tvx0");
	assert_non_null(strstr(out, "10.0.9.3 lladdr 02:42:0a:00:09:03 PERMANENT"));
	free(out);
	/* listed back: one forwarding entry, one neighbour (not the kernel's
	 * own entries of the device) */
	{
		struct seen_entries seen = {0};

		assert_int_equal(nl_neigh_list("tvx0", seen_entry, &seen, NULL), 0);
		assert_int_equal(seen.fdb, 1);
		assert_int_equal(seen.neigh, 1);
		assert_true(cidr_addr_eq(&seen.fdb_dst, &remote));
		assert_true(cidr_addr_eq(&seen.neigh_ip, &ip));
		assert_memory_equal(seen.mac, mac, 6);
		assert_int_equal(nl_neigh_list("nope0", seen_entry, &seen, &err), -ENODEV);
		berr_freep(&err);
	}
	for (int i = 0; i < 2; i++) {
		assert_int_equal(nl_fdb_del("tvx0", mac, &remote, NULL), 0);
		assert_int_equal(nl_neigh_del("tvx0", &ip, NULL), 0);
	}
	out = command_output("bridge fdb show dev tvx0; ip neigh show dev tvx0");
	assert_null(strstr(out, "02:42:0a:00:09:03"));
	free(out);
	assert_int_equal(nl_fdb_add("nope0", mac, &remote, &err), -ENODEV);
	berr_freep(&err);
	assert_int_equal(nl_link_del("tvx0", NULL), 0);

	/* made here, moved away: the device goes, its socket (the VNI on the
	 * port) stays here */
	fd = new_netns();
	assert_true(fd >= 0);
	v.name = "tvx2";
	v.netns_fd = fd;
	assert_int_equal(nl_vxlan_add(&v, NULL), 0);
	assert_false(exists("tvx2"));
	v.name = "tvx3";
	v.netns_fd = -1;
	assert_int_equal(nl_vxlan_add(&v, &err), -EEXIST);
	berr_freep(&err);
	close(fd); /* the namespace and tvx2 go */
}

/* --- macvlan: the links (core/nl.c) and the drivers --- */

/* ip(8) output inside the namespace open at fd. */
static char *command_output_in(int fd, const char *args)
{
	_cleanup_free_ char *cmd =
		xasprintf("nsenter --net=/proc/%d/fd/%d ip %s", (int)getpid(), fd, args);

	return command_output(cmd);
}

/* What the kernel says of a kind, asked the way nl.c asks; nothing made. */
static void test_link_kinds(void **state)
{
	struct berr *err = NULL;
	int links, vlan, r;
	char *out;

	(void)state;
	NEED_NS();
	links = link_count();
	assert_int_equal(nl_link_kind_supported("macvlan", NULL), 1);
	assert_int_equal(nl_link_kind_supported("berthnosuch", NULL), 0);
	vlan = nl_link_kind_supported("vlan", NULL);
	assert_true(vlan == 0 || vlan == 1);
	assert_true(nl_link_kind_supported("ipvlan", NULL) >= 0);
	assert_int_equal(link_count(), links);

	/* a VLAN link, up, where the kernel has 802.1q; refused clearly where not */
	ip("link add tvl0 type veth peer name tvl1");
	ip("link set tvl0 up");
	r = nl_vlan_add("tvl0.10", "tvl0", 10, &err);
	if (vlan) {
		assert_int_equal(r, 0);
		assert_true(link_up("tvl0.10"));
		out = command_output("ip -d link show tvl0.10");
		assert_non_null(strstr(out, "vlan protocol 802.1Q id 10"));
		free(out);
		assert_int_equal(nl_vlan_add("tvl0.10", "tvl0", 10, &err), -EEXIST);
		berr_freep(&err);
		assert_int_equal(nl_link_del("tvl0.10", NULL), 0);
	} else {
		assert_int_equal(r, -EOPNOTSUPP);
		assert_non_null(strstr(err->msg, "cannot add VLAN link tvl0.10 (VLAN 10 on tvl0)"));
		berr_freep(&err);
		assert_false(exists("tvl0.10"));
	}
	assert_int_equal(nl_vlan_add("tvl9.10", "tvl9", 10, &err), -ENODEV);
	assert_string_equal(err->msg, "cannot add VLAN link tvl9.10 (VLAN 10 on tvl9): link tvl9 "
				      "not found");
	berr_freep(&err);

	/* links that need nothing: a dummy (where the kernel has them), an ifb */
	r = nl_link_add_kind("tdm0", "dummy", &err);
	assert_true(r == 0 || r == -EOPNOTSUPP);
	if (r == 0) {
		assert_true(link_up("tdm0"));
		assert_int_equal(nl_link_del("tdm0", NULL), 0);
	} else {
		assert_non_null(strstr(err->msg, "cannot add dummy link tdm0"));
		berr_freep(&err);
		assert_false(exists("tdm0"));
	}
	assert_int_equal(nl_link_add_kind("tifb0", "ifb", NULL), 0);
	assert_true(link_up("tifb0"));
	assert_int_equal(nl_link_add_kind("tifb0", "ifb", &err), -EEXIST);
	berr_freep(&err);
	assert_int_equal(nl_link_del("tifb0", NULL), 0);
	assert_int_equal(nl_link_del("tvl0", NULL), 0);
	assert_int_equal(link_count(), links);
}

static void test_macvlan_link(void **state)
{
	const uint8_t mac[6] = {0x02, 0x42, 0xc0, 0x00, 0x02, 0x0a};
	struct nl_macvlan m = {"eth0", "tmp0", "private", mac, 1400, -1};
	struct berr *err = NULL;
	_cleanup_free_ char *kind = NULL;
	int links, fd;
	char *out;

	(void)state;
	NEED_NS();
	ip("link add tmp0 type veth peer name tmp1");
	ip("link set tmp0 mtu 1400");
	links = link_count();
	fd = new_netns();
	assert_true(fd >= 0);
	m.netns_fd = fd;

	/* born in the other namespace, with its name, MAC, mode and MTU */
	assert_int_equal(nl_macvlan_add(&m, NULL), 0);
	assert_int_equal(link_count(), links);
	out = command_output_in(fd, "-d link show eth0");
	assert_non_null(strstr(out, "mtu 1400"));
	assert_non_null(strstr(out, "link/ether 02:42:c0:00:02:0a"));
	assert_non_null(strstr(out, "macvlan mode private"));
	free(out);
	assert_int_equal(nl_macvlan_add(&m, &err), -EEXIST);
	assert_non_null(strstr(err->msg, "cannot add macvlan link eth0 on tmp0"));
	berr_freep(&err);

	/* here, with the kernel's MAC; each mode by its name */
	m = (struct nl_macvlan){"tmv0", "tmp0", "bridge", NULL, 0, -1};
	assert_int_equal(nl_macvlan_add(&m, NULL), 0);
	assert_int_equal(nl_link_get("tmv0", NULL, &kind, NULL), 1);
	assert_string_equal(kind, "macvlan");
	out = command_output("ip -d link show tmv0");
	assert_non_null(strstr(out, "macvlan mode bridge"));
	free(out);
	assert_int_equal(nl_link_del("tmv0", NULL), 0);
	m.mode = "vepa";
	assert_int_equal(nl_macvlan_add(&m, NULL), 0);
	assert_int_equal(nl_link_del("tmv0", NULL), 0);

	m.mode = "sideways";
	assert_int_equal(nl_macvlan_add(&m, &err), -EINVAL);
	assert_string_equal(err->msg, "cannot add macvlan link tmv0 on tmp0: unknown macvlan mode "
				      "sideways");
	berr_freep(&err);
	m.mode = "bridge";
	m.parent = "tmp9";
	assert_int_equal(nl_macvlan_add(&m, &err), -ENODEV);
	assert_string_equal(err->msg, "cannot add macvlan link tmv0 on tmp9: link tmp9 not found");
	berr_freep(&err);
	assert_int_equal(link_count(), links);
	close(fd);
	assert_int_equal(nl_link_del("tmp0", NULL), 0);
}

static struct network *macvlan_net(const char *id, const char *name, const char *parent)
{
	struct network *net = net_new();

	snprintf(net->id, sizeof(net->id), "%s", id);
	net->name = xstrdup(name);
	net->driver_name = xstrdup("macvlan");
	net->driver = &macvlan_driver;
	if (parent)
		set_option(net, "parent", parent);
	return net;
}

/* validate, create, restore and delete; the parents the driver keeps */
static void test_macvlan_driver(void **state)
{
	struct network *a, *b, *c;
	struct berr *err = NULL;
	int links;

	(void)state;
	NEED_NS();
	ip("link add tmd0 type veth peer name tmd1");
	links = link_count();
	a = macvlan_net("aaaaaaaaaaaa0000", "mva", "tmd0");
	assert_false(macvlan_driver.routed_subnets || macvlan_driver.no_ipam);
	assert_int_equal(macvlan_driver.network_validate(a, NULL), 0);
	assert_int_equal(macvlan_driver.network_create(a, NULL), 0);
	assert_int_equal(link_count(), links); /* an existing parent is used as it is */
	assert_false(a->internal);

	/* a second network on that parent */
	b = macvlan_net("bbbbbbbbbbbb0000", "mvb", "tmd0");
	assert_int_equal(macvlan_driver.network_validate(b, &err), -EEXIST);
	assert_string_equal(err->msg, "network mva is already using parent interface tmd0");
	berr_freep(&err);
	/* bad mode, missing parent, loopback, a reserved option */
	set_option(b, "parent", "tmd1");
	set_option(b, "macvlan_mode", "sideways");
	assert_int_equal(macvlan_driver.network_validate(b, &err), -EINVAL);
	assert_string_equal(err->msg, "invalid macvlan mode \"sideways\": the modes are bridge "
				      "(the default), private, vepa and passthru");
	berr_freep(&err);
	set_option(b, "macvlan_mode", "passthru");
	assert_int_equal(macvlan_driver.network_validate(b, NULL), 0);
	set_option(b, "parent", "tmd9");
	assert_int_equal(macvlan_driver.network_validate(b, &err), -EINVAL);
	assert_string_equal(err->msg, "parent interface tmd9 not found");
	berr_freep(&err);
	set_option(b, "parent", "tmd9.10");
	assert_int_equal(macvlan_driver.network_validate(b, &err), -EINVAL);
	assert_string_equal(err->msg, "parent interface tmd9.10 not found, nor tmd9 to make VLAN "
				      "10 on");
	berr_freep(&err);
	set_option(b, "parent", "tmd1.4095");
	assert_int_equal(macvlan_driver.network_validate(b, &err), -EINVAL);
	assert_string_equal(err->msg, "parent interface tmd1.4095: VLAN id 4095 is not within "
				      "1-4094");
	berr_freep(&err);
	set_option(b, "parent", "tmd1.10");
	if (nl_link_kind_supported("vlan", NULL) == 0) {
		assert_int_equal(macvlan_driver.network_validate(b, &err), -EOPNOTSUPP);
		assert_string_equal(err->msg, "cannot make VLAN link tmd1.10: 802.1q VLANs are not "
					      "supported by this kernel (the 8021q module is "
					      "missing)");
		berr_freep(&err);
	} else {
		/* made, recorded, removed with the network */
		ip("link set tmd1 up");
		assert_int_equal(macvlan_driver.network_validate(b, NULL), 0);
		assert_int_equal(macvlan_driver.network_create(b, NULL), 0);
		assert_true(exists("tmd1.10"));
		assert_string_equal(net_option(b, "com.berth.macvlan.created_parent", ""), "true");
		assert_int_equal(macvlan_driver.network_delete(b, NULL), 0);
		assert_false(exists("tmd1.10"));
	}
	set_option(b, "parent", "lo");
	assert_int_equal(macvlan_driver.network_validate(b, &err), -EINVAL);
	berr_freep(&err);
	set_option(b, "parent", "tmd1");
	set_option(b, "com.berth.macvlan.created_parent", "true");
	assert_int_equal(macvlan_driver.network_validate(b, &err), -EINVAL);
	berr_freep(&err);
	assert_int_equal(link_count(), links);

	/* no parent: a stand-in dm-<12 of the id>, internal, gone with it */
	c = macvlan_net("cccccccccccc0000", "mvc", NULL);
	assert_int_equal(macvlan_driver.network_validate(c, NULL), 0);
	assert_int_equal(macvlan_driver.network_create(c, NULL), 0);
	assert_true(exists("dm-cccccccccccc"));
	assert_true(link_up("dm-cccccccccccc"));
	assert_true(c->internal);
	/* its parent is taken too */
	set_option(b, "parent", "dm-cccccccccccc");
	json_object_del(b->options, "com.berth.macvlan.created_parent");
	assert_int_equal(macvlan_driver.network_validate(b, &err), -EEXIST);
	berr_freep(&err);
	/* restored: recorded once, the stand-in made again if it went */
	assert_int_equal(nl_link_del("dm-cccccccccccc", NULL), 0);
	assert_int_equal(macvlan_driver.network_restore(c, NULL), 0);
	assert_int_equal(macvlan_driver.network_restore(c, NULL), 0);
	assert_true(exists("dm-cccccccccccc"));
	assert_int_equal(macvlan_driver.network_delete(c, NULL), 0);
	assert_false(exists("dm-cccccccccccc"));
	assert_int_equal(macvlan_driver.network_delete(c, NULL), 0);
	/* not taken any more, only gone */
	assert_int_equal(macvlan_driver.network_validate(b, &err), -EINVAL);
	assert_string_equal(err->msg, "parent interface dm-cccccccccccc not found");
	berr_freep(&err);

	/* the parent a user made stays; its network's parent is free again */
	assert_int_equal(macvlan_driver.network_delete(a, NULL), 0);
	assert_true(exists("tmd0"));
	set_option(b, "parent", "tmd0");
	assert_int_equal(macvlan_driver.network_validate(b, NULL), 0);
	/* a restored network holds its parent; one that is gone is an error */
	assert_int_equal(macvlan_driver.network_restore(a, NULL), 0);
	assert_int_equal(macvlan_driver.network_validate(b, &err), -EEXIST);
	berr_freep(&err);
	assert_int_equal(macvlan_driver.network_delete(a, NULL), 0);
	assert_int_equal(nl_link_del("tmd0", NULL), 0);
	assert_int_equal(macvlan_driver.network_restore(a, &err), -ENODEV);
	assert_string_equal(err->msg, "parent interface tmd0 is gone");
	berr_freep(&err);
	assert_int_equal(macvlan_driver.network_delete(a, NULL), 0);
	assert_int_equal(link_count(), links - 2);
	net_free(a);
	net_free(b);
	net_free(c);
}

/* ipvlan says what is missing: the kernel's module, or berth */
static void test_ipvlan_refused(void **state)
{
	struct network *net = net_new();
	struct berr *err = NULL;
	int have;

	(void)state;
	NEED_NS();
	have = nl_link_kind_supported("ipvlan", NULL);
	assert_int_equal(ipvlan_driver.network_validate(net, &err), -EOPNOTSUPP);
	if (have)
		assert_non_null(strstr(err->msg, "not supported by berth yet"));
	else
		assert_string_equal(err->msg, "ipvlan networks are not supported by this kernel "
					      "(the ipvlan module is missing)");
	berr_freep(&err);
	net_free(net);
}

/* Root: move into a fresh network namespace with lo up. */
static void enter_namespace(void)
{
	struct berr *err = NULL;

	if (geteuid() != 0 || unshare(CLONE_NEWNET) < 0) {
		fprintf(stderr, "test_nl: not root or no unshare(CLONE_NEWNET): kernel tests "
				"skipped\n");
		return;
	}
	if (nl_link_set_up("lo", &err) < 0) {
		fprintf(stderr, "test_nl: %s\n", berr_msg(err));
		berr_free(err);
		return;
	}
	have_ns = true;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ifname),
		cmocka_unit_test(test_host_null),
		cmocka_unit_test(test_link),
		cmocka_unit_test(test_addr_mtu),
		cmocka_unit_test(test_prefixes),
		cmocka_unit_test(test_bridge_driver),
		cmocka_unit_test(test_bridge_refused),
		cmocka_unit_test(test_bridge_name_option),
		cmocka_unit_test(test_bridge_not_a_bridge),
		cmocka_unit_test(test_bridge_default_mtu_and_rollback),
		cmocka_unit_test(test_vxlan),
		cmocka_unit_test(test_link_kinds),
		cmocka_unit_test(test_macvlan_link),
		cmocka_unit_test(test_macvlan_driver),
		cmocka_unit_test(test_ipvlan_refused),
	};
	int r;

	enter_namespace();
	r = cmocka_run_group_tests(tests, NULL, NULL);
	nl_thread_done();
	return r;
}
