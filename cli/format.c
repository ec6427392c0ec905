/* format.c - --format handling, filters, sizes and times (see format.h).
 * Used by the list, inspect, version and info commands. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/client.h"
#include "cli/format.h"
#include "cli/table.h"
#include "cli/tmpl.h"
#include "core/util.h"

char *format_prepare(const char *format, bool *ret_table)
{
	const char *s = format;
	char *out, *o;
	size_t len;

	*ret_table = strprefix(s, "table");
	if (*ret_table)
		s += strlen("table");
	while (*s == ' ')
		s++;
	out = o = xstrdup(s);
	for (; *s; s++) {
		if (s[0] == '\\' && (s[1] == 't' || s[1] == 'n')) {
			*o++ = s[1] == 't' ? '\t' : '\n';
			s++;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
	len = strlen(out);
	while (len && out[len - 1] == ' ')
		out[--len] = '\0';
	return out;
}

/* Each row as compact JSON with sorted keys, one a line. */
static void format_list_json(const struct format_list *fl, FILE *out)
{
	size_t i;
	json_t *row;

	json_array_foreach (fl->rows, i, row) {
		json_t *copy = json_copy(row);
		char *s;

		if (fl->json_skip)
			json_object_del(copy, fl->json_skip);
		s = json_dumps(copy, JSON_COMPACT | JSON_SORT_KEYS);
		fprintf(out, "%s\n", s);
		free(s);
		json_decref(copy);
	}
}

/* Add one rendered row (which may hold newlines itself); takes s. */
static void format_table_add_line(struct table *tbl, char *s)
{
	_cleanup_free_ char *line = xasprintf("%s\n", s);

	free(s);
	table_add(tbl, line);
}

/* Render t for every row (and first the header, for tables) into tbl. */
static int format_list_rows(const struct format_list *fl, const struct tmpl *t, bool table,
			    struct table *tbl, struct berr **err)
{
	size_t i;
	json_t *row;
	char *s;
	int r;

	if (table) {
		r = tmpl_render(t, fl->header, &s, err);
		if (r < 0)
			return r;
		format_table_add_line(tbl, s);
	}
	json_array_foreach (fl->rows, i, row) {
		r = tmpl_render(t, row, &s, err);
		if (r < 0)
			return r;
		format_table_add_line(tbl, s);
	}
	return 0;
}

int format_list_print(const struct format_list *fl, FILE *out, struct berr **err)
{
	bool plain = !fl->format || !*fl->format || streq(fl->format, "table");
	const char *format = fl->format && *fl->format ? fl->format : fl->def;
	_cleanup_free_ char *text = NULL, *rendered = NULL;
	struct tmpl *t = NULL;
	struct table tbl;
	bool table;
	int r;

	if (fl->quiet && plain)
		format = fl->quiet_def;
	if (streq(format, "json")) {
		format_list_json(fl, out);
		return 0;
	}
	if (streq(format, "table"))
		format = fl->def;
	text = format_prepare(format, &table);
	r = tmpl_parse(text, &t, err);
	if (r < 0)
		return r;
	table_init(&tbl, table ? FORMAT_TABLE_MINWIDTH : 0, table ? FORMAT_TABLE_PADDING : 0);
	r = format_list_rows(fl, t, table, &tbl, err);
	if (r == 0 && table) {
		rendered = table_render(&tbl);
		fputs(rendered, out);
	} else if (r == 0) {
		for (size_t i = 0; i < tbl.lines.n; i++)
			fprintf(out, "%s\n", tbl.lines.v[i]);
	}
	table_done(&tbl);
	tmpl_free(t);
	return r;
}

int format_object_print(const char *format, json_t *obj, FILE *out, struct berr **err)
{
	_cleanup_free_ char *text = NULL, *s = NULL;
	struct tmpl *t = NULL;
	bool table;
	int r;

	if (streq(format, "json")) {
		s = json_dumps(obj, JSON_COMPACT | JSON_ENCODE_ANY);
		fprintf(out, "%s\n", s);
		return 0;
	}
	text = format_prepare(format, &table);
	r = tmpl_parse(text, &t, err);
	if (r == 0)
		r = tmpl_render(t, obj, &s, err);
	if (r == 0)
		fprintf(out, "%s\n", s);
	tmpl_free(t);
	return r;
}

/* Trim spaces at both ends, in place. */
static char *format_trim(char *s)
{
	size_t len;

	while (*s == ' ' || *s == '\t')
		s++;
	len = strlen(s);
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		s[--len] = '\0';
	return s;
}

int format_filters_json(const struct strv *filters, char **ret, struct berr **err)
{
	json_t *root;

	if (!filters->n) {
		*ret = NULL;
		return 0;
	}
	root = json_object();
	for (size_t i = 0; i < filters->n; i++) {
		_cleanup_free_ char *key = NULL, *value = NULL;
		json_t *set;

		if (!strchr(filters->v[i], '=')) {
			json_decref(root);
			return berr_set(err, EINVAL, "bad format of filter (expected name=value)");
		}
		opts_split_kv(filters->v[i], &key, &value);
		for (char *p = key; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		set = json_object_get(root, format_trim(key));
		if (!set)
			json_object_set_new(root, format_trim(key), set = json_object());
		json_object_set_new(set, format_trim(value), json_true());
	}
	*ret = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	return 0;
}

/* Length of the run of digits (or of non-digits) at s. */
static size_t format_chunk(const char *s)
{
	bool digit = isdigit((unsigned char)*s);
	size_t n = 0;

	while (s[n] && !!isdigit((unsigned char)s[n]) == digit)
		n++;
	return n;
}

/* Compare two digit runs by value: leading zeros skipped, then length, then
 * digits. */
static int format_cmp_number(const char *a, size_t na, const char *b, size_t nb)
{
	while (na > 1 && *a == '0')
		a++, na--;
	while (nb > 1 && *b == '0')
		b++, nb--;
	if (na != nb)
		return na < nb ? -1 : 1;
	return strncmp(a, b, na);
}

int format_natural_cmp(const char *a, const char *b)
{
	while (*a && *b) {
		size_t na = format_chunk(a), nb = format_chunk(b);
		bool da = isdigit((unsigned char)*a), db = isdigit((unsigned char)*b);
		int c;

		if (da && db)
			c = format_cmp_number(a, na, b, nb);
		else
			c = strncmp(a, b, na < nb ? na : nb) ?: (na > nb) - (na < nb);
		if (c)
			return c;
		a += na;
		b += nb;
	}
	return (*a != '\0') - (*b != '\0');
}

static const char *format_sort_key;

static const char *format_sort_value(json_t *v)
{
	if (format_sort_key)
		v = json_object_get(v, format_sort_key);
	return json_string_value(v) ? json_string_value(v) : "";
}

static int format_sort_cmp(const void *a, const void *b)
{
	return format_natural_cmp(format_sort_value(*(json_t *const *)a),
				  format_sort_value(*(json_t *const *)b));
}

/* Sort arr in place by format_sort_cmp (qsort over its elements). */
static void format_sort(json_t *arr, const char *key)
{
	size_t n = json_array_size(arr);
	_cleanup_free_ json_t **v = xcalloc(n + 1, sizeof(*v));

	for (size_t i = 0; i < n; i++)
		v[i] = json_incref(json_array_get(arr, i));
	format_sort_key = key;
	qsort(v, n, sizeof(*v), format_sort_cmp);
	format_sort_key = NULL;
	json_array_clear(arr);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, v[i]);
}

void format_sort_strings(json_t *arr)
{
	format_sort(arr, NULL);
}

void format_sort_rows(json_t *rows, const char *key)
{
	format_sort(rows, key);
}

char *format_bytes(double bytes)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
	size_t i = 0;

	while (bytes >= 1024.0 && i + 1 < ARRAY_SIZE(units)) {
		bytes /= 1024.0;
		i++;
	}
	return xasprintf("%.4g%s", bytes, units[i]);
}

/* Go prints the fraction of a second without trailing zeros. */
static void format_go_fraction(long nsec, char *buf, size_t len)
{
	size_t n;

	buf[0] = '\0';
	if (!nsec)
		return;
	snprintf(buf, len, ".%09ld", nsec);
	n = strlen(buf);
	while (n > 1 && buf[n - 1] == '0')
		buf[--n] = '\0';
}

char *format_go_time(const char *rfc3339)
{
	struct timespec ts;
	char date[64], frac[16];
	struct tm tm;

	if (!rfc3339 || util_time_parse(rfc3339, &ts) < 0)
		return xstrdup(rfc3339 ? rfc3339 : "");
	gmtime_r(&ts.tv_sec, &tm);
	strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S", &tm);
	format_go_fraction(ts.tv_nsec, frac, sizeof(frac));
	return xasprintf("%s%s +0000 UTC", date, frac);
}

int format_filters_query(char **path, const struct strv *filters, struct berr **err)
{
	_cleanup_free_ char *fj = NULL;
	int r = format_filters_json(filters, &fj, err);

	if (r == 0 && fj)
		client_query_add(path, "filters", fj);
	return r;
}
