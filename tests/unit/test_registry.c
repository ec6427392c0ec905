/* test_registry.c - the registry client's pure parts: references (Docker
 * Hub names, registry hosts, tags, digests, refusals) and X-Registry-Auth
 * (base64url JSON, with and without padding, the "auth" field, garbage). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/util.h"
#include "runtime/registry.h"

#define D64 "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void check_ref(const char *in, const char *host, const char *repo, const char *tag,
		      const char *digest, const char *familiar)
{
	struct reg_ref r;

	assert_int_equal(reg_ref_parse(in, &r, NULL), 0);
	assert_string_equal(r.host, host);
	assert_string_equal(r.repo, repo);
	if (tag)
		assert_string_equal(r.tag, tag);
	else
		assert_null(r.tag);
	if (digest)
		assert_string_equal(r.digest, digest);
	else
		assert_null(r.digest);
	assert_string_equal(r.familiar, familiar);
	reg_ref_done(&r);
}

static void test_ref_hub(void **state)
{
	(void)state;
	check_ref("busybox", "registry-1.docker.io", "library/busybox", "latest", NULL, "busybox");
	check_ref("busybox:1.36", "registry-1.docker.io", "library/busybox", "1.36", NULL,
		  "busybox");
	check_ref("team/app", "registry-1.docker.io", "team/app", "latest", NULL, "team/app");
	/* the hub's public names, as the docker CLI sends them */
	check_ref("docker.io/library/busybox", "registry-1.docker.io", "library/busybox", "latest",
		  NULL, "busybox");
	check_ref("index.docker.io/team/app:2", "registry-1.docker.io", "team/app", "2", NULL,
		  "team/app");
	check_ref("library/busybox@" D64, "registry-1.docker.io", "library/busybox", NULL, D64,
		  "busybox");
}

static void test_ref_hosts(void **state)
{
	struct reg_ref r;

	(void)state;
	check_ref("127.0.0.1:5000/team/bb:v1", "127.0.0.1:5000", "team/bb", "v1", NULL,
		  "127.0.0.1:5000/team/bb");
	check_ref("localhost/bb", "localhost", "bb", "latest", NULL, "localhost/bb");
	check_ref("registry.lab/a/b/c@" D64, "registry.lab", "a/b/c", NULL, D64,
		  "registry.lab/a/b/c");
	check_ref("registry.lab:5443/x", "registry.lab:5443", "x", "latest", NULL,
		  "registry.lab:5443/x");
	/* refused */
	assert_int_equal(reg_ref_parse("Team/App", &r, NULL), -EINVAL);
	assert_int_equal(reg_ref_parse("bb@sha256:123", &r, NULL), -EINVAL);
	assert_int_equal(reg_ref_parse("bb:", &r, NULL), -EINVAL);
	assert_int_equal(reg_ref_parse("127.0.0.1:5000/", &r, NULL), -EINVAL);
	assert_true(reg_ref_is_hub(&(struct reg_ref){.host = "registry-1.docker.io"}));
	assert_false(reg_ref_is_hub(&(struct reg_ref){.host = "127.0.0.1:5000"}));
}

static void test_auth_decode(void **state)
{
	struct reg_auth a;
	struct berr *err = NULL;

	(void)state;
	/* {"username":"alice","password":"s3cret","serveraddress":"127.0.0.1:5000"},
	 * base64url without padding (the docker CLI's) */
	assert_int_equal(reg_auth_decode("eyJ1c2VybmFtZSI6ImFsaWNlIiwicGFzc3dvcmQiOiJzM2NyZXQiLCJzZ"
					 "XJ2ZXJhZGRyZXNzIjoiMTI3LjAuMC4xOjUwMDAifQ",
					 &a, NULL),
			 0);
	assert_string_equal(a.username, "alice");
	assert_string_equal(a.password, "s3cret");
	assert_string_equal(a.server, "127.0.0.1:5000");
	reg_auth_done(&a);
	/* {"auth":"YWxpY2U6czNjcmV0"} with padding: user:password in "auth" */
	assert_int_equal(reg_auth_decode("eyJhdXRoIjoiWVd4cFkyVTZjek5qY21WMCJ9", &a, NULL), 0);
	assert_string_equal(a.username, "alice");
	assert_string_equal(a.password, "s3cret");
	reg_auth_done(&a);
	/* "{}" and nothing: no credentials */
	assert_int_equal(reg_auth_decode("e30=", &a, NULL), 0);
	assert_null(a.username);
	reg_auth_done(&a);
	assert_int_equal(reg_auth_decode(NULL, &a, NULL), 0);
	assert_int_equal(reg_auth_decode("", &a, NULL), 0);
	/* {"registrytoken":"t>>?~"}: its encoding has the url-safe '-' */
	assert_int_equal(reg_auth_decode("eyJyZWdpc3RyeXRva2VuIjoidD4-P34ifQ", &a, NULL), 0);
	assert_string_equal(a.registry_token, "t>>?~");
	reg_auth_done(&a);
	/* garbage */
	assert_int_equal(reg_auth_decode("!!!not base64", &a, &err), -EINVAL);
	assert_non_null(strstr(berr_msg(err), "X-Registry-Auth"));
	berr_free(err);
	err = NULL;
	assert_int_equal(reg_auth_decode("bm90IGpzb24", &a, &err), -EINVAL); /* "not json" */
	berr_free(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ref_hub),
		cmocka_unit_test(test_ref_hosts),
		cmocka_unit_test(test_auth_decode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
