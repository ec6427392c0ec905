/* filters.c - parsing and matching of the `filters` query parameter (see
 * filters.h).  Used by the API handlers of list and prune. */
#include <errno.h>
#include <regex.h>
#include <stdlib.h>

#include "core/filters.h"
#include "core/util.h"

/* One key's value in either encoding, as an array of strings. */
static int filters_values(const char *key, json_t *v, json_t **ret, struct berr **err)
{
	json_t *out = json_array(), *item;
	const char *name;
	size_t i;

	if (json_is_array(v)) {
		json_array_foreach (v, i, item) {
			if (!json_is_string(item))
				goto bad;
			json_array_append(out, item);
		}
	} else if (json_is_object(v)) {
		json_object_foreach (v, name, item) {
			if (!json_is_boolean(item))
				goto bad;
			if (json_is_true(item))
				json_array_append_new(out, json_string(name));
		}
	} else {
		goto bad;
	}
	*ret = out;
	return 0;
bad:
	json_decref(out);
	return berr_set(err, EINVAL, "invalid filter '%s': values must be a list of strings", key);
}

static bool filters_allowed(const char *key, const char *const *allowed)
{
	for (; *allowed; allowed++)
		if (streq(key, *allowed))
			return true;
	return false;
}

int filters_parse(const char *s, const char *const *allowed, json_t **ret, struct berr **err)
{
	json_t *in, *out, *v, *vals = NULL;
	json_error_t jerr;
	const char *key;
	int r = 0;

	if (!s || !*s) {
		*ret = json_object();
		return 0;
	}
	in = json_loads(s, 0, &jerr);
	if (!json_is_object(in)) {
		json_decref(in);
		return berr_set(err, EINVAL, "invalid filters: %s",
				in ? "not a JSON object" : jerr.text);
	}
	out = json_object();
	json_object_foreach (in, key, v) {
		if (!filters_allowed(key, allowed)) {
			r = berr_set(err, EINVAL, "invalid filter '%s'", key);
			break;
		}
		if ((r = filters_values(key, v, &vals, err)) < 0)
			break;
		json_object_set_new(out, key, vals);
	}
	json_decref(in);
	if (r < 0) {
		json_decref(out);
		return r;
	}
	*ret = out;
	return 0;
}

json_t *filters_get(json_t *f, const char *key)
{
	json_t *v = json_object_get(f, key);

	return json_array_size(v) ? v : NULL;
}

bool filters_match(json_t *f, const char *key, bool (*match)(const char *want, void *data),
		   void *data)
{
	json_t *vals = filters_get(f, key), *v;
	size_t i;

	if (!vals)
		return true;
	json_array_foreach (vals, i, v)
		if (match(json_string_value(v), data))
			return true;
	return false;
}

static bool filters_eq(const char *want, void *data)
{
	return streq(want, data);
}

bool filters_match_exact(json_t *f, const char *key, const char *value)
{
	return filters_match(f, key, filters_eq, (void *)value);
}

bool filters_label_holds(const char *want, json_t *labels)
{
	const char *eq = strchr(want, '=');
	_cleanup_free_ char *k = eq ? xstrndup(want, (size_t)(eq - want)) : xstrdup(want);
	json_t *have = json_object_get(labels, k);

	if (!have)
		return false;
	return !eq || streq(json_string_value(have), eq + 1);
}

bool filters_match_labels(json_t *f, const char *key, json_t *labels)
{
	json_t *vals = filters_get(f, key), *v;
	size_t i;

	json_array_foreach (vals, i, v)
		if (!filters_label_holds(json_string_value(v), labels))
			return false;
	return true;
}

/* A Go duration ("1h30m", "90s", "1.5h") in nanoseconds; -EINVAL if not one. */
static int filters_duration(const char *s, double *ret_ns)
{
	static const struct {
		const char *unit;
		double ns;
	} units[] = {
		{"ns", 1},  {"us", 1e3}, {"µs", 1e3},	{"ms", 1e6},
		{"s", 1e9}, {"m", 60e9}, {"h", 3600e9},
	};
	double total = 0;

	if (!*s)
		return -EINVAL;
	while (*s) {
		char *end;
		double v = strtod(s, &end);
		size_t best = 0, best_len = 0;

		if (end == s || *end == '\0')
			return -EINVAL;
		for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
			size_t l = strlen(units[i].unit);

			if (strncmp(end, units[i].unit, l) == 0 && l > best_len) {
				best = i;
				best_len = l;
			}
		}
		if (!best_len)
			return -EINVAL;
		total += v * units[best].ns;
		s = end + best_len;
	}
	*ret_ns = total;
	return 0;
}

int filters_time(const char *s, struct timespec *ret, struct berr **err)
{
	struct timespec now;
	char *end;
	double v, ns;

	if (!s)
		return berr_set(err, EINVAL, "invalid filter 'until': empty value");
	v = strtod(s, &end);
	if (end != s && *end == '\0') {
		ret->tv_sec = (time_t)v;
		ret->tv_nsec = (long)((v - (double)ret->tv_sec) * 1e9);
		return 0;
	}
	if (util_time_parse(s, ret) == 0)
		return 0;
	if (filters_duration(s, &ns) < 0)
		return berr_set(
			err, EINVAL,
			"invalid filter 'until': \"%s\" is not a timestamp, date or duration", s);
	clock_gettime(CLOCK_REALTIME, &now);
	ns = (double)now.tv_sec * 1e9 + (double)now.tv_nsec - ns;
	ret->tv_sec = (time_t)(ns / 1e9);
	ret->tv_nsec = (long)(ns - (double)ret->tv_sec * 1e9);
	return 0;
}

bool filters_regex_match(const char *want, void *data)
{
	regex_t re;
	bool hit;

	/* not a valid regular expression: a plain substring, as users mean it */
	if (regcomp(&re, want, REG_EXTENDED | REG_NOSUB) != 0)
		return strstr(data, want) != NULL;
	hit = regexec(&re, data, 0, NULL, 0) == 0;
	regfree(&re);
	return hit;
}

bool filters_prefix_match(const char *want, void *data)
{
	return strprefix(data, want);
}
