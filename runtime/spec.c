/* spec.c - struct rt_spec <-> config.json.  berthd encodes the spec into
 * the container's state dir; berth-shim decodes it from there, so every
 * field read back is validated as outside input: types, ranges, absolute
 * paths, no NUL bytes, no unknown keys.  One {key, kind, offset} table
 * drives both directions. */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "core/util.h"
#include "runtime/runtime.h"
#include "runtime/shim.h"

enum spec_kind {
	SPEC_STR,     /* char *, may be NULL */
	SPEC_PATH,    /* char *, absolute when set */
	SPEC_STRV,    /* char **, NULL-terminated */
	SPEC_PATHV,   /* char **, each absolute */
	SPEC_BOOL,    /* bool */
	SPEC_I64,     /* int64_t >= 0 */
	SPEC_ID,      /* uid_t / gid_t */
	SPEC_SPECIAL, /* its own codec below */
};

struct spec_field {
	const char *key;
	enum spec_kind kind;
	size_t off;
	bool required;
};

#define F(k, kind, req)                                                                            \
	{                                                                                          \
#k, kind, offsetof(struct rt_spec, k), req                                         \
	}
static const struct spec_field spec_fields[] = {
	F(id, SPEC_SPECIAL, true),
	F(args, SPEC_STRV, true),
	F(env, SPEC_STRV, false),
	F(cwd, SPEC_PATH, false),
	F(uid, SPEC_ID, false),
	F(gid, SPEC_ID, false),
	F(groups, SPEC_SPECIAL, false),
	F(hostname, SPEC_STR, false),
	F(tty, SPEC_BOOL, false),
	F(open_stdin, SPEC_BOOL, false),
	F(lower_dirs, SPEC_PATHV, true),
	F(bundle, SPEC_PATH, true),
	F(readonly_rootfs, SPEC_BOOL, false),
	F(mounts, SPEC_SPECIAL, false),
	F(cap_add, SPEC_STRV, false),
	F(cap_drop, SPEC_STRV, false),
	F(privileged, SPEC_BOOL, false),
	F(net_mode, SPEC_SPECIAL, false),
	F(net_path, SPEC_PATH, false),
	F(cgroup_parent, SPEC_SPECIAL, false),
	F(memory, SPEC_I64, false),
	F(nano_cpus, SPEC_I64, false),
	F(cpu_shares, SPEC_I64, false),
	F(pids_limit, SPEC_I64, false),
	F(log_path, SPEC_PATH, false),
	F(hosts_path, SPEC_PATH, false),
	F(resolv_path, SPEC_PATH, false),
	F(hostname_path, SPEC_PATH, false),
	F(init, SPEC_BOOL, false),
};
#undef F

static const char *const spec_net_modes[] = {
	[RT_NET_NONE] = "none",
	[RT_NET_HOST] = "host",
	[RT_NET_PATH] = "path",
};

static const char *const spec_mount_types[] = {
	[RT_MOUNT_BIND] = "bind",
	[RT_MOUNT_TMPFS] = "tmpfs",
};

/* Free a NULL-terminated string array (NULL is fine). */
void spec_strv_free(char **v)
{
	for (char **p = v; p && *p; p++)
		free(*p);
	free(v);
}

/* Number of strings in a NULL-terminated array (NULL counts as 0). */
size_t spec_strv_len(char *const *v)
{
	size_t n = 0;

	while (v && v[n])
		n++;
	return n;
}

/* Release everything a spec owns and zero it. */
void rt_spec_done(struct rt_spec *spec)
{
	if (!spec)
		return;
	spec_strv_free(spec->args);
	spec_strv_free(spec->env);
	free(spec->cwd);
	free(spec->groups);
	free(spec->hostname);
	spec_strv_free(spec->lower_dirs);
	free(spec->bundle);
	for (size_t i = 0; i < spec->n_mounts; i++) {
		free(spec->mounts[i].source);
		free(spec->mounts[i].target);
		free(spec->mounts[i].options);
	}
	free(spec->mounts);
	spec_strv_free(spec->cap_add);
	spec_strv_free(spec->cap_drop);
	free(spec->net_path);
	free(spec->cgroup_parent);
	free(spec->log_path);
	free(spec->hosts_path);
	free(spec->resolv_path);
	free(spec->hostname_path);
	memset(spec, 0, sizeof(*spec));
}

/* ---- encoding ---- */

/* A JSON array of strings, [] for NULL. */
static json_t *spec_strv_to_json(char *const *v)
{
	json_t *a = json_array();

	for (size_t i = 0; v && v[i]; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

/* The mounts array. */
static json_t *spec_mounts_to_json(const struct rt_spec *spec)
{
	json_t *a = json_array();

	for (size_t i = 0; i < spec->n_mounts; i++) {
		const struct rt_mount *m = &spec->mounts[i];
		json_t *o =
			json_pack("{s:s, s:s, s:b}", "type", spec_mount_types[m->type], "target",
				  m->target ? m->target : "", "readonly", m->readonly);

		if (m->source)
			json_object_set_new(o, "source", json_string(m->source));
		if (m->options)
			json_object_set_new(o, "options", json_string(m->options));
		json_array_append_new(a, o);
	}
	return a;
}

/* Encode a field that has no generic kind. */
static json_t *spec_special_to_json(const struct rt_spec *spec, const char *key)
{
	json_t *a;

	if (streq(key, "id"))
		return json_string(spec->id);
	if (streq(key, "mounts"))
		return spec_mounts_to_json(spec);
	if (streq(key, "net_mode"))
		return json_string(spec_net_modes[spec->net_mode]);
	if (streq(key, "cgroup_parent"))
		return spec->cgroup_parent ? json_string(spec->cgroup_parent) : NULL;
	a = json_array(); /* groups */
	for (size_t i = 0; i < spec->n_groups; i++)
		json_array_append_new(a, json_integer(spec->groups[i]));
	return a;
}

/* Encode one field, or NULL to leave it out (an unset string). */
static json_t *spec_field_to_json(const struct rt_spec *spec, const struct spec_field *f)
{
	const char *p = (const char *)spec + f->off;

	switch (f->kind) {
	case SPEC_STR:
	case SPEC_PATH:
		return *(char *const *)p ? json_string(*(char *const *)p) : NULL;
	case SPEC_STRV:
	case SPEC_PATHV:
		return spec_strv_to_json(*(char **const *)p);
	case SPEC_BOOL:
		return json_boolean(*(const bool *)p);
	case SPEC_I64:
		return json_integer(*(const int64_t *)p);
	case SPEC_ID:
		return json_integer(*(const uid_t *)p);
	case SPEC_SPECIAL:
		break;
	}
	return spec_special_to_json(spec, f->key);
}

/* config.json for spec.  Caller owns the reference. */
json_t *rt_spec_to_json(const struct rt_spec *spec)
{
	json_t *o = json_object();

	for (size_t i = 0; i < ARRAY_SIZE(spec_fields); i++) {
		json_t *v = spec_field_to_json(spec, &spec_fields[i]);

		if (v)
			json_object_set_new(o, spec_fields[i].key, v);
	}
	return o;
}

/* ---- decoding ---- */

/* A JSON string without NUL bytes, or an error naming key. */
static int spec_string(json_t *v, const char *key, const char **ret, struct berr **err)
{
	const char *s = json_string_value(v);

	if (!s)
		return berr_set(err, EINVAL, "%s: expected a string", key);
	if (strlen(s) != json_string_length(v))
		return berr_set(err, EINVAL, "%s: contains a NUL byte", key);
	*ret = s;
	return 0;
}

/* A string that must be an absolute path. */
static int spec_path(json_t *v, const char *key, const char **ret, struct berr **err)
{
	const char *s = NULL;
	int r = spec_string(v, key, &s, err);

	if (r < 0)
		return r;
	if (s[0] != '/')
		return berr_set(err, EINVAL, "%s: \"%s\" is not an absolute path", key, s);
	*ret = s;
	return 0;
}

/* A non-negative integer no larger than max. */
static int spec_int(json_t *v, const char *key, int64_t max, int64_t *ret, struct berr **err)
{
	json_int_t n;

	if (!json_is_integer(v))
		return berr_set(err, EINVAL, "%s: expected an integer", key);
	n = json_integer_value(v);
	if (n < 0 || n > max)
		return berr_set(err, EINVAL, "%s: %lld is out of range", key, (long long)n);
	*ret = n;
	return 0;
}

/* An array of strings (paths when abs) into a new NULL-terminated array. */
static int spec_strv(json_t *v, const char *key, bool abs, char ***ret, struct berr **err)
{
	char **out;
	json_t *e;
	size_t i;

	if (!json_is_array(v))
		return berr_set(err, EINVAL, "%s: expected an array of strings", key);
	out = xcalloc(json_array_size(v) + 1, sizeof(char *));
	json_array_foreach (v, i, e) {
		const char *s = NULL;
		int r = abs ? spec_path(e, key, &s, err) : spec_string(e, key, &s, err);

		if (r < 0) {
			spec_strv_free(out);
			return r;
		}
		out[i] = xstrdup(s);
	}
	*ret = out;
	return 0;
}

/* The container id: 1 to 64 of [A-Za-z0-9_.-], not "." or "..". */
static int spec_id_from_json(json_t *v, struct rt_spec *spec, struct berr **err)
{
	const char *s = NULL;
	int r = spec_string(v, "id", &s, err);

	if (r < 0)
		return r;
	if (!*s || strlen(s) > 64 ||
	    strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		      "0123456789_.-") != strlen(s) ||
	    streq(s, ".") || streq(s, ".."))
		return berr_set(err, EINVAL, "id: \"%s\" is not a valid container id", s);
	strcpy(spec->id, s);
	return 0;
}

/* Supplementary groups: an array of gids. */
static int spec_groups_from_json(json_t *v, struct rt_spec *spec, struct berr **err)
{
	json_t *e;
	size_t i;

	if (!json_is_array(v))
		return berr_set(err, EINVAL, "groups: expected an array of integers");
	spec->groups = xcalloc(json_array_size(v), sizeof(gid_t));
	json_array_foreach (v, i, e) {
		int64_t n;
		int r = spec_int(e, "groups", UINT32_MAX - 1, &n, err);

		if (r < 0)
			return r;
		spec->groups[i] = (gid_t)n;
		spec->n_groups = i + 1;
	}
	return 0;
}

/* Index of s in a table of names, or -1. */
static int spec_enum(const char *const *names, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (streq(names[i], s))
			return (int)i;
	return -1;
}

/* One member of the mounts array. */
static int spec_mount_from_json(json_t *o, struct rt_mount *m, struct berr **err)
{
	const char *type = NULL, *s = NULL;
	json_t *v;
	int r;

	if (!json_is_object(o))
		return berr_set(err, EINVAL, "mounts: expected objects");
	if ((r = spec_string(json_object_get(o, "type"), "mounts.type", &type, err)) < 0)
		return r;
	r = spec_enum(spec_mount_types, ARRAY_SIZE(spec_mount_types), type);
	if (r < 0)
		return berr_set(err, EINVAL, "mounts.type: unknown mount type \"%s\"", type);
	m->type = r;
	if ((r = spec_path(json_object_get(o, "target"), "mounts.target", &s, err)) < 0)
		return r;
	m->target = xstrdup(s);
	if ((v = json_object_get(o, "source"))) {
		if ((r = spec_path(v, "mounts.source", &s, err)) < 0)
			return r;
		m->source = xstrdup(s);
	} else if (m->type == RT_MOUNT_BIND) {
		return berr_set(err, EINVAL, "mounts: bind mount on %s has no source", m->target);
	}
	if ((v = json_object_get(o, "options"))) {
		if ((r = spec_string(v, "mounts.options", &s, err)) < 0)
			return r;
		m->options = xstrdup(s);
	}
	v = json_object_get(o, "readonly");
	if (v && !json_is_boolean(v))
		return berr_set(err, EINVAL, "mounts.readonly: expected a boolean");
	m->readonly = json_is_true(v);
	return 0;
}

/* The mounts array. */
static int spec_mounts_from_json(json_t *v, struct rt_spec *spec, struct berr **err)
{
	json_t *o;
	size_t i;

	if (!json_is_array(v))
		return berr_set(err, EINVAL, "mounts: expected an array");
	spec->mounts = xcalloc(json_array_size(v), sizeof(struct rt_mount));
	json_array_foreach (v, i, o) {
		int r;

		spec->n_mounts = i + 1; /* so rt_spec_done frees a half-read one */
		if ((r = spec_mount_from_json(o, &spec->mounts[i], err)) < 0)
			return r;
	}
	return 0;
}

/* The cgroup parent: a relative path without "." or ".." components. */
static int spec_cgroup_parent_from_json(json_t *v, struct rt_spec *spec, struct berr **err)
{
	_cleanup_free_ char *copy = NULL;
	const char *s = NULL;
	char *save, *c;
	int r = spec_string(v, "cgroup_parent", &s, err);

	if (r < 0)
		return r;
	copy = xstrdup(s);
	for (c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save))
		if (streq(c, ".") || streq(c, ".."))
			return berr_set(err, EINVAL, "cgroup_parent: \"%s\" leaves its tree", s);
	spec->cgroup_parent = xstrdup(s);
	return 0;
}

/* Decode a field that has no generic kind. */
static int spec_special_from_json(json_t *v, const char *key, struct rt_spec *spec,
				  struct berr **err)
{
	const char *s = NULL;
	int r;

	if (streq(key, "id"))
		return spec_id_from_json(v, spec, err);
	if (streq(key, "groups"))
		return spec_groups_from_json(v, spec, err);
	if (streq(key, "mounts"))
		return spec_mounts_from_json(v, spec, err);
	if (streq(key, "cgroup_parent"))
		return spec_cgroup_parent_from_json(v, spec, err);
	if ((r = spec_string(v, key, &s, err)) < 0) /* net_mode */
		return r;
	r = spec_enum(spec_net_modes, ARRAY_SIZE(spec_net_modes), s);
	if (r < 0)
		return berr_set(err, EINVAL, "net_mode: unknown mode \"%s\"", s);
	spec->net_mode = r;
	return 0;
}

/* Decode one field present in the object. */
static int spec_field_from_json(json_t *v, const struct spec_field *f, struct rt_spec *spec,
				struct berr **err)
{
	char *p = (char *)spec + f->off;
	const char *s = NULL;
	int64_t n;
	int r;

	switch (f->kind) {
	case SPEC_STR:
	case SPEC_PATH:
		r = f->kind == SPEC_PATH ? spec_path(v, f->key, &s, err)
					 : spec_string(v, f->key, &s, err);
		if (r == 0)
			*(char **)p = xstrdup(s);
		return r;
	case SPEC_STRV:
	case SPEC_PATHV:
		return spec_strv(v, f->key, f->kind == SPEC_PATHV, (char ***)p, err);
	case SPEC_BOOL:
		if (!json_is_boolean(v))
			return berr_set(err, EINVAL, "%s: expected a boolean", f->key);
		*(bool *)p = json_is_true(v);
		return 0;
	case SPEC_I64:
		r = spec_int(v, f->key, INT64_MAX, &n, err);
		if (r == 0)
			*(int64_t *)p = n;
		return r;
	case SPEC_ID:
		r = spec_int(v, f->key, UINT32_MAX - 1, &n, err);
		if (r == 0)
			*(uid_t *)p = (uid_t)n;
		return r;
	case SPEC_SPECIAL:
		break;
	}
	return spec_special_from_json(v, f->key, spec, err);
}

/* The field of key, or NULL for an unknown key. */
static const struct spec_field *spec_field_find(const char *key)
{
	for (size_t i = 0; i < ARRAY_SIZE(spec_fields); i++)
		if (streq(spec_fields[i].key, key))
			return &spec_fields[i];
	return NULL;
}

/* Checks across fields, after every field was read. */
static int spec_check(const struct rt_spec *spec, struct berr **err)
{
	if (!spec->args[0])
		return berr_set(err, EINVAL, "args: no command");
	if (!spec->lower_dirs[0])
		return berr_set(err, EINVAL, "lower_dirs: no image layer");
	if (spec->net_mode == RT_NET_PATH && !spec->net_path)
		return berr_set(err, EINVAL, "net_mode path needs net_path");
	for (size_t i = 0; spec->env && spec->env[i]; i++)
		if (!strchr(spec->env[i], '=') || spec->env[i][0] == '=')
			return berr_set(err, EINVAL, "env: \"%s\" is not KEY=VALUE", spec->env[i]);
	for (size_t i = 0; spec->lower_dirs[i]; i++)
		if (strchr(spec->lower_dirs[i], ':') || strchr(spec->lower_dirs[i], ','))
			return berr_set(err, EINVAL, "lower_dirs: \"%s\" has ':' or ','",
					spec->lower_dirs[i]);
	return 0;
}

/* Read every field of obj into a fresh spec. */
static int spec_decode(json_t *obj, struct rt_spec *spec, struct berr **err)
{
	const char *key;
	json_t *v;
	int r;

	if (!json_is_object(obj))
		return berr_set(err, EINVAL, "container spec: expected an object");
	json_object_foreach (obj, key, v) {
		const struct spec_field *f = spec_field_find(key);

		if (!f)
			return berr_set(err, EINVAL, "container spec: unknown key \"%s\"", key);
		if (json_is_null(v) && !f->required)
			continue;
		if ((r = spec_field_from_json(v, f, spec, err)) < 0)
			return r;
	}
	for (size_t i = 0; i < ARRAY_SIZE(spec_fields); i++)
		if (spec_fields[i].required && !json_object_get(obj, spec_fields[i].key))
			return berr_set(err, EINVAL, "container spec: \"%s\" is missing",
					spec_fields[i].key);
	return spec_check(spec, err);
}

/* Decode config.json into *ret (fully validated); ret untouched on error. */
int rt_spec_from_json(json_t *obj, struct rt_spec *ret, struct berr **err)
{
	struct rt_spec spec = {0};
	int r = spec_decode(obj, &spec, err);

	if (r < 0) {
		rt_spec_done(&spec);
		return r;
	}
	*ret = spec;
	return 0;
}
