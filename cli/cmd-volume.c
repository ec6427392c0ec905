/* cmd-volume.c - the `berth volume` commands: create, ls, inspect, rm,
 * prune.  Each sends the requests the docker CLI sends for the same verb
 * (§7 and §9 of the API subset) and prints what docker prints. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/client.h"
#include "cli/format.h"
#include "core/util.h"

/* --- create --- */

struct volume_create_opts {
	char *driver;
	char *name;
	struct strv opts;
	struct strv labels;
};

#define VC(f) offsetof(struct volume_create_opts, f)

static const struct opts_def volume_create_defs[] = {
	{"driver", 'd', OPTS_STRING, VC(driver), "string",
	 "Specify volume driver name (default \"local\")"},
	{"label", 0, OPTS_LIST, VC(labels), "list", "Set metadata for a volume"},
	{"name", 0, OPTS_STRING, VC(name), "string", "Specify volume name"},
	{"opt", 'o', OPTS_LIST, VC(opts), "map", "Set driver specific options"},
	OPTS_END,
};

/* Repeated k=v flags into an object. */
static json_t *volume_kv_object(const struct strv *sv)
{
	json_t *o = json_object();

	for (size_t i = 0; i < sv->n; i++) {
		_cleanup_free_ char *k = NULL, *v = NULL;

		opts_split_kv(sv->v[i], &k, &v);
		json_object_set_new(o, k, json_string(v));
	}
	return o;
}

static int volume_create_exec(struct cli *cli, void *opts, int argc, char **argv)
{
	struct volume_create_opts *o = opts;
	_cleanup_berr_ struct berr *err = NULL;
	const char *name = argc ? argv[0] : o->name;
	struct client *c = NULL;
	json_t *body, *reply = NULL;
	int rc = 0;

	if (argc && o->name && !streq(o->name, argv[0])) {
		fprintf(stderr, "conflicting options: cannot specify a volume-name through both "
				"--name and as a positional arg\n");
		return 1;
	}
	if (cmd_connect(cli, &c))
		return 1;
	body = json_pack("{s:s, s:o, s:o, s:s}", "Driver", o->driver ? o->driver : "local",
			 "DriverOpts", volume_kv_object(&o->opts), "Labels",
			 volume_kv_object(&o->labels), "Name", name ? name : "");
	if (client_post(c, "/volumes/create", body, &reply, &err) < 0)
		rc = cmd_fail(err);
	else
		printf("%s\n", json_string_value(json_object_get(reply, "Name")) ?: "");
	json_decref(reply);
	json_decref(body);
	client_free(c);
	return rc;
}

const struct cmd_entry cmd_volume_create_entry = {
	.group = "volume",
	.name = "create",
	.args_usage = "[OPTIONS] [VOLUME]",
	.summary = "Create a volume",
	.max_args = 1,
	.opts = volume_create_defs,
	.opts_size = sizeof(struct volume_create_opts),
	.exec = volume_create_exec,
};

/* --- ls --- */

struct volume_ls_opts {
	bool quiet;
	char *format;
	struct strv filters;
};

#define VL(f) offsetof(struct volume_ls_opts, f)

static const struct opts_def volume_ls_defs[] = {
	{"filter", 'f', OPTS_LIST, VL(filters), "filter",
	 "Provide filter values (e.g. \"dangling=true\")"},
	{"format", 0, OPTS_STRING, VL(format), "string",
	 "Format output using a custom template: 'table', 'table TEMPLATE', 'json' or "
	 "'TEMPLATE'"},
	{"quiet", 'q', OPTS_BOOL, VL(quiet), NULL, "Only display volume names"},
	OPTS_END,
};

#define VOLUME_LS_TABLE "table {{.Driver}}\t{{.Name}}"

/* Labels as the list prints them: "k=v,k2=v2" (sorted keys). */
static json_t *volume_labels_str(json_t *labels)
{
	json_t *keys = json_array(), *v, *ret;
	char *s = xstrdup("");
	const char *k;
	size_t i;

	json_object_foreach (labels, k, v)
		json_array_append_new(keys, json_string(k));
	format_sort_strings(keys);
	json_array_foreach (keys, i, v) {
		const char *key = json_string_value(v);
		char *n = xasprintf("%s%s%s=%s", s, i ? "," : "", key,
				    json_string_value(json_object_get(labels, key)) ?: "");

		free(s);
		s = n;
	}
	ret = json_string(s);
	free(s);
	json_decref(keys);
	return ret;
}

/* One row of the list, with docker's field names; Label is the labels
 * object for {{.Label "k"}}. */
static json_t *volume_ls_row(json_t *v)
{
	json_t *labels = json_object_get(v, "Labels");

	return json_pack("{s:s, s:s, s:s, s:s, s:o, s:s, s:s, s:o}", "Name",
			 json_string_value(json_object_get(v, "Name")) ?: "", "Driver",
			 json_string_value(json_object_get(v, "Driver")) ?: "", "Scope",
			 json_string_value(json_object_get(v, "Scope")) ?: "", "Mountpoint",
			 json_string_value(json_object_get(v, "Mountpoint")) ?: "", "Labels",
			 volume_labels_str(labels), "Links", "N/A", "Size", "N/A", "Label",
			 json_is_object(labels) ? json_incref(labels) : json_object());
}

static json_t *volume_ls_header(void)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "Name", "VOLUME NAME",
			 "Driver", "DRIVER", "Scope", "SCOPE", "Mountpoint", "MOUNTPOINT", "Labels",
			 "LABELS", "Links", "LINKS", "Size", "SIZE", "Label", "LABEL");
}

/* GET /volumes?filters=...: the "Volumes" list of the reply. */
static int volume_ls_fetch(struct client *c, const struct strv *filters, json_t **ret,
			   struct berr **err)
{
	_cleanup_free_ char *path = xstrdup("/volumes");
	json_t *reply = NULL, *list;
	int r;

	if ((r = format_filters_query(&path, filters, err)) < 0)
		return r;
	if ((r = client_get(c, path, &reply, err)) < 0)
		return r;
	list = json_object_get(reply, "Volumes");
	*ret = json_is_array(list) ? json_incref(list) : json_array();
	json_decref(reply);
	return 0;
}

static int volume_ls_exec(struct cli *cli, void *opts, int argc, char **argv)
{
	struct volume_ls_opts *o = opts;
	_cleanup_berr_ struct berr *err = NULL;
	struct client *c = NULL;
	json_t *list = NULL, *rows, *header, *v;
	size_t i;
	int rc = 0;

	(void)argc, (void)argv;
	if (cmd_connect(cli, &c))
		return 1;
	if (volume_ls_fetch(c, &o->filters, &list, &err) < 0) {
		client_free(c);
		return cmd_fail(err);
	}
	rows = json_array();
	json_array_foreach (list, i, v)
		json_array_append_new(rows, volume_ls_row(v));
	format_sort_rows(rows, "Name");
	header = volume_ls_header();
	struct format_list fl = {
		.format = o->format,
		.def = VOLUME_LS_TABLE,
		.rows = rows,
		.header = header,
		.json_skip = "Label",
		.quiet = o->quiet,
		.quiet_def = "{{.Name}}",
	};
	if (format_list_print(&fl, stdout, &err) < 0)
		rc = cmd_fail(err);
	json_decref(header);
	json_decref(rows);
	json_decref(list);
	client_free(c);
	return rc;
}

const struct cmd_entry cmd_volume_ls_entry = {
	.group = "volume",
	.name = "ls",
	.alias = "list",
	.args_usage = "[OPTIONS]",
	.summary = "List volumes",
	.max_args = 0,
	.opts = volume_ls_defs,
	.opts_size = sizeof(struct volume_ls_opts),
	.exec = volume_ls_exec,
};

/* --- inspect --- */

struct volume_inspect_opts {
	char *format;
};

static const struct opts_def volume_inspect_defs[] = {
	{"format", 'f', OPTS_STRING, offsetof(struct volume_inspect_opts, format), "string",
	 "Format output using a custom template: 'json' or a Go template"},
	OPTS_END,
};

static char *volume_path(const char *name)
{
	_cleanup_free_ char *esc = client_escape(name);

	return xasprintf("/volumes/%s", esc);
}

static int volume_inspect_exec(struct cli *cli, void *opts, int argc, char **argv)
{
	struct volume_inspect_opts *o = opts;
	struct strv errors = {0};
	struct client *c = NULL;
	json_t *found = json_array();
	int rc;

	if (cmd_connect(cli, &c)) {
		json_decref(found);
		return 1;
	}
	for (int i = 0; i < argc; i++) {
		_cleanup_berr_ struct berr *err = NULL;
		_cleanup_free_ char *path = volume_path(argv[i]);
		json_t *v = NULL;

		if (client_get(c, path, &v, &err) < 0 ||
		    (o->format && format_object_print(o->format, v, stdout, &err) < 0))
			strv_push(&errors, berr_msg(err));
		else if (!o->format)
			json_array_append(found, v);
		json_decref(v);
	}
	if (!o->format) {
		char *s = json_dumps(found, JSON_INDENT(4) | JSON_PRESERVE_ORDER);

		printf("%s\n", s ? s : "[]");
		free(s);
	}
	for (size_t i = 0; i < errors.n; i++)
		fprintf(stderr, "%s\n", errors.v[i]);
	rc = errors.n ? 1 : 0;
	json_decref(found);
	client_free(c);
	strv_done(&errors);
	return rc;
}

const struct cmd_entry cmd_volume_inspect_entry = {
	.group = "volume",
	.name = "inspect",
	.args_usage = "[OPTIONS] VOLUME [VOLUME...]",
	.summary = "Display detailed information on one or more volumes",
	.min_args = 1,
	.max_args = -1,
	.opts = volume_inspect_defs,
	.opts_size = sizeof(struct volume_inspect_opts),
	.exec = volume_inspect_exec,
};

/* --- rm --- */

struct volume_rm_opts {
	bool force;
};

static const struct opts_def volume_rm_defs[] = {
	{"force", 'f', OPTS_BOOL, offsetof(struct volume_rm_opts, force), NULL,
	 "Force the removal of one or more volumes"},
	OPTS_END,
};

static int volume_rm_exec(struct cli *cli, void *opts, int argc, char **argv)
{
	struct volume_rm_opts *o = opts;
	struct strv errors = {0};
	struct client *c = NULL;
	int rc;

	if (cmd_connect(cli, &c))
		return 1;
	for (int i = 0; i < argc; i++) {
		_cleanup_berr_ struct berr *err = NULL;
		_cleanup_free_ char *path = volume_path(argv[i]);

		if (o->force)
			client_query_add(&path, "force", "1");
		if (client_delete(c, path, &err) == 0)
			printf("%s\n", argv[i]);
		else
			strv_push(&errors, berr_msg(err));
	}
	for (size_t i = 0; i < errors.n; i++)
		fprintf(stderr, "%s\n", errors.v[i]);
	rc = errors.n ? 1 : 0;
	strv_done(&errors);
	client_free(c);
	return rc;
}

const struct cmd_entry cmd_volume_rm_entry = {
	.group = "volume",
	.name = "rm",
	.alias = "remove",
	.args_usage = "[OPTIONS] VOLUME [VOLUME...]",
	.summary = "Remove one or more volumes",
	.min_args = 1,
	.max_args = -1,
	.opts = volume_rm_defs,
	.opts_size = sizeof(struct volume_rm_opts),
	.exec = volume_rm_exec,
};

/* --- prune --- */

struct volume_prune_opts {
	bool force, all;
	struct strv filters;
};

static const struct opts_def volume_prune_defs[] = {
	{"all", 'a', OPTS_BOOL, offsetof(struct volume_prune_opts, all), NULL,
	 "Remove all unused volumes, not just anonymous ones"},
	{"filter", 0, OPTS_LIST, offsetof(struct volume_prune_opts, filters), "filter",
	 "Provide filter values (e.g. \"label=<label>\")"},
	{"force", 'f', OPTS_BOOL, offsetof(struct volume_prune_opts, force), NULL,
	 "Do not prompt for confirmation"},
	OPTS_END,
};

/* At API 1.41 the daemon prunes every unused volume, -a or not. */
#define VOLUME_PRUNE_WARNING                                                                       \
	"WARNING! This will remove all local volumes not used by at least one container.\n"        \
	"Are you sure you want to continue? [y/N] "

static void volume_prune_print(json_t *reply)
{
	json_t *deleted = json_object_get(reply, "VolumesDeleted"), *n;
	_cleanup_free_ char *space =
		format_bytes((double)json_integer_value(json_object_get(reply, "SpaceReclaimed")));
	size_t i;

	if (json_array_size(deleted)) {
		printf("Deleted Volumes:\n");
		json_array_foreach (deleted, i, n)
			printf("%s\n", json_string_value(n) ?: "");
		printf("\n");
	}
	printf("Total reclaimed space: %s\n", space);
}

static int volume_prune_exec(struct cli *cli, void *opts, int argc, char **argv)
{
	struct volume_prune_opts *o = opts;
	_cleanup_berr_ struct berr *err = NULL;
	_cleanup_free_ char *path = xstrdup("/volumes/prune");
	struct client *c = NULL;
	json_t *reply = NULL;
	int rc = 0;

	(void)argc, (void)argv;
	if (o->all)
		strv_push(&o->filters, "all=true");
	if (format_filters_query(&path, &o->filters, &err) < 0)
		return cmd_fail(err);
	if (!o->force && !cmd_confirm(VOLUME_PRUNE_WARNING, stdin))
		return 0;
	if (cmd_connect(cli, &c))
		return 1;
	if (client_post(c, path, NULL, &reply, &err) < 0)
		rc = cmd_fail(err);
	else
		volume_prune_print(reply);
	json_decref(reply);
	client_free(c);
	return rc;
}

const struct cmd_entry cmd_volume_prune_entry = {
	.group = "volume",
	.name = "prune",
	.args_usage = "[OPTIONS]",
	.summary = "Remove unused local volumes",
	.max_args = 0,
	.opts = volume_prune_defs,
	.opts_size = sizeof(struct volume_prune_opts),
	.exec = volume_prune_exec,
};
