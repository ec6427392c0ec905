/* test_fw.c - the bridge networks' firewall (drivers/bridge-fw.c): its
 * tables, elements and rules as nft(8) -j lists them, and packets through
 * them.  As root only (skipped otherwise); each test runs in a network
 * namespace of its own, made here, so the machine's rules are never
 * touched.  nft(8) runs as a child and inherits the namespace.
 *
 *   test namespace ("host", lo up, forwarding on)
 *     br-fw1 172.30.1.1/24 ---- vfw1 == eth0 172.30.1.2  [ctr1: listens :80]
 *     br-fw2 172.30.2.1/24 ---- vfw2 == eth0 172.30.2.2  [ctr2]
 *   published: 0.0.0.0:8080/tcp -> 172.30.1.2:80 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/netfilter.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/nft.h"
#include "core/nl.h"
#include "core/sandbox.h"
#include "core/util.h"
#include "drivers/bridge-fw.h"

/* The rules berth writes: prerouting 4, output 4, postrouting 5, forward 6. */
#define FW_RULES 21

static char dir[] = "/tmp/berth-fw.XXXXXX";

static int setup_group(void **state)
{
	(void)state;
	if (geteuid() != 0)
		return 0;
	/* bind mounts of sandboxes must not reach the machine's mounts */
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return -1;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown_group(void **state)
{
	(void)state;
	if (geteuid() == 0)
		rmdir(dir);
	return 0;
}

/* A fresh network namespace for every test, with lo up. */
static int setup_netns(void **state)
{
	(void)state;
	if (geteuid() != 0)
		return 0;
	if (unshare(CLONE_NEWNET) < 0)
		return -1;
	nl_thread_done();
	return nl_link_set_up("lo", NULL);
}

static void skip_unless_root(void)
{
	if (geteuid() != 0)
		skip();
}

/* The output of a shell command, as one string. */
static char *run(const char *cmd)
{
	FILE *p = popen(cmd, "r");
	char *out = xstrdup(""), buf[4096];
	size_t n;

	while (p && (n = fread(buf, 1, sizeof(buf), p)) > 0) {
		char *x = xasprintf("%s%.*s", out, (int)n, buf);

		free(out);
		out = x;
	}
	if (p)
		pclose(p);
	return out;
}

static char *nft_json(void)
{
	return run("nft -j list table inet berth 2>/dev/null");
}

static size_t count(const char *s, const char *what)
{
	size_t n = 0;

	for (const char *p = strstr(s, what); p; p = strstr(p + 1, what))
		n++;
	return n;
}

static size_t rule_count(void)
{
	_cleanup_free_ char *out = nft_json();

	return count(out, "{\"rule\": {");
}

/* The handles of the rules: they change when a chain is written again. */
static char *rule_handles(void)
{
	return run("nft -a list table inet berth 2>/dev/null | grep comment | "
		   "grep -o '# handle [0-9]*' | tr '\\n' ' '");
}

static char *sysctl(const char *path)
{
	_cleanup_free_ char *cmd = xasprintf("cat %s", path);

	return run(cmd);
}

static void bridge_add(const char *name)
{
	struct berr *err = NULL;

	assert_int_equal(nl_bridge_add(name, 0, &err), 0);
	assert_int_equal(nl_link_set_up(name, &err), 0);
}

static struct prefix prefix(const char *s)
{
	struct prefix p;

	assert_int_equal(cidr_parse_prefix(s, &p, NULL), 0);
	return p;
}

static struct ipaddr addr(const char *s)
{
	struct ipaddr a = {0};

	if (s)
		assert_int_equal(cidr_parse_addr(s, &a, NULL), 0);
	return a;
}

static struct fw_port port(uint8_t proto, const char *host, uint16_t hport, const char *ctr,
			   uint16_t cport)
{
	return (struct fw_port){proto, addr(host), hport, addr(ctr), cport};
}

static void init(void)
{
	struct berr *err = NULL;

	assert_int_equal(fw_init(true, &err), 0);
}

static void net_add(const struct fw_net *n)
{
	struct berr *err = NULL;

	assert_int_equal(fw_network_add(n, &err), 0);
}

static void test_init_creates_tables(void **state)
{
	struct berr *err = NULL;
	_cleanup_free_ char *out = NULL, *fwd = NULL, *fwd6 = NULL;

	(void)state;
	skip_unless_root();
	assert_int_equal(nft_table_exists(NFPROTO_INET, "berth", NULL), 0);
	assert_int_equal(fw_init(true, &err), 0);
	assert_int_equal(nft_table_exists(NFPROTO_INET, "berth", NULL), 1);
	out = nft_json();
	for (const char *const *c =
		     (const char *const[]){"prerouting", "output", "postrouting", "forward", NULL};
	     *c; c++) {
		_cleanup_free_ char *chain = xasprintf("{\"chain\": {\"family\": \"inet\", "
						       "\"table\": \"berth\", \"name\": \"%s\"",
						       *c);

		assert_non_null(strstr(out, chain));
	}
	for (const char *const *s = (const char *const[]){"bridges", "internal", "samebr", "noicc",
							  "masq4", "masq6", "ports4", "ports4ip",
							  "ports6", "ports6ip", NULL};
	     *s; s++) {
		_cleanup_free_ char *name = xasprintf("\"name\": \"%s\"", *s);

		assert_non_null(strstr(out, name));
	}
	assert_int_equal(count(out, "{\"rule\": {"), FW_RULES);
	fwd = sysctl("/proc/sys/net/ipv4/ip_forward");
	fwd6 = sysctl("/proc/sys/net/ipv6/conf/all/forwarding");
	assert_string_equal(fwd, "1\n");
	assert_string_equal(fwd6, "1\n");
	/* the bridge table exactly when the kernel has meta ibrname */
	if (nft_table_exists(NFPROTO_BRIDGE, "berth", NULL) == 1) {
		_cleanup_free_ char *br = run("nft list table bridge berth");

		assert_non_null(strstr(br, "meta ibrname @noicc"));
	}
}

/* A second init writes nothing: not one rule is replaced, elements stay. */
static void test_init_twice(void **state)
{
	struct prefix sub = prefix("172.30.1.0/24");
	struct fw_net n = {"br-fw1", &sub, 1, false, true, true};
	_cleanup_free_ char *before = NULL, *after = NULL, *out = NULL;

	(void)state;
	skip_unless_root();
	bridge_add("br-fw1");
	init();
	net_add(&n);
	before = rule_handles();
	init();
	after = rule_handles();
	assert_int_equal(count(before, "handle"), FW_RULES);
	assert_string_equal(before, after);
	out = nft_json();
	assert_non_null(strstr(out, "\"br-fw1\""));
	assert_non_null(strstr(out, "172.30.1.0"));
	assert_int_equal(count(out, "{\"rule\": {"), FW_RULES);
}

static void test_network_add_del(void **state)
{
	struct prefix subs[] = {prefix("172.30.1.0/24"), prefix("fd00:30:1::/64")};
	struct fw_net n = {"br-fw1", subs, 2, false, false, true};
	struct fw_net in = {"br-fw2", subs, 0, true, true, true};
	struct berr *err = NULL;
	char *out;

	(void)state;
	skip_unless_root();
	bridge_add("br-fw1");
	bridge_add("br-fw2");
	init();
	net_add(&n);
	net_add(&n); /* twice is fine */
	net_add(&in);
	out = nft_json();
	/* bridges, samebr twice, noicc, hairpin4, hairpin6 */
	assert_int_equal(count(out, "\"br-fw1\""), 6);
	/* bridges, samebr twice, internal */
	assert_int_equal(count(out, "\"br-fw2\""), 4);
	assert_non_null(strstr(out, "{\"prefix\": {\"addr\": \"172.30.1.0\", \"len\": 24}}"));
	assert_non_null(strstr(out, "{\"prefix\": {\"addr\": \"fd00:30:1::\", \"len\": 64}}"));
	free(out);
	out = sysctl("/proc/sys/net/ipv4/conf/br-fw1/route_localnet");
	assert_string_equal(out, "1\n");
	free(out);
	/* a bridge that does not exist is refused before anything changes */
	struct fw_net ghost = {"br-ghost", subs, 1, false, true, true};

	assert_true(fw_network_add(&ghost, &err) < 0);
	assert_non_null(err);
	berr_freep(&err);
	out = nft_json();
	assert_null(strstr(out, "br-ghost"));
	free(out);
	/* deleting, twice */
	assert_int_equal(fw_network_del(&n, &err), 0);
	assert_int_equal(fw_network_del(&n, &err), 0);
	out = nft_json();
	assert_null(strstr(out, "\"br-fw1\""));
	assert_null(strstr(out, "172.30.1.0"));
	assert_null(strstr(out, "fd00:30:1::"));
	assert_int_equal(count(out, "\"br-fw2\""), 4);
	free(out);
	assert_int_equal(fw_network_del(&in, &err), 0);
	out = nft_json();
	assert_null(strstr(out, "\"br-fw2\""));
	assert_int_equal(count(out, "{\"rule\": {"), FW_RULES);
	free(out);
}

/* Adjacent subnets of two networks: removing one leaves the other whole. */
static void test_adjacent_subnets(void **state)
{
	struct prefix a = prefix("10.31.0.0/24"), b = prefix("10.31.1.0/24");
	struct fw_net na = {"br-fw1", &a, 1, false, true, true};
	struct fw_net nb = {"br-fw2", &b, 1, false, true, true};
	struct berr *err = NULL;
	_cleanup_free_ char *out = NULL;

	(void)state;
	skip_unless_root();
	bridge_add("br-fw1");
	bridge_add("br-fw2");
	init();
	net_add(&na);
	net_add(&nb);
	assert_int_equal(fw_network_del(&na, &err), 0);
	out = nft_json();
	assert_null(strstr(out, "10.31.0.0"));
	assert_non_null(strstr(out, "{\"prefix\": {\"addr\": \"10.31.1.0\", \"len\": 24}}"));
}

static void test_ports_add_del(void **state)
{
	struct fw_port p[] = {
		port(IPPROTO_TCP, NULL, 8080, "172.30.1.2", 80),
		port(IPPROTO_UDP, "192.0.2.7", 5353, "172.30.1.2", 53),
		port(IPPROTO_TCP, NULL, 8080, "fd00:30:1::2", 80),
		port(IPPROTO_SCTP, "2001:db8::7", 9000, "fd00:30:1::2", 9001),
	};
	struct fw_port other = port(IPPROTO_TCP, NULL, 8080, "172.30.1.3", 80);
	struct berr *err = NULL;
	char *out;

	(void)state;
	skip_unless_root();
	init();
	assert_int_equal(fw_ports_add(p, ARRAY_SIZE(p), &err), 0);
	out = run("nft list table inet berth");
	assert_non_null(strstr(out, "tcp . 8080 : 172.30.1.2 . 80"));
	assert_non_null(strstr(out, "192.0.2.7 . udp . 5353 : 172.30.1.2 . 53"));
	assert_non_null(strstr(out, "tcp . 8080 : fd00:30:1::2 . 80"));
	assert_non_null(strstr(out, "2001:db8::7 . sctp . 9000 : fd00:30:1::2 . 9001"));
	free(out);
	/* the same key again, even with the same data, is refused... */
	assert_int_equal(fw_ports_add(&p[0], 1, &err), -EEXIST);
	assert_non_null(strstr(berr_msg(err), "0.0.0.0:8080/tcp"));
	berr_freep(&err);
	/* ...and takes a new port of the same batch down with it */
	struct fw_port two[] = {port(IPPROTO_TCP, NULL, 9090, "172.30.1.2", 90), other};

	assert_int_equal(fw_ports_add(two, 2, &err), -EEXIST);
	berr_freep(&err);
	out = run("nft list table inet berth");
	assert_null(strstr(out, "9090"));
	free(out);
	/* deleting a port of another container leaves it alone */
	assert_int_equal(fw_ports_del(&other, 1, &err), 0);
	out = run("nft list table inet berth");
	assert_non_null(strstr(out, "tcp . 8080 : 172.30.1.2 . 80"));
	free(out);
	assert_int_equal(fw_ports_del(p, ARRAY_SIZE(p), &err), 0);
	assert_int_equal(fw_ports_del(p, ARRAY_SIZE(p), &err), 0);
	out = run("nft list table inet berth");
	assert_null(strstr(out, "8080"));
	assert_null(strstr(out, "5353"));
	assert_null(strstr(out, "9000"));
	free(out);
	/* bad ports are refused up front */
	struct fw_port bad = port(IPPROTO_ICMP, NULL, 1, "172.30.1.2", 1);

	assert_int_equal(fw_ports_add(&bad, 1, &err), -EINVAL);
	berr_freep(&err);
	bad = port(IPPROTO_TCP, "192.0.2.7", 1, "fd00::1", 1);
	assert_int_equal(fw_ports_add(&bad, 1, &err), -EINVAL);
	berr_freep(&err);
}

/* Ports and networks are elements: the rule count does not move. */
static void test_rule_count_constant(void **state)
{
	struct fw_port ports[50];
	struct prefix subs[20];
	struct fw_net nets[20];
	char names[20][NL_IFNAME_MAX + 1];
	struct berr *err = NULL;
	size_t one;

	(void)state;
	skip_unless_root();
	init();
	for (size_t i = 0; i < ARRAY_SIZE(ports); i++)
		ports[i] = port(IPPROTO_TCP, NULL, (uint16_t)(10000 + i), "172.30.1.2", 80);
	assert_int_equal(fw_ports_add(ports, 1, &err), 0);
	one = rule_count();
	assert_int_equal(fw_ports_add(ports + 1, ARRAY_SIZE(ports) - 1, &err), 0);
	assert_int_equal(rule_count(), one);
	for (size_t i = 0; i < ARRAY_SIZE(nets); i++) {
		_cleanup_free_ char *s = xasprintf("10.40.%zu.0/24", i);

		snprintf(names[i], sizeof(names[i]), "br-n%zu", i);
		bridge_add(names[i]);
		subs[i] = prefix(s);
		nets[i] = (struct fw_net){names[i], &subs[i], 1, i % 3 == 1, i % 2 == 0, true};
		net_add(&nets[i]);
		if (i == 0)
			assert_int_equal(rule_count(), one);
	}
	assert_int_equal(rule_count(), one);
	assert_int_equal(one, FW_RULES);
}

/* Reconcile: stale elements go, missing ones come, rules stay as they
 * are; a rule gone missing is written again. */
static void test_reconcile(void **state)
{
	struct prefix sa = prefix("172.30.1.0/24"), sb = prefix("172.30.2.0/24"),
		      sc = prefix("172.30.3.0/24");
	struct fw_net a = {"br-fw1", &sa, 1, false, true, true};
	struct fw_net b = {"br-fw2", &sb, 1, false, false, true};
	struct fw_net c = {"br-fw3", &sc, 1, true, true, true};
	struct fw_port p1 = port(IPPROTO_TCP, NULL, 8080, "172.30.1.2", 80);
	struct fw_port p2 = port(IPPROTO_UDP, NULL, 5353, "172.30.2.2", 53);
	struct fw_port p3 = port(IPPROTO_TCP, "192.0.2.7", 8443, "172.30.3.2", 443);
	/* p1's key, another container: the data changes */
	struct fw_port p1b = port(IPPROTO_TCP, NULL, 8080, "172.30.1.9", 80);
	struct berr *err = NULL;
	_cleanup_free_ char *before = NULL, *after = NULL;
	char *out, *h;

	(void)state;
	skip_unless_root();
	bridge_add("br-fw1");
	bridge_add("br-fw2");
	bridge_add("br-fw3");
	init();
	net_add(&a);
	net_add(&b);
	assert_int_equal(fw_ports_add(&p1, 1, &err), 0);
	assert_int_equal(fw_ports_add(&p2, 1, &err), 0);
	before = rule_handles();
	assert_int_equal(
		fw_reconcile((struct fw_net[]){a, c}, 2, (struct fw_port[]){p1, p3}, 2, &err), 0);
	after = rule_handles();
	assert_string_equal(before, after);
	out = run("nft list table inet berth");
	assert_null(strstr(out, "br-fw2"));
	assert_null(strstr(out, "172.30.2.0"));
	assert_null(strstr(out, "5353"));
	assert_non_null(strstr(out, "\"br-fw1\" . \"br-fw1\""));
	assert_non_null(strstr(out, "\"br-fw3\" . \"br-fw3\""));
	assert_non_null(strstr(out, "tcp . 8080 : 172.30.1.2 . 80"));
	assert_non_null(strstr(out, "192.0.2.7 . tcp . 8443 : 172.30.3.2 . 443"));
	free(out);
	/* a second time changes nothing at all */
	assert_int_equal(
		fw_reconcile((struct fw_net[]){a, c}, 2, (struct fw_port[]){p1, p3}, 2, &err), 0);
	/* data of a key changes */
	assert_int_equal(
		fw_reconcile((struct fw_net[]){a, c}, 2, (struct fw_port[]){p1b, p3}, 2, &err), 0);
	out = run("nft list table inet berth");
	assert_non_null(strstr(out, "tcp . 8080 : 172.30.1.9 . 80"));
	assert_null(strstr(out, "172.30.1.2 . 80"));
	free(out);
	/* someone deletes a rule: reconcile writes the chain again */
	h = run("nft -a list chain inet berth forward | grep isolate | grep -o 'handle [0-9]*'");
	out = xasprintf("nft delete rule inet berth forward %s", h);
	free(h);
	free(run(out));
	free(out);
	assert_int_equal(rule_count(), FW_RULES - 1);
	assert_int_equal(
		fw_reconcile((struct fw_net[]){a, c}, 2, (struct fw_port[]){p1b, p3}, 2, &err), 0);
	assert_int_equal(rule_count(), FW_RULES);
	out = run("nft list chain inet berth forward");
	assert_non_null(strstr(out, "iifname @bridges oifname @bridges iifname . oifname != "
				    "@samebr drop"));
	free(out);
	/* reconciling from nothing builds everything */
	assert_int_equal(fw_cleanup(&err), 0);
	assert_int_equal(fw_reconcile(&a, 1, &p1, 1, &err), 0);
	assert_int_equal(rule_count(), FW_RULES);
	out = run("nft list table inet berth");
	assert_non_null(strstr(out, "tcp . 8080 : 172.30.1.2 . 80"));
	free(out);
}

static void test_cleanup(void **state)
{
	struct berr *err = NULL;

	(void)state;
	skip_unless_root();
	assert_int_equal(fw_cleanup(&err), 0);
	init();
	assert_int_equal(fw_cleanup(&err), 0);
	assert_int_equal(nft_table_exists(NFPROTO_INET, "berth", NULL), 0);
	assert_int_equal(nft_table_exists(NFPROTO_BRIDGE, "berth", NULL), 0);
	assert_int_equal(fw_cleanup(&err), 0);
}

/* --- packets ------------------------------------------------------- */

struct ctr {
	char path[64];
	struct ipaddr addr, gw;
	int listen_fd; /* made inside, used outside */
	struct ipaddr to;
	uint16_t to_port;
	int connected; /* 1 connected, 0 timed out */
	char peer[INET_ADDRSTRLEN];
};

/* Connect to addr:port within timeout_ms: 1 yes, 0 no. */
static int try_connect(const struct ipaddr *to, uint16_t port, int timeout_ms, int *ret_fd)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), e = 0;
	socklen_t len = sizeof(e);
	struct pollfd pfd = {.fd = fd, .events = POLLOUT};

	memcpy(&sa.sin_addr, to->b, 4);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno != EINPROGRESS) {
		close(fd);
		return 0;
	}
	if (poll(&pfd, 1, timeout_ms) != 1 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) < 0 ||
	    e) {
		close(fd);
		return 0;
	}
	if (ret_fd)
		*ret_fd = fd;
	else
		close(fd);
	return 1;
}

/* Inside a container: eth0 up with its address and default route, and a
 * listener on :80. */
static int ctr_setup(void *arg, struct berr **err)
{
	struct ctr *c = arg;
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(80)};
	int r, one = 1;

	if ((r = nl_addr_add("eth0", &c->addr, 24, err)) < 0 ||
	    (r = nl_link_set_up("eth0", err)) < 0 ||
	    (r = nl_route_add_default(&c->gw, "eth0", err)) < 0)
		return r;
	c->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	setsockopt(c->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(c->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(c->listen_fd, 8) < 0)
		return berr_set(err, errno, "listen: %m");
	return 0;
}

/* Inside a container: connect to c->to:c->to_port. */
static int ctr_connect(void *arg, struct berr **err)
{
	struct ctr *c = arg;

	(void)err;
	c->connected = try_connect(&c->to, c->to_port, c->connected ? 3000 : 300, NULL);
	return 0;
}

/* The address a connection came from, accepted on c's listener. */
static void ctr_accept(struct ctr *c)
{
	struct sockaddr_in peer;
	socklen_t len = sizeof(peer);
	struct pollfd pfd = {.fd = c->listen_fd, .events = POLLIN};
	int fd;

	assert_int_equal(poll(&pfd, 1, 3000), 1);
	fd = accept(c->listen_fd, (struct sockaddr *)&peer, &len);
	assert_true(fd >= 0);
	inet_ntop(AF_INET, &peer.sin_addr, c->peer, sizeof(c->peer));
	close(fd);
}

/* A bridge with gw/24 and a container behind a veth pair; bridge NULL:
 * a plain veth pair with gw/24 on this end (the outside world). */
static void ctr_add(struct ctr *c, const char *bridge, const char *veth, const char *ip,
		    const char *gw)
{
	struct berr *err = NULL;
	int nsfd;

	snprintf(c->path, sizeof(c->path), "%s/%s", dir, veth);
	c->addr = addr(ip);
	c->gw = addr(gw);
	if (bridge && nl_link_get(bridge, NULL, NULL, NULL) == 0)
		bridge_add(bridge);
	if (bridge)
		assert_int_equal(nl_addr_add(bridge, &c->gw, 24, &err), 0);
	assert_int_equal(sb_netns_add(c->path, &err), 0);
	nsfd = open(c->path, O_RDONLY | O_CLOEXEC);
	assert_true(nsfd >= 0);
	assert_int_equal(
		nl_veth_add_ex(&(struct nl_veth){veth, "eth0", nsfd, 0, bridge, NULL, false}, &err),
		0);
	close(nsfd);
	/* no bridge: the gateway's address is on the veth itself */
	if (!bridge)
		assert_int_equal(nl_addr_add(veth, &c->gw, 24, &err), 0);
	assert_int_equal(nl_link_set_up(veth, &err), 0);
	assert_int_equal(sb_netns_run(c->path, ctr_setup, c, &err), 0);
}

static void ctr_del(struct ctr *c)
{
	close(c->listen_fd);
	assert_int_equal(sb_netns_del(c->path, NULL), 0);
}

/* Connect from inside c to addr:port; expect must be 1 (connects) or 0. */
static void ctr_expect(struct ctr *c, const char *to, uint16_t port, int expect)
{
	struct berr *err = NULL;

	c->to = addr(to);
	c->to_port = port;
	c->connected = expect;
	assert_int_equal(sb_netns_run(c->path, ctr_connect, c, &err), 0);
	assert_int_equal(c->connected, expect);
}

/* br_netfilter hands bridged IPv4/IPv6 to the inet hooks (the kernel's
 * default where it is loaded); off, only routed packets meet them. */
static void brnf_set(const char *v)
{
	static const char *const files[] = {"/proc/sys/net/bridge/bridge-nf-call-iptables",
					    "/proc/sys/net/bridge/bridge-nf-call-ip6tables"};

	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		FILE *f = fopen(files[i], "w");

		if (!f)
			skip();
		fputs(v, f);
		fclose(f);
	}
}

static void traffic(bool brnf)
{
	struct prefix s1 = prefix("172.30.1.0/24"), s2 = prefix("172.30.2.0/24");
	struct fw_net n1 = {"br-fw1", &s1, 1, false, true, true};
	struct fw_net n2 = {"br-fw2", &s2, 1, false, true, true};
	struct fw_port p = port(IPPROTO_TCP, NULL, 8080, "172.30.1.2", 80);
	struct ipaddr lo = addr("127.0.0.1");
	struct ctr c1 = {0}, c2 = {0}, c3 = {0};
	struct berr *err = NULL;

	skip_unless_root();
	brnf_set(brnf ? "1" : "0");
	ctr_add(&c1, "br-fw1", "vfw1", "172.30.1.2", "172.30.1.1");
	ctr_add(&c3, "br-fw1", "vfw3", "172.30.1.3", "172.30.1.1");
	ctr_add(&c2, "br-fw2", "vfw2", "172.30.2.2", "172.30.2.1");
	init();
	net_add(&n1);
	net_add(&n2);
	assert_int_equal(fw_ports_add(&p, 1, &err), 0);
	/* the host through 127.0.0.1: DNAT in output, route_localnet, and
	 * the loopback source masqueraded to the bridge's address */
	assert_int_equal(try_connect(&lo, 8080, 3000, NULL), 1);
	ctr_accept(&c1);
	assert_string_equal(c1.peer, "172.30.1.1");
	/* hairpin: ctr3 reaches ctr1's published port through the host and
	 * is masqueraded to the gateway, whether the DNAT'd packet is routed
	 * back onto the bridge or bridged by br_netfilter */
	ctr_expect(&c3, "172.30.1.1", 8080, 1);
	ctr_accept(&c1);
	assert_string_equal(c1.peer, "172.30.1.1");
	/* ctr1 to its own published port: routed, it works as it is; where
	 * br_netfilter bridges it back out of the port it came in by, the
	 * port must be in hairpin mode (the bridge driver's business) */
	if (!brnf) {
		ctr_expect(&c1, "172.30.1.1", 8080, 1);
		ctr_accept(&c1);
		assert_string_equal(c1.peer, "172.30.1.1");
	}
	/* isolation: ctr2 cannot reach ctr1, directly or by its port */
	ctr_expect(&c2, "172.30.1.2", 80, 0);
	ctr_expect(&c2, "172.30.2.1", 8080, 0);
	/* once br-fw2 is no berth bridge, ctr2 is the outside: as with
	 * Docker 28 it reaches a NAT network only through published ports,
	 * and ctr1 sees its real address */
	assert_int_equal(fw_network_del(&n2, &err), 0);
	ctr_expect(&c2, "172.30.1.2", 80, 0);
	ctr_expect(&c2, "172.30.2.1", 8080, 1);
	ctr_accept(&c1);
	assert_string_equal(c1.peer, "172.30.2.2");
	ctr_del(&c1);
	ctr_del(&c2);
	ctr_del(&c3);
}

static void test_traffic(void **state)
{
	(void)state;
	traffic(true);
}

static void test_traffic_routed(void **state)
{
	(void)state;
	traffic(false);
}

/* The outside world on a veth of the host: containers reach it
 * masqueraded, it reaches published ports, an internal network is cut
 * off in both directions. */
static void test_outside(void **state)
{
	struct prefix s1 = prefix("172.30.1.0/24"), s2 = prefix("172.30.2.0/24");
	struct fw_net n1 = {"br-fw1", &s1, 1, false, true, true};
	struct fw_net n2 = {"br-fw2", &s2, 1, true, true, true};
	struct fw_port p = port(IPPROTO_TCP, NULL, 8080, "172.30.1.2", 80);
	struct ctr c1 = {0}, c2 = {0}, out = {0};
	struct berr *err = NULL;

	(void)state;
	skip_unless_root();
	ctr_add(&c1, "br-fw1", "vfw1", "172.30.1.2", "172.30.1.1");
	ctr_add(&c2, "br-fw2", "vfw2", "172.30.2.2", "172.30.2.1");
	ctr_add(&out, NULL, "vout", "198.51.100.2", "198.51.100.1");
	init();
	net_add(&n1);
	net_add(&n2);
	assert_int_equal(fw_ports_add(&p, 1, &err), 0);
	ctr_expect(&c1, "198.51.100.2", 80, 1);
	ctr_accept(&out);
	assert_string_equal(out.peer, "198.51.100.1");
	ctr_expect(&out, "198.51.100.1", 8080, 1);
	ctr_accept(&c1);
	assert_string_equal(c1.peer, "198.51.100.2");
	ctr_expect(&c2, "198.51.100.2", 80, 0);
	ctr_expect(&out, "172.30.2.2", 80, 0);
	/* without masquerade the outside sees the container's own address */
	assert_int_equal(fw_network_del(&n1, &err), 0);
	n1.masquerade = false;
	net_add(&n1);
	ctr_expect(&c1, "198.51.100.2", 80, 1);
	ctr_accept(&out);
	assert_string_equal(out.peer, "172.30.1.2");
	ctr_del(&c1);
	ctr_del(&c2);
	ctr_del(&out);
}

/* icc=false: containers of one bridge do not reach each other, but they
 * still reach the gateway (the host). */
static void test_icc(void **state)
{
	struct prefix s1 = prefix("172.30.1.0/24");
	struct fw_net n = {"br-fw1", &s1, 1, false, false, true};
	struct ctr c1 = {0}, c2 = {0};
	struct berr *err = NULL;
	int lfd;
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(81)};

	(void)state;
	skip_unless_root();
	/* off: without meta ibrname, berth must turn it on for icc=false */
	brnf_set("0");
	ctr_add(&c1, "br-fw1", "vfw1", "172.30.1.2", "172.30.1.1");
	ctr_add(&c2, "br-fw1", "vfw2", "172.30.1.3", "172.30.1.1");
	init();
	/* with icc on, they talk */
	n.icc = true;
	net_add(&n);
	ctr_expect(&c2, "172.30.1.2", 80, 1);
	ctr_accept(&c1);
	assert_int_equal(fw_network_del(&n, &err), 0);
	n.icc = false;
	net_add(&n);
	if (nft_table_exists(NFPROTO_BRIDGE, "berth", NULL) == 0) {
		_cleanup_free_ char *on = sysctl("/proc/sys/net/bridge/bridge-nf-call-iptables");

		assert_string_equal(on, "1\n");
	}
	ctr_expect(&c2, "172.30.1.2", 80, 0);
	/* the gateway answers */
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	memcpy(&sa.sin_addr, c1.gw.b, 4);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(lfd, 4), 0);
	ctr_expect(&c2, "172.30.1.1", 81, 1);
	close(lfd);
	ctr_del(&c1);
	ctr_del(&c2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_init_creates_tables, setup_netns),
		cmocka_unit_test_setup(test_init_twice, setup_netns),
		cmocka_unit_test_setup(test_network_add_del, setup_netns),
		cmocka_unit_test_setup(test_adjacent_subnets, setup_netns),
		cmocka_unit_test_setup(test_ports_add_del, setup_netns),
		cmocka_unit_test_setup(test_rule_count_constant, setup_netns),
		cmocka_unit_test_setup(test_reconcile, setup_netns),
		cmocka_unit_test_setup(test_cleanup, setup_netns),
		cmocka_unit_test_setup(test_traffic, setup_netns),
		cmocka_unit_test_setup(test_traffic_routed, setup_netns),
		cmocka_unit_test_setup(test_outside, setup_netns),
		cmocka_unit_test_setup(test_icc, setup_netns),
	};

	return cmocka_run_group_tests(tests, setup_group, teardown_group);
}
