/* cmd-system.c - `berth version` and `berth info`: the client's own facts
 * and GET /version, GET /info, laid out as docker prints them (or through
 * --format). */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "cli/cli.h"
#include "cli/client.h"
#include "cli/format.h"
#include "cli/table.h"
#include "core/util.h"

/* docker's version layout: tabwriter minwidth 20, padding 1. */
#define SYSTEM_VERSION_MINWIDTH 20

struct system_opts {
	char *format;
};

static const struct opts_def system_opts_defs[] = {
	{"format", 'f', OPTS_STRING, offsetof(struct system_opts, format), "string",
	 "Format output using a custom template: 'json' or a Go template"},
	OPTS_END,
};

/* A string member of o, "" when missing. */
static const char *system_str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

/* The Client part of `version`, with docker's field names. */
static json_t *system_client_version(void)
{
	struct utsname u;

	uname(&u);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "Version", CLI_VERSION,
			 "ApiVersion", CLI_API_VERSION, "DefaultAPIVersion", CLI_API_VERSION, "Os",
			 "linux", "Arch", u.machine, "BuildTime", "", "Context", "default");
}

/* The Engine details: the Engine component's Details if there is one. */
static json_t *system_engine_details(json_t *server)
{
	size_t i;
	json_t *c;

	json_array_foreach (json_object_get(server, "Components"), i, c)
		if (streq(system_str(c, "Name"), "Engine") && json_object_get(c, "Details"))
			return json_object_get(c, "Details");
	return server;
}

static void system_print_server_version(struct table *t, json_t *server)
{
	json_t *d = system_engine_details(server);
	_cleanup_free_ char *text = NULL;

	text = xasprintf("\nServer: %s\n Engine:\n"
			 "  Version:\t%s\n"
			 "  API version:\t%s (minimum version %s)\n"
			 "  Git commit:\t%s\n"
			 "  Built:\t%s\n"
			 "  OS/Arch:\t%s/%s\n"
			 "  Kernel version:\t%s\n",
			 system_str(json_object_get(server, "Platform"), "Name"),
			 system_str(server, "Version"), system_str(d, "ApiVersion"),
			 system_str(d, "MinAPIVersion"), system_str(d, "GitCommit"),
			 system_str(d, "BuildTime"), system_str(d, "Os"), system_str(d, "Arch"),
			 system_str(d, "KernelVersion"));
	table_add(t, text);
}

/* The plain layout of `version`; server may be NULL (daemon down). */
static void system_print_version(json_t *client, json_t *server)
{
	_cleanup_free_ char *text = NULL, *out = NULL;
	struct table t;

	table_init(&t, SYSTEM_VERSION_MINWIDTH, 1);
	text = xasprintf("Client:\n Version:\t%s\n API version:\t%s\n OS/Arch:\t%s/%s\n",
			 system_str(client, "Version"), system_str(client, "ApiVersion"),
			 system_str(client, "Os"), system_str(client, "Arch"));
	table_add(&t, text);
	if (server)
		system_print_server_version(&t, server);
	out = table_render(&t);
	fputs(out, stdout);
	table_done(&t);
}

static int system_version_exec(struct cli *cli, void *opts, int argc, char **argv)
{
	struct system_opts *o = opts;
	_cleanup_berr_ struct berr *err = NULL, *ferr = NULL;
	struct client *c = NULL;
	json_t *server = NULL, *all;
	int rc = 0;

	(void)argc, (void)argv;
	if (cmd_connect(cli, &c))
		return 1;
	if (client_get(c, "/version", &server, &err) < 0)
		server = NULL;
	all = json_pack("{s:o, s:o*}", "Client", system_client_version(), "Server", server);
	if (o->format && format_object_print(o->format, all, stdout, &ferr) < 0)
		rc = cmd_fail(ferr);
	else if (!o->format)
		system_print_version(json_object_get(all, "Client"), server);
	if (err)
		rc = cmd_fail(err);
	json_decref(all);
	client_free(c);
	return rc;
}

const struct cmd_entry cmd_version_entry = {
	.name = "version",
	.args_usage = "[OPTIONS]",
	.summary = "Show the berth version information",
	.max_args = 0,
	.opts = system_opts_defs,
	.opts_size = sizeof(struct system_opts),
	.exec = system_version_exec,
};

/* "  Network: bridge host null" for each plugin kind. */
static void system_print_plugins(json_t *plugins)
{
	static const char *const kinds[] = {"Volume", "Network", "Authorization", "Log"};

	printf(" Plugins:\n");
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
		json_t *list = json_object_get(plugins, kinds[i]), *p;
		size_t k;

		if (!json_array_size(list))
			continue;
		printf("  %s:", kinds[i]);
		json_array_foreach (list, k, p)
			printf(" %s", json_string_value(p) ? json_string_value(p) : "");
		printf("\n");
	}
}

/* "name=seccomp,profile=builtin" as "  seccomp\n   Profile: builtin". */
static void system_print_security(json_t *options)
{
	size_t i;
	json_t *o;

	if (!json_array_size(options))
		return;
	printf(" Security Options:\n");
	json_array_foreach (options, i, o) {
		_cleanup_free_ char *copy =
			xstrdup(json_string_value(o) ? json_string_value(o) : "");
		char *save = NULL;

		for (char *kv = strtok_r(copy, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
			_cleanup_free_ char *k = NULL, *v = NULL;

			opts_split_kv(kv, &k, &v);
			if (streq(k, "name"))
				printf("  %s\n", v);
			else
				printf("   %c%s: %s\n", (char)toupper((unsigned char)k[0]), k + 1,
				       v);
		}
	}
}

static json_int_t system_int(json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

static void system_print_info(json_t *info)
{
	_cleanup_free_ char *mem = format_bytes((double)system_int(info, "MemTotal"));
	json_t *swarm = json_object_get(info, "Swarm");

	printf("Client:\n Version:    %s\n Debug Mode: false\n\nServer:\n", CLI_VERSION);
	printf(" Containers: %" JSON_INTEGER_FORMAT "\n  Running: %" JSON_INTEGER_FORMAT
	       "\n  Paused: %" JSON_INTEGER_FORMAT "\n  Stopped: %" JSON_INTEGER_FORMAT "\n",
	       system_int(info, "Containers"), system_int(info, "ContainersRunning"),
	       system_int(info, "ContainersPaused"), system_int(info, "ContainersStopped"));
	printf(" Images: %" JSON_INTEGER_FORMAT "\n Server Version: %s\n Storage Driver: %s\n"
	       " Logging Driver: %s\n Cgroup Driver: %s\n Cgroup Version: %s\n",
	       system_int(info, "Images"), system_str(info, "ServerVersion"),
	       system_str(info, "Driver"), system_str(info, "LoggingDriver"),
	       system_str(info, "CgroupDriver"), system_str(info, "CgroupVersion"));
	system_print_plugins(json_object_get(info, "Plugins"));
	printf(" Swarm: %s\n", *system_str(swarm, "LocalNodeState")
				       ? system_str(swarm, "LocalNodeState")
				       : "inactive");
	system_print_security(json_object_get(info, "SecurityOptions"));
	printf(" Kernel Version: %s\n Operating System: %s\n OSType: %s\n Architecture: %s\n"
	       " CPUs: %" JSON_INTEGER_FORMAT "\n Total Memory: %s\n Name: %s\n ID: %s\n"
	       " Berth Root Dir: %s\n Debug Mode: false\n",
	       system_str(info, "KernelVersion"), system_str(info, "OperatingSystem"),
	       system_str(info, "OSType"), system_str(info, "Architecture"),
	       system_int(info, "NCPU"), mem, system_str(info, "Name"), system_str(info, "ID"),
	       system_str(info, "DockerRootDir"));
}

/* Warnings go to stderr, one a line, as docker prints them. */
static void system_print_warnings(json_t *info)
{
	size_t i;
	json_t *w;

	json_array_foreach (json_object_get(info, "Warnings"), i, w)
		if (json_string_value(w))
			fprintf(stderr, "%s\n", json_string_value(w));
}

static int system_info_exec(struct cli *cli, void *opts, int argc, char **argv)
{
	struct system_opts *o = opts;
	_cleanup_berr_ struct berr *err = NULL;
	struct client *c = NULL;
	json_t *info = NULL;
	int rc = 0;

	(void)argc, (void)argv;
	if (cmd_connect(cli, &c))
		return 1;
	if (client_get(c, "/info", &info, &err) < 0 || !json_is_object(info)) {
		rc = err ? cmd_fail(err) : (fprintf(stderr, "invalid reply to GET /info\n"), 1);
	} else if (o->format) {
		json_object_set_new(info, "ClientInfo",
				    json_pack("{s:s, s:b}", "Version", CLI_VERSION, "Debug", 0));
		if (format_object_print(o->format, info, stdout, &err) < 0)
			rc = cmd_fail(err);
	} else {
		system_print_info(info);
		system_print_warnings(info);
	}
	json_decref(info);
	client_free(c);
	return rc;
}

const struct cmd_entry cmd_info_entry = {
	.name = "info",
	.args_usage = "[OPTIONS]",
	.summary = "Display system-wide information",
	.max_args = 0,
	.opts = system_opts_defs,
	.opts_size = sizeof(struct system_opts),
	.exec = system_info_exec,
};
