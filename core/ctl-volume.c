/* ctl-volume.c - the controller's volumes (see ctl-volume.h): the
 * <root>/volumes/<name>/_data directories and their store records, and
 * the mount points of containers: VolumesFrom, Binds, Mounts and
 * anonymous volumes, resolved once at create time into c->mounts.
 * Job thread, except the lookups, which also serve the loop under the
 * read lock. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "core/container.h"
#include "core/controller.h"
#include "core/ctl-container.h"
#include "core/ctl-volume.h"
#include "core/filters.h"
#include "core/log.h"
#include "core/store.h"
#include "core/util.h"
#include "runtime/image.h"

#define CTL_KIND_VOLUMES "volumes"

/* --- the model --- */

int ctl_volume_find(struct ctl *ctl, const char *name, struct volume **ret, struct berr **err)
{
	for (size_t i = 0; i < ctl->n_vols; i++)
		if (streq(ctl->vols[i]->name, name)) {
			*ret = ctl->vols[i];
			return 0;
		}
	return berr_set(err, ENOENT, "get %s: no such volume", name);
}

static void ctl_vol_insert(struct ctl *ctl, struct volume *v)
{
	pthread_rwlock_wrlock(&ctl->lock);
	xgrow(&ctl->vols, &ctl->cap_vols, ctl->n_vols + 1, sizeof(*ctl->vols));
	ctl->vols[ctl->n_vols++] = v;
	pthread_rwlock_unlock(&ctl->lock);
}

static void ctl_vol_unlink(struct ctl *ctl, struct volume *v)
{
	pthread_rwlock_wrlock(&ctl->lock);
	for (size_t i = 0; i < ctl->n_vols; i++)
		if (ctl->vols[i] == v) {
			memmove(&ctl->vols[i], &ctl->vols[i + 1],
				(ctl->n_vols - i - 1) * sizeof(*ctl->vols));
			ctl->n_vols--;
			break;
		}
	pthread_rwlock_unlock(&ctl->lock);
}

void ctl_volumes_free(struct ctl *ctl)
{
	for (size_t i = 0; i < ctl->n_vols; i++)
		vol_free(ctl->vols[i]);
	free(ctl->vols);
	ctl->vols = NULL;
	ctl->n_vols = ctl->cap_vols = 0;
}

static char *ctl_vol_dir(struct ctl *ctl, const char *name)
{
	return xasprintf("%s/volumes/%s", ctl->root, name);
}

static int ctl_vol_rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	remove(path);
	return 0;
}

/* rm -rf, staying on this file system and never following links. */
static void ctl_vol_rmtree(const char *path)
{
	nftw(path, ctl_vol_rm_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

/* <root>/volumes/<name>/_data; the parents stay closed to others (0701),
 * as Docker makes them. */
static int ctl_vol_make_dirs(struct ctl *ctl, struct volume *v, struct berr **err)
{
	_cleanup_free_ char *top = xasprintf("%s/volumes", ctl->root);
	_cleanup_free_ char *dir = ctl_vol_dir(ctl, v->name);
	_cleanup_free_ char *data = xasprintf("%s/_data", dir);

	if (mkdir(top, 0701) < 0 && errno != EEXIST)
		return berr_set(err, errno, "cannot create %s: %m", top);
	if (mkdir(dir, 0701) < 0 && errno != EEXIST)
		return berr_set(err, errno, "cannot create %s: %m", dir);
	if (mkdir(data, 0755) < 0 && errno != EEXIST) {
		int r = berr_set(err, errno, "cannot create %s: %m", data);

		rmdir(dir);
		return r;
	}
	v->mountpoint = TAKE_PTR(data);
	return 0;
}

static int ctl_vol_save(struct ctl *ctl, struct volume *v, struct berr **err)
{
	json_t *obj = vol_to_store_json(v);
	int r = store_put(ctl->store, CTL_KIND_VOLUMES, v->name, obj, err);

	json_decref(obj);
	return r;
}

int ctl_volume_create(struct ctl *ctl, struct volume *draft, struct volume **ret, struct berr **err)
{
	struct volume *v;
	int r;

	if (ctl_volume_find(ctl, draft->name, &v, NULL) == 0) {
		vol_free(draft);
		*ret = v;
		return 0;
	}
	if ((r = ctl_vol_make_dirs(ctl, draft, err)) < 0)
		goto fail;
	if ((r = ctl_vol_save(ctl, draft, err)) < 0) {
		_cleanup_free_ char *dir = ctl_vol_dir(ctl, draft->name);

		ctl_vol_rmtree(dir);
		goto fail;
	}
	ctl_vol_insert(ctl, draft);
	log_info("volume %s created", draft->name);
	*ret = draft;
	return 0;
fail:
	vol_free(draft);
	return r;
}

/* Does c mount the volume called name? */
static bool ctl_vol_used_by(const struct container *c, const char *name)
{
	json_t *m;
	size_t i;

	json_array_foreach (c->mounts, i, m)
		if (streq(json_string_value(json_object_get(m, "Type")), "volume") &&
		    streq(json_string_value(json_object_get(m, "Name")), name))
			return true;
	return false;
}

json_t *ctl_volume_users(struct ctl *ctl, const char *name)
{
	json_t *ids = json_array();

	for (size_t i = 0; i < ctl->n_ctrs; i++)
		if (ctl_vol_used_by(ctl->ctrs[i], name))
			json_array_append_new(ids, json_string(ctl->ctrs[i]->id));
	return ids;
}

/* Drop the volume from the model, the store and the disk. */
static int ctl_vol_destroy(struct ctl *ctl, struct volume *v, struct berr **err)
{
	_cleanup_free_ char *dir = ctl_vol_dir(ctl, v->name);
	int r;

	if ((r = store_del(ctl->store, CTL_KIND_VOLUMES, v->name, err)) < 0)
		return r;
	ctl_vol_unlink(ctl, v);
	ctl_vol_rmtree(dir);
	log_info("volume %s removed", v->name);
	vol_free(v);
	return 0;
}

/* EBUSY with Docker's message when a container mounts the volume. */
static int ctl_vol_check_unused(struct ctl *ctl, const char *name, struct berr **err)
{
	json_t *ids = ctl_volume_users(ctl, name), *id;
	_cleanup_free_ char *list = xstrdup("");
	size_t i;

	json_array_foreach (ids, i, id) {
		char *n = xasprintf("%s%s%s", list, i ? ", " : "", json_string_value(id));

		free(list);
		list = n;
	}
	i = json_array_size(ids);
	json_decref(ids);
	if (i == 0)
		return 0;
	return berr_set(err, EBUSY, "remove %s: volume is in use - [%s]", name, list);
}

int ctl_volume_remove(struct ctl *ctl, const char *name, bool force, struct berr **err)
{
	struct volume *v;
	int r;

	if (ctl_volume_find(ctl, name, &v, NULL) < 0)
		return force ? 0 : berr_set(err, ENOENT, "get %s: no such volume", name);
	if ((r = ctl_vol_check_unused(ctl, name, err)) < 0)
		return r;
	return ctl_vol_destroy(ctl, v, err);
}

static __thread uint64_t ctl_vol_du_sum;

static int ctl_vol_du_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)path, (void)ftw;
	if (flag == FTW_F && S_ISREG(st->st_mode))
		ctl_vol_du_sum += (uint64_t)st->st_size;
	return 0;
}

/* Bytes of the regular files under path (Docker's SpaceReclaimed). */
static uint64_t ctl_vol_du(const char *path)
{
	ctl_vol_du_sum = 0;
	nftw(path, ctl_vol_du_entry, 16, FTW_PHYS | FTW_MOUNT);
	return ctl_vol_du_sum;
}

static bool ctl_vol_prune_match(struct volume *v, json_t *filters)
{
	json_t *neg = filters_get(filters, "label!"), *w;
	size_t i;

	json_array_foreach (neg, i, w)
		if (filters_label_holds(json_string_value(w), v->labels))
			return false;
	return filters_match_labels(filters, "label", v->labels);
}

int ctl_volume_prune(struct ctl *ctl, json_t *filters, json_t **ret_names, uint64_t *ret_space,
		     struct berr **err)
{
	json_t *names = json_array();
	uint64_t space = 0;
	size_t i = 0;
	int r;

	while (i < ctl->n_vols) {
		struct volume *v = ctl->vols[i];
		_cleanup_free_ char *name = xstrdup(v->name);
		uint64_t size;

		if (!ctl_vol_prune_match(v, filters) || ctl_vol_check_unused(ctl, name, NULL) < 0) {
			i++;
			continue;
		}
		size = ctl_vol_du(v->mountpoint);
		if ((r = ctl_vol_destroy(ctl, v, err)) < 0) {
			json_decref(names);
			return r;
		}
		json_array_append_new(names, json_string(name));
		space += size;
	}
	*ret_names = names;
	*ret_space = space;
	return 0;
}

static int ctl_load_volume(const char *key, json_t *obj, void *data, struct berr **err)
{
	struct ctl *ctl = data;
	struct volume *v = NULL;
	struct berr *e = NULL;

	(void)err;
	if (vol_from_store_json(obj, &v, &e) < 0 || !streq(v->name, key)) {
		log_error("store: volume %s: %s; skipped", key, e ? berr_msg(e) : "name mismatch");
		berr_free(e);
		if (!e)
			vol_free(v);
		return 0;
	}
	v->mountpoint = xasprintf("%s/volumes/%s/_data", ctl->root, v->name);
	ctl_vol_insert(ctl, v);
	return 0;
}

int ctl_volumes_restore(struct ctl *ctl, struct berr **err)
{
	return store_load(ctl->store, CTL_KIND_VOLUMES, ctl_load_volume, ctl, err);
}

/* --- copy-up: the image's content at a mount path into a new volume --- */

/* overlayfs marks: a 0/0 character device deletes a name, the opaque
 * xattr hides a directory's lower content. */
static bool ctl_vol_is_whiteout(const struct stat *st)
{
	return S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0);
}

static bool ctl_vol_is_opaque(const char *dir)
{
	char val[2] = "";

	return lgetxattr(dir, "trusted.overlay.opaque", val, sizeof(val)) == 1 && val[0] == 'y';
}

static bool ctl_vol_dir_empty(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	bool empty = true;

	while (d && empty && (e = readdir(d)))
		empty = streq(e->d_name, ".") || streq(e->d_name, "..");
	if (d)
		closedir(d);
	return empty;
}

/* Remove what dir holds, keeping dir. */
static void ctl_vol_clear(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	while (d && (e = readdir(d))) {
		_cleanup_free_ char *p = NULL;

		if (streq(e->d_name, ".") || streq(e->d_name, ".."))
			continue;
		p = xasprintf("%s/%s", dir, e->d_name);
		ctl_vol_rmtree(p);
	}
	if (d)
		closedir(d);
}

/* Owner, mode and times of st onto dst (mode after owner: chown clears
 * the set-id bits). */
static int ctl_vol_copy_meta(const char *dst, const struct stat *st, struct berr **err)
{
	struct timespec ts[2] = {st->st_atim, st->st_mtim};

	if (lchown(dst, st->st_uid, st->st_gid) < 0)
		return berr_set(err, errno, "copy-up: cannot chown %s: %m", dst);
	if (!S_ISLNK(st->st_mode) && chmod(dst, st->st_mode & 07777) < 0)
		return berr_set(err, errno, "copy-up: cannot chmod %s: %m", dst);
	utimensat(AT_FDCWD, dst, ts, AT_SYMLINK_NOFOLLOW);
	return 0;
}

static int ctl_vol_copy_file(const char *src, const char *dst, const struct stat *st,
			     struct berr **err)
{
	_cleanup_close_ int in = open(src, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	_cleanup_close_ int out = -1;
	char buf[BUFSIZ];
	ssize_t n;

	if (in < 0)
		return berr_set(err, errno, "copy-up: cannot open %s: %m", src);
	out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, st->st_mode & 0700);
	if (out < 0)
		return berr_set(err, errno, "copy-up: cannot create %s: %m", dst);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		for (ssize_t off = 0, w; off < n; off += w)
			if ((w = write(out, buf + off, (size_t)(n - off))) < 0)
				return berr_set(err, errno, "copy-up: cannot write %s: %m", dst);
	if (n < 0)
		return berr_set(err, errno, "copy-up: cannot read %s: %m", src);
	return 0;
}

static int ctl_vol_copy_tree(const char *src, const char *dst, struct berr **err);

/* One entry of a layer onto the volume: a whiteout deletes, a directory
 * merges (or replaces, when opaque), anything else replaces. */
static int ctl_vol_copy_entry(const char *src, const char *dst, struct berr **err)
{
	struct stat st, dst_st;
	char target[PATH_MAX];
	ssize_t len;
	int r;

	if (lstat(src, &st) < 0)
		return berr_set(err, errno, "copy-up: cannot stat %s: %m", src);
	if (ctl_vol_is_whiteout(&st) || !S_ISDIR(st.st_mode) ||
	    (lstat(dst, &dst_st) == 0 && !S_ISDIR(dst_st.st_mode)))
		ctl_vol_rmtree(dst);
	if (ctl_vol_is_whiteout(&st))
		return 0;
	if (S_ISDIR(st.st_mode)) {
		if (mkdir(dst, 0700) < 0 && errno != EEXIST)
			return berr_set(err, errno, "copy-up: cannot create %s: %m", dst);
		if (ctl_vol_is_opaque(src))
			ctl_vol_clear(dst);
		if ((r = ctl_vol_copy_tree(src, dst, err)) < 0)
			return r;
	} else if (S_ISREG(st.st_mode)) {
		if ((r = ctl_vol_copy_file(src, dst, &st, err)) < 0)
			return r;
	} else if (S_ISLNK(st.st_mode)) {
		len = readlink(src, target, sizeof(target) - 1);
		if (len < 0)
			return berr_set(err, errno, "copy-up: cannot read link %s: %m", src);
		target[len] = '\0';
		if (symlink(target, dst) < 0)
			return berr_set(err, errno, "copy-up: cannot create %s: %m", dst);
	} else if (mknod(dst, st.st_mode, st.st_rdev) < 0) {
		return berr_set(err, errno, "copy-up: cannot create %s: %m", dst);
	}
	return ctl_vol_copy_meta(dst, &st, err);
}

static int ctl_vol_copy_tree(const char *src, const char *dst, struct berr **err)
{
	DIR *d = opendir(src);
	struct dirent *e;
	int r = 0;

	if (!d)
		return berr_set(err, errno, "copy-up: cannot read %s: %m", src);
	while (r == 0 && (e = readdir(d))) {
		_cleanup_free_ char *s = NULL, *t = NULL;

		if (streq(e->d_name, ".") || streq(e->d_name, ".."))
			continue;
		s = xasprintf("%s/%s", src, e->d_name);
		t = xasprintf("%s/%s", dst, e->d_name);
		r = ctl_vol_copy_entry(s, t, err);
	}
	closedir(d);
	return r;
}

/* layer + path when every component is a real directory in that layer
 * (a symlink on the way would lead out of the layer); NULL otherwise. */
static char *ctl_vol_layer_path(const char *layer, const char *path)
{
	char *p = xasprintf("%s%s", layer, path);
	size_t base = strlen(layer);
	struct stat st;

	for (char *slash = strchr(p + base + 1, '/');; slash = strchr(slash + 1, '/')) {
		if (slash)
			*slash = '\0';
		if (lstat(p, &st) < 0 || (!S_ISDIR(st.st_mode) && !ctl_vol_is_whiteout(&st))) {
			free(p);
			return NULL;
		}
		if (!slash)
			return p;
		*slash = '/';
	}
}

/* Merge the layers' content at path (bottom layer first) into dst, then
 * give dst the owner and mode of the image's directory, as Docker does. */
static int ctl_vol_copy_up(char **layers, const char *path, const char *dst, struct berr **err)
{
	size_t n = 0;
	int r;

	while (layers && layers[n])
		n++;
	for (size_t i = n; i-- > 0;) {
		_cleanup_free_ char *src = ctl_vol_layer_path(layers[i], path);
		struct stat st;

		if (!src || lstat(src, &st) < 0)
			continue;
		if (ctl_vol_is_whiteout(&st) || ctl_vol_is_opaque(src))
			ctl_vol_clear(dst);
		if (ctl_vol_is_whiteout(&st))
			continue;
		if ((r = ctl_vol_copy_tree(src, dst, err)) < 0 ||
		    (r = ctl_vol_copy_meta(dst, &st, err)) < 0)
			return r;
	}
	return 0;
}

/* --- containers' mount points --- */

struct ctl_vol_attach {
	struct ctl *ctl;
	struct container *c;
	char **layers;
	json_t *points; /* from Binds, Mounts and Config.Volumes */
	json_t *from;	/* from VolumesFrom: the others override them */
	struct volume **made;
	size_t n_made, cap_made;
};

/* One entry of the inspect "Mounts" array. */
static json_t *ctl_vol_point(const char *type, const struct volume *v, const char *src,
			     const char *dst, const char *mode, bool rw)
{
	json_t *m = json_pack("{s:s, s:s, s:s, s:s, s:b, s:s}", "Type", type, "Source",
			      v	    ? v->mountpoint
			      : src ? src
				    : "",
			      "Destination", dst, "Mode", mode, "RW", rw, "Propagation",
			      streq(type, "bind") ? "rprivate" : "");

	if (v) {
		json_object_set_new(m, "Name", json_string(v->name));
		json_object_set_new(m, "Driver", json_string(v->driver));
	}
	return m;
}

static const char *ctl_vol_dest(json_t *m)
{
	return json_string_value(json_object_get(m, "Destination"));
}

static bool ctl_vol_has_dest(json_t *points, const char *dst)
{
	json_t *m;
	size_t i;

	json_array_foreach (points, i, m)
		if (streq(ctl_vol_dest(m), dst))
			return true;
	return false;
}

/* Add m (takes it) to points; two at one destination are an error. */
static int ctl_vol_add(json_t *points, json_t *m, struct berr **err)
{
	if (ctl_vol_has_dest(points, ctl_vol_dest(m))) {
		int r = berr_set(err, EINVAL, "Duplicate mount point: %s", ctl_vol_dest(m));

		json_decref(m);
		return r;
	}
	json_array_append_new(points, m);
	return 0;
}

/* The volume called name, made when missing (anonymous: name NULL). */
static int ctl_vol_get(struct ctl_vol_attach *a, const char *name, json_t *labels, json_t *opts,
		       struct volume **ret, struct berr **err)
{
	struct volume *draft, *v;
	json_t *body;
	int r;

	if (name && ctl_volume_find(a->ctl, name, ret, NULL) == 0)
		return 0;
	body = json_pack("{s:s?, s:O?, s:O?}", "Name", name, "Labels", labels, "DriverOpts", opts);
	r = vol_from_create_json(body, &draft, err);
	json_decref(body);
	if (r < 0 || (r = ctl_volume_create(a->ctl, draft, &v, err)) < 0)
		return r;
	xgrow(&a->made, &a->cap_made, a->n_made + 1, sizeof(*a->made));
	a->made[a->n_made++] = v;
	*ret = v;
	return 0;
}

/* A volume mount point, the volume filled from the image when it is
 * empty and no other container mounts it. */
static int ctl_vol_add_volume(struct ctl_vol_attach *a, const char *name, const char *dst,
			      const char *mode, bool ro, bool nocopy, json_t *vopts,
			      struct berr **err)
{
	json_t *dc = json_object_get(vopts, "DriverConfig"), *users;
	struct volume *v;
	bool shared;
	int r;

	if ((r = ctl_vol_get(a, name, json_object_get(vopts, "Labels"),
			     json_object_get(dc, "Options"), &v, err)) < 0)
		return r;
	if ((r = ctl_vol_add(a->points, ctl_vol_point("volume", v, NULL, dst, mode, !ro), err)) < 0)
		return r;
	users = ctl_volume_users(a->ctl, v->name);
	shared = json_array_size(users) > 0;
	json_decref(users);
	if (nocopy || shared || !ctl_vol_dir_empty(v->mountpoint))
		return 0;
	return ctl_vol_copy_up(a->layers, dst, v->mountpoint, err);
}

/* HostConfig.Binds. */
static int ctl_vol_binds(struct ctl_vol_attach *a, struct berr **err)
{
	json_t *s;
	size_t i;
	int r = 0;

	json_array_foreach (json_object_get(a->c->host_config, "Binds"), i, s) {
		struct ctr_bind b;

		if ((r = ctr_bind_parse(json_string_value(s), &b, err)) < 0)
			return r;
		if (b.source && b.source[0] == '/')
			r = ctl_vol_add(a->points,
					ctl_vol_point("bind", NULL, b.source, b.target, b.mode,
						      !b.readonly),
					err);
		else
			r = ctl_vol_add_volume(a, b.source, b.target, b.mode, b.readonly, b.nocopy,
					       NULL, err);
		ctr_bind_done(&b);
		if (r < 0)
			return r;
	}
	return 0;
}

/* HostConfig.Mounts (--mount type=bind|volume|tmpfs). */
static int ctl_vol_mounts(struct ctl_vol_attach *a, struct berr **err)
{
	json_t *m;
	size_t i;
	int r;

	json_array_foreach (json_object_get(a->c->host_config, "Mounts"), i, m) {
		const char *type = json_string_value(json_object_get(m, "Type"));
		const char *src = json_string_value(json_object_get(m, "Source"));
		const char *dst = json_string_value(json_object_get(m, "Target"));
		json_t *vopts = json_object_get(m, "VolumeOptions");
		bool ro = json_is_true(json_object_get(m, "ReadOnly"));

		if (streq(type, "volume"))
			r = ctl_vol_add_volume(a, src && *src ? src : NULL, dst, "", ro,
					       json_is_true(json_object_get(vopts, "NoCopy")),
					       vopts, err);
		else
			r = ctl_vol_add(a->points, ctl_vol_point(type, NULL, src, dst, "", !ro),
					err);
		if (r < 0)
			return r;
	}
	return 0;
}

/* HostConfig.VolumesFrom: every volume and bind mount of the others,
 * read-only with ":ro". */
static int ctl_vol_from(struct ctl_vol_attach *a, struct berr **err)
{
	json_t *s, *m;
	size_t i, j;
	int r;

	json_array_foreach (json_object_get(a->c->host_config, "VolumesFrom"), i, s) {
		_cleanup_free_ char *ref = xstrdup(json_string_value(s));
		char *mode = strchr(ref, ':');
		struct container *other;

		if (mode)
			*mode++ = '\0';
		if ((r = ctl_container_find(a->ctl, ref, &other, err)) < 0)
			return r;
		json_array_foreach (other->mounts, j, m) {
			json_t *copy;

			if (streq(json_string_value(json_object_get(m, "Type")), "tmpfs"))
				continue;
			copy = json_deep_copy(m);
			if (mode) {
				json_object_set_new(copy, "RW", json_boolean(streq(mode, "rw")));
				json_object_set_new(copy, "Mode", json_string(mode));
			}
			json_object_del(a->from, ctl_vol_dest(copy));
			json_object_set_new(a->from, ctl_vol_dest(copy), copy);
		}
	}
	return 0;
}

/* Config.Volumes and the image's Volumes: an anonymous volume on each
 * path nothing else is mounted on. */
static int ctl_vol_anonymous(struct ctl_vol_attach *a, json_t *vols, struct berr **err)
{
	const char *dst;
	json_t *v;
	int r;

	json_object_foreach (vols, dst, v) {
		if (dst[0] != '/')
			return berr_set(err, EINVAL, "invalid volume specification: '%s'", dst);
		if (ctl_vol_has_dest(a->points, dst))
			continue;
		if ((r = ctl_vol_add_volume(a, NULL, dst, "", false, false, NULL, err)) < 0)
			return r;
	}
	return 0;
}

/* Undo: the volumes made for a container that failed to be created. */
static void ctl_vol_unmake(struct ctl_vol_attach *a)
{
	for (size_t i = a->n_made; i-- > 0;)
		if (ctl_vol_check_unused(a->ctl, a->made[i]->name, NULL) == 0)
			ctl_vol_destroy(a->ctl, a->made[i], NULL);
}

/* The VolumesFrom points that no Binds/Mounts entry overrides, moved
 * into points; then the anonymous volumes for what is left. */
static int ctl_vol_finish(struct ctl_vol_attach *a, const struct image *img, struct berr **err)
{
	const char *dst;
	json_t *m;
	int r;

	json_object_foreach (a->from, dst, m)
		if (!ctl_vol_has_dest(a->points, dst))
			json_array_append(a->points, m);
	if ((r = ctl_vol_anonymous(a, json_object_get(a->c->config, "Volumes"), err)) < 0)
		return r;
	return ctl_vol_anonymous(a, json_object_get(img->config, "Volumes"), err);
}

int ctl_volumes_attach(struct ctl *ctl, struct container *c, const struct image *img,
		       struct berr **err)
{
	struct ctl_vol_attach a = {
		.ctl = ctl,
		.c = c,
		.layers = img_layer_dirs(ctl->images, img),
		.points = json_array(),
		.from = json_object(),
	};
	int r;

	if ((r = ctl_vol_from(&a, err)) < 0 || (r = ctl_vol_binds(&a, err)) < 0 ||
	    (r = ctl_vol_mounts(&a, err)) < 0 || (r = ctl_vol_finish(&a, img, err)) < 0)
		ctl_vol_unmake(&a);
	else
		c->mounts = json_incref(a.points);
	for (size_t i = 0; a.layers[i]; i++)
		free(a.layers[i]);
	free(a.layers);
	free(a.made);
	json_decref(a.points);
	json_decref(a.from);
	return r;
}

void ctl_volumes_detach(struct ctl *ctl, struct container *c)
{
	json_t *m;
	size_t i;

	json_array_foreach (c->mounts, i, m) {
		const char *name = json_string_value(json_object_get(m, "Name"));
		struct volume *v;
		struct berr *e = NULL;

		if (!name || ctl_volume_find(ctl, name, &v, NULL) < 0 || !v->anonymous ||
		    ctl_vol_check_unused(ctl, name, NULL) < 0)
			continue;
		if (ctl_vol_destroy(ctl, v, &e) < 0)
			log_error("volume %s: %s", name, berr_msg(e));
		berr_free(e);
	}
}
