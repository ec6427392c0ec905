/* test_exec.c - pure pieces of exec and attach: detach-key parsing and
 * scanning, the exec description's JSON codec, the exit line. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/detach.h"
#include "core/util.h"
#include "runtime/runtime.h"

static void test_detach_parse(void **state)
{
	struct detach_keys dk;
	struct berr *err = NULL;

	(void)state;
	assert_int_equal(detach_keys_parse(NULL, &dk, NULL), 0);
	assert_int_equal(dk.len, 2);
	assert_int_equal(dk.seq[0], 16);
	assert_int_equal(dk.seq[1], 17);
	assert_int_equal(detach_keys_parse("a,ctrl-[,ctrl-@,ctrl-_", &dk, NULL), 0);
	assert_int_equal(dk.len, 4);
	assert_memory_equal(dk.seq, "a\x1b\x00\x1f", 4);
	assert_int_equal(detach_keys_parse("ctrl-P", &dk, &err), -EINVAL);
	assert_string_equal(berr_msg(err), "Invalid detach keys (ctrl-P) provided");
	berr_free(err);
	assert_int_equal(detach_keys_parse("ab", &dk, NULL), -EINVAL);
	assert_int_equal(detach_keys_parse(",", &dk, NULL), -EINVAL);
}

static void test_detach_scan(void **state)
{
	struct detach_keys dk;
	char out[64];
	size_t n;

	(void)state;
	detach_keys_parse(NULL, &dk, NULL);
	assert_false(detach_keys_scan(&dk, "ls\n", 3, out, &n));
	assert_int_equal(n, 3);
	assert_memory_equal(out, "ls\n", 3);
	/* a ctrl-p alone is held back, then released by what follows */
	assert_false(detach_keys_scan(&dk, "x\x10", 2, out, &n));
	assert_int_equal(n, 1);
	assert_false(detach_keys_scan(&dk, "y", 1, out, &n));
	assert_int_equal(n, 2);
	assert_memory_equal(out, "\x10y", 2);
	/* ctrl-p ctrl-p: the first is released, the second held */
	assert_false(detach_keys_scan(&dk, "\x10\x10", 2, out, &n));
	assert_int_equal(n, 1);
	/* the sequence across two reads; what follows it is dropped */
	assert_true(detach_keys_scan(&dk, "\x11zz", 3, out, &n));
	assert_int_equal(n, 0);
	assert_true(detach_keys_scan(&dk, "ab\x10\x11", 4, out, &n));
	assert_int_equal(n, 2);
	assert_memory_equal(out, "ab", 2);
}

static void test_exec_spec_json(void **state)
{
	char *args[] = {"sh", "-c", "exit 3", NULL}, *env[] = {"X=1", NULL};
	struct rt_exec_spec in = {.args = args,
				  .env = env,
				  .cwd = "/tmp",
				  .uid = 65534,
				  .gid = 65534,
				  .tty = true,
				  .open_stdin = true};
	struct rt_exec_spec out;
	json_t *j = rt_exec_spec_to_json(&in);

	(void)state;
	assert_int_equal(rt_exec_spec_from_json(j, &out, NULL), 0);
	assert_string_equal(out.args[2], "exit 3");
	assert_null(out.args[3]);
	assert_string_equal(out.env[0], "X=1");
	assert_string_equal(out.cwd, "/tmp");
	assert_int_equal(out.uid, 65534);
	assert_true(out.tty && out.open_stdin && !out.detach && !out.privileged);
	rt_exec_spec_done(&out);
	json_object_set_new(j, "cwd", json_string("tmp"));
	assert_int_equal(rt_exec_spec_from_json(j, &out, NULL), -EINVAL);
	json_object_set_new(j, "cwd", json_string("/"));
	json_object_set_new(j, "args", json_array());
	assert_int_equal(rt_exec_spec_from_json(j, &out, NULL), -EINVAL);
	json_decref(j);
}

static void test_exec_exit_line(void **state)
{
	int code = -1;

	(void)state;
	assert_int_equal(rt_exec_exit_parse("{\"exit\":3}\n", &code), 0);
	assert_int_equal(code, 3);
	assert_int_equal(rt_exec_exit_parse("{\"ok\":true}\n", &code), -EINVAL);
	assert_int_equal(rt_exec_exit_parse("{\"exit\":300}", &code), -EINVAL);
	assert_int_equal(rt_exec_exit_parse("", &code), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_detach_parse),
		cmocka_unit_test(test_detach_scan),
		cmocka_unit_test(test_exec_spec_json),
		cmocka_unit_test(test_exec_exit_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
