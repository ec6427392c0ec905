/* test_dockercfg.c - the CLI's config file (cli/dockercfg.c): keys as the
 * docker CLI folds them, lookups by registry host, a save/load round trip
 * that keeps other keys, mode 0600, no temp file left, malformed files
 * refused with the file named, and the X-Registry-Auth value.  Works in a
 * temp dir. */
#include <dirent.h>
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

/* A temp dir for one test, removed (with what is in it) after. */
static int tmpdir_setup(void **state)
{
	char *dir = xstrdup("/tmp/berth-dockercfg-XXXXXX");

	if (!mkdtemp(dir))
		return -1;
	*state = dir;
	return 0;
}

static int tmpdir_teardown(void **state)
{
	_cleanup_free_ char *cmd = xasprintf("rm -rf '%s'", (char *)*state);
	int r = system(cmd);

	free(*state);
	return r;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "we");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static size_t count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0;

	assert_non_null(d);
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static void check_key(const char *server, const char *want)
{
	_cleanup_free_ char *k = dockercfg_key(server);

	assert_string_equal(k, want);
}

static void check_host(const char *server, const char *want)
{
	_cleanup_free_ char *h = dockercfg_hostname(server);

	assert_string_equal(h, want);
}

static void check_server(const char *ref, const char *want)
{
	_cleanup_free_ char *s = dockercfg_ref_server(ref);

	assert_string_equal(s, want);
}

static void test_keys(void **state)
{
	(void)state;
	check_key("127.0.0.1:5000", "127.0.0.1:5000");
	check_key("http://127.0.0.1:5000/", "127.0.0.1:5000");
	check_key("https://registry.lab:5443", "registry.lab:5443");
	check_key("https://registry.lab:5443/v2//", "registry.lab:5443/v2");
	check_key("docker.io", DOCKERCFG_HUB);
	check_key("https://index.docker.io/v1/", DOCKERCFG_HUB);
	check_key("index.docker.io", DOCKERCFG_HUB);
	check_key("registry-1.docker.io", DOCKERCFG_HUB);
	check_host("https://registry.lab:5443/v2/", "registry.lab:5443");
	check_host("127.0.0.1:5000", "127.0.0.1:5000");
	check_host("http://docker.io", DOCKERCFG_HUB);
	check_server("busybox", DOCKERCFG_HUB);
	check_server("busybox:1.36", DOCKERCFG_HUB);
	check_server("team/app:1", DOCKERCFG_HUB);
	check_server("docker.io/library/busybox", DOCKERCFG_HUB);
	check_server("registry-1.docker.io/library/busybox", DOCKERCFG_HUB);
	check_server("127.0.0.1:5000/team/bb:v1", "127.0.0.1:5000");
	check_server("localhost/bb", "localhost");
	check_server("registry.lab/a/b@sha256:00", "registry.lab");
}

static void check_get(json_t *cfg, const char *server, const char *user, const char *pass)
{
	char *u = NULL, *p = NULL;

	assert_int_equal(dockercfg_get(cfg, server, &u, &p), 1);
	assert_string_equal(u, user);
	assert_string_equal(p, pass);
	free(u);
	free(p);
}

static void test_lookup(void **state)
{
	json_t *cfg =
		json_pack("{s:{s:{s:s}, s:{s:s, s:s}, s:{s:s}}}", "auths", "https://127.0.0.1:5000",
			  "auth", "YWxpY2U6czNjcmV0", /* alice:s3cret */
			  "registry.lab", "username", "carol", "password", "pw",
			  "https://index.docker.io/v1/", "auth", "aHViOmh1YnB3"); /* hub:hubpw */
	char *u = NULL, *p = NULL;

	(void)state;
	/* any spelling of the host finds it */
	check_get(cfg, "127.0.0.1:5000", "alice", "s3cret");
	check_get(cfg, "http://127.0.0.1:5000/v2/", "alice", "s3cret");
	assert_int_equal(dockercfg_get(cfg, "127.0.0.1:5001", &u, &p), 0);
	assert_int_equal(dockercfg_get(cfg, "127.0.0.1", &u, &p), 0);
	assert_null(u);
	/* the separate username/password fields */
	check_get(cfg, "registry.lab", "carol", "pw");
	/* Docker Hub under its names */
	check_get(cfg, "docker.io", "hub", "hubpw");
	check_get(cfg, "registry-1.docker.io", "hub", "hubpw");
	check_get(cfg, "index.docker.io", "hub", "hubpw");
	/* a key of its own wins over one of the same host */
	json_object_set_new(json_object_get(cfg, "auths"), "127.0.0.1:5000",
			    json_pack("{s:s}", "auth", "Ym9iOmI=")); /* bob:b */
	check_get(cfg, "127.0.0.1:5000", "bob", "b");
	/* an entry that is not base64 of user:password: none */
	json_object_set_new(json_object_get(cfg, "auths"), "bad:1",
			    json_pack("{s:s}", "auth", "bm9jb2xvbg==")); /* nocolon */
	assert_int_equal(dockercfg_get(cfg, "bad:1", &u, &p), 0);
	json_decref(cfg);
}

static void test_set_del(void **state)
{
	json_t *cfg = json_pack("{s:{s:{s:s}, s:{s:s}}}", "auths", "https://127.0.0.1:5000", "auth",
				"YWxpY2U6czNjcmV0", "127.0.0.1:5000", "auth", "Ym9iOmI=");
	json_t *auths = json_object_get(cfg, "auths");

	(void)state;
	/* set replaces every entry of the host, under the folded key */
	dockercfg_set(cfg, "http://127.0.0.1:5000/", "dave", "pw:with:colons");
	assert_int_equal(json_object_size(auths), 1);
	check_get(cfg, "127.0.0.1:5000", "dave", "pw:with:colons");
	assert_string_equal(json_string_value(json_object_get(
				    json_object_get(auths, "127.0.0.1:5000"), "auth")),
			    "ZGF2ZTpwdzp3aXRoOmNvbG9ucw==");
	dockercfg_set(cfg, "docker.io", "hubuser", "x");
	assert_non_null(json_object_get(auths, DOCKERCFG_HUB));
	/* del: every spelling of the host goes, then nothing is left to remove */
	json_object_set_new(auths, "https://127.0.0.1:5000", json_pack("{s:s}", "auth", "eDp5"));
	assert_true(dockercfg_del(cfg, "127.0.0.1:5000"));
	assert_false(dockercfg_del(cfg, "127.0.0.1:5000"));
	assert_int_equal(json_object_size(auths), 1);
	assert_true(dockercfg_del(cfg, "https://index.docker.io/v1/"));
	assert_int_equal(json_object_size(auths), 0);
	json_decref(cfg);
	/* set on a file without "auths" makes it */
	cfg = json_object();
	dockercfg_set(cfg, "127.0.0.1:5000", "a", "b");
	check_get(cfg, "127.0.0.1:5000", "a", "b");
	json_decref(cfg);
}

static void test_file(void **state)
{
	const char *dir = *state;
	_cleanup_free_ char *sub = xasprintf("%s/a/b", dir);
	_cleanup_free_ char *path = xasprintf("%s/config.json", sub);
	json_t *cfg, *back = NULL;
	struct stat st;

	/* missing: an empty object, and nothing made */
	assert_int_equal(dockercfg_load(path, &cfg, NULL), 0);
	assert_int_equal(json_object_size(cfg), 0);
	assert_int_equal(count_entries(dir), 0);
	json_object_set_new(cfg, "psFormat", json_string("table {{.ID}}"));
	json_object_set_new(cfg, "credHelpers", json_pack("{s:s}", "x.example", "pass"));
	dockercfg_set(cfg, "127.0.0.1:5000", "alice", "s3cret");
	assert_int_equal(dockercfg_save(path, cfg, NULL), 0);
	/* mode 0600, the directories made 0700, no temp file left */
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(stat(sub, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_int_equal(count_entries(sub), 1);
	/* the round trip keeps the other keys */
	assert_int_equal(dockercfg_load(path, &back, NULL), 0);
	assert_true(json_equal(cfg, back));
	assert_string_equal(json_string_value(json_object_get(back, "psFormat")), "table {{.ID}}");
	json_decref(back);
	/* saved again over a file of mode 0644: 0600 again */
	chmod(path, 0644);
	assert_int_equal(dockercfg_save(path, cfg, NULL), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	json_decref(cfg);
}

static void check_refused(const char *path, const char *text, const char *why)
{
	struct berr *err = NULL;
	json_t *cfg = NULL;

	write_file(path, text);
	assert_int_equal(dockercfg_load(path, &cfg, &err), -EINVAL);
	assert_null(cfg);
	assert_non_null(strstr(berr_msg(err), path));
	assert_non_null(strstr(berr_msg(err), why));
	berr_free(err);
}

static void test_malformed(void **state)
{
	const char *dir = *state;
	_cleanup_free_ char *bad = xasprintf("%s/config.json", dir);
	_cleanup_free_ char *blocked = xasprintf("%s/file/config.json", dir);
	_cleanup_free_ char *file = xasprintf("%s/file", dir);
	struct berr *err = NULL;
	json_t *cfg = json_object();

	check_refused(bad, "{not json", "cannot parse the config file");
	check_refused(bad, "[1, 2]", "not a JSON object");
	check_refused(bad, "", "cannot parse the config file");
	/* a directory that cannot be made: the error says where */
	write_file(file, "x");
	assert_true(dockercfg_save(blocked, cfg, &err) < 0);
	assert_non_null(strstr(berr_msg(err), file));
	berr_free(err);
	json_decref(cfg);
}

/* X-Registry-Auth from $BERTH_CONFIG/config.json. */
static void test_registry_auth(void **state)
{
	const char *dir = *state;
	_cleanup_free_ char *path = xasprintf("%s/config.json", dir);
	_cleanup_free_ char *enc = NULL, *from_env = NULL;
	struct berr *err = NULL;
	json_t *o = json_pack("{s:s}", "username", "a");
	char *auth = NULL;

	/* base64url with Go's padding */
	enc = dockercfg_encode_auth(o);
	assert_string_equal(enc, "eyJ1c2VybmFtZSI6ImEifQ==");
	json_decref(o);
	o = json_pack("{s:s}", "k", "\xfb\xff");
	free(enc);
	enc = dockercfg_encode_auth(o);
	assert_null(strpbrk(enc, "+/"));
	json_decref(o);

	setenv("BERTH_CONFIG", dir, 1);
	from_env = dockercfg_path();
	assert_string_equal(from_env, path);
	/* no file, or no entry: none */
	assert_int_equal(dockercfg_registry_auth("127.0.0.1:5000", &auth, NULL), 0);
	assert_null(auth);
	write_file(path, "{\"auths\":{\"127.0.0.1:5000\":{\"auth\":\"YWxpY2U6czNjcmV0\"}}}");
	assert_int_equal(dockercfg_registry_auth("10.0.0.1:5000", &auth, NULL), 0);
	assert_null(auth);
	assert_int_equal(dockercfg_registry_auth("127.0.0.1:5000", &auth, NULL), 0);
	/* {"username":"alice","password":"s3cret","serveraddress":"127.0.0.1:5000"} */
	assert_string_equal(auth, "eyJ1c2VybmFtZSI6ImFsaWNlIiwicGFzc3dvcmQiOiJzM2NyZXQiLCJzZXJ2ZXJh"
				  "ZGRyZXNzIjoiMTI3LjAuMC4xOjUwMDAifQ==");
	free(auth);
	/* a broken file is an error, not "no credentials" */
	write_file(path, "{");
	assert_true(dockercfg_registry_auth("127.0.0.1:5000", &auth, &err) < 0);
	assert_non_null(strstr(berr_msg(err), path));
	berr_free(err);
	unsetenv("BERTH_CONFIG");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_set_del),
		cmocka_unit_test_setup_teardown(test_file, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_malformed, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_registry_auth, tmpdir_setup, tmpdir_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
