/* test_sandbox.c - network namespaces pinned by bind mounts: made, entered
 * and removed, inside a mount and network namespace this test makes (as
 * root; skipped otherwise), so the machine sees none of it. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/nl.h"
#include "core/sandbox.h"
#include "core/util.h"

static char dir[] = "/tmp/berth-sb.XXXXXX";

static int setup(void **state)
{
	(void)state;
	if (geteuid() != 0)
		return 0;
	if (unshare(CLONE_NEWNS | CLONE_NEWNET) < 0)
		return -1;
	/* our mounts must not propagate back to the machine's namespace */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return -1;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	if (geteuid() == 0)
		rmdir(dir);
	return 0;
}

/* Inside the sandbox: lo is there, and a bridge made here stays here. */
static int inside(void *arg, struct berr **err)
{
	int ifindex = 0, r;

	(void)arg;
	r = nl_link_get("lo", &ifindex, NULL, err);
	if (r != 1)
		return -ENODEV;
	return nl_bridge_add("inner0", 0, err);
}

static void test_add_run_del(void **state)
{
	_cleanup_free_ char *path = xasprintf("%s/sb1", dir);
	struct berr *err = NULL;

	(void)state;
	if (geteuid() != 0)
		skip();
	assert_int_equal(sb_netns_add(path, &err), 0);
	assert_int_equal(access(path, F_OK), 0);
	assert_int_equal(sb_netns_run(path, inside, NULL, &err), 0);
	/* not in the namespace the test runs in */
	assert_int_equal(nl_link_get("inner0", NULL, NULL, NULL), 0);
	/* a second time on the same path is refused, and leaves the first alone */
	assert_int_equal(sb_netns_add(path, &err), -EEXIST);
	assert_non_null(err);
	berr_freep(&err);
	assert_int_equal(sb_netns_run(path, inside, NULL, &err), -EEXIST);
	berr_freep(&err);
	assert_int_equal(sb_netns_del(path, &err), 0);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(sb_netns_del(path, &err), 0);
	assert_int_equal(sb_netns_run(path, inside, NULL, &err), -ENOENT);
	berr_freep(&err);
}

struct inside_net {
	struct ipaddr addr, gw;
};

/* Inside: eth0 gets its MAC, address and default route, then a datagram
 * goes to the gateway, which the test receives outside. */
static int inside_net(void *arg, struct berr **err)
{
	struct inside_net *n = arg;
	static const uint8_t mac[6] = {0x02, 0x42, 0x0a, 0x4d, 0x00, 0x02};
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(40000)};
	int fd, r;

	if ((r = nl_link_set_mac("eth0", mac, err)) < 0 ||
	    (r = nl_addr_add("eth0", &n->addr, 24, err)) < 0 ||
	    (r = nl_link_set_up("eth0", err)) < 0 ||
	    (r = nl_route_add_default(&n->gw, "eth0", err)) < 0)
		return r;
	/* a route to anywhere goes via the gateway now */
	memcpy(&to.sin_addr, n->gw.b, 4);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	for (int i = 0; i < 50; i++) {
		sendto(fd, "hello", 5, 0, (struct sockaddr *)&to, sizeof(to));
		usleep(20000);
	}
	close(fd);
	return 0;
}

static void test_veth_into_sandbox(void **state)
{
	_cleanup_free_ char *path = xasprintf("%s/sb2", dir);
	struct berr *err = NULL;
	struct inside_net n;
	struct sockaddr_in at = {.sin_family = AF_INET, .sin_port = htons(40000)};
	struct timeval tv = {.tv_sec = 3};
	char buf[16] = "";
	int nsfd, fd;

	(void)state;
	if (geteuid() != 0)
		skip();
	cidr_parse_addr("10.77.0.2", &n.addr, NULL);
	cidr_parse_addr("10.77.0.1", &n.gw, NULL);
	assert_int_equal(nl_bridge_add("br77", 0, &err), 0);
	assert_int_equal(nl_addr_add("br77", &n.gw, 24, &err), 0);
	assert_int_equal(nl_link_set_up("br77", &err), 0);
	assert_int_equal(sb_netns_add(path, &err), 0);
	nsfd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(nsfd >= 0);
	assert_int_equal(nl_veth_add("vb77", "eth0", nsfd, 1400, &err), 0);
	close(nsfd);
	/* the peer is not here: it was made in the sandbox */
	assert_int_equal(nl_link_get("eth0", NULL, NULL, NULL), 0);
	assert_int_equal(nl_link_set_master("vb77", "br77", &err), 0);
	assert_int_equal(nl_link_set_up("vb77", &err), 0);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	memcpy(&at.sin_addr, n.gw.b, 4);
	assert_int_equal(bind(fd, (struct sockaddr *)&at, sizeof(at)), 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	assert_int_equal(sb_netns_run(path, inside_net, &n, &err), 0);
	assert_int_equal(recv(fd, buf, sizeof(buf) - 1, 0), 5);
	assert_string_equal(buf, "hello");
	close(fd);
	/* deleting the namespace takes the veth pair with it */
	assert_int_equal(sb_netns_del(path, &err), 0);
	for (int i = 0; i < 100 && nl_link_get("vb77", NULL, NULL, NULL) == 1; i++)
		usleep(20000);
	assert_int_equal(nl_link_get("vb77", NULL, NULL, NULL), 0);
	assert_int_equal(nl_link_del("br77", &err), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_run_del),
		cmocka_unit_test(test_veth_into_sandbox),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
