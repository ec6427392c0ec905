/* opts.c - command-line flags for every berth command: one parser driven by
 * the command's `struct opts_def` table (getopt_long underneath, with
 * pflag's rules: repeatable lists, "--x=v" and "--x v", short clusters,
 * "--bool=false", CSV values for StringSlice flags), the value checks of
 * docker's flag validators, the help text made from the same table, and
 * docker's usage errors.  Called by cmd.c before a command's exec. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/util.h"

/* getopt_long's value for --help; above any short letter. */
#define OPTS_HELP 0x100
/* Values of long-only flags: OPTS_LONG_BASE + index in defs. */
#define OPTS_LONG_BASE 0x200

void strv_push(struct strv *sv, const char *s)
{
	xgrow(&sv->v, &sv->cap, sv->n + 2, sizeof(*sv->v));
	sv->v[sv->n++] = xstrdup(s);
	sv->v[sv->n] = NULL;
}

void strv_done(struct strv *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	*sv = (struct strv){0};
}

void opts_split_kv(const char *s, char **ret_key, char **ret_value)
{
	const char *eq = strchr(s, '=');

	*ret_key = eq ? xstrndup(s, (size_t)(eq - s)) : xstrdup(s);
	*ret_value = xstrdup(eq ? eq + 1 : "");
}

static const struct opts_def *opts_find_short(const struct opts_def *defs, int c);

char *opts_quote(const char *s)
{
	static const char esc[] = "\a\b\f\n\r\t\v", letters[] = "abfnrtv";
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		const char *e = *p ? strchr(esc, *p) : NULL;

		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (e)
			fprintf(f, "\\%c", letters[e - esc]);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(f, "\\x%02x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
	fclose(f);
	return out;
}

/* pflag's `invalid argument "v" for "--flag" flag: <err>`. */
static int opts_wrap_value(struct berr **err, const char *value, const char *flag)
{
	_cleanup_free_ char *q = opts_quote(value);

	return berr_wrap(err, "invalid argument %s for \"%s\" flag", q, flag);
}

/* --- CSV values (pflag's StringSlice reads them with Go's encoding/csv) --- */

static int opts_csv_error(size_t column, const char *what, struct berr **err)
{
	return berr_set(err, EINVAL, "parse error on line 1, column %zu: %s", column, what);
}

/* The quoted field at s[*pos] == '"' into field (*len bytes); *pos is left
 * after the closing quote.  Go counts columns from 1. */
static int opts_csv_quoted(const char *s, size_t *pos, char *field, size_t *len, struct berr **err)
{
	for (size_t i = *pos + 1;; i++) {
		if (!s[i])
			return opts_csv_error(i + 1, "extraneous or missing \" in quoted-field",
					      err);
		if (s[i] != '"') {
			field[(*len)++] = s[i];
		} else if (s[i + 1] == '"') {
			field[(*len)++] = s[i++];
		} else if (s[i + 1] && s[i + 1] != ',') {
			return opts_csv_error(i + 1, "extraneous or missing \" in quoted-field",
					      err);
		} else {
			*pos = i + 1;
			return 0;
		}
	}
}

/* The unquoted field at s[*pos] (up to a comma) into field. */
static int opts_csv_plain(const char *s, size_t *pos, char *field, size_t *len, struct berr **err)
{
	size_t n = strcspn(s + *pos, ",");
	const char *quote = memchr(s + *pos, '"', n);

	if (quote)
		return opts_csv_error((size_t)(quote - s) + 1, "bare \" in non-quoted-field", err);
	memcpy(field, s + *pos, n);
	*len = n;
	*pos += n;
	return 0;
}

int opts_split_csv(const char *s, struct strv *ret, struct berr **err)
{
	_cleanup_free_ char *field = xmalloc(strlen(s) + 1);
	struct strv fields = {0};
	size_t pos = 0;

	while (*s) {
		size_t len = 0;
		int r = s[pos] == '"' ? opts_csv_quoted(s, &pos, field, &len, err)
				      : opts_csv_plain(s, &pos, field, &len, err);

		if (r < 0) {
			strv_done(&fields);
			return r;
		}
		field[len] = '\0';
		strv_push(&fields, field);
		if (!s[pos++])
			break;
	}
	for (size_t i = 0; i < fields.n; i++)
		strv_push(ret, fields.v[i]);
	strv_done(&fields);
	return 0;
}

int opts_check_list(struct strv *sv, const char *flag, opts_check_fn check, struct berr **err)
{
	for (size_t i = 0; i < sv->n; i++) {
		char *v = NULL;
		int r = check(sv->v[i], &v, err);

		if (r < 0) {
			opts_wrap_value(err, sv->v[i], flag);
			return r;
		}
		free(sv->v[i]);
		sv->v[i] = v;
	}
	return 0;
}

int opts_check_string(char **value, const char *flag, opts_check_fn check, struct berr **err)
{
	char *v = NULL;
	int r;

	if (!*value)
		return 0;
	r = check(*value, &v, err);
	if (r < 0) {
		opts_wrap_value(err, *value, flag);
		return r;
	}
	free(*value);
	*value = v;
	return 0;
}

static size_t opts_count(const struct opts_def *defs)
{
	size_t n = 0;

	while (defs[n].name)
		n++;
	return n;
}

/* The getopt_long tables for defs: long options (plus --help) and the
 * short option string.  Caller frees both. */
static void opts_getopt_tables(const struct opts_def *defs, bool interspersed,
			       struct option **ret_long, char **ret_short)
{
	size_t n = opts_count(defs), k = 0;
	struct option *lo = xcalloc(n + 2, sizeof(*lo));
	char *so = xcalloc(2 * n + 5, 1);

	/* "+": stop at the first argument (docker run IMAGE CMD -x) */
	strcpy(so, interspersed ? ":" : "+:");
	if (!opts_find_short(defs, 'h'))
		strcat(so, "h");
	for (size_t i = 0; i < n; i++) {
		bool flag = defs[i].kind == OPTS_BOOL || defs[i].kind == OPTS_OPTBOOL;

		lo[k++] =
			(struct option){defs[i].name, flag ? optional_argument : required_argument,
					NULL, (int)(OPTS_LONG_BASE + i)};
		if (defs[i].short_name) {
			size_t len = strlen(so);

			so[len] = defs[i].short_name;
			if (!flag)
				so[len + 1] = ':';
		}
	}
	lo[k] = (struct option){"help", no_argument, NULL, OPTS_HELP};
	*ret_long = lo;
	*ret_short = so;
}

/* pflag's strconv.ParseBool. */
static int opts_parse_bool(const char *s, bool *ret)
{
	static const char *const yes[] = {"1", "t", "T", "TRUE", "true", "True"};
	static const char *const no[] = {"0", "f", "F", "FALSE", "false", "False"};

	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (streq(s, yes[i]) || streq(s, no[i])) {
			*ret = streq(s, yes[i]);
			return 0;
		}
	}
	return -EINVAL;
}

/* The flag as pflag names it in errors: "-p, --publish" or "--dns". */
static char *opts_flag_label(const struct opts_def *d)
{
	if (d->short_name)
		return xasprintf("-%c, --%s", d->short_name, d->name);
	return xasprintf("--%s", d->name);
}

/* Store one flag value into its field. */
static int opts_store(const struct opts_def *d, void *opts, const char *arg, struct berr **err)
{
	char *field = (char *)opts + d->offset;
	bool b = true;

	switch (d->kind) {
	case OPTS_BOOL:
	case OPTS_OPTBOOL:
		if (arg && opts_parse_bool(arg, &b) < 0)
			return berr_set(err, EINVAL,
					"invalid argument \"%s\" for \"--%s\" flag: "
					"strconv.ParseBool: parsing \"%s\": invalid syntax",
					arg, d->name, arg);
		if (d->kind == OPTS_BOOL)
			*(bool *)field = b;
		else
			*(struct opts_optbool *)field = (struct opts_optbool){true, b};
		return 0;
	case OPTS_STRING:
		free(*(char **)field);
		*(char **)field = xstrdup(arg);
		return 0;
	case OPTS_LIST:
		strv_push((struct strv *)field, arg);
		return 0;
	case OPTS_STRINGS:
		if (opts_split_csv(arg, (struct strv *)field, err) < 0) {
			_cleanup_free_ char *label = opts_flag_label(d);

			return opts_wrap_value(err, arg, label);
		}
		return 0;
	}
	return berr_set(err, EINVAL, "bad flag kind");
}

/* The definition for a short letter. */
static const struct opts_def *opts_find_short(const struct opts_def *defs, int c)
{
	for (size_t i = 0; defs[i].name; i++)
		if (defs[i].short_name == c)
			return &defs[i];
	return NULL;
}

/* pflag's wording for a flag getopt refused. */
static int opts_bad_flag(int c, char **argv, struct berr **err)
{
	const char *word = argv[optind - 1];

	if (c == ':') {
		if (optopt && !strprefix(word, "--"))
			return berr_set(err, EINVAL, "flag needs an argument: '%c' in -%c", optopt,
					optopt);
		return berr_set(err, EINVAL, "flag needs an argument: %.*s",
				(int)strcspn(word, "="), word);
	}
	if (optopt)
		return berr_set(err, EINVAL, "unknown shorthand flag: '%c' in %s", optopt, word);
	return berr_set(err, EINVAL, "unknown flag: %.*s", (int)strcspn(word, "="), word);
}

/* getopt_long also takes unambiguous abbreviations; pflag does not. */
static bool opts_exact_long(const char *word, const char *name)
{
	size_t len;

	/* word is the flag's value after "--name value": nothing to check */
	if (!strprefix(word, "--"))
		return true;
	len = strcspn(word + 2, "=");
	return strlen(name) == len && !strncmp(word + 2, name, len);
}

int opts_parse(const struct opts_def *defs, void *opts, int argc, char **argv,
	       struct strv *ret_args, struct berr **err)
{
	return opts_parse_mode(defs, opts, argc, argv, true, ret_args, err);
}

int opts_parse_mode(const struct opts_def *defs, void *opts, int argc, char **argv,
		    bool interspersed, struct strv *ret_args, struct berr **err)
{
	_cleanup_free_ struct option *lo = NULL;
	_cleanup_free_ char *so = NULL;
	int c, r = 0;

	opts_getopt_tables(defs, interspersed, &lo, &so);
	optind = 0;
	opterr = 0;
	while (r == 0 && (c = getopt_long(argc, argv, so, lo, NULL)) != -1) {
		const struct opts_def *d = NULL;

		if (c == OPTS_HELP || (c == 'h' && !opts_find_short(defs, 'h')))
			return 1;
		if (c >= OPTS_LONG_BASE) {
			d = &defs[c - OPTS_LONG_BASE];
			if (!opts_exact_long(argv[optind - 1], d->name)) {
				optopt = 0;
				return opts_bad_flag('?', argv, err);
			}
		} else if (c != '?' && c != ':') {
			d = opts_find_short(defs, c);
		}
		if (!d)
			return opts_bad_flag(c, argv, err);
		r = opts_store(d, opts, optarg, err);
	}
	for (int i = optind; r == 0 && i < argc; i++)
		strv_push(ret_args, argv[i]);
	return r;
}

void opts_free(const struct opts_def *defs, void *opts)
{
	for (size_t i = 0; defs && defs[i].name; i++) {
		char *field = (char *)opts + defs[i].offset;

		if (defs[i].kind == OPTS_STRING)
			free(*(char **)field);
		else if (defs[i].kind == OPTS_LIST || defs[i].kind == OPTS_STRINGS)
			strv_done((struct strv *)field);
	}
}

char *cmd_full_name(const struct cmd_entry *e)
{
	if (e->group)
		return xasprintf("%s %s", e->group, e->name);
	return xstrdup(e->name);
}

/* "  -d, --driver string" for the help's left column. */
static char *opts_left_column(const struct opts_def *d)
{
	const char *type = d->type ? d->type : "";

	if (d->short_name)
		return xasprintf("  -%c, --%s%s%s", d->short_name, d->name, *type ? " " : "", type);
	return xasprintf("      --%s%s%s", d->name, *type ? " " : "", type);
}

void opts_print_help(const struct cmd_entry *e)
{
	_cleanup_free_ char *full = cmd_full_name(e);
	size_t width = 0;

	printf("\nUsage:  berth %s %s\n\n%s\n", full, e->args_usage, e->summary);
	if (e->alias)
		printf("\nAliases:\n  berth %s, berth %s%s%s\n", full, e->group ? e->group : "",
		       e->group ? " " : "", e->alias);
	if (!e->opts || !e->opts[0].name)
		return;
	for (size_t i = 0; e->opts[i].name; i++) {
		_cleanup_free_ char *left = opts_left_column(&e->opts[i]);

		if (strlen(left) > width)
			width = strlen(left);
	}
	printf("\nOptions:\n");
	for (size_t i = 0; e->opts[i].name; i++) {
		_cleanup_free_ char *left = opts_left_column(&e->opts[i]);

		printf("%-*s   %s\n", (int)width, left, e->opts[i].help);
	}
}

/* "Usage:  ..." and the summary, on stderr. */
static void opts_print_usage_stderr(const struct cmd_entry *e, const char *full)
{
	fprintf(stderr, "See 'berth %s --help'.\n\nUsage:  berth %s %s\n\n%s\n", full, full,
		e->args_usage, e->summary);
}

int opts_usage_error(const struct cmd_entry *e, const char *fmt, ...)
{
	_cleanup_free_ char *full = cmd_full_name(e);
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	opts_print_usage_stderr(e, full);
	return 1;
}

int opts_check_args(const struct cmd_entry *e, int argc)
{
	_cleanup_free_ char *full = cmd_full_name(e);
	const char *s = e->min_args == 1 ? "" : "s";

	if (e->max_args == 0 && argc > 0)
		return opts_usage_error(e, "\"berth %s\" accepts no arguments.", full);
	if (e->min_args == e->max_args && argc != e->min_args)
		return opts_usage_error(e, "\"berth %s\" requires exactly %d argument%s.", full,
					e->min_args, s);
	if (argc < e->min_args)
		return opts_usage_error(e, "\"berth %s\" requires at least %d argument%s.", full,
					e->min_args, s);
	if (e->max_args >= 0 && argc > e->max_args)
		return opts_usage_error(e, "\"berth %s\" requires at most %d argument%s.", full,
					e->max_args, e->max_args == 1 ? "" : "s");
	return 0;
}
