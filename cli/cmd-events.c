/* cmd-events.c - `berth events` and `berth system events`: GET /events
 * (since, until, filters) read as it streams, one JSON object a line,
 * each printed as docker prints it (its default line, --format json, or
 * a template).  Ends when the daemon closes the stream (--until) or on
 * an interrupt. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/client.h"
#include "cli/cmd-container.h"
#include "cli/cmd-exec.h"
#include "cli/format.h"
#include "core/util.h"

#define EVENTS_BUF 4096

struct events_opts {
	char *since, *until, *format;
	struct strv filters;
};

static const struct opts_def events_defs[] = {
	{"filter", 'f', OPTS_LIST, offsetof(struct events_opts, filters), "filter",
	 "Filter output based on conditions provided"},
	{"format", 0, OPTS_STRING, offsetof(struct events_opts, format), "string",
	 "Format output using a custom template: 'json' or a Go template"},
	{"since", 0, OPTS_STRING, offsetof(struct events_opts, since), "string",
	 "Show all events created since timestamp"},
	{"until", 0, OPTS_STRING, offsetof(struct events_opts, until), "string",
	 "Stream events until this timestamp"},
	OPTS_END,
};

/* Go's RFC3339NanoFixed of t in the local zone. */
static void events_time(FILE *f, long long nanos)
{
	time_t secs = (time_t)(nanos / 1000000000);
	long off;
	struct tm tm;
	char buf[32];

	localtime_r(&secs, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(f, "%s.%09lld", buf, nanos % 1000000000);
	off = tm.tm_gmtoff;
	if (off == 0)
		fputc('Z', f);
	else
		fprintf(f, "%c%02ld:%02ld", off < 0 ? '-' : '+', labs(off) / 3600,
			labs(off) % 3600 / 60);
	fputc(' ', f);
}

/* " (k=v, k=v)" with the keys sorted, nothing without attributes. */
static void events_attrs(FILE *f, json_t *attrs)
{
	json_t *keys = json_array(), *v;
	const char *k;
	size_t i;

	json_object_foreach (attrs, k, v)
		json_array_append_new(keys, json_string(k));
	format_sort_strings(keys);
	json_array_foreach (keys, i, v) {
		k = json_string_value(v);
		fprintf(f, "%s%s=%s", i ? ", " : " (", k,
			json_string_value(json_object_get(attrs, k)) ?: "");
	}
	if (json_array_size(keys))
		fputc(')', f);
	json_decref(keys);
}

char *events_line(json_t *ev)
{
	json_t *actor = json_object_get(ev, "Actor");
	json_int_t nanos = json_integer_value(json_object_get(ev, "timeNano"));
	json_int_t secs = json_integer_value(json_object_get(ev, "time"));
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	if (nanos)
		events_time(f, nanos);
	else if (secs)
		events_time(f, secs * 1000000000LL);
	fprintf(f, "%s %s %s", json_string_value(json_object_get(ev, "Type")) ?: "",
		json_string_value(json_object_get(ev, "Action")) ?: "",
		json_string_value(json_object_get(actor, "ID")) ?: "");
	events_attrs(f, json_object_get(actor, "Attributes"));
	fputc('\n', f);
	fclose(f);
	return out;
}

/* Print one line of the stream (a JSON event). */
static int events_print(const struct events_opts *o, const char *line, struct berr **err)
{
	json_t *ev = json_loads(line, 0, NULL);
	char *text;
	int r = 0;

	if (!ev)
		return berr_set(err, EPROTO, "invalid event from daemon: %.80s", line);
	if (o->format && *o->format) {
		r = format_object_print(o->format, ev, stdout, err);
	} else {
		text = events_line(ev);
		fputs(text, stdout);
		free(text);
	}
	fflush(stdout);
	json_decref(ev);
	return r;
}

/* Read the stream, printing each complete line. */
static int events_follow(struct attach_conn *ac, const struct events_opts *o, struct berr **err)
{
	_cleanup_free_ char *buf = xmalloc(EVENTS_BUF);
	char *line = NULL, *nl;
	size_t len = 0, cap = 0;
	ssize_t n;
	int r = 0;

	while (r == 0 && (n = attach_read(ac, buf, EVENTS_BUF, err)) > 0) {
		xgrow(&line, &cap, len + (size_t)n + 1, 1);
		memcpy(line + len, buf, (size_t)n);
		len += (size_t)n;
		line[len] = '\0';
		while (r == 0 && (nl = memchr(line, '\n', len))) {
			*nl = '\0';
			if (nl > line)
				r = events_print(o, line, err);
			len -= (size_t)(nl + 1 - line);
			memmove(line, nl + 1, len + 1);
		}
	}
	free(line);
	return r < 0 ? r : (n < 0 ? (int)n : 0);
}

static int events_exec(struct cli *cli, void *opts, int argc, char **argv)
{
	const struct events_opts *o = opts;
	_cleanup_berr_ struct berr *err = NULL;
	_cleanup_free_ char *path = xstrdup("/events"), *fj = NULL;
	struct attach_conn *ac = NULL;
	int r;

	(void)argc, (void)argv;
	if (format_filters_json(&o->filters, &fj, &err) < 0)
		return cmd_fail(err);
	if (fj)
		client_query_add(&path, "filters", fj);
	if (o->since)
		client_query_add(&path, "since", o->since);
	if (o->until)
		client_query_add(&path, "until", o->until);
	r = attach_open(cli->host, "GET", path, false, &ac, &err);
	if (r == 0)
		r = events_follow(ac, o, &err);
	attach_close(ac);
	return r < 0 ? cmd_fail(err) : 0;
}

#define EVENTS_ENTRY(grp)                                                                          \
	{                                                                                          \
		.group = grp, .name = "events", .args_usage = "[OPTIONS]",                         \
		.summary = "Get real time events from the server", .min_args = 0, .max_args = 0,   \
		.opts = events_defs, .opts_size = sizeof(struct events_opts), .exec = events_exec, \
	}

const struct cmd_entry cmd_events_entry = EVENTS_ENTRY(NULL);
const struct cmd_entry cmd_system_events_entry = EVENTS_ENTRY("system");
