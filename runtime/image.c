/* image.c - the image and layer store (see image.h).  Layers are unpacked
 * once under <root>/layers/<hex>/ and shared by every image that lists
 * them; their reference counts are recomputed from the images at load, so
 * only the images are the truth.  Metadata: store kinds "images" and
 * "layers", keyed by the hex digits of the ids.  Writers: the job thread
 * (import, tag, remove, prune, commit), which takes the write lock only
 * while it changes the arrays; readers: the loop thread under
 * img_read_lock. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "core/store.h"
#include "core/util.h"
#include "runtime/image.h"
#include "runtime/tar.h"

#define IMG_KIND	"images"
#define IMG_KIND_LAYERS "layers"
#define IMG_SHORT	12
#define IMG_HEX(id)	((id) + strlen("sha256:"))

struct img_layer {
	char id[TAR_DIGEST_LEN];
	int64_t size;
	unsigned refs;
};

struct img_store {
	char *layers_dir;
	struct store *store;
	pthread_rwlock_t lock;
	struct image **imgs;
	size_t n_imgs, cap_imgs;
	struct img_layer **layers;
	size_t n_layers, cap_layers;
};

static void closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}

static void img_layer_unref(struct img_store *is, const char *id, bool *ret_gone);

/* --- string vectors (NULL-terminated char **) --- */

static size_t img_strv_len(char *const *v)
{
	size_t n = 0;

	while (v && v[n])
		n++;
	return n;
}

static void img_strv_add(char ***v, const char *s)
{
	size_t n = img_strv_len(*v);

	*v = xrealloc(*v, (n + 2) * sizeof(**v));
	(*v)[n] = xstrdup(s);
	(*v)[n + 1] = NULL;
}

/* Remove s from v; true when it was there. */
static bool img_strv_del(char **v, const char *s)
{
	for (size_t i = 0; v && v[i]; i++)
		if (streq(v[i], s)) {
			free(v[i]);
			memmove(&v[i], &v[i + 1], (img_strv_len(v + i + 1) + 1) * sizeof(*v));
			return true;
		}
	return false;
}

static bool img_strv_has(char *const *v, const char *s)
{
	for (size_t i = 0; v && v[i]; i++)
		if (streq(v[i], s))
			return true;
	return false;
}

static void img_strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

static json_t *img_strv_to_json(char *const *v)
{
	json_t *a = json_array();

	for (size_t i = 0; v && v[i]; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

static void img_free(struct image *img)
{
	if (!img)
		return;
	img_strv_free(img->tags);
	img_strv_free(img->layers);
	img_strv_free(img->digests);
	json_decref(img->config);
	free(img->comment);
	free(img->parent);
	free(img->config_doc);
	free(img);
}

/* --- references --- */

static bool img_is_hex(const char *s, size_t min, size_t max)
{
	size_t n = strlen(s);

	if (n < min || n > max)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s) && !(*s >= 'a' && *s <= 'f'))
			return false;
	return true;
}

/* A path component of a repository name: lower-case letters and digits,
 * separated by '.', '_', '__' or '-'s. */
static bool img_component_valid(const char *c, size_t len)
{
	if (!len || !isalnum((unsigned char)c[0]) || !isalnum((unsigned char)c[len - 1]))
		return false;
	for (size_t i = 0; i < len; i++)
		if (!islower((unsigned char)c[i]) && !isdigit((unsigned char)c[i]) &&
		    !strchr("._-", c[i]))
			return false;
	return true;
}

/* A registry host ("localhost:5000", "registry.example.com"). */
static bool img_domain_valid(const char *c, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)c[i]) && !strchr(".-:", c[i]))
			return false;
	return len > 0;
}

static bool img_is_domain(const char *c, size_t len)
{
	return memchr(c, '.', len) || memchr(c, ':', len) ||
	       (len == strlen("localhost") && strncmp(c, "localhost", len) == 0);
}

static bool img_name_valid(const char *name)
{
	const char *p = name;
	bool first = true;

	while (*p) {
		size_t len = strcspn(p, "/");
		bool more = p[len] == '/';

		if ((first && more && img_is_domain(p, len)) ? !img_domain_valid(p, len)
							     : !img_component_valid(p, len))
			return false;
		first = false;
		p += len + more;
		if (more && !*p)
			return false;
	}
	return *name != '\0';
}

static bool img_tag_valid(const char *tag)
{
	size_t n = strlen(tag);

	if (!n || n > 128 || !(isalnum((unsigned char)tag[0]) || tag[0] == '_'))
		return false;
	for (; *tag; tag++)
		if (!isalnum((unsigned char)*tag) && !strchr("_.-", *tag))
			return false;
	return true;
}

/* Docker's familiar form: no "docker.io/", no "library/" for official
 * images. */
static char *img_familiar(const char *name)
{
	static const char *const hubs[] = {"docker.io/", "index.docker.io/"};

	for (size_t i = 0; i < ARRAY_SIZE(hubs); i++)
		if (strprefix(name, hubs[i])) {
			name += strlen(hubs[i]);
			break;
		}
	if (strprefix(name, "library/") && !strchr(name + strlen("library/"), '/'))
		name += strlen("library/");
	return xstrdup(name);
}

int img_ref_parse(const char *ref, char **ret, struct berr **err)
{
	_cleanup_free_ char *name = NULL, *fam = NULL;
	const char *slash = strrchr(ref, '/'), *colon = strrchr(ref, ':');
	const char *tag = "latest";

	if (strchr(ref, '@'))
		return berr_set(err, EINVAL,
				"invalid reference format: digests are not supported: %s", ref);
	if (colon && (!slash || colon > slash)) {
		name = xstrndup(ref, (size_t)(colon - ref));
		tag = colon + 1;
	} else {
		name = xstrdup(ref);
	}
	for (const char *p = name; *p; p++)
		if (isupper((unsigned char)*p))
			return berr_set(err, EINVAL,
					"invalid reference format: repository name (%s) must be "
					"lowercase",
					name);
	if (!img_name_valid(name) || !img_tag_valid(tag))
		return berr_set(err, EINVAL, "invalid reference format: %s", ref);
	fam = img_familiar(name);
	*ret = xasprintf("%s:%s", fam, tag);
	return 0;
}

/* --- the store's arrays --- */

static struct img_layer *img_layer_get(struct img_store *is, const char *id)
{
	for (size_t i = 0; i < is->n_layers; i++)
		if (streq(is->layers[i]->id, id))
			return is->layers[i];
	return NULL;
}

static struct image *img_by_id(struct img_store *is, const char *id)
{
	for (size_t i = 0; i < is->n_imgs; i++)
		if (streq(is->imgs[i]->id, id))
			return is->imgs[i];
	return NULL;
}

static struct image *img_by_tag(struct img_store *is, const char *tag)
{
	for (size_t i = 0; i < is->n_imgs; i++)
		if (img_strv_has(is->imgs[i]->tags, tag))
			return is->imgs[i];
	return NULL;
}

/* "name@sha256:..." (name as docker shows it: "docker.io/library/" cut). */
static struct image *img_by_digest(struct img_store *is, const char *ref)
{
	const char *r = strprefix(ref, "docker.io/") ? ref + 10 : ref;

	if (strprefix(r, "library/"))
		r += 8;
	for (size_t i = 0; i < is->n_imgs; i++)
		if (is->imgs[i]->digests && img_strv_has(is->imgs[i]->digests, r))
			return is->imgs[i];
	return NULL;
}

static char *img_layer_dir(struct img_store *is, const char *id)
{
	return xasprintf("%s/%s", is->layers_dir, IMG_HEX(id));
}

/* Publish img and count its layer references (write lock). */
static void img_insert(struct img_store *is, struct image *img)
{
	pthread_rwlock_wrlock(&is->lock);
	xgrow(&is->imgs, &is->cap_imgs, is->n_imgs + 1, sizeof(*is->imgs));
	is->imgs[is->n_imgs++] = img;
	for (size_t i = 0; img->layers[i]; i++) {
		struct img_layer *l = img_layer_get(is, img->layers[i]);

		if (l)
			l->refs++;
	}
	pthread_rwlock_unlock(&is->lock);
}

static void img_layer_insert(struct img_store *is, struct img_layer *l)
{
	pthread_rwlock_wrlock(&is->lock);
	xgrow(&is->layers, &is->cap_layers, is->n_layers + 1, sizeof(*is->layers));
	is->layers[is->n_layers++] = l;
	pthread_rwlock_unlock(&is->lock);
}

void img_read_lock(struct img_store *is)
{
	pthread_rwlock_rdlock(&is->lock);
}

void img_read_unlock(struct img_store *is)
{
	pthread_rwlock_unlock(&is->lock);
}

size_t img_count(struct img_store *is)
{
	return is->n_imgs;
}

int64_t img_store_size(struct img_store *is)
{
	int64_t total = 0;

	for (size_t i = 0; i < is->n_layers; i++)
		total += is->layers[i]->size;
	return total;
}

struct image *img_at(struct img_store *is, size_t i)
{
	return i < is->n_imgs ? is->imgs[i] : NULL;
}

/* --- store records --- */

static json_t *img_to_store_json(const struct image *img)
{
	char created[40];
	json_t *o;

	util_time_rfc3339(&img->created, created, sizeof(created));
	o = json_pack("{s:s, s:o, s:o, s:O, s:s, s:s, s:s, s:I}", "Id", img->id, "RepoTags",
		      img_strv_to_json(img->tags), "Layers", img_strv_to_json(img->layers),
		      "Config", img->config, "Created", created, "Comment",
		      img->comment ? img->comment : "", "Parent", img->parent ? img->parent : "",
		      "Size", (json_int_t)img->size);
	if (img->config_doc)
		json_object_set_new(o, "ConfigDoc", json_string(img->config_doc));
	if (img->digests && img->digests[0])
		json_object_set_new(o, "RepoDigests", img_strv_to_json(img->digests));
	return o;
}

static int img_strv_from_json(json_t *a, char ***ret)
{
	char **v = xcalloc(1, sizeof(*v));
	json_t *s;
	size_t i;

	json_array_foreach (a, i, s) {
		if (!json_is_string(s)) {
			img_strv_free(v);
			return -EINVAL;
		}
		img_strv_add(&v, json_string_value(s));
	}
	*ret = v;
	return 0;
}

static int img_from_store_json(json_t *o, struct image **ret, struct berr **err)
{
	struct image *img = xcalloc(1, sizeof(*img));
	const char *id = NULL, *created = "", *comment = "", *parent = "";
	json_t *tags = NULL, *layers = NULL, *config = NULL;
	json_int_t size = 0;

	if (json_unpack(o, "{s:s, s:o, s:o, s?o, s?s, s?s, s?s, s?I}", "Id", &id, "RepoTags", &tags,
			"Layers", &layers, "Config", &config, "Created", &created, "Comment",
			&comment, "Parent", &parent, "Size", &size) < 0 ||
	    strlen(id) >= sizeof(img->id) || img_strv_from_json(tags, &img->tags) < 0 ||
	    img_strv_from_json(layers, &img->layers) < 0) {
		img_free(img);
		return berr_set(err, EINVAL, "invalid image record");
	}
	strcpy(img->id, id);
	img->config = config ? json_incref(config) : json_object();
	util_time_parse(created, &img->created);
	img->comment = *comment ? xstrdup(comment) : NULL;
	img->parent = *parent ? xstrdup(parent) : NULL;
	img->size = size;
	if (json_is_string(json_object_get(o, "ConfigDoc")))
		img->config_doc = xstrdup(json_string_value(json_object_get(o, "ConfigDoc")));
	if (img_strv_from_json(json_object_get(o, "RepoDigests"), &img->digests) < 0)
		img->digests = xcalloc(1, sizeof(char *));
	*ret = img;
	return 0;
}

static int img_put(struct img_store *is, const struct image *img, struct berr **err)
{
	json_t *o = img_to_store_json(img);
	int r = store_put(is->store, IMG_KIND, IMG_HEX(img->id), o, err);

	json_decref(o);
	return r;
}

/* Load one image; one whose layers are missing is skipped with a log line
 * left to the caller (it is not published). */
static int img_load_one(const char *key, json_t *obj, void *data, struct berr **err)
{
	struct img_store *is = data;
	struct image *img = NULL;

	(void)key, (void)err;
	if (img_from_store_json(obj, &img, NULL) < 0)
		return 0;
	for (size_t i = 0; img->layers[i]; i++)
		if (!img_layer_get(is, img->layers[i])) {
			img_free(img);
			return 0;
		}
	img_insert(is, img);
	return 0;
}

static int img_layer_load_one(const char *key, json_t *obj, void *data, struct berr **err)
{
	struct img_store *is = data;
	struct img_layer *l = xcalloc(1, sizeof(*l));
	const char *id = json_string_value(json_object_get(obj, "Id"));
	_cleanup_free_ char *dir = NULL;
	struct stat st;

	(void)err;
	if (!id || strlen(id) >= sizeof(l->id) || !strprefix(id, "sha256:") ||
	    !streq(IMG_HEX(id), key)) {
		free(l);
		return 0;
	}
	strcpy(l->id, id);
	l->size = json_integer_value(json_object_get(obj, "Size"));
	dir = img_layer_dir(is, l->id);
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		free(l);
		return 0;
	}
	img_layer_insert(is, l);
	return 0;
}

/* After a crash: temp directories, and layers no image uses (the image
 * record was never written). */
static void img_store_sweep(struct img_store *is)
{
	_cleanup_(closedirp) DIR *d = opendir(is->layers_dir);
	struct dirent *de;

	while (d && (de = readdir(d)))
		if (strprefix(de->d_name, ".tmp-")) {
			_cleanup_free_ char *p = xasprintf("%s/%s", is->layers_dir, de->d_name);

			tar_remove_tree(p, NULL);
		}
	for (size_t i = is->n_layers; i-- > 0;)
		if (is->layers[i]->refs == 0) {
			_cleanup_free_ char *id = xstrdup(is->layers[i]->id);
			bool gone;

			is->layers[i]->refs = 1;
			img_layer_unref(is, id, &gone);
		}
}

int img_store_open(const char *root, struct store *store, struct img_store **ret, struct berr **err)
{
	_cleanup_free_ char *dir = xasprintf("%s/layers", root);
	struct img_store *is;
	char real[PATH_MAX];
	int r;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return berr_set(err, errno, "cannot create %s: %m", dir);
	/* libarchive refuses to write through symlinks: use the real path */
	if (!realpath(dir, real))
		return berr_set(err, errno, "cannot resolve %s: %m", dir);
	is = xcalloc(1, sizeof(*is));
	is->layers_dir = xstrdup(real);
	is->store = store;
	pthread_rwlock_init(&is->lock, NULL);
	r = store_load(store, IMG_KIND_LAYERS, img_layer_load_one, is, err);
	if (r == 0)
		r = store_load(store, IMG_KIND, img_load_one, is, err);
	if (r < 0) {
		img_store_free(is);
		return r;
	}
	img_store_sweep(is);
	*ret = is;
	return 0;
}

void img_store_free(struct img_store *is)
{
	if (!is)
		return;
	for (size_t i = 0; i < is->n_imgs; i++)
		img_free(is->imgs[i]);
	for (size_t i = 0; i < is->n_layers; i++)
		free(is->layers[i]);
	free(is->imgs);
	free(is->layers);
	free(is->layers_dir);
	pthread_rwlock_destroy(&is->lock);
	free(is);
}

/* --- lookup --- */

/* A unique id prefix (with or without "sha256:"). */
static int img_by_prefix(struct img_store *is, const char *ref, struct image **ret)
{
	const char *hex = strprefix(ref, "sha256:") ? IMG_HEX(ref) : ref;
	struct image *found = NULL;
	size_t n = 0;

	if (!img_is_hex(hex, 1, 64))
		return -ENOENT;
	for (size_t i = 0; i < is->n_imgs; i++)
		if (strprefix(IMG_HEX(is->imgs[i]->id), hex)) {
			found = is->imgs[i];
			n++;
		}
	if (n != 1)
		return n ? -EINVAL : -ENOENT;
	*ret = found;
	return 0;
}

int img_find(struct img_store *is, const char *ref, struct image **ret, struct berr **err)
{
	_cleanup_free_ char *full = NULL, *tag = NULL;
	struct image *img;
	int r;

	if (img_is_hex(ref, 64, 64) ||
	    (strprefix(ref, "sha256:") && img_is_hex(IMG_HEX(ref), 64, 64))) {
		full = strprefix(ref, "sha256:") ? xstrdup(ref) : xasprintf("sha256:%s", ref);
		img = img_by_id(is, full);
		if (img) {
			*ret = img;
			return 0;
		}
	}
	if (strchr(ref, '@') && (img = img_by_digest(is, ref))) {
		*ret = img;
		return 0;
	}
	if (img_ref_parse(ref, &tag, NULL) == 0 && (img = img_by_tag(is, tag))) {
		*ret = img;
		return 0;
	}
	r = img_by_prefix(is, ref, &img);
	if (r == 0) {
		*ret = img;
		return 0;
	}
	if (r == -EINVAL)
		return berr_set(err, EINVAL,
				"image %s is ambiguous: several images have this id prefix", ref);
	return berr_set(err, ENOENT, "No such image: %s", ref);
}

/* --- tags --- */

/* Take tag off whichever image has it (persisted). */
static int img_untag_other(struct img_store *is, const char *tag, struct berr **err)
{
	struct image *old = img_by_tag(is, tag);

	if (!old)
		return 0;
	pthread_rwlock_wrlock(&is->lock);
	img_strv_del(old->tags, tag);
	pthread_rwlock_unlock(&is->lock);
	return img_put(is, old, err);
}

int img_tag(struct img_store *is, struct image *img, const char *ref, struct berr **err)
{
	_cleanup_free_ char *tag = NULL;
	int r;

	r = img_ref_parse(ref, &tag, err);
	if (r < 0)
		return r;
	if (img_is_hex(tag, 64, 64 + strlen(":latest")) || strprefix(tag, "sha256:"))
		return berr_set(err, EINVAL,
				"invalid repository name (%s), cannot specify 64-byte hexadecimal "
				"strings",
				ref);
	if (img_strv_has(img->tags, tag))
		return 0;
	r = img_untag_other(is, tag, err);
	if (r < 0)
		return r;
	pthread_rwlock_wrlock(&is->lock);
	img_strv_add(&img->tags, tag);
	pthread_rwlock_unlock(&is->lock);
	r = img_put(is, img, err);
	if (r < 0) {
		pthread_rwlock_wrlock(&is->lock);
		img_strv_del(img->tags, tag);
		pthread_rwlock_unlock(&is->lock);
	}
	return r;
}

/* --- layers --- */

/* Remove a layer's directory: renamed out of the way first, so a layer
 * is never seen half removed. */
static void img_layer_rmdir(struct img_store *is, const char *id)
{
	_cleanup_free_ char *dir = img_layer_dir(is, id);
	_cleanup_free_ char *gone = xasprintf("%s/.tmp-rm-%s", is->layers_dir, IMG_HEX(id));

	_cleanup_free_ char *stream = xasprintf("%s.tar", dir);

	unlink(stream);
	if (rename(dir, gone) == 0)
		tar_remove_tree(gone, NULL);
	else
		tar_remove_tree(dir, NULL);
}

/* Drop one reference; the last one removes the layer.  *ret_gone tells. */
static void img_layer_unref(struct img_store *is, const char *id, bool *ret_gone)
{
	struct img_layer *l = img_layer_get(is, id);

	*ret_gone = false;
	if (!l || (l->refs && --l->refs))
		return;
	pthread_rwlock_wrlock(&is->lock);
	for (size_t i = 0; i < is->n_layers; i++)
		if (is->layers[i] == l) {
			memmove(&is->layers[i], &is->layers[i + 1],
				(is->n_layers - i - 1) * sizeof(*is->layers));
			is->n_layers--;
			break;
		}
	pthread_rwlock_unlock(&is->lock);
	store_del(is->store, IMG_KIND_LAYERS, IMG_HEX(id), NULL);
	img_layer_rmdir(is, id);
	free(l);
	*ret_gone = true;
}

/* Move an extracted directory into place as layer tl (or drop it when the
 * layer exists already).  *ret_new: the layer was created by this call. */
static int img_layer_adopt(struct img_store *is, struct tar_layer *tl, bool *ret_new,
			   struct berr **err)
{
	_cleanup_free_ char *dir = img_layer_dir(is, tl->digest);
	_cleanup_free_ char *stream = xasprintf("%s.tar", dir);
	struct img_layer *l;
	json_t *o;
	int r;

	*ret_new = false;
	if (img_layer_get(is, tl->digest)) {
		/* (a layer of an older berth has no stream yet: it gets this one) */
		if (tl->stream && (access(stream, F_OK) == 0 || rename(tl->stream, stream) < 0))
			unlink(tl->stream);
		return tar_remove_tree(tl->dir, err);
	}
	tar_remove_tree(dir, NULL); /* left over by a crash, unreferenced */
	if (rename(tl->dir, dir) < 0 || (tl->stream && rename(tl->stream, stream) < 0)) {
		r = berr_set(err, errno, "cannot move the layer into place: %m");
		tar_remove_tree(access(tl->dir, F_OK) == 0 ? tl->dir : dir, NULL);
		if (tl->stream)
			unlink(tl->stream);
		return r;
	}
	o = json_pack("{s:s, s:I}", "Id", tl->digest, "Size", (json_int_t)tl->size);
	r = store_put(is->store, IMG_KIND_LAYERS, IMG_HEX(tl->digest), o, err);
	json_decref(o);
	if (r < 0) {
		tar_remove_tree(dir, NULL);
		return r;
	}
	l = xcalloc(1, sizeof(*l));
	strcpy(l->id, tl->digest);
	l->size = tl->size;
	img_layer_insert(is, l);
	*ret_new = true;
	return 0;
}

char **img_layer_dirs(struct img_store *is, const struct image *img)
{
	size_t n = img_strv_len(img->layers);
	char **v = xcalloc(n + 1, sizeof(*v));

	for (size_t i = 0; i < n; i++)
		v[i] = img_layer_dir(is, img->layers[n - 1 - i]);
	return v;
}

/* --- changes (docker import -c) --- */

/* Split s into words as the Dockerfile parser does for ENV and LABEL:
 * spaces separate, quotes group, backslash escapes. */
static char **img_words(const char *s)
{
	char **v = xcalloc(1, sizeof(*v));
	char *w = xcalloc(1, strlen(s) + 1);
	size_t n = 0;
	bool in_word = false;
	char quote = 0;

	for (; *s; s++) {
		if (!quote && isspace((unsigned char)*s)) {
			if (in_word)
				img_strv_add(&v, w);
			in_word = false;
			n = 0;
			w[0] = '\0';
			continue;
		}
		in_word = true;
		if (*s == '\\' && s[1] && quote != '\'') {
			w[n++] = *++s;
		} else if (!quote && (*s == '"' || *s == '\'')) {
			quote = *s;
		} else if (quote && *s == quote) {
			quote = 0;
		} else {
			w[n++] = *s;
		}
		w[n] = '\0';
	}
	if (in_word)
		img_strv_add(&v, w);
	free(w);
	return v;
}

/* CMD/ENTRYPOINT: a JSON array of strings (exec form) or a shell line. */
static json_t *img_change_argv(const char *rest)
{
	json_t *a = rest[0] == '[' ? json_loads(rest, 0, NULL) : NULL, *v;
	size_t i;
	bool ok = json_is_array(a);

	json_array_foreach (a, i, v)
		ok = ok && json_is_string(v);
	if (ok)
		return a;
	json_decref(a);
	return json_pack("[s, s, s]", "/bin/sh", "-c", rest);
}

/* Set key=value in the Env array (replacing the key). */
static void img_env_set(json_t *cfg, const char *key, const char *value)
{
	json_t *env = json_object_get(cfg, "Env"), *v;
	size_t klen = strlen(key), i;
	char *kv = xasprintf("%s=%s", key, value);

	if (!json_is_array(env)) {
		env = json_array();
		json_object_set_new(cfg, "Env", env);
	}
	json_array_foreach (env, i, v) {
		const char *s = json_string_value(v);

		if (s && strncmp(s, key, klen) == 0 && s[klen] == '=') {
			json_array_set_new(env, i, json_string(kv));
			free(kv);
			return;
		}
	}
	json_array_append_new(env, json_string(kv));
	free(kv);
}

/* The object member key of cfg, created empty when missing. */
static json_t *img_cfg_object(json_t *cfg, const char *key)
{
	json_t *o = json_object_get(cfg, key);

	if (!json_is_object(o)) {
		o = json_object();
		json_object_set_new(cfg, key, o);
	}
	return o;
}

/* ENV and LABEL: "k=v k2=v2", or the old "k v" form for one pair. */
static int img_change_pairs(json_t *cfg, const char *what, const char *rest, bool env,
			    struct berr **err)
{
	char **w = img_words(rest);
	int r = 0;

	if (!w[0]) {
		r = berr_set(err, EINVAL, "%s requires at least one argument", what);
	} else if (!strchr(w[0], '=')) {
		const char *v = rest + strcspn(rest, " \t");

		v += strspn(v, " \t");
		if (!*v && !env)
			r = berr_set(err, EINVAL, "%s names can not be blank", what);
		else if (env)
			img_env_set(cfg, w[0], v);
		else
			json_object_set_new(img_cfg_object(cfg, "Labels"), w[0], json_string(v));
	} else {
		for (size_t i = 0; w[i] && r == 0; i++) {
			char *eq = strchr(w[i], '=');

			if (!eq || eq == w[i]) {
				r = berr_set(err, EINVAL, "%s names can not be blank", what);
				break;
			}
			*eq = '\0';
			if (env)
				img_env_set(cfg, w[i], eq + 1);
			else
				json_object_set_new(img_cfg_object(cfg, "Labels"), w[i],
						    json_string(eq + 1));
		}
	}
	img_strv_free(w);
	return r;
}

/* EXPOSE 80 443/tcp 53/udp. */
static int img_change_expose(json_t *cfg, const char *rest, struct berr **err)
{
	char **w = img_words(rest);
	json_t *ports = img_cfg_object(cfg, "ExposedPorts");
	int r = 0;

	for (size_t i = 0; w[i] && r == 0; i++) {
		char *slash = strchr(w[i], '/'), *end;
		const char *proto = slash ? slash + 1 : "tcp";
		unsigned long port;

		if (slash)
			*slash = '\0';
		port = strtoul(w[i], &end, 10);
		if (end == w[i] || *end || port == 0 || port > 65535 ||
		    (!streq(proto, "tcp") && !streq(proto, "udp") && !streq(proto, "sctp"))) {
			r = berr_set(err, EINVAL, "invalid port in EXPOSE: %s", rest);
			break;
		}
		char *key = xasprintf("%lu/%s", port, proto);

		json_object_set_new(ports, key, json_object());
		free(key);
	}
	img_strv_free(w);
	return r;
}

/* WORKDIR: relative paths go on from the current one. */
static int img_change_workdir(json_t *cfg, const char *rest, struct berr **err)
{
	const char *cur = json_string_value(json_object_get(cfg, "WorkingDir"));
	char *dir;

	if (rest[0] == '/' || !cur || !*cur)
		dir = xasprintf("%s%s", rest[0] == '/' ? "" : "/", rest);
	else
		dir = xasprintf("%s%s%s", cur, cur[strlen(cur) - 1] == '/' ? "" : "/", rest);
	(void)err;
	json_object_set_new(cfg, "WorkingDir", json_string(dir));
	free(dir);
	return 0;
}

/* VOLUME ["/a", "/b"] or VOLUME /a /b. */
static int img_change_volume(json_t *cfg, const char *rest, struct berr **err)
{
	json_t *a = img_change_argv(rest), *vols = img_cfg_object(cfg, "Volumes"), *v;
	char **w = NULL;
	size_t i;

	if (rest[0] == '[' && json_array_size(a) &&
	    !streq(json_string_value(json_array_get(a, 0)), "/bin/sh"))
		json_array_foreach (a, i, v)
			json_object_set_new(vols, json_string_value(v), json_object());
	else
		w = img_words(rest);
	for (i = 0; w && w[i]; i++)
		json_object_set_new(vols, w[i], json_object());
	(void)err;
	img_strv_free(w);
	json_decref(a);
	return 0;
}

static int img_change_cmd(json_t *cfg, const char *rest, struct berr **err)
{
	(void)err;
	json_object_set_new(cfg, "Cmd", img_change_argv(rest));
	return 0;
}

static int img_change_entrypoint(json_t *cfg, const char *rest, struct berr **err)
{
	(void)err;
	json_object_set_new(cfg, "Entrypoint", img_change_argv(rest));
	return 0;
}

static int img_change_env(json_t *cfg, const char *rest, struct berr **err)
{
	return img_change_pairs(cfg, "ENV", rest, true, err);
}

static int img_change_label(json_t *cfg, const char *rest, struct berr **err)
{
	return img_change_pairs(cfg, "LABEL", rest, false, err);
}

static int img_change_user(json_t *cfg, const char *rest, struct berr **err)
{
	(void)err;
	json_object_set_new(cfg, "User", json_string(rest));
	return 0;
}

static int img_change_stopsignal(json_t *cfg, const char *rest, struct berr **err)
{
	(void)err;
	json_object_set_new(cfg, "StopSignal", json_string(rest));
	return 0;
}

/* The instructions docker import accepts. */
static const struct {
	const char *name;
	int (*apply)(json_t *cfg, const char *rest, struct berr **err);
} img_changes[] = {
	{"CMD", img_change_cmd},	 {"ENTRYPOINT", img_change_entrypoint},
	{"ENV", img_change_env},	 {"EXPOSE", img_change_expose},
	{"LABEL", img_change_label},	 {"STOPSIGNAL", img_change_stopsignal},
	{"USER", img_change_user},	 {"VOLUME", img_change_volume},
	{"WORKDIR", img_change_workdir},
};

int img_change_apply(json_t *cfg, const char *line, struct berr **err)
{
	const char *s = line + strspn(line, " \t");
	size_t n = strcspn(s, " \t");
	_cleanup_free_ char *word = xstrndup(s, n), *rest = NULL;
	size_t len;

	rest = xstrdup(s + n + strspn(s + n, " \t"));
	len = strlen(rest);
	while (len && isspace((unsigned char)rest[len - 1]))
		rest[--len] = '\0';
	if (!*word)
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(img_changes); i++)
		if (!strcasecmp(word, img_changes[i].name)) {
			if (!*rest)
				return berr_set(err, EINVAL, "%s requires at least one argument",
						img_changes[i].name);
			return img_changes[i].apply(cfg, rest, err);
		}
	return berr_set(err, EINVAL, "%s is not a valid change command", word);
}

/* Every change line (a value may hold several, one per line). */
static int img_changes_apply(json_t *cfg, char *const *changes, struct berr **err)
{
	for (size_t i = 0; changes && changes[i]; i++) {
		_cleanup_free_ char *copy = xstrdup(changes[i]);
		char *save = NULL;

		for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
			int r = img_change_apply(cfg, l, err);

			if (r < 0)
				return r;
		}
	}
	return 0;
}

/* --- new images --- */

const char *img_arch(void)
{
	static struct utsname u;

	uname(&u);
	if (streq(u.machine, "x86_64"))
		return "amd64";
	if (streq(u.machine, "aarch64"))
		return "arm64";
	return u.machine;
}

/* Docker's image config document; its sha256 is the image id. */
static json_t *img_config_doc(const struct image *img, const char *created_by)
{
	char created[40];
	json_t *hist;

	util_time_rfc3339(&img->created, created, sizeof(created));
	hist = json_pack("{s:s, s:s}", "created", created, "created_by", created_by);
	if (img->comment)
		json_object_set_new(hist, "comment", json_string(img->comment));
	return json_pack("{s:s, s:s, s:O, s:s, s:s, s:{s:s, s:o}, s:[o]}", "architecture",
			 img_arch(), "os", "linux", "config", img->config, "created", created,
			 "comment", img->comment ? img->comment : "", "rootfs", "type", "layers",
			 "diff_ids", img_strv_to_json(img->layers), "history", hist);
}

static void img_set_id(struct image *img, const char *created_by)
{
	json_t *doc = img_config_doc(img, created_by);

	free(img->config_doc);
	img->config_doc = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
	tar_digest(img->config_doc, strlen(img->config_doc), img->id);
	json_decref(doc);
}

char *img_config_bytes(const struct image *img)
{
	json_t *doc;
	char *s;

	if (img->config_doc)
		return xstrdup(img->config_doc);
	doc = img_config_doc(img, "");
	s = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(doc);
	return s;
}

/* The layer sizes of img. */
static int64_t img_layers_size(struct img_store *is, const struct image *img)
{
	int64_t size = 0;

	for (size_t i = 0; img->layers[i]; i++) {
		struct img_layer *l = img_layer_get(is, img->layers[i]);

		size += l ? l->size : 0;
	}
	return size;
}

/* Undo img_layer_adopt when the image that needed the layer failed. */
static void img_layer_abandon(struct img_store *is, const char *id, bool created)
{
	struct img_layer *l = img_layer_get(is, id);
	bool gone;

	if (created && l && l->refs == 0)
		img_layer_unref(is, id, &gone);
}

/* A new image of parent's layers (if any) plus the layer read from fd. */
static int img_create(struct img_store *is, int fd, const struct image *parent, const char *tag,
		      json_t *config, const char *comment, const char *created_by,
		      struct image **ret, struct berr **err)
{
	struct image *img = xcalloc(1, sizeof(*img));
	struct tar_layer tl = {.keep_stream = true};
	bool created = false;
	int r;

	r = tar_extract(fd, is->layers_dir, &tl, err);
	if (r == 0)
		r = img_layer_adopt(is, &tl, &created, err);
	free(tl.dir);
	free(tl.stream);
	if (r < 0) {
		free(img);
		return r;
	}
	img->tags = xcalloc(1, sizeof(*img->tags));
	img->layers = xcalloc(1, sizeof(*img->layers));
	for (size_t i = 0; parent && parent->layers[i]; i++)
		img_strv_add(&img->layers, parent->layers[i]);
	img_strv_add(&img->layers, tl.digest);
	img->config = json_incref(config);
	clock_gettime(CLOCK_REALTIME, &img->created);
	img->comment = comment && *comment ? xstrdup(comment) : NULL;
	img->parent = parent ? xstrdup(parent->id) : NULL;
	img->size = img_layers_size(is, img);
	img_set_id(img, created_by);
	r = img_put(is, img, err);
	if (r < 0) {
		img_layer_abandon(is, tl.digest, created);
		img_free(img);
		return r;
	}
	img_insert(is, img);
	if (tag && img_tag(is, img, tag, err) < 0)
		return berr_wrap(err, "image %.19s created but not tagged", img->id);
	*ret = img;
	return 0;
}

int img_layer_add(struct img_store *is, int fd, char ret_id[72], bool *ret_created,
		  struct berr **err)
{
	struct tar_layer tl = {.keep_stream = true};
	int r;

	*ret_created = false;
	r = tar_extract(fd, is->layers_dir, &tl, err);
	if (r == 0)
		r = img_layer_adopt(is, &tl, ret_created, err);
	if (r == 0)
		strcpy(ret_id, tl.digest);
	free(tl.dir);
	free(tl.stream);
	return r;
}

void img_layer_drop(struct img_store *is, const char *id, bool created)
{
	img_layer_abandon(is, id, created);
}

bool img_has_layer(struct img_store *is, const char *id)
{
	return img_layer_get(is, id) != NULL;
}

char *img_layer_path(struct img_store *is, const char *id)
{
	return img_layer_dir(is, id);
}

char *img_layer_stream(struct img_store *is, const char *id)
{
	_cleanup_free_ char *dir = img_layer_dir(is, id);
	char *p = xasprintf("%s.tar", dir);

	if (access(p, R_OK) == 0)
		return p;
	free(p);
	return NULL;
}

int img_add_config(struct img_store *is, const char *doc, size_t len, struct image **ret,
		   struct berr **err)
{
	json_error_t je;
	_cleanup_json_ json_t *o = json_loadb(doc, len, 0, &je);
	json_t *diff = json_object_get(json_object_get(o, "rootfs"), "diff_ids"), *v;
	const char *os = json_string_value(json_object_get(o, "os"));
	const char *created = json_string_value(json_object_get(o, "created"));
	const char *comment = json_string_value(json_object_get(o, "comment"));
	char id[TAR_DIGEST_LEN];
	struct image *img;
	size_t i;
	int r;

	if (!json_is_object(o) || !json_is_array(diff))
		return berr_set(err, EINVAL, "invalid image config: %s",
				o ? "no rootfs.diff_ids" : je.text);
	if (os && !streq(os, "linux"))
		return berr_set(err, EINVAL, "the image is for %s, not linux", os);
	tar_digest(doc, len, id);
	if ((img = img_by_id(is, id))) {
		*ret = img;
		return 0;
	}
	img = xcalloc(1, sizeof(*img));
	strcpy(img->id, id);
	img->tags = xcalloc(1, sizeof(*img->tags));
	img->layers = xcalloc(1, sizeof(*img->layers));
	json_array_foreach (diff, i, v) {
		const char *l = json_string_value(v);

		if (!l || !img_layer_get(is, l)) {
			img_free(img);
			return berr_set(err, EINVAL, "layer %s of image %.19s is not in the store",
					l ? l : "?", id);
		}
		img_strv_add(&img->layers, l);
	}
	img->config = json_is_object(json_object_get(o, "config"))
			      ? json_incref(json_object_get(o, "config"))
			      : json_object();
	if (!created || util_time_parse(created, &img->created) < 0)
		clock_gettime(CLOCK_REALTIME, &img->created);
	img->comment = comment && *comment ? xstrdup(comment) : NULL;
	img->size = img_layers_size(is, img);
	img->config_doc = xstrndup(doc, len);
	if ((r = img_put(is, img, err)) < 0) {
		img_free(img);
		return r;
	}
	img_insert(is, img);
	*ret = img;
	return 0;
}

int img_import(struct img_store *is, int fd, const char *ref, char *const *changes,
	       const char *message, struct image **ret, struct berr **err)
{
	_cleanup_free_ char *tag = NULL;
	json_t *cfg = json_object();
	int r;

	if (ref && *ref && (r = img_ref_parse(ref, &tag, err)) < 0)
		goto out;
	r = img_changes_apply(cfg, changes, err);
	if (r == 0)
		r = img_create(is, fd, NULL, tag, cfg, message, "berth import", ret, err);
out:
	json_decref(cfg);
	return r;
}

int img_commit(struct img_store *is, const struct image *img, const char *upper_dir,
	       const char *ref, json_t *config, const char *comment, struct image **ret,
	       struct berr **err)
{
	_cleanup_close_ int fd = open(is->layers_dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	_cleanup_free_ char *tag = NULL;
	int r;

	if (ref && *ref && (r = img_ref_parse(ref, &tag, err)) < 0)
		return r;
	if (fd < 0)
		return berr_set(err, errno, "cannot create a temporary file in %s: %m",
				is->layers_dir);
	r = tar_create(upper_dir, fd, err);
	if (r < 0)
		return r;
	if (lseek(fd, 0, SEEK_SET) < 0)
		return berr_set(err, errno, "cannot rewind the layer: %m");
	return img_create(is, fd, img, tag, config ? config : img->config, comment, "berth commit",
			  ret, err);
}

/* --- removal --- */

static bool img_has_children(struct img_store *is, const struct image *img)
{
	for (size_t i = 0; i < is->n_imgs; i++)
		if (is->imgs[i]->parent && streq(is->imgs[i]->parent, img->id))
			return true;
	return false;
}

/* Take tag off img, noting it in deleted. */
static int img_untag(struct img_store *is, struct image *img, const char *tag, json_t *deleted,
		     struct berr **err)
{
	pthread_rwlock_wrlock(&is->lock);
	img_strv_del(img->tags, tag);
	pthread_rwlock_unlock(&is->lock);
	json_array_append_new(deleted, json_pack("{s:s}", "Untagged", tag));
	return img_put(is, img, err);
}

/* Delete img and the layers no other image uses. */
static int img_delete(struct img_store *is, struct image *img, json_t *deleted, struct berr **err)
{
	int r = store_del(is->store, IMG_KIND, IMG_HEX(img->id), err);

	if (r < 0)
		return r;
	pthread_rwlock_wrlock(&is->lock);
	for (size_t i = 0; i < is->n_imgs; i++)
		if (is->imgs[i] == img) {
			memmove(&is->imgs[i], &is->imgs[i + 1],
				(is->n_imgs - i - 1) * sizeof(*is->imgs));
			is->n_imgs--;
			break;
		}
	pthread_rwlock_unlock(&is->lock);
	json_array_append_new(deleted, json_pack("{s:s}", "Deleted", img->id));
	for (size_t i = img_strv_len(img->layers); i-- > 0;) {
		bool gone;

		img_layer_unref(is, img->layers[i], &gone);
		if (gone)
			json_array_append_new(deleted,
					      json_pack("{s:s}", "Deleted", img->layers[i]));
	}
	img_free(img);
	return 0;
}

/* Refusals before anything changes, in Docker's words. */
static int img_remove_check(struct img_store *is, struct image *img, const char *ref,
			    const char *tag, bool force, const char *user, struct berr **err)
{
	bool last = img_strv_len(img->tags) <= 1;

	if (tag && !last)
		return 0;
	if (user && !force)
		return tag ? berr_set(err, EBUSY,
				      "conflict: unable to remove repository reference \"%s\" "
				      "(must force) - container %.12s is using its referenced "
				      "image %.12s",
				      ref, user, IMG_HEX(img->id))
			   : berr_set(err, EBUSY,
				      "conflict: unable to delete %.12s (must be forced) - image "
				      "is being used by stopped container %.12s",
				      IMG_HEX(img->id), user);
	if (!tag && !last && !force)
		return berr_set(err, EBUSY,
				"conflict: unable to delete %.12s (must be forced) - image is "
				"referenced in multiple repositories",
				IMG_HEX(img->id));
	if (!tag && img_has_children(is, img))
		return berr_set(err, EBUSY,
				"conflict: unable to delete %.12s (cannot be forced) - image has "
				"dependent child images",
				IMG_HEX(img->id));
	return 0;
}

/* The tag ref names on img, or NULL when ref is an id. */
static char *img_ref_tag(const struct image *img, const char *ref)
{
	char *tag = NULL;

	if (img_ref_parse(ref, &tag, NULL) == 0 && img_strv_has(img->tags, tag))
		return tag;
	free(tag);
	return NULL;
}

int img_remove(struct img_store *is, const char *ref, bool force, const char *user,
	       json_t **ret_deleted, struct berr **err)
{
	_cleanup_free_ char *tag = NULL;
	struct image *img;
	json_t *deleted;
	int r;

	r = img_find(is, ref, &img, err);
	if (r < 0)
		return r;
	tag = img_ref_tag(img, ref);
	r = img_remove_check(is, img, ref, tag, force, user, err);
	if (r < 0)
		return r;
	deleted = json_array();
	if (tag)
		r = img_untag(is, img, tag, deleted, err);
	while (r == 0 && !tag && img->tags && img->tags[0]) {
		_cleanup_free_ char *t = xstrdup(img->tags[0]);

		r = img_untag(is, img, t, deleted, err);
	}
	if (r == 0 && !img->tags[0] && !user && !img_has_children(is, img))
		r = img_delete(is, img, deleted, err);
	if (r < 0) {
		json_decref(deleted);
		return r;
	}
	*ret_deleted = deleted;
	return 0;
}

/* --- pruning --- */

/* Is img for this round?  A tagged image only without dangling_only; an
 * untagged one once it has no children left. */
static bool img_prune_candidate(struct img_store *is, const struct image *img,
				const struct img_prune_opts *o)
{
	if (img->tags[0] ? o->dangling_only : img_has_children(is, img))
		return false;
	return o->want(img, o->data);
}

/* rmi without force of each tag of the image, or of its id; true when
 * something changed. */
static bool img_prune_one(struct img_store *is, const char *id, const struct img_prune_opts *o,
			  json_t *deleted)
{
	struct image *img = img_by_id(is, id);
	char **refs = xcalloc(1, sizeof(*refs));
	bool changed = false;

	for (size_t i = 0; img && img->tags[i]; i++)
		img_strv_add(&refs, img->tags[i]);
	if (img && !refs[0])
		img_strv_add(&refs, id);
	for (size_t i = 0; refs[i]; i++) {
		_cleanup_berr_ struct berr *e = NULL;
		json_t *gone;

		if (img_remove(is, refs[i], false, NULL, &gone, &e) < 0) {
			if (e && e->code != EBUSY && o->failed)
				o->failed(refs[i], e, o->data);
			continue;
		}
		changed |= json_array_size(gone) > 0;
		json_array_extend(deleted, gone);
		json_decref(gone);
	}
	img_strv_free(refs);
	return changed;
}

void img_prune(struct img_store *is, const struct img_prune_opts *o, json_t **ret_deleted,
	       int64_t *ret_reclaimed)
{
	int64_t before = img_store_size(is);
	json_t *deleted = json_array();
	bool changed = true;

	while (changed) {
		/* ids, not pointers: each removal changes the array */
		char **ids = xcalloc(1, sizeof(*ids));

		changed = false;
		for (size_t i = 0; i < is->n_imgs; i++)
			if (img_prune_candidate(is, is->imgs[i], o))
				img_strv_add(&ids, is->imgs[i]->id);
		for (size_t i = 0; ids[i]; i++)
			changed |= img_prune_one(is, ids[i], o, deleted);
		img_strv_free(ids);
	}
	*ret_deleted = deleted;
	*ret_reclaimed = before - img_store_size(is);
}

/* --- API shapes --- */

static json_t *img_digests_json(const struct image *img)
{
	return img->digests ? img_strv_to_json(img->digests) : json_array();
}

int img_add_digest(struct img_store *is, struct image *img, const char *repo_digest,
		   struct berr **err)
{
	const char *at = strchr(repo_digest, '@');
	size_t n = at ? (size_t)(at - repo_digest) + 1 : 0;

	if (!img->digests)
		img->digests = xcalloc(1, sizeof(char *));
	if (img_strv_has(img->digests, repo_digest))
		return 0;
	/* one digest per repository: the newest */
	pthread_rwlock_wrlock(&is->lock);
	for (size_t i = 0; img->digests[i];)
		if (n && strncmp(img->digests[i], repo_digest, n) == 0)
			img_strv_del(img->digests, img->digests[i]);
		else
			i++;
	img_strv_add(&img->digests, repo_digest);
	pthread_rwlock_unlock(&is->lock);
	return img_put(is, img, err);
}

json_t *img_to_summary_json(const struct image *img, int containers)
{
	json_t *labels = json_object_get(img->config, "Labels");

	return json_pack("{s:s, s:s, s:o, s:o, s:I, s:I, s:i, s:I, s:O, s:i}", "Id", img->id,
			 "ParentId", img->parent ? img->parent : "", "RepoTags",
			 img->tags[0] ? img_strv_to_json(img->tags) : json_null(), "RepoDigests",
			 img_digests_json(img), "Created", (json_int_t)img->created.tv_sec, "Size",
			 (json_int_t)img->size, "SharedSize", -1, "VirtualSize",
			 (json_int_t)img->size, "Labels",
			 json_is_object(labels) ? labels : json_null(), "Containers", containers);
}

/* ContainerConfig: the config of the container an image was committed
 * from (API < 1.45).  berth's images record none: Docker's empty one, which
 * clients such as docker-compose 1.29 read (its Volumes). */
static json_t *img_container_config_json(void)
{
	return json_pack("{s:s, s:s, s:s, s:b, s:b, s:b, s:b, s:b, s:b, s:n, s:n, s:s, s:n, s:s, "
			 "s:n, s:n, s:n}",
			 "Hostname", "", "Domainname", "", "User", "", "AttachStdin", 0,
			 "AttachStdout", 0, "AttachStderr", 0, "Tty", 0, "OpenStdin", 0,
			 "StdinOnce", 0, "Env", "Cmd", "Image", "", "Volumes", "WorkingDir", "",
			 "Entrypoint", "OnBuild", "Labels");
}

json_t *img_to_inspect_json(const struct image *img)
{
	char created[40];
	json_t *o;

	util_time_rfc3339(&img->created, created, sizeof(created));
	o = json_pack("{s:s, s:o, s:o, s:s, s:s, s:s, s:s, s:s, s:s, s:O, s:s, s:s, s:I, "
		      "s:I, s:{s:s, s:n}, s:{s:s, s:o}, s:{s:s}}",
		      "Id", img->id, "RepoTags", img_strv_to_json(img->tags), "RepoDigests",
		      img_digests_json(img), "Parent", img->parent ? img->parent : "", "Comment",
		      img->comment ? img->comment : "", "Created", created, "Container", "",
		      "DockerVersion", "", "Author", "", "Config", img->config, "Architecture",
		      img_arch(), "Os", "linux", "Size", (json_int_t)img->size, "VirtualSize",
		      (json_int_t)img->size, "GraphDriver", "Name", "overlay2", "Data", "RootFS",
		      "Type", "layers", "Layers", img_strv_to_json(img->layers), "Metadata",
		      "LastTagTime", "0001-01-01T00:00:00Z");
	json_object_set_new(o, "ContainerConfig", img_container_config_json());
	return o;
}

json_t *img_history_json(struct img_store *is, const struct image *img)
{
	json_t *list = json_array();

	for (const struct image *i = img; i; i = i->parent ? img_by_id(is, i->parent) : NULL)
		json_array_append_new(
			list,
			json_pack("{s:s, s:I, s:s, s:o, s:I, s:s}", "Id", i->id, "Created",
				  (json_int_t)i->created.tv_sec, "CreatedBy",
				  i->parent ? "berth commit" : "berth import", "Tags",
				  i->tags[0] ? img_strv_to_json(i->tags) : json_null(), "Size",
				  (json_int_t)(i->size - (i->parent && img_by_id(is, i->parent)
								  ? img_by_id(is, i->parent)->size
								  : 0)),
				  "Comment", i->comment ? i->comment : ""));
	return list;
}
