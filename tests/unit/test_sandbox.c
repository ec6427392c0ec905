/* test_sandbox.c - network namespaces pinned by bind mounts: made, entered
 * and removed, inside a mount and network namespace this test makes (as
 * root; skipped otherwise), so the machine sees none of it. */
#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_run_del),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
