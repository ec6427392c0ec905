/* cmd-container.c - the container verbs besides run/create (run.c):
 * start, stop, restart, kill, rm, ps, logs, inspect (typed and docker's
 * generic one), wait, attach, port, and their `berth container ...` forms.
 * Each sends what the docker CLI sends for the verb (§5 and §9 of the API
 * subset) and prints what docker prints, with docker's exit codes. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/client.h"
#include "cli/cmd-container.h"
#include "cli/format.h"
#include "cli/ports.h"
#include "core/util.h"

#define CTR_SHORT_ID 12

/* --- shared --- */

int ctr_status_error(const char *cmd, const char *msg, int status)
{
	fprintf(stderr, "berth: %s\n\nRun 'berth %s --help' for more information\n", msg, cmd);
	return status;
}

int ctr_inspect(struct client *c, const char *name, json_t **ret, struct berr **err)
{
	_cleanup_free_ char *esc = client_escape(name);
	_cleanup_free_ char *path = xasprintf("/containers/%s/json", esc);

	return client_get(c, path, ret, err);
}

int ctr_start(struct cli *cli, const char *id, struct berr **err)
{
	_cleanup_free_ char *esc = client_escape(id);
	_cleanup_free_ char *path = xasprintf("/containers/%s/start", esc);
	struct attach_conn *ac = NULL;
	int r = attach_open(cli->host, "POST", path, false, &ac, err);

	attach_close(ac);
	return r;
}

/* An error of an attached run or start: run's status error, or plain. */
static int ctr_attach_fail(const char *cmd, const struct berr *err, bool started)
{
	const char *msg = berr_msg(err);

	if (!cmd) {
		fprintf(stderr, "%s\n", msg);
		return 1;
	}
	return ctr_status_error(cmd, msg, started ? 125 : run_error_status(msg));
}

int ctr_attach_start(struct cli *cli, struct client *c, const char *id, bool tty, bool stdin_on,
		     const char *cond, bool start, const char *cmd)
{
	_cleanup_berr_ struct berr *err = NULL;
	_cleanup_free_ char *apath = xasprintf("/containers/%s/attach?stderr=1%s&stdout=1&stream=1",
					       id, stdin_on ? "&stdin=1" : "");
	_cleanup_free_ char *wpath = xasprintf("/containers/%s/wait", id);
	struct attach_conn *ac = NULL, *wc = NULL;
	int status = 0, r;

	if (cond)
		client_query_add(&wpath, "condition", cond);
	r = attach_open(cli->host, "POST", apath, true, &ac, &err);
	if (r == 0)
		r = attach_open(cli->host, "POST", wpath, false, &wc, &err);
	if (r == 0 && start)
		r = ctr_start(cli, id, &err);
	if (r < 0) {
		attach_close(ac);
		attach_close(wc);
		return ctr_attach_fail(cmd, err, false);
	}
	if (tty)
		attach_resize(c, id);
	r = attach_pump(ac, tty, stdin_on, cli->host, id, &err);
	attach_close(ac);
	if (r == 0)
		r = attach_wait_status(wc, &status, &err);
	attach_close(wc);
	return r < 0 ? ctr_attach_fail(cmd, err, true) : status;
}

/* Print the errors collected for several containers; 1 if any. */
static int ctr_report(struct strv *errors)
{
	int rc = errors->n ? 1 : 0;

	for (size_t i = 0; i < errors->n; i++)
		fprintf(stderr, "%s\n", errors->v[i]);
	strv_done(errors);
	return rc;
}

/* POST /containers/{name}/<verb>[query] for each argument; print the
 * name of each that worked. */
static int ctr_post_each(struct cli *cli, const char *verb, const char *query, int argc,
			 char **argv)
{
	struct strv errors = {0};
	struct client *c = NULL;

	if (cmd_connect(cli, &c))
		return 1;
	for (int i = 0; i < argc; i++) {
		_cleanup_berr_ struct berr *err = NULL;
		_cleanup_free_ char *esc = client_escape(argv[i]);
		_cleanup_free_ char *path = xasprintf("/containers/%s/%s%s", esc, verb, query);

		if (client_post(c, path, NULL, NULL, &err) < 0)
			strv_push(&errors, berr_msg(err));
		else
			printf("%s\n", argv[i]);
	}
	client_free(c);
	return ctr_report(&errors);
}

/* --- start --- */

struct ctr_start_opts {
	bool attach, interactive;
	char *detach_keys;
};

static const struct opts_def ctr_start_defs[] = {
	{"attach", 'a', OPTS_BOOL, offsetof(struct ctr_start_opts, attach), NULL,
	 "Attach STDOUT/STDERR and forward signals"},
	{"detach-keys", 0, OPTS_STRING, offsetof(struct ctr_start_opts, detach_keys), "string",
	 "Override the key sequence for detaching a container"},
	{"interactive", 'i', OPTS_BOOL, offsetof(struct ctr_start_opts, interactive), NULL,
	 "Attach container's STDIN"},
	OPTS_END,
};

/* start -a: inspect for the ID and Tty, then attach, wait, start. */
static int ctr_start_attached(struct cli *cli, const struct ctr_start_opts *o, const char *name)
{
	_cleanup_berr_ struct berr *err = NULL;
	_cleanup_free_ char *id = NULL;
	struct client *c = NULL;
	json_t *info = NULL, *cfg;
	int rc;

	if (cmd_connect(cli, &c))
		return 1;
	if (ctr_inspect(c, name, &info, &err) < 0) {
		client_free(c);
		return cmd_fail(err);
	}
	cfg = json_object_get(info, "Config");
	id = xstrdup(json_string_value(json_object_get(info, "Id")) ?: name);
	rc = ctr_attach_start(cli, c, id, json_is_true(json_object_get(cfg, "Tty")),
			      o->interactive && json_is_true(json_object_get(cfg, "OpenStdin")),
			      "next-exit", true, NULL);
	json_decref(info);
	client_free(c);
	return rc;
}

static int ctr_start_exec(struct cli *cli, void *opts, int argc, char **argv)
{
	struct ctr_start_opts *o = opts;
	struct strv failed = {0};
	int rc = 0;

	if ((o->attach || o->interactive) && argc > 1) {
		fprintf(stderr, "you cannot start and attach multiple containers at once\n");
		return 1;
	}
	if (o->attach || o->interactive)
		return ctr_start_attached(cli, o, argv[0]);
	for (int i = 0; i < argc; i++) {
		_cleanup_berr_ struct berr *err = NULL;

		if (ctr_start(cli, argv[i], &err) < 0) {
			fprintf(stderr, "%s\n", berr_msg(err));
			strv_push(&failed, argv[i]);
			if (err->code == ECONNREFUSED)
				break;
		} else {
			printf("%s\n", argv[i]);
		}
	}
	if (failed.n) {
		fprintf(stderr, "Error: failed to start containers: ");
		for (size_t i = 0; i < failed.n; i++)
			fprintf(stderr, "%s%s", i ? ", " : "", failed.v[i]);
		fputc('\n', stderr);
		rc = 1;
	}
	strv_done(&failed);
	return rc;
}

/* --- stop, restart, kill --- */

struct ctr_stop_opts {
	char *timeout, *signal;
};

static const struct opts_def ctr_stop_defs[] = {
	{"signal", 's', OPTS_STRING, offsetof(struct ctr_stop_opts, signal), "string",
	 "Signal to send to the container"},
	{"timeout", 't', OPTS_STRING, offsetof(struct ctr_stop_opts, timeout), "int",
	 "Seconds to wait before killing the container"},
	OPTS_END,
};

static int ctr_stop_common(struct cli *cli, const char *verb, const struct ctr_stop_opts *o,
			   int argc, char **argv)
{
	_cleanup_free_ char *query = xstrdup("");
	char *end = NULL;

	if (o->timeout) {
		strtol(o->timeout, &end, 10);
		if (end == o->timeout || *end) {
			fprintf(stderr,
				"invalid argument \"%s\" for \"-t, --timeout\" flag: "
				"strconv.ParseInt: parsing \"%s\": invalid syntax\n",
				o->timeout, o->timeout);
			return 125;
		}
		client_query_add(&query, "t", o->timeout);
	}
	if (o->signal)
		client_query_add(&query, "signal", o->signal);
	return ctr_post_each(cli, verb, query, argc, argv);
}

static int ctr_stop_exec(struct cli *cli, void *opts, int argc, char **argv)
{
	return ctr_stop_common(cli, "stop", opts, argc, argv);
}

static int ctr_restart_exec(struct cli *cli, void *opts, int argc, char **argv)
{
	return ctr_stop_common(cli, "restart", opts, argc, argv);
}

struct ctr_kill_opts {
	char *signal;
};

static const struct opts_def ctr_kill_defs[] = {
	{"signal", 's', OPTS_STRING, offsetof(struct ctr_kill_opts, signal), "string",
	 "Signal to send to the container"},
	OPTS_END,
};

static int ctr_kill_exec(struct cli *cli, void *opts, int argc, char **argv)
{
	struct ctr_kill_opts *o = opts;
	_cleanup_free_ char *query = xstrdup("");

	if (o->signal)
		client_query_add(&query, "signal", o->signal);
	return ctr_post_each(cli, "kill", query, argc, argv);
}

/* --- rm --- */

struct ctr_rm_opts {
	bool force, volumes, link;
};

static const struct opts_def ctr_rm_defs[] = {
	{"force", 'f', OPTS_BOOL, offsetof(struct ctr_rm_opts, force), NULL,
	 "Force the removal of a running container (uses SIGKILL)"},
	{"link", 'l', OPTS_BOOL, offsetof(struct ctr_rm_opts, link), NULL,
	 "Remove the specified link"},
	{"volumes", 'v', OPTS_BOOL, offsetof(struct ctr_rm_opts, volumes), NULL,
	 "Remove anonymous volumes associated with the container"},
	OPTS_END,
};

static int ctr_rm_exec(struct cli *cli, void *opts, int argc, char **argv)
{
	struct ctr_rm_opts *o = opts;
	struct strv errors = {0};
	struct client *c = NULL;

	if (cmd_connect(cli, &c))
		return 1;
	for (int i = 0; i < argc; i++) {
		_cleanup_berr_ struct berr *err = NULL;
		_cleanup_free_ char *esc = client_escape(argv[i]);
		_cleanup_free_ char *path = xasprintf("/containers/%s", esc);
		int r;

		if (o->force)
			client_query_add(&path, "force", "1");
		if (o->link)
			client_query_add(&path, "link", "1");
		if (o->volumes)
			client_query_add(&path, "v", "1");
		r = client_delete(c, path, &err);
		/* rm -f: a container that is not there is reported, not an error */
		if (r == -ENOENT && o->force)
			fprintf(stderr, "%s\n", berr_msg(err));
		else if (r < 0)
			strv_push(&errors, berr_msg(err));
		else
			printf("%s\n", argv[i]);
	}
	client_free(c);
	return ctr_report(&errors);
}

/* --- ps --- */

char *ps_human_duration(double secs)
{
	double h = secs / 3600;

	if (secs < 1)
		return xstrdup("Less than a second");
	if (secs < 60)
		return xasprintf("%d second%s", (int)secs, (int)secs == 1 ? "" : "s");
	if (secs / 60 < 2)
		return xstrdup("About a minute");
	if (secs / 60 < 60)
		return xasprintf("%d minutes", (int)(secs / 60));
	if ((long)(h + 0.5) == 1)
		return xstrdup("About an hour");
	if (h < 48)
		return xasprintf("%d hours", (int)(h + 0.5));
	if (h < 24 * 7 * 2)
		return xasprintf("%d days", (int)(h / 24));
	if (h < 24 * 30 * 2)
		return xasprintf("%d weeks", (int)(h / 24 / 7));
	if (h < 24 * 365 * 2)
		return xasprintf("%d months", (int)(h / 24 / 30));
	return xasprintf("%d years", (int)(h / 24 / 365));
}

char *ps_quote(const char *s)
{
	return opts_quote(s);
}

/* Go's formatter.Ellipsis: at most max characters, the last one "…". */
static char *ps_ellipsis(const char *s, size_t max)
{
	size_t chars = 0, i;

	for (i = 0; s[i]; i++) {
		if (((unsigned char)s[i] & 0xc0) == 0x80)
			continue;
		if (chars == max - 1) {
			size_t cut = i;
			size_t rest = 0;

			for (size_t k = i; s[k]; k++)
				rest += ((unsigned char)s[k] & 0xc0) != 0x80;
			if (rest <= 1)
				break;
			return xasprintf("%.*s…", (int)cut, s);
		}
		chars++;
	}
	return xstrdup(s);
}

/* docker's TruncateID: no "sha256:", 12 characters. */
static char *ps_trunc_id(const char *id)
{
	if (strprefix(id, "sha256:"))
		id += strlen("sha256:");
	return xstrndup(id, CTR_SHORT_ID);
}

/* Names without the leading '/'; with trunc only the container's own
 * (names with another '/' are links). */
static char *ps_names(json_t *names, bool trunc)
{
	char *out = NULL;
	size_t len = 0, i, n = 0;
	FILE *f = open_memstream(&out, &len);
	json_t *v;

	json_array_foreach (names, i, v) {
		const char *s = json_string_value(v) ?: "";

		s += *s == '/';
		if (trunc && strchr(s, '/'))
			continue;
		fprintf(f, "%s%s", n++ ? "," : "", s);
	}
	fclose(f);
	return out;
}

/* "k=v,k2=v2" of an object; with key_only the keys. */
static char *ps_join_object(json_t *obj, bool key_only)
{
	char *out = NULL;
	size_t len = 0, n = 0;
	FILE *f = open_memstream(&out, &len);
	const char *k;
	json_t *v;

	json_object_foreach (obj, k, v) {
		fprintf(f, "%s%s", n++ ? "," : "", k);
		if (!key_only)
			fprintf(f, "=%s", json_string_value(v) ?: "");
	}
	fclose(f);
	return out;
}

static char *ps_mounts(json_t *mounts)
{
	char *out = NULL;
	size_t len = 0, i;
	FILE *f = open_memstream(&out, &len);
	json_t *m;

	json_array_foreach (mounts, i, m) {
		const char *name = json_string_value(json_object_get(m, "Name"));

		if (!name || !*name)
			name = json_string_value(json_object_get(m, "Source")) ?: "";
		fprintf(f, "%s%s", i ? "," : "", name);
	}
	fclose(f);
	return out;
}

/* The row of one container. */
static json_t *ps_row(json_t *ct, bool trunc, time_t now)
{
	const char *id = json_string_value(json_object_get(ct, "Id")) ?: "";
	const char *image = json_string_value(json_object_get(ct, "Image")) ?: "";
	const char *image_id = json_string_value(json_object_get(ct, "ImageID")) ?: "";
	const char *cmd = json_string_value(json_object_get(ct, "Command")) ?: "";
	time_t created = (time_t)json_integer_value(json_object_get(ct, "Created"));
	_cleanup_free_ char *short_img = ps_trunc_id(image), *short_iid = ps_trunc_id(image_id);
	_cleanup_free_ char *cut = trunc ? ps_ellipsis(cmd, 20) : xstrdup(cmd);
	_cleanup_free_ char *quoted = ps_quote(cut);
	_cleanup_free_ char *since = ps_human_duration(difftime(now, created));
	_cleanup_free_ char *ports = ports_display(json_object_get(ct, "Ports"));
	_cleanup_free_ char *names = ps_names(json_object_get(ct, "Names"), trunc);
	_cleanup_free_ char *labels = ps_join_object(json_object_get(ct, "Labels"), false);
	_cleanup_free_ char *mounts = ps_mounts(json_object_get(ct, "Mounts"));
	_cleanup_free_ char *nets = ps_join_object(
		json_object_get(json_object_get(ct, "NetworkSettings"), "Networks"), true);
	json_t *label = json_object_get(ct, "Labels");
	char at[64];

	label = json_is_object(label) ? json_incref(label) : json_object();
	strftime(at, sizeof(at), "%Y-%m-%d %H:%M:%S %z %Z", localtime(&created));
	if (trunc && *image_id && streq(short_img, short_iid))
		image = short_img;
	return json_pack("{s:s%, s:s, s:s, s:s, s:s+, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o}",
			 "ID", id, trunc ? strnlen(id, CTR_SHORT_ID) : strlen(id), "Image",
			 *image ? image : "<no image>", "Command", quoted, "CreatedAt", at,
			 "RunningFor", since, " ago", "Ports", ports, "State",
			 json_string_value(json_object_get(ct, "State")) ?: "", "Status",
			 json_string_value(json_object_get(ct, "Status")) ?: "", "Names", names,
			 "Labels", labels, "Mounts", mounts, "Networks", nets, "Size", "0B",
			 "Label", label);
}

json_t *ps_rows(json_t *list, bool no_trunc, time_t now)
{
	json_t *rows = json_array(), *ct;
	size_t i;

	json_array_foreach (list, i, ct)
		json_array_append_new(rows, ps_row(ct, !no_trunc, now));
	return rows;
}

json_t *ps_header(void)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "ID",
			 "CONTAINER ID", "Image", "IMAGE", "Command", "COMMAND", "CreatedAt",
			 "CREATED AT", "RunningFor", "CREATED", "Ports", "PORTS", "State", "STATE",
			 "Status", "STATUS", "Names", "NAMES", "Labels", "LABELS", "Mounts",
			 "MOUNTS", "Networks", "NETWORKS", "Size", "SIZE");
}

struct ps_opts {
	bool all, quiet, no_trunc, latest, size;
	char *last, *format;
	struct strv filters;
};

#define PO(f) offsetof(struct ps_opts, f)

static const struct opts_def ps_defs[] = {
	{"all", 'a', OPTS_BOOL, PO(all), NULL, "Show all containers (default shows just running)"},
	{"filter", 'f', OPTS_LIST, PO(filters), "filter",
	 "Filter output based on conditions provided"},
	{"format", 0, OPTS_STRING, PO(format), "string",
	 "Format output using a custom template: 'table', 'table TEMPLATE', 'json' or "
	 "'TEMPLATE'"},
	{"last", 'n', OPTS_STRING, PO(last), "int",
	 "Show n last created containers (includes all "
	 "states) (default -1)"},
	{"latest", 'l', OPTS_BOOL, PO(latest), NULL,
	 "Show the latest created container (includes all states)"},
	{"no-trunc", 0, OPTS_BOOL, PO(no_trunc), NULL, "Don't truncate output"},
	{"quiet", 'q', OPTS_BOOL, PO(quiet), NULL, "Only display container IDs"},
	{"size", 's', OPTS_BOOL, PO(size), NULL, "Display total file sizes"},
	OPTS_END,
};

/* GET /containers/json with all, limit, size and filters. */
static int ps_fetch(struct client *c, const struct ps_opts *o, json_t **ret, struct berr **err)
{
	_cleanup_free_ char *path = xstrdup("/containers/json"), *fj = NULL;
	long limit = o->last ? strtol(o->last, NULL, 10) : -1;
	int r = format_filters_json(&o->filters, &fj, err);

	if (r < 0)
		return r;
	if (o->latest && limit == -1)
		limit = 1;
	if (o->all)
		client_query_add(&path, "all", "1");
	if (limit > 0) {
		_cleanup_free_ char *l = xasprintf("%ld", limit);

		client_query_add(&path, "limit", l);
	}
	if (o->size)
		client_query_add(&path, "size", "1");
	if (fj)
		client_query_add(&path, "filters", fj);
	r = client_get(c, path, ret, err);
	if (r == 0 && !json_is_array(*ret)) {
		json_decref(*ret);
		return berr_set(err, EPROTO, "invalid reply to GET /containers/json: not a list");
	}
	return r;
}

static int ps_exec(struct cli *cli, void *opts, int argc, char **argv)
{
	struct ps_opts *o = opts;
	_cleanup_berr_ struct berr *err = NULL;
	struct client *c = NULL;
	json_t *list = NULL, *rows, *header;
	int rc = 0;

	(void)argc, (void)argv;
	if (o->last && !isdigit((unsigned char)o->last[0]) && !streq(o->last, "-1"))
		return opts_usage_error(&(struct cmd_entry){.name = "ps",
							    .args_usage = "[OPTIONS]",
							    .summary = "List containers"},
					"invalid argument \"%s\" for \"-n, --last\" flag", o->last);
	if (cmd_connect(cli, &c))
		return 1;
	if (ps_fetch(c, o, &list, &err) < 0) {
		client_free(c);
		return cmd_fail(err);
	}
	rows = ps_rows(list, o->no_trunc, time(NULL));
	header = ps_header();
	struct format_list fl = {
		.format = o->format,
		.def = PS_TABLE,
		.rows = rows,
		.header = header,
		.json_skip = "Label",
		.quiet = o->quiet,
		.quiet_def = "{{.ID}}",
	};
	if (format_list_print(&fl, stdout, &err) < 0)
		rc = cmd_fail(err);
	json_decref(header);
	json_decref(rows);
	json_decref(list);
	client_free(c);
	return rc;
}

/* --- logs --- */

struct ctr_logs_opts {
	bool follow, timestamps, details;
	char *tail, *since, *until;
};

#define LO(f) offsetof(struct ctr_logs_opts, f)

static const struct opts_def ctr_logs_defs[] = {
	{"details", 0, OPTS_BOOL, LO(details), NULL, "Show extra details provided to logs"},
	{"follow", 'f', OPTS_BOOL, LO(follow), NULL, "Follow log output"},
	{"since", 0, OPTS_STRING, LO(since), "string",
	 "Show logs since timestamp (e.g. \"2013-01-02T13:23:37Z\") or relative (e.g. \"42m\" "
	 "for 42 minutes)"},
	{"tail", 'n', OPTS_STRING, LO(tail), "string",
	 "Number of lines to show from the end of the logs (default \"all\")"},
	{"timestamps", 't', OPTS_BOOL, LO(timestamps), NULL, "Show timestamps"},
	{"until", 0, OPTS_STRING, LO(until), "string",
	 "Show logs before a timestamp (e.g. \"2013-01-02T13:23:37Z\") or relative (e.g. "
	 "\"42m\" for 42 minutes)"},
	OPTS_END,
};

/* A Go duration ("1h30m", "42m", "10s", "1.5h") in seconds; -1 if not one. */
static double ctr_go_duration(const char *s)
{
	static const struct {
		const char *unit;
		double secs;
	} units[] = {{"ns", 1e-9}, {"us", 1e-6}, {"ms", 1e-3}, {"s", 1}, {"m", 60}, {"h", 3600}};
	double total = 0;

	if (!*s)
		return -1;
	while (*s) {
		char *end;
		double v = strtod(s, &end);
		size_t ul = 0, k;

		if (end == s)
			return -1;
		for (k = 0; k < ARRAY_SIZE(units); k++) {
			ul = strlen(units[k].unit);
			if (!strncmp(end, units[k].unit, ul) && !isalpha((unsigned char)end[ul]))
				break;
		}
		if (k == ARRAY_SIZE(units))
			return -1;
		total += v * units[k].secs;
		s = end + ul;
	}
	return total;
}

/* docker's GetTimestamp: a Unix time, a duration before now, or RFC 3339;
 * as "seconds[.nanoseconds]".  Caller frees. */
static int ctr_timestamp(const char *value, char **ret, struct berr **err)
{
	double d = ctr_go_duration(value);
	struct timespec ts;
	char *end;

	strtod(value, &end);
	if (end != value && !*end) {
		*ret = xstrdup(value);
		return 0;
	}
	if (d >= 0) {
		*ret = xasprintf("%.9f", (double)time(NULL) - d);
		return 0;
	}
	if (util_time_parse(value, &ts) == 0) {
		*ret = xasprintf("%lld.%09ld", (long long)ts.tv_sec, ts.tv_nsec);
		return 0;
	}
	return berr_set(err, EINVAL, "invalid value for \"since\": failed to parse value %s",
			value);
}

static int ctr_logs_path(const struct ctr_logs_opts *o, const char *id, char **ret,
			 struct berr **err)
{
	_cleanup_free_ char *since = NULL, *until = NULL;
	char *path = xasprintf("/containers/%s/logs?stderr=1&stdout=1", id);

	if ((o->since && ctr_timestamp(o->since, &since, err) < 0) ||
	    (o->until && ctr_timestamp(o->until, &until, err) < 0)) {
		free(path);
		return -EINVAL;
	}
	client_query_add(&path, "tail", o->tail ? o->tail : "all");
	if (o->follow)
		client_query_add(&path, "follow", "1");
	if (since)
		client_query_add(&path, "since", since);
	if (o->timestamps)
		client_query_add(&path, "timestamps", "1");
	if (until)
		client_query_add(&path, "until", until);
	if (o->details)
		client_query_add(&path, "details", "1");
	*ret = path;
	return 0;
}

/* Stream a logs body to stdout/stderr. */
static int ctr_logs_copy(struct attach_conn *ac, bool tty, struct berr **err)
{
	char buf[16384];
	struct stdcopy sc = {0};
	ssize_t n;

	while ((n = attach_read(ac, buf, sizeof(buf), err)) > 0) {
		if (!tty) {
			if (stdcopy_feed(&sc, buf, (size_t)n, stdout, stderr, err) < 0)
				return -EPROTO;
			continue;
		}
		fwrite(buf, 1, (size_t)n, stdout);
		fflush(stdout);
	}
	return (int)n;
}

static int ctr_logs_exec(struct cli *cli, void *opts, int argc, char **argv)
{
	struct ctr_logs_opts *o = opts;
	_cleanup_berr_ struct berr *err = NULL;
	_cleanup_free_ char *path = NULL;
	struct attach_conn *ac = NULL;
	struct client *c = NULL;
	json_t *info = NULL;
	int r;

	(void)argc;
	if (cmd_connect(cli, &c))
		return 1;
	r = ctr_inspect(c, argv[0], &info, &err);
	client_free(c);
	if (r == 0)
		r = ctr_logs_path(o, json_string_value(json_object_get(info, "Id")) ?: argv[0],
				  &path, &err);
	if (r == 0)
		r = attach_open(cli->host, "GET", path, false, &ac, &err);
	if (r == 0)
		r = ctr_logs_copy(
			ac, json_is_true(json_object_get(json_object_get(info, "Config"), "Tty")),
			&err);
	attach_close(ac);
	json_decref(info);
	return r < 0 ? cmd_fail(err) : 0;
}

/* --- inspect --- */

struct ctr_inspect_opts {
	char *format, *type;
	bool size;
};

static const struct opts_def ctr_inspect_defs[] = {
	{"format", 'f', OPTS_STRING, offsetof(struct ctr_inspect_opts, format), "string",
	 "Format output using a custom template: 'json' or a Go template"},
	{"size", 's', OPTS_BOOL, offsetof(struct ctr_inspect_opts, size), NULL,
	 "Display total file sizes"},
	OPTS_END,
};

static const struct opts_def inspect_defs[] = {
	{"format", 'f', OPTS_STRING, offsetof(struct ctr_inspect_opts, format), "string",
	 "Format output using a custom template: 'json' or a Go template"},
	{"size", 's', OPTS_BOOL, offsetof(struct ctr_inspect_opts, size), NULL,
	 "Display total file sizes if the type is container"},
	{"type", 0, OPTS_STRING, offsetof(struct ctr_inspect_opts, type), "string",
	 "Only inspect objects of the given type"},
	OPTS_END,
};

/* Where each object type is inspected, in docker's order of trying. */
static const struct {
	const char *type;
	const char *fmt;
} inspect_types[] = {
	{"container", "/containers/%s/json"},
	{"image", "/images/%s/json"},
	{"network", "/networks/%s"},
	{"volume", "/volumes/%s"},
};

/* GET the object name of type (NULL: the first type that has it). */
static int inspect_one(struct client *c, const char *type, const char *name, bool size,
		       json_t **ret, struct berr **err)
{
	_cleanup_free_ char *esc = client_escape(name);

	for (size_t i = 0; i < ARRAY_SIZE(inspect_types); i++) {
		_cleanup_free_ char *path = NULL;
		int r;

		if (type && !streq(type, inspect_types[i].type))
			continue;
		path = xasprintf(inspect_types[i].fmt, esc);
		if (size && i == 0)
			client_query_add(&path, "size", "1");
		r = client_get(c, path, ret, err);
		if (r != -ENOENT || type)
			return r;
		berr_freep(err);
	}
	return berr_set(err, ENOENT, "Error: No such object: %s", name);
}

static int inspect_run(struct cli *cli, const struct ctr_inspect_opts *o, const char *type,
		       int argc, char **argv)
{
	struct strv errors = {0};
	struct client *c = NULL;
	json_t *found = json_array();

	if (cmd_connect(cli, &c)) {
		json_decref(found);
		return 1;
	}
	for (int i = 0; i < argc; i++) {
		_cleanup_berr_ struct berr *err = NULL;
		json_t *obj = NULL;

		if (inspect_one(c, type, argv[i], o->size, &obj, &err) < 0 ||
		    (o->format && format_object_print(o->format, obj, stdout, &err) < 0))
			strv_push(&errors, berr_msg(err));
		else if (!o->format)
			json_array_append(found, obj);
		json_decref(obj);
	}
	if (!o->format) {
		char *s = json_dumps(found, JSON_INDENT(4) | JSON_PRESERVE_ORDER);

		printf("%s\n", s ? s : "[]");
		free(s);
	}
	json_decref(found);
	client_free(c);
	return ctr_report(&errors);
}

static int ctr_inspect_exec(struct cli *cli, void *opts, int argc, char **argv)
{
	return inspect_run(cli, opts, "container", argc, argv);
}

static int inspect_exec(struct cli *cli, void *opts, int argc, char **argv)
{
	struct ctr_inspect_opts *o = opts;

	if (o->type && *o->type) {
		bool known = false;

		for (size_t i = 0; i < ARRAY_SIZE(inspect_types); i++)
			known |= streq(o->type, inspect_types[i].type);
		if (!known) {
			fprintf(stderr, "\"%s\" is not a valid value for --type\n", o->type);
			return 1;
		}
	}
	return inspect_run(cli, o, o->type && *o->type ? o->type : NULL, argc, argv);
}

/* --- wait --- */

static int ctr_wait_exec(struct cli *cli, void *opts, int argc, char **argv)
{
	struct strv errors = {0};

	(void)opts;
	for (int i = 0; i < argc; i++) {
		_cleanup_berr_ struct berr *err = NULL;
		_cleanup_free_ char *esc = client_escape(argv[i]);
		_cleanup_free_ char *path = xasprintf("/containers/%s/wait", esc);
		struct attach_conn *wc = NULL;
		int status = 0, r;

		r = attach_open(cli->host, "POST", path, false, &wc, &err);
		if (r == 0)
			r = attach_wait_status(wc, &status, &err);
		attach_close(wc);
		if (r < 0)
			strv_push(&errors, berr_msg(err));
		else
			printf("%d\n", status);
		fflush(stdout);
	}
	return ctr_report(&errors);
}

/* --- attach --- */

struct ctr_attach_opts {
	bool no_stdin;
	struct opts_optbool sig_proxy;
	char *detach_keys;
};

static const struct opts_def ctr_attach_defs[] = {
	{"detach-keys", 0, OPTS_STRING, offsetof(struct ctr_attach_opts, detach_keys), "string",
	 "Override the key sequence for detaching a container"},
	{"no-stdin", 0, OPTS_BOOL, offsetof(struct ctr_attach_opts, no_stdin), NULL,
	 "Do not attach STDIN"},
	{"sig-proxy", 0, OPTS_OPTBOOL, offsetof(struct ctr_attach_opts, sig_proxy), NULL,
	 "Proxy all received signals to the process (default true)"},
	OPTS_END,
};

static int ctr_attach_exec(struct cli *cli, void *opts, int argc, char **argv)
{
	struct ctr_attach_opts *o = opts;
	_cleanup_berr_ struct berr *err = NULL;
	_cleanup_free_ char *id = NULL;
	struct client *c = NULL;
	json_t *info = NULL, *cfg;
	int rc;

	(void)argc;
	if (cmd_connect(cli, &c))
		return 1;
	if (ctr_inspect(c, argv[0], &info, &err) < 0) {
		client_free(c);
		return cmd_fail(err);
	}
	cfg = json_object_get(info, "Config");
	id = xstrdup(json_string_value(json_object_get(info, "Id")) ?: argv[0]);
	if (!json_is_true(json_object_get(json_object_get(info, "State"), "Running"))) {
		fprintf(stderr, "You cannot attach to a stopped container, start it first\n");
		rc = 1;
	} else {
		rc = ctr_attach_start(cli, c, id, json_is_true(json_object_get(cfg, "Tty")),
				      !o->no_stdin &&
					      json_is_true(json_object_get(cfg, "OpenStdin")),
				      NULL, false, NULL);
	}
	json_decref(info);
	client_free(c);
	return rc;
}

/* --- port --- */

/* docker's runPort: "80/tcp -> 0.0.0.0:8080" for each published port of
 * the container, or the addresses of PRIVATE_PORT[/PROTO]. */
static int ctr_port_exec(struct cli *cli, void *opts, int argc, char **argv)
{
	_cleanup_berr_ struct berr *err = NULL;
	struct strv lines = {0};
	struct client *c = NULL;
	json_t *info = NULL;
	int r;

	(void)opts;
	if (cmd_connect(cli, &c))
		return 1;
	r = ctr_inspect(c, argv[0], &info, &err);
	if (r == 0)
		r = ports_lookup(json_object_get(json_object_get(info, "NetworkSettings"), "Ports"),
				 argv[0], argc > 1 ? argv[1] : NULL, &lines, &err);
	for (size_t i = 0; i < lines.n; i++)
		printf("%s\n", lines.v[i]);
	strv_done(&lines);
	json_decref(info);
	client_free(c);
	return r < 0 ? cmd_fail(err) : 0;
}

/* --- the entries --- */

#define CTR_ENTRY(grp, nm, al, args, sum, mn, mx, defs, type, fn)                                  \
	{                                                                                          \
		.group = grp, .name = nm, .alias = al, .args_usage = args, .summary = sum,         \
		.min_args = mn, .max_args = mx, .opts = defs, .opts_size = sizeof(type),           \
		.exec = fn, .flag_status = 125,                                                    \
	}

/* The verb both at the top level and in the container group. */
#define CTR_BOTH(var, nm, args, sum, mn, mx, defs, type, fn)                                       \
	const struct cmd_entry cmd_##var##_entry =                                                 \
		CTR_ENTRY(NULL, nm, NULL, args, sum, mn, mx, defs, type, fn);                      \
	const struct cmd_entry cmd_container_##var##_entry =                                       \
		CTR_ENTRY("container", nm, NULL, args, sum, mn, mx, defs, type, fn)

static const struct opts_def ctr_no_defs[] = {
	OPTS_END,
};

#define CTRS "CONTAINER [CONTAINER...]"

CTR_BOTH(start, "start", "[OPTIONS] " CTRS, "Start one or more stopped containers", 1, -1,
	 ctr_start_defs, struct ctr_start_opts, ctr_start_exec);
CTR_BOTH(stop, "stop", "[OPTIONS] " CTRS, "Stop one or more running containers", 1, -1,
	 ctr_stop_defs, struct ctr_stop_opts, ctr_stop_exec);
CTR_BOTH(restart, "restart", "[OPTIONS] " CTRS, "Restart one or more containers", 1, -1,
	 ctr_stop_defs, struct ctr_stop_opts, ctr_restart_exec);
CTR_BOTH(kill, "kill", "[OPTIONS] " CTRS, "Kill one or more running containers", 1, -1,
	 ctr_kill_defs, struct ctr_kill_opts, ctr_kill_exec);
CTR_BOTH(logs, "logs", "[OPTIONS] CONTAINER", "Fetch the logs of a container", 1, 1, ctr_logs_defs,
	 struct ctr_logs_opts, ctr_logs_exec);
CTR_BOTH(wait, "wait", CTRS, "Block until one or more containers stop, then print their exit codes",
	 1, -1, ctr_no_defs, char, ctr_wait_exec);
CTR_BOTH(attach, "attach", "[OPTIONS] CONTAINER",
	 "Attach local standard input, output, and error streams to a running container", 1, 1,
	 ctr_attach_defs, struct ctr_attach_opts, ctr_attach_exec);
CTR_BOTH(port, "port", "CONTAINER [PRIVATE_PORT[/PROTO]]",
	 "List port mappings or a specific mapping for the container", 1, 2, ctr_no_defs, char,
	 ctr_port_exec);

const struct cmd_entry cmd_rm_entry =
	CTR_ENTRY(NULL, "rm", NULL, "[OPTIONS] " CTRS, "Remove one or more containers", 1, -1,
		  ctr_rm_defs, struct ctr_rm_opts, ctr_rm_exec);
const struct cmd_entry cmd_container_rm_entry =
	CTR_ENTRY("container", "rm", "remove", "[OPTIONS] " CTRS, "Remove one or more containers",
		  1, -1, ctr_rm_defs, struct ctr_rm_opts, ctr_rm_exec);
const struct cmd_entry cmd_ps_entry = CTR_ENTRY(NULL, "ps", NULL, "[OPTIONS]", "List containers", 0,
						0, ps_defs, struct ps_opts, ps_exec);
const struct cmd_entry cmd_container_ls_entry =
	CTR_ENTRY("container", "ls", "list", "[OPTIONS]", "List containers", 0, 0, ps_defs,
		  struct ps_opts, ps_exec);
const struct cmd_entry cmd_container_ps_entry =
	CTR_ENTRY("container", "ps", NULL, "[OPTIONS]", "List containers", 0, 0, ps_defs,
		  struct ps_opts, ps_exec);
const struct cmd_entry cmd_container_inspect_entry =
	CTR_ENTRY("container", "inspect", NULL, "[OPTIONS] " CTRS,
		  "Display detailed information on one or more containers", 1, -1, ctr_inspect_defs,
		  struct ctr_inspect_opts, ctr_inspect_exec);
const struct cmd_entry cmd_inspect_entry =
	CTR_ENTRY(NULL, "inspect", NULL, "[OPTIONS] NAME|ID [NAME|ID...]",
		  "Return low-level information on Docker objects", 1, -1, inspect_defs,
		  struct ctr_inspect_opts, inspect_exec);
