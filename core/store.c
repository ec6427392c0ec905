/* store.c - the local store (see store.h).  One JSON file per object; a
 * write goes to a temp file that is fsync'ed and renamed over the old one,
 * then the directory is fsync'ed, so a crash leaves the old or the new
 * object, never half of one. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "core/store.h"
#include "core/util.h"

struct store {
	char *root;
	bool sync;
};

static bool store_key_valid(const char *key)
{
	if (!*key || *key == '.')
		return false;
	for (const char *p = key; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' || *p == '-'))
			return false;
	return true;
}

static int store_mkdir(const char *path, struct berr **err)
{
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return berr_set(err, errno, "cannot create %s: %m", path);
	return 0;
}

int store_open(const char *root, struct store **ret, struct berr **err)
{
	struct store *st;
	int r;

	r = store_mkdir(root, err);
	if (r < 0)
		return r;
	st = xcalloc(1, sizeof(*st));
	st->root = xstrdup(root);
	st->sync = true;
	*ret = st;
	return 0;
}

void store_free(struct store *st)
{
	if (!st)
		return;
	free(st->root);
	free(st);
}

void store_set_sync(struct store *st, bool sync)
{
	st->sync = sync;
}

static int store_fsync_dir(const char *dir, struct berr **err)
{
	_cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || fsync(fd) < 0)
		return berr_set(err, errno, "cannot sync %s: %m", dir);
	return 0;
}

static int store_write_file(const char *path, const char *data, size_t len, bool sync,
			    struct berr **err)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	size_t off = 0;

	if (fd < 0)
		return berr_set(err, errno, "cannot create %s: %m", path);
	while (off < len) {
		ssize_t w = write(fd, data + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return berr_set(err, errno, "cannot write %s: %m", path);
		off += (size_t)w;
	}
	if (sync && fsync(fd) < 0)
		return berr_set(err, errno, "cannot sync %s: %m", path);
	return 0;
}

int store_put(struct store *st, const char *kind, const char *key, json_t *obj, struct berr **err)
{
	_cleanup_free_ char *dir = NULL, *path = NULL, *tmp = NULL, *data = NULL;
	int r;

	if (!store_key_valid(kind) || !store_key_valid(key))
		return berr_set(err, EINVAL, "invalid store key %s/%s", kind, key);
	dir = xasprintf("%s/%s", st->root, kind);
	r = store_mkdir(dir, err);
	if (r < 0)
		return r;
	data = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);
	if (!data)
		return berr_set(err, EINVAL, "cannot encode %s/%s", kind, key);
	path = xasprintf("%s/%s.json", dir, key);
	tmp = xasprintf("%s/.%s.json.tmp", dir, key);
	r = store_write_file(tmp, data, strlen(data), st->sync, err);
	if (r < 0)
		goto fail;
	if (rename(tmp, path) < 0) {
		r = berr_set(err, errno, "cannot rename %s: %m", tmp);
		goto fail;
	}
	return st->sync ? store_fsync_dir(dir, err) : 0;
fail:
	unlink(tmp);
	return r;
}

int store_del(struct store *st, const char *kind, const char *key, struct berr **err)
{
	_cleanup_free_ char *dir = NULL, *path = NULL;

	if (!store_key_valid(kind) || !store_key_valid(key))
		return berr_set(err, EINVAL, "invalid store key %s/%s", kind, key);
	dir = xasprintf("%s/%s", st->root, kind);
	path = xasprintf("%s/%s.json", dir, key);
	if (unlink(path) < 0) {
		if (errno == ENOENT)
			return 0;
		return berr_set(err, errno, "cannot remove %s: %m", path);
	}
	return st->sync ? store_fsync_dir(dir, err) : 0;
}

static int store_name_cmp(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* Load one file; a file that is not valid JSON is logged and skipped. */
static int store_load_one(const char *dir, const char *name, store_load_fn fn, void *data,
			  struct berr **err)
{
	_cleanup_free_ char *path = xasprintf("%s/%s", dir, name);
	_cleanup_free_ char *key = xstrndup(name, strlen(name) - strlen(".json"));
	json_error_t jerr;
	json_t *obj;
	int r;

	if (name[0] == '.') {
		/* a temp file left by a write that was interrupted */
		unlink(path);
		return 0;
	}
	obj = json_load_file(path, 0, &jerr);
	if (!obj) {
		log_error("store: skipping %s: %s (line %d)", path, jerr.text, jerr.line);
		return 0;
	}
	r = fn(key, obj, data, err);
	json_decref(obj);
	return r;
}

int store_load(struct store *st, const char *kind, store_load_fn fn, void *data, struct berr **err)
{
	_cleanup_free_ char *dir = xasprintf("%s/%s", st->root, kind);
	struct dirent **names = NULL;
	int n, r = 0;

	n = scandir(dir, &names, NULL, store_name_cmp);
	if (n < 0)
		return errno == ENOENT ? 0 : berr_set(err, errno, "cannot read %s: %m", dir);
	for (int i = 0; i < n; i++) {
		size_t len = strlen(names[i]->d_name);

		if (r == 0 && len > 5 && streq(names[i]->d_name + len - 5, ".json"))
			r = store_load_one(dir, names[i]->d_name, fn, data, err);
		else if (r == 0 && len > 4 && streq(names[i]->d_name + len - 4, ".tmp"))
			store_load_one(dir, names[i]->d_name, fn, data, err);
		free(names[i]);
	}
	free(names);
	return r;
}
