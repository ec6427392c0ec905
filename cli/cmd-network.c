/* cmd-network.c - the `berth network` commands: create, ls, inspect, rm,
 * prune, connect, disconnect.  Each sends the requests the docker CLI sends for the same verb
 * (§4 of the API subset) and prints what docker prints. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/client.h"
#include "cli/cmd-network.h"
#include "cli/format.h"
#include "cli/netcfg.h"
#include "cli/netopts.h"
#include "cli/tmpl.h"
#include "core/util.h"

#define NETWORK_SHORT_ID 12

/* --- create --- */

#define NC(f) offsetof(struct netcfg_opts, f)

static const struct opts_def network_create_defs[] = {
	{"attachable", 0, OPTS_BOOL, NC(attachable), NULL, "Enable manual container attachment"},
	{"aux-address", 0, OPTS_LIST, NC(aux), "map",
	 "Auxiliary IPv4 or IPv6 addresses used by Network driver"},
	{"config-from", 0, OPTS_STRING, NC(config_from), "string",
	 "The network from which to copy the configuration"},
	{"config-only", 0, OPTS_BOOL, NC(config_only), NULL, "Create a configuration only network"},
	{"driver", 'd', OPTS_STRING, NC(driver), "string",
	 "Driver to manage the Network (default \"bridge\")"},
	{"gateway", 0, OPTS_LIST, NC(gateways), "strings",
	 "IPv4 or IPv6 Gateway for the master subnet"},
	{"ingress", 0, OPTS_BOOL, NC(ingress), NULL, "Create swarm routing-mesh network"},
	{"internal", 0, OPTS_BOOL, NC(internal), NULL, "Restrict external access to the network"},
	{"ip-range", 0, OPTS_LIST, NC(ranges), "strings", "Allocate container ip from a sub-range"},
	{"ipam-driver", 0, OPTS_STRING, NC(ipam_driver), "string",
	 "IP Address Management Driver (default \"default\")"},
	{"ipam-opt", 0, OPTS_LIST, NC(ipam_opts), "map", "Set IPAM driver specific options"},
	{"ipv4", 0, OPTS_OPTBOOL, NC(ipv4), NULL,
	 "Enable or disable IPv4 address assignment (default true)"},
	{"ipv6", 0, OPTS_OPTBOOL, NC(ipv6), NULL, "Enable or disable IPv6 address assignment"},
	{"label", 0, OPTS_LIST, NC(labels), "list", "Set metadata on a network"},
	{"opt", 'o', OPTS_LIST, NC(opts), "map", "Set driver specific options"},
	{"scope", 0, OPTS_STRING, NC(scope), "string", "Control the network's scope"},
	{"subnet", 0, OPTS_LIST, NC(subnets), "strings",
	 "Subnet in CIDR format that represents a network segment"},
	OPTS_END,
};

static int network_create_exec(struct cli *cli, void *opts, int argc, char **argv)
{
	_cleanup_berr_ struct berr *err = NULL;
	struct client *c = NULL;
	json_t *body = NULL, *reply = NULL;
	int rc = 0;

	(void)argc;
	if (netcfg_body(argv[0], opts, &body, &err) < 0)
		return cmd_fail(err);
	if (cmd_connect(cli, &c)) {
		json_decref(body);
		return 1;
	}
	if (client_post(c, "/networks/create", body, &reply, &err) < 0)
		rc = cmd_fail(err);
	else
		printf("%s\n", json_string_value(json_object_get(reply, "Id")) ?: "");
	json_decref(reply);
	json_decref(body);
	client_free(c);
	return rc;
}

const struct cmd_entry cmd_network_create_entry = {
	.group = "network",
	.name = "create",
	.args_usage = "[OPTIONS] NETWORK",
	.summary = "Create a network",
	.min_args = 1,
	.max_args = 1,
	.opts = network_create_defs,
	.opts_size = sizeof(struct netcfg_opts),
	.exec = network_create_exec,
};

/* --- ls --- */

struct network_ls_opts {
	bool quiet, no_trunc;
	char *format;
	struct strv filters;
};

#define NL(f) offsetof(struct network_ls_opts, f)

static const struct opts_def network_ls_defs[] = {
	{"filter", 'f', OPTS_LIST, NL(filters), "filter",
	 "Provide filter values (e.g. \"driver=bridge\")"},
	{"format", 0, OPTS_STRING, NL(format), "string",
	 "Format output using a custom template: 'table', 'table TEMPLATE', 'json' or "
	 "'TEMPLATE'"},
	{"no-trunc", 0, OPTS_BOOL, NL(no_trunc), NULL, "Do not truncate the output"},
	{"quiet", 'q', OPTS_BOOL, NL(quiet), NULL, "Only display network IDs"},
	OPTS_END,
};

#define NETWORK_LS_TABLE "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}"

/* Labels as the list prints them: "k=v,k2=v2" (sorted keys). */
static json_t *network_labels_str(json_t *labels)
{
	json_t *keys = json_array(), *ret;
	_cleanup_free_ char *s = NULL;
	const char *k;
	size_t len = 0, i;
	FILE *f = open_memstream(&s, &len);
	json_t *v;

	json_object_foreach (labels, k, v)
		json_array_append_new(keys, json_string(k));
	format_sort_strings(keys);
	json_array_foreach (keys, i, v) {
		const char *key = json_string_value(v);

		fprintf(f, "%s%s=%s", i ? "," : "", key,
			json_string_value(json_object_get(labels, key)) ?: "");
	}
	fclose(f);
	ret = json_string(s);
	json_decref(keys);
	return ret;
}

/* One row of the list, with docker's field names, all strings; Label is
 * the labels object for {{.Label "k"}}. */
static json_t *network_ls_row(json_t *n, bool no_trunc)
{
	const char *id = json_string_value(json_object_get(n, "Id")) ?: "";
	json_t *labels = json_object_get(n, "Labels");
	_cleanup_free_ char *created =
		format_go_time(json_string_value(json_object_get(n, "Created")));

	return json_pack("{s:s%, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:s, s:o}", "ID", id,
			 no_trunc ? strlen(id) : strnlen(id, NETWORK_SHORT_ID), "Name",
			 json_string_value(json_object_get(n, "Name")) ?: "", "Driver",
			 json_string_value(json_object_get(n, "Driver")) ?: "", "Scope",
			 json_string_value(json_object_get(n, "Scope")) ?: "", "IPv4",
			 json_is_true(json_object_get(n, "EnableIPv4")) ? "true" : "false", "IPv6",
			 json_is_true(json_object_get(n, "EnableIPv6")) ? "true" : "false",
			 "Internal",
			 json_is_true(json_object_get(n, "Internal")) ? "true" : "false", "Labels",
			 network_labels_str(labels), "CreatedAt", created, "Label",
			 json_is_object(labels) ? json_incref(labels) : json_object());
}

json_t *network_ls_header(void)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "ID", "NETWORK ID",
			 "Name", "NAME", "Driver", "DRIVER", "Scope", "SCOPE", "IPv4", "IPV4",
			 "IPv6", "IPV6", "Internal", "INTERNAL", "Labels", "LABELS", "CreatedAt",
			 "CREATED AT", "Label", "LABEL");
}

json_t *network_ls_rows(json_t *list, bool no_trunc)
{
	json_t *rows = json_array(), *n;
	size_t i;

	json_array_foreach (list, i, n)
		json_array_append_new(rows, network_ls_row(n, no_trunc));
	format_sort_rows(rows, "Name");
	return rows;
}

/* GET /networks?filters=... */
static int network_ls_fetch(struct client *c, const struct strv *filters, json_t **ret,
			    struct berr **err)
{
	_cleanup_free_ char *path = xstrdup("/networks");
	int r;

	r = format_filters_query(&path, filters, err);
	if (r < 0)
		return r;
	r = client_get(c, path, ret, err);
	if (r == 0 && !json_is_array(*ret)) {
		json_decref(*ret);
		return berr_set(err, EPROTO, "invalid reply to GET /networks: not a list");
	}
	return r;
}

static int network_ls_exec(struct cli *cli, void *opts, int argc, char **argv)
{
	struct network_ls_opts *o = opts;
	_cleanup_berr_ struct berr *err = NULL;
	struct client *c = NULL;
	json_t *list = NULL, *rows, *header;
	int rc = 0;

	(void)argc, (void)argv;
	if (cmd_connect(cli, &c))
		return 1;
	if (network_ls_fetch(c, &o->filters, &list, &err) < 0) {
		client_free(c);
		return cmd_fail(err);
	}
	rows = network_ls_rows(list, o->no_trunc);
	header = network_ls_header();
	struct format_list fl = {
		.format = o->format,
		.def = NETWORK_LS_TABLE,
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

const struct cmd_entry cmd_network_ls_entry = {
	.group = "network",
	.name = "ls",
	.alias = "list",
	.args_usage = "[OPTIONS]",
	.summary = "List networks",
	.max_args = 0,
	.opts = network_ls_defs,
	.opts_size = sizeof(struct network_ls_opts),
	.exec = network_ls_exec,
};

/* --- inspect --- */

struct network_inspect_opts {
	char *format;
	bool verbose;
};

static const struct opts_def network_inspect_defs[] = {
	{"format", 'f', OPTS_STRING, offsetof(struct network_inspect_opts, format), "string",
	 "Format output using a custom template: 'json' or a Go template"},
	{"verbose", 'v', OPTS_BOOL, offsetof(struct network_inspect_opts, verbose), NULL,
	 "Verbose output for diagnostics"},
	OPTS_END,
};

/* GET /networks/{name}. */
static int network_get(struct client *c, const char *name, bool verbose, json_t **ret,
		       struct berr **err)
{
	_cleanup_free_ char *esc = client_escape(name);
	_cleanup_free_ char *path = xasprintf("/networks/%s", esc);

	if (verbose)
		client_query_add(&path, "verbose", "true");
	return client_get(c, path, ret, err);
}

/* Without -f: one JSON array of every object found, indented by 4. */
static void network_inspect_print_all(json_t *found)
{
	char *s = json_dumps(found, JSON_INDENT(4) | JSON_PRESERVE_ORDER);

	printf("%s\n", s ? s : "[]");
	free(s);
}

static int network_inspect_exec(struct cli *cli, void *opts, int argc, char **argv)
{
	struct network_inspect_opts *o = opts;
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
		json_t *n = NULL;

		if (network_get(c, argv[i], o->verbose, &n, &err) < 0 ||
		    (o->format && format_object_print(o->format, n, stdout, &err) < 0))
			strv_push(&errors, berr_msg(err));
		else if (!o->format)
			json_array_append(found, n);
		json_decref(n);
	}
	if (!o->format)
		network_inspect_print_all(found);
	for (size_t i = 0; i < errors.n; i++)
		fprintf(stderr, "%s\n", errors.v[i]);
	rc = errors.n ? 1 : 0;
	json_decref(found);
	client_free(c);
	strv_done(&errors);
	return rc;
}

const struct cmd_entry cmd_network_inspect_entry = {
	.group = "network",
	.name = "inspect",
	.args_usage = "[OPTIONS] NETWORK [NETWORK...]",
	.summary = "Display detailed information on one or more networks",
	.min_args = 1,
	.max_args = -1,
	.opts = network_inspect_defs,
	.opts_size = sizeof(struct network_inspect_opts),
	.exec = network_inspect_exec,
};

/* --- rm --- */

struct network_rm_opts {
	bool force;
};

static const struct opts_def network_rm_defs[] = {
	{"force", 'f', OPTS_BOOL, offsetof(struct network_rm_opts, force), NULL,
	 "Do not error if the network does not exist"},
	OPTS_END,
};

/* Remove one network; like the docker CLI, look at it first (errors of that
 * look are ignored). */
static int network_rm_one(struct client *c, const char *name, struct berr **err)
{
	_cleanup_free_ char *esc = client_escape(name);
	_cleanup_free_ char *path = xasprintf("/networks/%s", esc);
	json_t *n = NULL;

	if (client_get(c, path, &n, NULL) == 0)
		json_decref(n);
	return client_delete(c, path, err);
}

static int network_rm_exec(struct cli *cli, void *opts, int argc, char **argv)
{
	struct network_rm_opts *o = opts;
	struct strv errors = {0};
	struct client *c = NULL;
	int rc;

	if (cmd_connect(cli, &c))
		return 1;
	for (int i = 0; i < argc; i++) {
		_cleanup_berr_ struct berr *err = NULL;
		int r = network_rm_one(c, argv[i], &err);

		if (r == 0)
			printf("%s\n", argv[i]);
		else if (!(o->force && r == -ENOENT))
			strv_push(&errors, berr_msg(err));
	}
	for (size_t i = 0; i < errors.n; i++)
		fprintf(stderr, "%s\n", errors.v[i]);
	rc = errors.n ? 1 : 0;
	strv_done(&errors);
	client_free(c);
	return rc;
}

const struct cmd_entry cmd_network_rm_entry = {
	.group = "network",
	.name = "rm",
	.alias = "remove",
	.args_usage = "NETWORK [NETWORK...]",
	.summary = "Remove one or more networks",
	.min_args = 1,
	.max_args = -1,
	.opts = network_rm_defs,
	.opts_size = sizeof(struct network_rm_opts),
	.exec = network_rm_exec,
};

/* --- prune --- */

struct network_prune_opts {
	bool force;
	struct strv filters;
};

static const struct opts_def network_prune_defs[] = {
	{"filter", 0, OPTS_LIST, offsetof(struct network_prune_opts, filters), "filter",
	 "Provide filter values (e.g. \"until=<timestamp>\")"},
	{"force", 'f', OPTS_BOOL, offsetof(struct network_prune_opts, force), NULL,
	 "Do not prompt for confirmation"},
	OPTS_END,
};

#define NETWORK_PRUNE_WARNING                                                                      \
	"WARNING! This will remove all custom networks not used by at least one container.\n"      \
	"Are you sure you want to continue? [y/N] "

static void network_prune_print(json_t *reply)
{
	json_t *deleted = json_object_get(reply, "NetworksDeleted"), *n;
	size_t i;

	if (!json_array_size(deleted))
		return;
	printf("Deleted Networks:\n");
	json_array_foreach (deleted, i, n)
		printf("%s\n", json_string_value(n) ?: "");
}

static int network_prune_exec(struct cli *cli, void *opts, int argc, char **argv)
{
	struct network_prune_opts *o = opts;
	_cleanup_berr_ struct berr *err = NULL;
	_cleanup_free_ char *path = xstrdup("/networks/prune");
	struct client *c = NULL;
	json_t *reply = NULL;
	int rc = 0;

	(void)argc, (void)argv;
	if (format_filters_query(&path, &o->filters, &err) < 0)
		return cmd_fail(err);
	if (!o->force && !cmd_confirm(NETWORK_PRUNE_WARNING, stdin))
		return 0;
	if (cmd_connect(cli, &c))
		return 1;
	if (client_post(c, path, NULL, &reply, &err) < 0)
		rc = cmd_fail(err);
	else
		network_prune_print(reply);
	json_decref(reply);
	client_free(c);
	return rc;
}

const struct cmd_entry cmd_network_prune_entry = {
	.group = "network",
	.name = "prune",
	.args_usage = "[OPTIONS]",
	.summary = "Remove all unused networks",
	.max_args = 0,
	.opts = network_prune_defs,
	.opts_size = sizeof(struct network_prune_opts),
	.exec = network_prune_exec,
};

/* --- connect, disconnect --- */

#define NX(f) offsetof(struct netopts_connect, f)

static const struct opts_def network_connect_defs[] = {
	{"alias", 0, OPTS_STRINGS, NX(aliases), "strings",
	 "Add network-scoped alias for the container"},
	{"driver-opt", 0, OPTS_STRINGS, NX(driver_opts), "strings",
	 "driver options for the network"},
	{"gw-priority", 0, OPTS_STRING, NX(gw_priority), "int",
	 "Highest gw-priority provides the default gateway. Accepts positive and negative "
	 "values."},
	{"ip", 0, OPTS_STRING, NX(ip), "string", "IPv4 address (e.g., \"172.30.100.104\")"},
	{"ip6", 0, OPTS_STRING, NX(ip6), "string", "IPv6 address (e.g., \"2001:db8::33\")"},
	{"link", 0, OPTS_LIST, NX(links), "list", "Add link to another container"},
	{"link-local-ip", 0, OPTS_STRINGS, NX(link_local_ips), "strings",
	 "Add a link-local address for the container"},
	OPTS_END,
};

/* --link and --gw-priority are checked as docker parses them. */
static int network_connect_check(void *opts, struct berr **err)
{
	struct netopts_connect *o = opts;
	int r = opts_check_list(&o->links, "--link", netopts_check_link, err);

	if (r == 0)
		r = opts_check_string(&o->gw_priority, "--gw-priority", netopts_check_int, err);
	return r;
}

/* POST /networks/{network}/<verb> with body; nothing is printed. */
static int network_post_verb(struct cli *cli, const char *network, const char *verb, json_t *body)
{
	_cleanup_berr_ struct berr *err = NULL;
	_cleanup_free_ char *esc = client_escape(network);
	_cleanup_free_ char *path = xasprintf("/networks/%s/%s", esc, verb);
	struct client *c = NULL;
	int rc = 0;

	if (cmd_connect(cli, &c))
		return 1;
	if (client_post(c, path, body, NULL, &err) < 0)
		rc = cmd_fail(err);
	client_free(c);
	return rc;
}

static int network_connect_exec(struct cli *cli, void *opts, int argc, char **argv)
{
	_cleanup_berr_ struct berr *err = NULL;
	json_t *body = NULL;
	int rc;

	(void)argc;
	if (netopts_connect_body(argv[1], opts, &body, &err) < 0)
		return cmd_fail(err);
	rc = network_post_verb(cli, argv[0], "connect", body);
	json_decref(body);
	return rc;
}

const struct cmd_entry cmd_network_connect_entry = {
	.group = "network",
	.name = "connect",
	.args_usage = "[OPTIONS] NETWORK CONTAINER",
	.summary = "Connect a container to a network",
	.min_args = 2,
	.max_args = 2,
	.opts = network_connect_defs,
	.opts_size = sizeof(struct netopts_connect),
	.exec = network_connect_exec,
	.flag_status = 125,
	.check = network_connect_check,
};

struct network_disconnect_opts {
	bool force;
};

static const struct opts_def network_disconnect_defs[] = {
	{"force", 'f', OPTS_BOOL, offsetof(struct network_disconnect_opts, force), NULL,
	 "Force the container to disconnect from a network"},
	OPTS_END,
};

static int network_disconnect_exec(struct cli *cli, void *opts, int argc, char **argv)
{
	struct network_disconnect_opts *o = opts;
	json_t *body = netopts_disconnect_body(argv[1], o->force);
	int rc = network_post_verb(cli, argv[0], "disconnect", body);

	(void)argc;
	json_decref(body);
	return rc;
}

const struct cmd_entry cmd_network_disconnect_entry = {
	.group = "network",
	.name = "disconnect",
	.args_usage = "[OPTIONS] NETWORK CONTAINER",
	.summary = "Disconnect a container from a network",
	.min_args = 2,
	.max_args = 2,
	.opts = network_disconnect_defs,
	.opts_size = sizeof(struct network_disconnect_opts),
	.exec = network_disconnect_exec,
	.flag_status = 125,
};
