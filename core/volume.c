/* volume.c - the volume object (see volume.h): name rule, create-body
 * validation and the JSON shapes of the API and the store.  Pure model
 * code, called by ctl-volume.c and the unit tests. */
#include <errno.h>
#include <stdio.h>

#include "core/util.h"
#include "core/volume.h"

/* The local driver's options, as Docker's local driver accepts them. */
static const char *const vol_option_keys[] = {"type", "device", "o", "size", NULL};

void vol_free(struct volume *v)
{
	if (!v)
		return;
	free(v->name);
	free(v->driver);
	json_decref(v->labels);
	json_decref(v->options);
	free(v->mountpoint);
	free(v);
}

static bool vol_name_char(char ch, bool first)
{
	bool alnum =
		(ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');

	return alnum || (!first && (ch == '_' || ch == '.' || ch == '-'));
}

int vol_name_validate(const char *name, struct berr **err)
{
	size_t len = strlen(name);
	bool ok = len >= 2;

	for (size_t i = 0; ok && i < len; i++)
		ok = vol_name_char(name[i], i == 0);
	if (ok)
		return 0;
	return berr_set(err, EINVAL,
			"create %s: \"%s\" includes invalid characters for a local volume name, "
			"only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass "
			"a host directory, use absolute path",
			name, name);
}

/* An object of strings (Labels, DriverOpts); null or absent is {}. */
static int vol_string_map(json_t *body, const char *key, json_t **ret, struct berr **err)
{
	json_t *m = json_object_get(body, key), *v;
	const char *k;

	if (!m || json_is_null(m)) {
		*ret = json_object();
		return 0;
	}
	if (!json_is_object(m))
		return berr_set(err, EINVAL, "%s must be an object of strings", key);
	json_object_foreach (m, k, v)
		if (!json_is_string(v))
			return berr_set(err, EINVAL, "%s must be an object of strings", key);
	*ret = json_deep_copy(m);
	return 0;
}

/* Each DriverOpts key must be one the local driver knows. */
static int vol_check_options(json_t *opts, struct berr **err)
{
	const char *k;
	json_t *v;

	json_object_foreach (opts, k, v) {
		bool known = false;

		for (size_t i = 0; vol_option_keys[i]; i++)
			known = known || streq(k, vol_option_keys[i]);
		if (!known)
			return berr_set(err, EINVAL, "invalid option key: \"%s\"", k);
	}
	return 0;
}

static int vol_check_driver(const char *driver, struct berr **err)
{
	if (streq(driver, "local"))
		return 0;
	return berr_set(err, ENOENT, "error looking up volume plugin %s: plugin \"%s\" not found",
			driver, driver);
}

int vol_from_create_json(json_t *body, struct volume **ret, struct berr **err)
{
	const char *name = json_string_value(json_object_get(body, "Name"));
	const char *driver = json_string_value(json_object_get(body, "Driver"));
	struct volume *v = xcalloc(1, sizeof(*v));
	char id[65];
	int r;

	if (!driver || !*driver)
		driver = "local";
	v->driver = xstrdup(driver);
	if (name && *name) {
		v->name = xstrdup(name);
	} else {
		util_random_id(id);
		v->name = xstrdup(id);
		v->anonymous = true;
	}
	if ((r = vol_name_validate(v->name, err)) < 0 || (r = vol_check_driver(driver, err)) < 0 ||
	    (r = vol_string_map(body, "Labels", &v->labels, err)) < 0 ||
	    (r = vol_string_map(body, "DriverOpts", &v->options, err)) < 0 ||
	    (r = vol_check_options(v->options, err)) < 0) {
		vol_free(v);
		return r;
	}
	clock_gettime(CLOCK_REALTIME, &v->created);
	*ret = v;
	return 0;
}

/* CreatedAt as Docker prints it: RFC 3339 in UTC, whole seconds. */
static json_t *vol_time_json(const struct timespec *ts)
{
	char buf[48];
	struct tm tm;

	gmtime_r(&ts->tv_sec, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_string(buf);
}

json_t *vol_to_json(const struct volume *v)
{
	return json_pack("{s:s, s:s, s:s, s:o, s:O, s:O, s:s}", "Name", v->name, "Driver",
			 v->driver, "Mountpoint", v->mountpoint ? v->mountpoint : "", "CreatedAt",
			 vol_time_json(&v->created), "Labels", v->labels, "Options", v->options,
			 "Scope", "local");
}

json_t *vol_to_store_json(const struct volume *v)
{
	json_t *o = vol_to_json(v);

	json_object_set_new(o, "Anonymous", json_boolean(v->anonymous));
	json_object_set_new(o, "CreatedNs", json_integer((json_int_t)v->created.tv_nsec));
	return o;
}

int vol_from_store_json(json_t *obj, struct volume **ret, struct berr **err)
{
	const char *name = json_string_value(json_object_get(obj, "Name"));
	const char *created = json_string_value(json_object_get(obj, "CreatedAt"));
	struct volume *v;
	int r;

	if (!name || vol_name_validate(name, NULL) < 0 || !created)
		return berr_set(err, EINVAL, "malformed volume record");
	if ((r = vol_from_create_json(obj, &v, err)) < 0)
		return r;
	v->anonymous = json_is_true(json_object_get(obj, "Anonymous"));
	if (json_is_object(json_object_get(obj, "Options"))) {
		json_decref(v->options);
		v->options = json_deep_copy(json_object_get(obj, "Options"));
	}
	util_time_parse(created, &v->created);
	v->created.tv_nsec = (long)json_integer_value(json_object_get(obj, "CreatedNs"));
	*ret = v;
	return 0;
}
