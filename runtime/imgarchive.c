/* imgarchive.c - docker save / docker load archives (see imgarchive.h),
 * written and read with libarchive.  A layer goes out as the tar stream it
 * came in as (kept by the store), so its sha256 is still the diff id the
 * image's config names and Docker accepts it; a layer of an older berth
 * (no kept stream) is tarred again and the config saved with its new diff
 * id (the image then has another id where it is loaded). */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/util.h"
#include "runtime/imgarchive.h"
#include "runtime/tar.h"

#define IMGAR_BLOCK  (64 * 1024)
#define IMGAR_HEX(d) ((d) + 7) /* "sha256:<hex>" -> "<hex>" */

/* --- save --- */

static int imgar_fail(struct archive *a, const char *what, struct berr **err)
{
	return berr_set(err, EIO, "cannot write the archive (%s): %s", what,
			archive_error_string(a) ? archive_error_string(a) : "?");
}

static int imgar_entry(struct archive *a, const char *name, mode_t type, int64_t size,
		       struct berr **err)
{
	struct archive_entry *e = archive_entry_new();
	int r;

	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, type);
	archive_entry_set_perm(e, type == AE_IFDIR ? 0755 : 0644);
	archive_entry_set_size(e, type == AE_IFDIR ? 0 : size);
	archive_entry_set_mtime(e, 0, 0);
	r = archive_write_header(a, e);
	archive_entry_free(e);
	return r == ARCHIVE_OK ? 0 : imgar_fail(a, name, err);
}

static int imgar_add_mem(struct archive *a, const char *name, const char *data, size_t len,
			 struct berr **err)
{
	int r = imgar_entry(a, name, AE_IFREG, (int64_t)len, err);

	if (r == 0 && len && archive_write_data(a, data, len) != (la_ssize_t)len)
		r = imgar_fail(a, name, err);
	return r;
}

static int imgar_add_fd(struct archive *a, const char *name, int fd, struct berr **err)
{
	_cleanup_free_ char *buf = xmalloc(IMGAR_BLOCK);
	struct stat st;
	ssize_t n;
	int r;

	if (fstat(fd, &st) < 0 || lseek(fd, 0, SEEK_SET) < 0)
		return berr_set(err, errno, "cannot read a layer for %s: %m", name);
	if ((r = imgar_entry(a, name, AE_IFREG, st.st_size, err)) < 0)
		return r;
	while ((n = read(fd, buf, IMGAR_BLOCK)) > 0)
		if (archive_write_data(a, buf, (size_t)n) != n)
			return imgar_fail(a, name, err);
	return n < 0 ? berr_set(err, errno, "cannot read a layer for %s: %m", name) : 0;
}

/* sha256 of everything fd holds. */
static int imgar_fd_digest(int fd, char out[TAR_DIGEST_LEN], struct berr **err)
{
	struct stat st;
	void *map;

	if (fstat(fd, &st) < 0)
		return berr_set(err, errno, "cannot read a layer: %m");
	if (st.st_size == 0) {
		tar_digest("", 0, out);
		return 0;
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED)
		return berr_set(err, errno, "cannot read a layer: %m");
	tar_digest(map, (size_t)st.st_size, out);
	munmap(map, (size_t)st.st_size);
	return 0;
}

/* One image to save and the tags it goes with. */
struct imgar_item {
	struct image *img;
	json_t *tags;
};

/* A layer's tar stream as an open fd: the kept one, or one made again
 * (then *ret_digest differs from the id when the bytes do). */
static int imgar_layer_fd(struct img_store *is, const char *id, int *ret_fd,
			  char ret_digest[TAR_DIGEST_LEN], struct berr **err)
{
	_cleanup_free_ char *stream = img_layer_stream(is, id);
	_cleanup_free_ char *dir = NULL;
	int fd, r;

	if (stream) {
		fd = open(stream, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return berr_set(err, errno, "cannot open %s: %m", stream);
		strcpy(ret_digest, id);
		*ret_fd = fd;
		return 0;
	}
	dir = img_layer_path(is, id);
	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0) {
		/* (not in the layer itself: its parent) */
		_cleanup_free_ char *parent = xstrdup(dir);

		*strrchr(parent, '/') = 0;
		fd = open(parent, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	}
	if (fd < 0)
		return berr_set(err, errno, "cannot make a temporary file: %m");
	if ((r = tar_create(dir, fd, err)) < 0 || (r = imgar_fd_digest(fd, ret_digest, err)) < 0) {
		close(fd);
		return r;
	}
	*ret_fd = fd;
	return 0;
}

/* The config document saved for img: its own, or one naming layers
 * whose tar streams had to be made again. */
static char *imgar_config_doc(const struct image *img, json_t *renamed)
{
	char *doc = img_config_bytes(img);
	json_t *o, *diff;
	size_t i;
	json_t *v;

	if (!json_object_size(renamed))
		return doc;
	o = json_loads(doc, 0, NULL);
	free(doc);
	diff = json_object_get(json_object_get(o, "rootfs"), "diff_ids");
	json_array_foreach (diff, i, v) {
		json_t *to = json_object_get(renamed, json_string_value(v) ?: "");

		if (to)
			json_array_set(diff, i, to);
	}
	doc = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	return doc;
}

static int imgar_save_items(struct img_store *is, struct imgar_item *items, size_t n,
			    struct archive *a, struct berr **err)
{
	_cleanup_json_ json_t *manifest = json_array(), *repos = json_object(),
			      *written = json_object(), *renamed = json_object();
	_cleanup_free_ char *text = NULL;
	int r = 0;

	for (size_t k = 0; k < n && r == 0; k++) {
		struct image *img = items[k].img;
		json_t *layers = json_array();
		_cleanup_free_ char *doc = NULL, *name = NULL;
		char id[TAR_DIGEST_LEN];
		size_t i;
		json_t *t;

		for (size_t l = 0; img->layers[l] && r == 0; l++) {
			char digest[TAR_DIGEST_LEN];
			_cleanup_free_ char *path = NULL, *dir = NULL, *meta = NULL, *vers = NULL;
			int fd = -1;

			if (json_object_get(written, img->layers[l])) {
				json_array_append(layers, json_object_get(written, img->layers[l]));
				continue;
			}
			if ((r = imgar_layer_fd(is, img->layers[l], &fd, digest, err)) < 0)
				break;
			if (!streq(digest, img->layers[l]))
				json_object_set_new(renamed, img->layers[l], json_string(digest));
			dir = xasprintf("%s", IMGAR_HEX(digest));
			path = xasprintf("%s/layer.tar", dir);
			vers = xasprintf("%s/VERSION", dir);
			meta = xasprintf("%s/json", dir);
			{
				_cleanup_free_ char *js =
					xasprintf("{\"id\":\"%s\"}", IMGAR_HEX(digest));

				r = imgar_entry(a, dir, AE_IFDIR, 0, err);
				if (r == 0)
					r = imgar_add_mem(a, vers, "1.0", 3, err);
				if (r == 0)
					r = imgar_add_mem(a, meta, js, strlen(js), err);
			}
			if (r == 0)
				r = imgar_add_fd(a, path, fd, err);
			close(fd);
			json_object_set_new(written, img->layers[l], json_string(path));
			json_array_append_new(layers, json_string(path));
		}
		if (r < 0) {
			json_decref(layers);
			break;
		}
		doc = imgar_config_doc(img, renamed);
		tar_digest(doc, strlen(doc), id);
		name = xasprintf("%s.json", IMGAR_HEX(id));
		r = imgar_add_mem(a, name, doc, strlen(doc), err);
		json_array_append_new(manifest,
				      json_pack("{s:s, s:O, s:o}", "Config", name, "RepoTags",
						items[k].tags, "Layers", layers));
		/* repositories: repo -> tag -> the top layer's directory */
		json_array_foreach (items[k].tags, i, t) {
			_cleanup_free_ char *repo = xstrdup(json_string_value(t));
			char *colon = strrchr(repo, ':');
			json_t *top = json_array_get(
				json_object_get(
					json_array_get(manifest, json_array_size(manifest) - 1),
					"Layers"),
				json_array_size(layers) - 1);
			_cleanup_free_ char *topdir = xstrdup(json_string_value(top) ?: "");

			if (!colon)
				continue;
			*colon = 0;
			if (strchr(topdir, '/'))
				*strchr(topdir, '/') = 0;
			if (!json_object_get(repos, repo))
				json_object_set_new(repos, repo, json_object());
			json_object_set_new(json_object_get(repos, repo), colon + 1,
					    json_string(topdir));
		}
	}
	if (r < 0)
		return r;
	text = json_dumps(manifest, JSON_COMPACT);
	if ((r = imgar_add_mem(a, "manifest.json", text, strlen(text), err)) < 0)
		return r;
	free(text);
	text = json_dumps(repos, JSON_COMPACT);
	return imgar_add_mem(a, "repositories", text, strlen(text), err);
}

int imgar_save(struct img_store *is, char *const *refs, size_t n, int fd, struct berr **err)
{
	struct imgar_item *items = xcalloc(n ? n : 1, sizeof(*items));
	struct archive *a = NULL;
	size_t k = 0;
	int r = 0;

	for (size_t i = 0; i < n && r == 0; i++) {
		struct image *img;
		_cleanup_free_ char *tag = NULL;
		size_t j;

		/* a bare repository name: every tag of it (Docker's rule) */
		if (!strchr(refs[i], ':') && !strchr(refs[i], '@')) {
			_cleanup_free_ char *prefix = NULL, *norm = NULL;
			size_t before = k;

			if (img_ref_parse(refs[i], &norm, NULL) == 0) {
				prefix = xstrndup(norm, strrchr(norm, ':') - norm + 1);
				for (size_t m = 0; m < img_count(is); m++) {
					struct image *im = img_at(is, m);

					for (size_t t = 0; im->tags[t]; t++) {
						if (!strprefix(im->tags[t], prefix))
							continue;
						for (j = 0; j < k && items[j].img != im; j++)
							;
						if (j == k) {
							items = xrealloc(items,
									 (k + 1) * sizeof(*items));
							items[k++] = (struct imgar_item){
								im, json_array()};
						}
						json_array_append_new(items[j].tags,
								      json_string(im->tags[t]));
					}
				}
			}
			if (k > before)
				continue;
		}
		if ((r = img_find(is, refs[i], &img, err)) < 0)
			break;
		/* a name (with or without tag) goes with its tag; an id without */
		if (!strprefix(img->id, refs[i]) && !strprefix(img->id + 7, refs[i]))
			img_ref_parse(refs[i], &tag, NULL);
		for (j = 0; j < k && items[j].img != img; j++)
			;
		if (j == k) {
			items = xrealloc(items, (k + 1) * sizeof(*items));
			items[k++] = (struct imgar_item){img, json_array()};
		}
		if (tag) {
			bool have = false;
			size_t t;
			json_t *v;

			json_array_foreach (items[j].tags, t, v)
				have |= streq(json_string_value(v), tag);
			if (!have)
				json_array_append_new(items[j].tags, json_string(tag));
		}
	}
	if (r == 0) {
		a = archive_write_new();
		archive_write_set_format_pax_restricted(a);
		if (archive_write_open_fd(a, fd) != ARCHIVE_OK)
			r = imgar_fail(a, "open", err);
	}
	if (r == 0)
		r = imgar_save_items(is, items, k, a, err);
	if (r == 0 && archive_write_close(a) != ARCHIVE_OK)
		r = imgar_fail(a, "close", err);
	if (a)
		archive_write_free(a);
	for (size_t i = 0; i < k; i++)
		json_decref(items[i].tags);
	free(items);
	return r;
}

/* --- load --- */

/* rel inside root (no way out, symlinks included): a new string, or NULL. */
static char *imgar_inside(const char *root, const char *rel)
{
	_cleanup_free_ char *joined = NULL;
	char real_root[PATH_MAX], real[PATH_MAX];

	if (!rel || !*rel || rel[0] == '/' || strstr(rel, ".."))
		return NULL;
	joined = xasprintf("%s/%s", root, rel);
	if (!realpath(root, real_root) || !realpath(joined, real))
		return NULL;
	if (!strprefix(real, real_root) || real[strlen(real_root)] != '/')
		return NULL;
	return xstrdup(real);
}

static int imgar_read_file(const char *path, char **ret, size_t *ret_len, struct berr **err)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (!f)
		return berr_set(err, errno, "cannot read %s: %m", path);
	do {
		if (len + 65536 > cap)
			buf = xrealloc(buf, cap = len + 65536 + 1);
		n = fread(buf + len, 1, 65536, f);
		len += n;
	} while (n > 0 && len < (64u << 20));
	fclose(f);
	buf[len] = 0;
	*ret = buf;
	*ret_len = len;
	return 0;
}

/* The layers this load made, to drop on failure. */
struct imgar_made {
	char (*ids)[TAR_DIGEST_LEN];
	size_t n;
};

static int imgar_load_entry(struct img_store *is, const char *root, json_t *entry,
			    struct imgar_made *made, char **ret_doc, size_t *ret_len,
			    struct berr **err)
{
	const char *cfg = json_string_value(json_object_get(entry, "Config"));
	json_t *layers = json_object_get(entry, "Layers"), *diff, *v;
	_cleanup_free_ char *cfg_path = imgar_inside(root, cfg);
	_cleanup_json_ json_t *doc = NULL;
	char *text = NULL;
	size_t len = 0, i;
	int r;

	if (!cfg_path || !json_is_array(layers))
		return berr_set(err, EINVAL,
				"invalid archive: manifest entry without a usable Config (%s)",
				cfg ? cfg : "none");
	if ((r = imgar_read_file(cfg_path, &text, &len, err)) < 0)
		return r;
	doc = json_loadb(text, len, 0, NULL);
	diff = json_object_get(json_object_get(doc, "rootfs"), "diff_ids");
	if (!json_is_array(diff) || json_array_size(diff) != json_array_size(layers)) {
		free(text);
		return berr_set(err, EINVAL,
				"invalid archive: %s does not name one diff id per layer", cfg);
	}
	json_array_foreach (layers, i, v) {
		_cleanup_free_ char *p = imgar_inside(root, json_string_value(v));
		const char *want = json_string_value(json_array_get(diff, i));
		char got[TAR_DIGEST_LEN];
		bool created = false;
		int fd;

		if (!p) {
			r = berr_set(err, EINVAL,
				     "invalid archive: layer %s is missing or leads out",
				     json_string_value(v) ?: "?");
			break;
		}
		fd = open(p, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			r = berr_set(err, errno, "cannot open %s: %m", p);
			break;
		}
		r = img_layer_add(is, fd, got, &created, err);
		close(fd);
		if (r < 0)
			break;
		if (created) {
			made->ids = xrealloc(made->ids, (made->n + 1) * sizeof(*made->ids));
			strcpy(made->ids[made->n++], got);
		}
		if (!want || !streq(want, got)) {
			r = berr_set(err, EINVAL,
				     "invalid archive: layer %s has diff id %s, the image's config "
				     "says %s",
				     json_string_value(v), got, want ? want : "nothing");
			break;
		}
	}
	if (r < 0) {
		free(text);
		return r;
	}
	*ret_doc = text;
	*ret_len = len;
	return 0;
}

int imgar_load(struct img_store *is, int fd, const char *tmp_dir, json_t **ret_loaded,
	       struct berr **err)
{
	struct tar_layer tl = {0};
	struct imgar_made made = {0};
	_cleanup_json_ json_t *manifest = NULL;
	_cleanup_free_ char *mpath = NULL;
	char **docs = NULL;
	size_t *lens = NULL, n = 0, i;
	json_t *loaded = json_array(), *entry;
	int r;

	/* unpacked as a layer is: nothing lands outside the directory */
	if ((r = tar_extract(fd, tmp_dir, &tl, err)) < 0) {
		json_decref(loaded);
		return berr_wrap(err, "cannot read the archive");
	}
	mpath = imgar_inside(tl.dir, "manifest.json");
	manifest = mpath ? json_load_file(mpath, 0, NULL) : NULL;
	if (!json_is_array(manifest)) {
		r = berr_set(err, EINVAL,
			     "invalid archive: no manifest.json (not a docker save archive)");
		goto out;
	}
	n = json_array_size(manifest);
	docs = xcalloc(n + 1, sizeof(*docs));
	lens = xcalloc(n + 1, sizeof(*lens));
	json_array_foreach (manifest, i, entry)
		if ((r = imgar_load_entry(is, tl.dir, entry, &made, &docs[i], &lens[i], err)) < 0)
			goto out;
	/* every layer is in: the images, then their tags */
	json_array_foreach (manifest, i, entry) {
		struct image *img;
		json_t *tags = json_object_get(entry, "RepoTags"), *t;
		size_t k;

		if ((r = img_add_config(is, docs[i], lens[i], &img, err)) < 0)
			goto out;
		if (!json_array_size(tags))
			json_array_append_new(loaded, json_sprintf("Loaded image ID: %s", img->id));
		json_array_foreach (tags, k, t) {
			_cleanup_free_ char *tag = NULL;

			if (img_ref_parse(json_string_value(t) ?: "", &tag, NULL) < 0 ||
			    img_tag(is, img, tag, NULL) < 0)
				continue;
			json_array_append_new(loaded, json_sprintf("Loaded image: %s", tag));
		}
	}
	made.n = 0; /* (kept: images use them) */
out:
	if (r < 0)
		for (i = made.n; i-- > 0;)
			img_layer_drop(is, made.ids[i], true);
	for (i = 0; docs && i < n; i++)
		free(docs[i]);
	free(docs);
	free(lens);
	free(made.ids);
	tar_remove_tree(tl.dir, NULL);
	free(tl.dir);
	free(tl.stream);
	if (r < 0) {
		json_decref(loaded);
		return r;
	}
	*ret_loaded = loaded;
	return 0;
}
