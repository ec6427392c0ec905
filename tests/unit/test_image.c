/* test_image.c - tar extraction (and what it refuses), tar creation, the
 * image store (import, lookup, tags, removal with shared layers, reopen)
 * and `docker import -c` changes.  Works in temp directories; no daemon. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/store.h"
#include "core/util.h"
#include "runtime/image.h"
#include "runtime/tar.h"

/* One entry of a test tarball. */
struct tent {
	char type; /* 'f' file, 'd' dir, 'l' symlink, 'h' hard link */
	const char *path;
	const char *data; /* content, or the link target */
};

/* A tarball of entries in a memfd at offset 0. */
static int make_tar(const struct tent *ents, size_t n)
{
	int fd = memfd_create("tar", MFD_CLOEXEC);
	struct archive *w = archive_write_new();

	archive_write_set_format_pax_restricted(w);
	archive_write_open_fd(w, fd);
	for (size_t i = 0; i < n; i++) {
		struct archive_entry *e = archive_entry_new();

		archive_entry_set_pathname(e, ents[i].path);
		archive_entry_set_mtime(e, 1700000000, 0);
		if (ents[i].type == 'd') {
			archive_entry_set_filetype(e, AE_IFDIR);
			archive_entry_set_perm(e, 0755);
		} else if (ents[i].type == 'l') {
			archive_entry_set_filetype(e, AE_IFLNK);
			archive_entry_set_perm(e, 0777);
			archive_entry_set_symlink(e, ents[i].data);
		} else if (ents[i].type == 'h') {
			archive_entry_set_filetype(e, AE_IFREG);
			archive_entry_set_perm(e, 0644);
			archive_entry_set_hardlink(e, ents[i].data);
		} else {
			archive_entry_set_filetype(e, AE_IFREG);
			archive_entry_set_perm(e, 0644);
			archive_entry_set_size(e, (la_int64_t)strlen(ents[i].data));
		}
		archive_write_header(w, e);
		if (ents[i].type == 'f')
			archive_write_data(w, ents[i].data, strlen(ents[i].data));
		archive_entry_free(e);
	}
	archive_write_close(w);
	archive_write_free(w);
	lseek(fd, 0, SEEK_SET);
	return fd;
}

static char *make_tmpdir(void)
{
	char tmpl[] = "/tmp/test_image.XXXXXX", real[PATH_MAX];

	assert_non_null(mkdtemp(tmpl));
	assert_non_null(realpath(tmpl, real));
	return xstrdup(real);
}

static bool dir_is_empty(const char *dir)
{
	char cmd[PATH_MAX + 32];

	snprintf(cmd, sizeof(cmd), "test -z \"$(ls -A %s)\"", dir);
	return system(cmd) == 0;
}

static bool path_exists(const char *dir, const char *rel)
{
	_cleanup_free_ char *p = xasprintf("%s/%s", dir, rel);
	struct stat st;

	return lstat(p, &st) == 0;
}

static void rm_rf(const char *dir)
{
	tar_remove_tree(dir, NULL);
}

/* Extract ents into a fresh parent: the berr code (0 on success). */
static int extract(const struct tent *ents, size_t n, const char *parent, struct tar_layer *tl,
		   struct berr **err)
{
	_cleanup_close_ int fd = make_tar(ents, n);

	return tar_extract(fd, parent, tl, err);
}

static const struct tent good[] = {
	{'d', "bin", NULL},
	{'f', "bin/busybox", "#!/bin/true\n"},
	{'l', "bin/sh", "/bin/busybox"},
	{'h', "bin/ash", "bin/busybox"},
	{'d', "./etc/", NULL},
	{'f', "etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"},
};

static void test_tar_extract(void **state)
{
	_cleanup_free_ char *parent = make_tmpdir();
	_cleanup_close_ int fd = make_tar(good, ARRAY_SIZE(good));
	struct berr *err = NULL;
	struct tar_layer tl = {.keep_stream = true};
	char digest[TAR_DIGEST_LEN];
	struct stat st;
	off_t len = lseek(fd, 0, SEEK_END);
	char *map = mmap(NULL, (size_t)len, PROT_READ, MAP_PRIVATE, fd, 0);

	(void)state;
	tar_digest(map, (size_t)len, digest);
	munmap(map, (size_t)len);
	lseek(fd, 0, SEEK_SET);
	assert_int_equal(tar_extract(fd, parent, &tl, &err), 0);
	assert_string_equal(tl.digest, digest);
	assert_true(path_exists(tl.dir, "bin/busybox"));
	assert_true(path_exists(tl.dir, "etc/passwd"));
	assert_int_equal(tl.size, (int64_t)(strlen(good[1].data) + strlen(good[5].data)));
	_cleanup_free_ char *sh = xasprintf("%s/bin/sh", tl.dir);
	char target[64] = {0};

	assert_true(readlink(sh, target, sizeof(target) - 1) > 0);
	assert_string_equal(target, "/bin/busybox");
	_cleanup_free_ char *ash = xasprintf("%s/bin/ash", tl.dir);

	assert_int_equal(stat(ash, &st), 0);
	assert_int_equal(st.st_nlink, 2);
	/* the stream is kept beside the layer, byte for byte */
	{
		_cleanup_close_ int kfd = open(tl.stream, O_RDONLY | O_CLOEXEC);
		off_t klen = lseek(kfd, 0, SEEK_END);
		char *kmap = mmap(NULL, (size_t)klen, PROT_READ, MAP_PRIVATE, kfd, 0);
		char kd[TAR_DIGEST_LEN];

		assert_int_equal(klen, len);
		tar_digest(kmap, (size_t)klen, kd);
		munmap(kmap, (size_t)klen);
		assert_string_equal(kd, tl.digest);
	}
	free(tl.dir);
	free(tl.stream);
	rm_rf(parent);
}

/* A refused stream leaves nothing under the parent directory. */
static void expect_refused(const struct tent *ents, size_t n, const char *what)
{
	_cleanup_free_ char *parent = make_tmpdir();
	struct berr *err = NULL;
	struct tar_layer tl = {.keep_stream = true};

	assert_true(extract(ents, n, parent, &tl, &err) < 0);
	assert_non_null(err);
	assert_non_null(strstr(err->msg, what));
	assert_true(dir_is_empty(parent));
	berr_free(err);
	rm_rf(parent);
}

static void test_tar_refuse_dotdot(void **state)
{
	const struct tent e[] = {{'f', "a", "x"}, {'f', "../x", "evil"}};
	const struct tent e2[] = {{'d', "a", NULL}, {'f', "a/../../x", "evil"}};

	(void)state;
	expect_refused(e, ARRAY_SIZE(e), "leads out of the layer");
	expect_refused(e2, ARRAY_SIZE(e2), "leads out of the layer");
}

static void test_tar_refuse_absolute(void **state)
{
	const struct tent e[] = {{'f', "/tmp/berth-test-abs", "evil"}};

	(void)state;
	expect_refused(e, ARRAY_SIZE(e), "leads out of the layer");
	assert_int_equal(access("/tmp/berth-test-abs", F_OK), -1);
}

static void test_tar_refuse_symlink_out(void **state)
{
	_cleanup_free_ char *outside = make_tmpdir();
	_cleanup_free_ char *victim = xasprintf("%s/x", outside);
	const struct tent e[] = {{'l', "evil", outside}, {'f', "evil/x", "written through"}};
	const struct tent e2[] = {{'l', "up", "../../../../../../.."},
				  {'f', "up/tmp/berth-test-up", "evil"}};

	(void)state;
	expect_refused(e, ARRAY_SIZE(e), "refusing evil/x");
	assert_int_equal(access(victim, F_OK), -1);
	expect_refused(e2, ARRAY_SIZE(e2), "refusing up/tmp");
	assert_int_equal(access("/tmp/berth-test-up", F_OK), -1);
	rm_rf(outside);
}

static void test_tar_refuse_hardlink_out(void **state)
{
	_cleanup_free_ char *outside = make_tmpdir();
	_cleanup_free_ char *file = xasprintf("%s/secret", outside);
	const struct tent e[] = {{'h', "x", "../../../etc/passwd"}};
	const struct tent e2[] = {{'h', "x", "/etc/passwd"}};
	const struct tent e3[] = {{'l', "d", outside}, {'h', "x", "d/secret"}};
	FILE *f = fopen(file, "w");

	(void)state;
	fputs("secret\n", f);
	fclose(f);
	expect_refused(e, ARRAY_SIZE(e), "leads out of the layer");
	expect_refused(e2, ARRAY_SIZE(e2), "leads out of the layer");
	expect_refused(e3, ARRAY_SIZE(e3), "symlink");
	rm_rf(outside);
}

static void test_tar_refuse_garbage(void **state)
{
	_cleanup_free_ char *parent = make_tmpdir();
	int fd = memfd_create("junk", MFD_CLOEXEC);
	struct berr *err = NULL;
	struct tar_layer tl = {0};
	char junk[4096];

	(void)state;
	memset(junk, 'x', sizeof(junk));
	assert_int_equal(write(fd, junk, sizeof(junk)), (ssize_t)sizeof(junk));
	lseek(fd, 0, SEEK_SET);
	assert_true(tar_extract(fd, parent, &tl, &err) < 0);
	assert_int_equal(err->code, EINVAL);
	assert_true(dir_is_empty(parent));
	berr_free(err);
	close(fd);
	rm_rf(parent);
}

static void test_tar_create_round_trip(void **state)
{
	_cleanup_free_ char *parent = make_tmpdir();
	struct tar_layer a = {0}, b = {0};
	struct berr *err = NULL;
	int fd = memfd_create("out", MFD_CLOEXEC);

	(void)state;
	assert_int_equal(extract(good, ARRAY_SIZE(good), parent, &a, &err), 0);
	assert_int_equal(tar_create(a.dir, fd, &err), 0);
	lseek(fd, 0, SEEK_SET);
	assert_int_equal(tar_extract(fd, parent, &b, &err), 0);
	assert_true(path_exists(b.dir, "bin/busybox"));
	assert_true(path_exists(b.dir, "bin/sh"));
	assert_true(path_exists(b.dir, "etc/passwd"));
	assert_int_equal(a.size, b.size);
	close(fd);
	free(a.dir);
	free(b.dir);
	free(a.stream);
	free(b.stream);
	rm_rf(parent);
}

/* --- the image store --- */

struct fixture {
	char *root;
	struct store *store;
	struct img_store *is;
};

static int fx_setup(void **state)
{
	struct fixture *fx = xcalloc(1, sizeof(*fx));

	fx->root = make_tmpdir();
	assert_int_equal(store_open(fx->root, &fx->store, NULL), 0);
	store_set_sync(fx->store, false);
	assert_int_equal(img_store_open(fx->root, fx->store, &fx->is, NULL), 0);
	*state = fx;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fixture *fx = *state;

	img_store_free(fx->is);
	store_free(fx->store);
	rm_rf(fx->root);
	free(fx->root);
	free(fx);
	return 0;
}

static struct image *import(struct fixture *fx, const char *ref, char *const *changes)
{
	_cleanup_close_ int fd = make_tar(good, ARRAY_SIZE(good));
	struct image *img = NULL;
	struct berr *err = NULL;

	if (img_import(fx->is, fd, ref, changes, "test", &img, &err) < 0)
		fail_msg("import: %s", berr_msg(err));
	return img;
}

static struct image *find(struct fixture *fx, const char *ref)
{
	struct image *img = NULL;

	return img_find(fx->is, ref, &img, NULL) == 0 ? img : NULL;
}

static size_t count_layers(struct fixture *fx)
{
	_cleanup_free_ char *cmd =
		xasprintf("find %s/layers -mindepth 1 -maxdepth 1 -type d | wc -l", fx->root);
	FILE *p = popen(cmd, "r");
	size_t n = 0;

	assert_int_equal(fscanf(p, "%zu", &n), 1);
	pclose(p);
	return n;
}

static void test_img_import_find(void **state)
{
	struct fixture *fx = *state;
	struct image *img = import(fx, "busybox:latest", NULL);
	_cleanup_free_ char *prefix = xstrndup(img->id, 7 + 12);
	struct berr *err = NULL;
	struct image *none;

	assert_true(strprefix(img->id, "sha256:"));
	assert_int_equal(strlen(img->id), 71);
	assert_string_equal(img->tags[0], "busybox:latest");
	assert_string_equal(img->comment, "test");
	assert_ptr_equal(find(fx, "busybox"), img);
	assert_ptr_equal(find(fx, "busybox:latest"), img);
	assert_ptr_equal(find(fx, "docker.io/library/busybox"), img);
	assert_ptr_equal(find(fx, "library/busybox:latest"), img);
	assert_ptr_equal(find(fx, img->id), img);
	assert_ptr_equal(find(fx, img->id + 7), img);
	assert_ptr_equal(find(fx, prefix), img);
	assert_ptr_equal(find(fx, prefix + 7), img);
	assert_int_equal(img_find(fx->is, "nosuch", &none, &err), -ENOENT);
	assert_string_equal(err->msg, "No such image: nosuch");
	berr_free(err);
	assert_null(find(fx, "busybox:other"));

	char **dirs = img_layer_dirs(fx->is, img);

	assert_non_null(dirs[0]);
	assert_null(dirs[1]);
	assert_true(path_exists(dirs[0], "bin/busybox"));
	free(dirs[0]);
	free(dirs);
}

static void test_img_names_with_slash(void **state)
{
	struct fixture *fx = *state;
	struct image *img = import(fx, "localhost:5000/team/tool:1.0", NULL);
	struct berr *err = NULL;

	assert_string_equal(img->tags[0], "localhost:5000/team/tool:1.0");
	assert_ptr_equal(find(fx, "localhost:5000/team/tool:1.0"), img);
	assert_null(find(fx, "localhost:5000/team/tool"));
	assert_int_equal(img_tag(fx->is, img, "myorg/tool", &err), 0);
	assert_ptr_equal(find(fx, "myorg/tool:latest"), img);
	assert_true(img_tag(fx->is, img, "MyOrg/tool", &err) < 0);
	assert_non_null(strstr(err->msg, "must be lowercase"));
	berr_free(err);
	err = NULL;
	assert_true(img_tag(fx->is, img, "bad::tag", &err) < 0);
	assert_non_null(strstr(err->msg, "invalid reference format"));
	berr_free(err);
}

static void test_img_tag_remove_shared(void **state)
{
	struct fixture *fx = *state;
	struct image *a = import(fx, "a:1", NULL);
	struct image *b = import(fx, "b:1", NULL);
	struct berr *err = NULL;
	json_t *del = NULL;
	_cleanup_free_ char *b_id = xstrdup(b->id);

	assert_string_not_equal(a->id, b->id);
	assert_string_equal(a->layers[0], b->layers[0]);
	assert_int_equal(count_layers(fx), 1);
	/* a tag moves */
	assert_int_equal(img_tag(fx->is, a, "b:1", &err), 0);
	assert_ptr_equal(find(fx, "b:1"), a);
	assert_null(b->tags[0]);
	/* untag only while other tags remain */
	assert_int_equal(img_remove(fx->is, "a:1", false, NULL, &del, &err), 0);
	assert_int_equal(json_array_size(del), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(del, 0), "Untagged")),
			    "a:1");
	json_decref(del);
	/* used by a container: refused, Docker's words */
	assert_int_equal(img_remove(fx->is, "b:1", false, "0123456789abcdef", &del, &err), -EBUSY);
	assert_non_null(strstr(err->msg, "conflict: unable to remove repository reference \"b:1\" "
					 "(must force) - container 0123456789ab is using"));
	berr_free(err);
	err = NULL;
	/* the last tag: image gone, the layer stays for b */
	assert_int_equal(img_remove(fx->is, "b:1", false, NULL, &del, &err), 0);
	assert_int_equal(json_array_size(del), 2);
	json_decref(del);
	assert_int_equal(img_count(fx->is), 1);
	assert_int_equal(count_layers(fx), 1);
	/* b by id: the last user of the layer */
	assert_int_equal(img_remove(fx->is, b_id + 7, false, NULL, &del, &err), 0);
	assert_int_equal(json_array_size(del), 2);
	json_decref(del);
	assert_int_equal(img_count(fx->is), 0);
	assert_int_equal(count_layers(fx), 0);
	assert_int_equal(img_remove(fx->is, "b:1", false, NULL, &del, &err), -ENOENT);
	berr_free(err);
}

static void test_img_remove_multi_tag_by_id(void **state)
{
	struct fixture *fx = *state;
	struct image *a = import(fx, "a:1", NULL);
	_cleanup_free_ char *id = xstrdup(a->id);
	struct berr *err = NULL;
	json_t *del = NULL;

	assert_int_equal(img_tag(fx->is, a, "a:2", &err), 0);
	assert_int_equal(img_remove(fx->is, id, false, NULL, &del, &err), -EBUSY);
	assert_non_null(strstr(err->msg, "referenced in multiple repositories"));
	berr_free(err);
	err = NULL;
	assert_int_equal(img_remove(fx->is, id, true, NULL, &del, &err), 0);
	assert_int_equal(json_array_size(del), 4);
	json_decref(del);
	assert_int_equal(count_layers(fx), 0);
}

static void test_img_changes(void **state)
{
	char *changes[] = {"CMD [\"/bin/sh\", \"-c\", \"echo hi\"]",
			   "ENTRYPOINT /bin/echo hello",
			   "ENV A=1 B=\"two words\"\nENV C 3 4",
			   "env A=one",
			   "WORKDIR /srv",
			   "WORKDIR app",
			   "USER berth",
			   "EXPOSE 80 53/udp",
			   "LABEL version=1.0 \"maintainer\"=\"me\"",
			   NULL};
	struct fixture *fx = *state;
	struct image *img = import(fx, "c:1", changes);
	json_t *cfg = img->config, *expect;
	struct berr *err = NULL;

	expect = json_pack("{s:[s,s,s], s:[s,s,s], s:[s,s,s], s:s, s:s, s:{s:{}, s:{}}, "
			   "s:{s:s, s:s}}",
			   "Cmd", "/bin/sh", "-c", "echo hi", "Entrypoint", "/bin/sh", "-c",
			   "/bin/echo hello", "Env", "A=one", "B=two words", "C=3 4", "WorkingDir",
			   "/srv/app", "User", "berth", "ExposedPorts", "80/tcp", "53/udp",
			   "Labels", "version", "1.0", "maintainer", "me");
	if (!json_equal(cfg, expect)) {
		char *s = json_dumps(cfg, JSON_SORT_KEYS);

		fail_msg("config: %s", s);
	}
	json_decref(expect);
	cfg = json_object();
	assert_int_equal(img_change_apply(cfg, "RUN rm -rf /", &err), -EINVAL);
	assert_string_equal(err->msg, "RUN is not a valid change command");
	berr_free(err);
	err = NULL;
	assert_int_equal(img_change_apply(cfg, "EXPOSE 99999", &err), -EINVAL);
	berr_free(err);
	json_decref(cfg);
}

static void test_img_reopen(void **state)
{
	struct fixture *fx = *state;
	char *changes[] = {"CMD [\"/bin/sh\"]", NULL};
	struct image *a = import(fx, "busybox", changes), *b;
	_cleanup_free_ char *id = xstrdup(a->id), *layer = xstrdup(a->layers[0]);
	struct berr *err = NULL;
	json_t *del = NULL;
	int64_t size = a->size;

	import(fx, "busybox:two", NULL);
	img_store_free(fx->is);
	assert_int_equal(img_store_open(fx->root, fx->store, &fx->is, &err), 0);
	assert_int_equal(img_count(fx->is), 2);
	b = find(fx, "busybox");
	assert_non_null(b);
	assert_string_equal(b->id, id);
	assert_string_equal(b->layers[0], layer);
	assert_int_equal(b->size, size);
	assert_string_equal(json_string_value(json_array_get(json_object_get(b->config, "Cmd"), 0)),
			    "/bin/sh");
	/* the layer's count survived: removing one image keeps it */
	assert_int_equal(img_remove(fx->is, "busybox", false, NULL, &del, &err), 0);
	json_decref(del);
	assert_int_equal(count_layers(fx), 1);
	assert_int_equal(img_remove(fx->is, "busybox:two", false, NULL, &del, &err), 0);
	json_decref(del);
	assert_int_equal(count_layers(fx), 0);
}

static void test_img_json(void **state)
{
	struct fixture *fx = *state;
	struct image *img = import(fx, "j:1", NULL);
	json_t *s = img_to_summary_json(img, -1), *i = img_to_inspect_json(img);

	assert_true(json_is_integer(json_object_get(s, "Created")));
	assert_string_equal(json_string_value(json_array_get(json_object_get(s, "RepoTags"), 0)),
			    "j:1");
	assert_true(json_is_string(json_object_get(i, "Created")));
	assert_string_equal(json_string_value(json_array_get(
				    json_object_get(json_object_get(i, "RootFS"), "Layers"), 0)),
			    img->layers[0]);
	json_decref(s);
	json_decref(i);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tar_extract),
		cmocka_unit_test(test_tar_refuse_dotdot),
		cmocka_unit_test(test_tar_refuse_absolute),
		cmocka_unit_test(test_tar_refuse_symlink_out),
		cmocka_unit_test(test_tar_refuse_hardlink_out),
		cmocka_unit_test(test_tar_refuse_garbage),
		cmocka_unit_test(test_tar_create_round_trip),
		cmocka_unit_test_setup_teardown(test_img_import_find, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_img_names_with_slash, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_img_tag_remove_shared, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_img_remove_multi_tag_by_id, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_img_changes, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_img_reopen, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_img_json, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
