/* test_dockercfg.c - the CLI's config file: keys as the docker CLI folds
 * them, lookups by registry host, a save/load round trip that keeps other
 * keys, mode 0600, and a malformed file refused.  Works in a temp dir. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "cli/dockercfg.h"
#include "core/util.h"

static void check_key(const char *server, const char *want)
{
	char *k = dockercfg_key(server);

	assert_string_equal(k, want);
	free(k);
}

static void check_server(const char *ref, const char *want)
{
	char *s = dockercfg_ref_server(ref);

	assert_string_equal(s, want);
	free(s);
}

static void test_keys(void **state)
{
	(void)state;
	check_key("127.0.0.1:5000", "127.0.0.1:5000");
	check_key("http://127.0.0.1:5000/", "127.0.0.1:5000");
	check_key("https://registry.lab:5443", "registry.lab:5443");
	check_key("docker.io", DOCKERCFG_HUB);
	check_key("https://index.docker.io/v1/", DOCKERCFG_HUB);
	check_key("registry-1.docker.io", DOCKERCFG_HUB);
	check_server("busybox", DOCKERCFG_HUB);
	check_server("team/app:1", DOCKERCFG_HUB);
	check_server("docker.io/library/busybox", DOCKERCFG_HUB);
	check_server("127.0.0.1:5000/team/bb:v1", "127.0.0.1:5000");
	check_server("localhost/bb", "localhost");
	check_server("registry.lab/a/b@sha256:00", "registry.lab");
}

static void test_get_set_del(void **state)
{
	json_t *cfg = json_pack("{s:{s:{s:s}}}", "auths", "https://127.0.0.1:5000", "auth",
				"YWxpY2U6czNjcmV0"); /* alice:s3cret */
	char *u = NULL, *p = NULL;

	(void)state;
	/* any spelling of the host finds it */
	assert_int_equal(dockercfg_get(cfg, "127.0.0.1:5000", &u, &p), 1);
	assert_string_equal(u, "alice");
	assert_string_equal(p, "s3cret");
	free(u);
	free(p);
	assert_int_equal(dockercfg_get(cfg, "127.0.0.1:5001", &u, &p), 0);
	/* set replaces it under the folded key */
	dockercfg_set(cfg, "http://127.0.0.1:5000/", "bob", "pw:with:colons");
	assert_null(json_object_get(json_object_get(cfg, "auths"), "https://127.0.0.1:5000"));
	assert_int_equal(dockercfg_get(cfg, "127.0.0.1:5000", &u, &p), 1);
	assert_string_equal(u, "bob");
	assert_string_equal(p, "pw:with:colons");
	free(u);
	free(p);
	dockercfg_set(cfg, "docker.io", "hubuser", "x");
	assert_non_null(json_object_get(json_object_get(cfg, "auths"), DOCKERCFG_HUB));
	assert_true(dockercfg_del(cfg, "127.0.0.1:5000"));
	assert_false(dockercfg_del(cfg, "127.0.0.1:5000"));
	assert_int_equal(json_object_size(json_object_get(cfg, "auths")), 1);
	json_decref(cfg);
}

static void test_file(void **state)
{
	char dir[] = "/tmp/berth-dockercfg-XXXXXX";
	_cleanup_free_ char *path = NULL, *bad = NULL, *sub = NULL;
	json_t *cfg, *back = NULL;
	struct berr *err = NULL;
	struct stat st;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	sub = xasprintf("%s/sub", dir);
	path = xasprintf("%s/config.json", sub);
	/* missing: an empty object */
	assert_int_equal(dockercfg_load(path, &cfg, NULL), 0);
	assert_int_equal(json_object_size(cfg), 0);
	json_object_set_new(cfg, "psFormat", json_string("table {{.ID}}"));
	dockercfg_set(cfg, "127.0.0.1:5000", "alice", "s3cret");
	assert_int_equal(dockercfg_save(path, cfg, NULL), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(stat(sub, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_int_equal(dockercfg_load(path, &back, NULL), 0);
	assert_true(json_equal(cfg, back));
	assert_string_equal(json_string_value(json_object_get(back, "psFormat")), "table {{.ID}}");
	json_decref(back);
	json_decref(cfg);
	/* not JSON: refused, named */
	bad = xasprintf("%s/bad.json", dir);
	f = fopen(bad, "w");
	fputs("{not json", f);
	fclose(f);
	assert_int_equal(dockercfg_load(bad, &cfg, &err), -EINVAL);
	assert_non_null(strstr(berr_msg(err), bad));
	berr_free(err);
	/* the X-Registry-Auth value: base64url, no padding */
	cfg = json_pack("{s:s}", "username", "a");
	{
		_cleanup_free_ char *enc = dockercfg_encode_auth(cfg);

		assert_string_equal(enc, "eyJ1c2VybmFtZSI6ImEifQ");
	}
	json_decref(cfg);
	unlink(bad);
	unlink(path);
	rmdir(sub);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_get_set_del),
		cmocka_unit_test(test_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
