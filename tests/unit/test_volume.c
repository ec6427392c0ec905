/* test_volume.c - the volume model: Docker's name rule, create bodies
 * (generated names, drivers, options, labels), the API and store codecs,
 * and the -v (Binds) parser containers use.  No daemon, no disk. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "core/container.h"
#include "core/util.h"
#include "core/volume.h"

static void test_name_rule(void **state)
{
	static const char *const good[] = {"ab", "my-vol", "v.1", "A_b-c.d", "0x"};
	static const char *const bad[] = {"a", "", "-ab", "_ab", ".ab", "a/b", "a b", "a:b", "é1"};
	struct berr *err = NULL;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(good); i++)
		assert_int_equal(vol_name_validate(good[i], NULL), 0);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		assert_int_equal(vol_name_validate(bad[i], NULL), -EINVAL);
	assert_int_equal(vol_name_validate("a/b", &err), -EINVAL);
	assert_non_null(strstr(err->msg, "includes invalid characters for a local volume name"));
	berr_free(err);
}

static void test_create_body(void **state)
{
	json_t *body = json_pack("{s:s, s:{s:s}, s:{s:s}}", "Name", "myvol", "Labels", "a", "b",
				 "DriverOpts", "type", "tmpfs");
	struct volume *v;

	(void)state;
	assert_int_equal(vol_from_create_json(body, &v, NULL), 0);
	assert_string_equal(v->name, "myvol");
	assert_string_equal(v->driver, "local");
	assert_false(v->anonymous);
	assert_string_equal(json_string_value(json_object_get(v->labels, "a")), "b");
	vol_free(v);
	json_decref(body);

	body = json_object();
	assert_int_equal(vol_from_create_json(body, &v, NULL), 0);
	assert_int_equal(strlen(v->name), 64);
	assert_true(v->anonymous);
	assert_int_equal(json_object_size(v->labels), 0);
	vol_free(v);
	json_decref(body);
}

static void test_create_refused(void **state)
{
	static const char *const bodies[] = {
		"{\"Name\":\"a/b\"}",
		"{\"Name\":\"ok1\",\"Driver\":\"nfsplugin\"}",
		"{\"Name\":\"ok1\",\"DriverOpts\":{\"bogus\":\"1\"}}",
		"{\"Name\":\"ok1\",\"Labels\":[]}",
		"{\"Name\":\"ok1\",\"Labels\":{\"a\":1}}",
	};
	static const int codes[] = {EINVAL, ENOENT, EINVAL, EINVAL, EINVAL};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bodies); i++) {
		json_t *body = json_loads(bodies[i], 0, NULL);
		struct volume *v = NULL;

		assert_int_equal(vol_from_create_json(body, &v, NULL), -codes[i]);
		assert_null(v);
		json_decref(body);
	}
}

static void test_codecs(void **state)
{
	json_t *body = json_pack("{s:s, s:{s:s}}", "Name", "keep", "Labels", "k", "v");
	json_t *api, *stored;
	struct volume *v, *back;

	(void)state;
	assert_int_equal(vol_from_create_json(body, &v, NULL), 0);
	v->mountpoint = xstrdup("/r/volumes/keep/_data");
	api = vol_to_json(v);
	assert_string_equal(json_string_value(json_object_get(api, "Scope")), "local");
	assert_string_equal(json_string_value(json_object_get(api, "Driver")), "local");
	assert_string_equal(json_string_value(json_object_get(api, "Mountpoint")),
			    "/r/volumes/keep/_data");
	assert_true(json_is_object(json_object_get(api, "Options")));
	assert_int_equal(strlen(json_string_value(json_object_get(api, "CreatedAt"))), 20);
	assert_null(json_object_get(api, "Anonymous"));
	stored = vol_to_store_json(v);
	assert_int_equal(vol_from_store_json(stored, &back, NULL), 0);
	assert_string_equal(back->name, "keep");
	assert_int_equal(back->created.tv_sec, v->created.tv_sec);
	assert_int_equal(back->created.tv_nsec, v->created.tv_nsec);
	assert_true(json_equal(back->labels, v->labels));
	vol_free(back);
	json_object_del(stored, "Name");
	assert_int_equal(vol_from_store_json(stored, &back, NULL), -EINVAL);
	json_decref(stored);
	json_decref(api);
	json_decref(body);
	vol_free(v);
}

static void test_bind_parse(void **state)
{
	struct ctr_bind b;

	(void)state;
	assert_int_equal(ctr_bind_parse("/host:/ctr:ro", &b, NULL), 0);
	assert_string_equal(b.source, "/host");
	assert_string_equal(b.target, "/ctr");
	assert_true(b.readonly);
	ctr_bind_done(&b);
	assert_int_equal(ctr_bind_parse("myvol:/data:nocopy,rw", &b, NULL), 0);
	assert_string_equal(b.source, "myvol");
	assert_true(b.nocopy);
	assert_false(b.readonly);
	ctr_bind_done(&b);
	assert_int_equal(ctr_bind_parse("/anon", &b, NULL), 0);
	assert_null(b.source);
	assert_string_equal(b.target, "/anon");
	assert_string_equal(b.mode, "");
	ctr_bind_done(&b);
	assert_int_equal(ctr_bind_parse("myvol:rel", &b, NULL), -EINVAL);
	assert_int_equal(ctr_bind_parse("b@d:/x", &b, NULL), -EINVAL);
	assert_int_equal(ctr_bind_parse("/a:/b:bogus", &b, NULL), -EINVAL);
	assert_int_equal(ctr_bind_parse("/a:/b:ro:x", &b, NULL), -EINVAL);
	assert_int_equal(ctr_bind_parse(":/b", &b, NULL), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name_rule),      cmocka_unit_test(test_create_body),
		cmocka_unit_test(test_create_refused), cmocka_unit_test(test_codecs),
		cmocka_unit_test(test_bind_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
