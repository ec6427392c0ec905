/* cmd.c - the table of every berth command and the dispatch from argv to
 * one of them: find the group and the verb (or alias), parse the flags by
 * the command's option table, check the argument count, run it.  Adding a
 * command is its entry in a cmd-<group>.c file and one line here. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/client.h"
#include "core/util.h"

extern const struct cmd_entry cmd_version_entry;
extern const struct cmd_entry cmd_info_entry;
extern const struct cmd_entry cmd_network_create_entry;
extern const struct cmd_entry cmd_network_ls_entry;
extern const struct cmd_entry cmd_network_inspect_entry;
extern const struct cmd_entry cmd_network_rm_entry;
extern const struct cmd_entry cmd_network_prune_entry;
extern const struct cmd_entry cmd_network_connect_entry, cmd_network_disconnect_entry;
extern const struct cmd_entry cmd_image_import_entry, cmd_import_entry, cmd_image_ls_entry,
	cmd_images_entry, cmd_image_rm_entry, cmd_rmi_entry, cmd_image_tag_entry, cmd_tag_entry,
	cmd_image_inspect_entry;
extern const struct cmd_entry cmd_volume_create_entry, cmd_volume_ls_entry,
	cmd_volume_inspect_entry, cmd_volume_rm_entry, cmd_volume_prune_entry;
extern const struct cmd_entry cmd_run_entry, cmd_create_entry, cmd_start_entry, cmd_stop_entry,
	cmd_restart_entry, cmd_kill_entry, cmd_rm_entry, cmd_ps_entry, cmd_logs_entry,
	cmd_inspect_entry, cmd_wait_entry, cmd_attach_entry, cmd_port_entry;
extern const struct cmd_entry cmd_container_run_entry, cmd_container_create_entry,
	cmd_container_start_entry, cmd_container_stop_entry, cmd_container_restart_entry,
	cmd_container_kill_entry, cmd_container_rm_entry, cmd_container_ls_entry,
	cmd_container_ps_entry, cmd_container_logs_entry, cmd_container_inspect_entry,
	cmd_container_wait_entry, cmd_container_attach_entry, cmd_container_port_entry;
extern const struct cmd_entry cmd_exec_entry, cmd_container_exec_entry, cmd_events_entry,
	cmd_system_events_entry, cmd_commit_entry, cmd_container_commit_entry, cmd_rename_entry,
	cmd_container_rename_entry;
extern const struct cmd_entry cmd_cp_entry, cmd_container_cp_entry, cmd_export_entry,
	cmd_container_export_entry, cmd_save_entry, cmd_image_save_entry, cmd_load_entry,
	cmd_image_load_entry;
extern const struct cmd_entry cmd_pull_entry, cmd_image_pull_entry, cmd_push_entry,
	cmd_image_push_entry, cmd_login_entry, cmd_logout_entry, cmd_history_entry,
	cmd_image_history_entry, cmd_image_prune_entry;

const struct cmd_entry *const cmd_table[] = {
	&cmd_info_entry,
	&cmd_version_entry,
	&cmd_network_connect_entry,
	&cmd_network_create_entry,
	&cmd_network_disconnect_entry,
	&cmd_network_inspect_entry,
	&cmd_network_ls_entry,
	&cmd_network_prune_entry,
	&cmd_network_rm_entry,
	&cmd_image_import_entry,
	&cmd_image_load_entry,
	&cmd_image_pull_entry,
	&cmd_image_push_entry,
	&cmd_pull_entry,
	&cmd_push_entry,
	&cmd_login_entry,
	&cmd_logout_entry,
	&cmd_history_entry,
	&cmd_image_history_entry,
	&cmd_image_prune_entry,
	&cmd_image_save_entry,
	&cmd_load_entry,
	&cmd_save_entry,
	&cmd_image_inspect_entry,
	&cmd_image_ls_entry,
	&cmd_image_rm_entry,
	&cmd_image_tag_entry,
	&cmd_images_entry,
	&cmd_import_entry,
	&cmd_rmi_entry,
	&cmd_tag_entry,
	&cmd_volume_create_entry,
	&cmd_volume_inspect_entry,
	&cmd_volume_ls_entry,
	&cmd_volume_prune_entry,
	&cmd_volume_rm_entry,
	&cmd_attach_entry,
	&cmd_create_entry,
	&cmd_inspect_entry,
	&cmd_kill_entry,
	&cmd_logs_entry,
	&cmd_port_entry,
	&cmd_ps_entry,
	&cmd_restart_entry,
	&cmd_rm_entry,
	&cmd_run_entry,
	&cmd_start_entry,
	&cmd_stop_entry,
	&cmd_wait_entry,
	&cmd_container_attach_entry,
	&cmd_container_create_entry,
	&cmd_container_inspect_entry,
	&cmd_container_kill_entry,
	&cmd_container_logs_entry,
	&cmd_container_ls_entry,
	&cmd_container_port_entry,
	&cmd_container_ps_entry,
	&cmd_container_restart_entry,
	&cmd_container_rm_entry,
	&cmd_container_run_entry,
	&cmd_container_start_entry,
	&cmd_container_stop_entry,
	&cmd_container_wait_entry,
	&cmd_commit_entry,
	&cmd_events_entry,
	&cmd_exec_entry,
	&cmd_rename_entry,
	&cmd_container_commit_entry,
	&cmd_container_exec_entry,
	&cmd_container_rename_entry,
	&cmd_system_events_entry,
	&cmd_cp_entry,
	&cmd_export_entry,
	&cmd_container_cp_entry,
	&cmd_container_export_entry,
	NULL,
};

int cmd_fail(const struct berr *err)
{
	fprintf(stderr, "%s\n", berr_msg(err));
	return 1;
}

bool cmd_confirm(const char *warning, FILE *in)
{
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;
	char *s;

	fputs(warning, stdout);
	fflush(stdout);
	if (getline(&line, &cap, in) < 0)
		return false;
	s = line + strspn(line, " \t");
	s[strcspn(s, " \t\r\n")] = '\0';
	return streq(s, "y") || streq(s, "Y");
}

int cmd_connect(struct cli *cli, struct client **ret)
{
	_cleanup_berr_ struct berr *err = NULL;

	if (client_new(cli->host, ret, &err) < 0)
		return cmd_fail(err);
	return 0;
}

/* Groups and their one-line descriptions, for the help texts. */
static const struct {
	const char *name;
	const char *summary;
} cmd_groups[] = {
	{"container", "Manage containers"}, {"image", "Manage images"},
	{"network", "Manage networks"},	    {"system", "Manage Berth"},
	{"volume", "Manage volumes"},
};

static const char *cmd_group_summary(const char *group)
{
	for (size_t i = 0; i < ARRAY_SIZE(cmd_groups); i++)
		if (streq(cmd_groups[i].name, group))
			return cmd_groups[i].summary;
	return NULL;
}

static bool cmd_matches(const struct cmd_entry *e, const char *group, const char *name)
{
	if ((e->group == NULL) != (group == NULL) || (group && !streq(e->group, group)))
		return false;
	return streq(e->name, name) || (e->alias && streq(e->alias, name));
}

static const struct cmd_entry *cmd_find(const char *group, const char *name)
{
	for (size_t i = 0; cmd_table[i]; i++)
		if (cmd_matches(cmd_table[i], group, name))
			return cmd_table[i];
	return NULL;
}

void cmd_print_help(void)
{
	printf("\nUsage:  berth [OPTIONS] COMMAND\n\n"
	       "A networking-centric container engine\n\nCommands:\n");
	for (size_t i = 0; cmd_table[i]; i++)
		if (!cmd_table[i]->group)
			printf("  %-11s %s\n", cmd_table[i]->name, cmd_table[i]->summary);
	printf("\nManagement Commands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(cmd_groups); i++)
		printf("  %-11s %s\n", cmd_groups[i].name, cmd_groups[i].summary);
	printf("\nGlobal Options:\n"
	       "  -H, --host string   Daemon socket to connect to (unix://PATH)\n"
	       "      --help          Print usage\n"
	       "  -v, --version       Print version information and quit\n"
	       "\nRun 'berth COMMAND --help' for more information on a command.\n");
}

static void cmd_print_group_help(const char *group)
{
	printf("\nUsage:  berth %s COMMAND\n\n%s\n\nCommands:\n", group, cmd_group_summary(group));
	for (size_t i = 0; cmd_table[i]; i++)
		if (cmd_table[i]->group && streq(cmd_table[i]->group, group))
			printf("  %-11s %s\n", cmd_table[i]->name, cmd_table[i]->summary);
	printf("\nRun 'berth %s COMMAND --help' for more information on a command.\n", group);
}

/* Parse the flags of e from argv and run it. */
static int cmd_exec(struct cli *cli, const struct cmd_entry *e, int argc, char **argv)
{
	_cleanup_berr_ struct berr *err = NULL;
	struct strv args = {0};
	void *opts = xcalloc(1, e->opts_size ? e->opts_size : 1);
	int r, rc;

	r = opts_parse_mode(e->opts, opts, argc, argv, !e->no_interspersed, &args, &err);
	if (r == 0 && e->check)
		r = e->check(opts, &err);
	if (r == 1) {
		opts_print_help(e);
		rc = 0;
	} else if (r < 0) {
		rc = opts_usage_error(e, "%s", berr_msg(err));
		if (e->flag_status)
			rc = e->flag_status;
	} else if (!(rc = opts_check_args(e, (int)args.n))) {
		rc = e->exec(cli, opts, (int)args.n, args.v);
	}
	opts_free(e->opts, opts);
	if (e->opts_free)
		e->opts_free(opts);
	free(opts);
	strv_done(&args);
	return rc;
}

/* "berth network VERB ...". */
static int cmd_run_group(struct cli *cli, const char *group, int argc, char **argv)
{
	const struct cmd_entry *e;

	if (argc < 2 || streq(argv[1], "--help") || streq(argv[1], "-h")) {
		cmd_print_group_help(group);
		return 0;
	}
	e = cmd_find(group, argv[1]);
	if (!e) {
		fprintf(stderr, "berth: '%s' is not a berth %s command.\nSee 'berth %s --help'.\n",
			argv[1], group, group);
		return 1;
	}
	return cmd_exec(cli, e, argc - 1, argv + 1);
}

int cmd_run(struct cli *cli, int argc, char **argv)
{
	const struct cmd_entry *e;

	if (argc < 1) {
		cmd_print_help();
		return 0;
	}
	if (cmd_group_summary(argv[0]))
		return cmd_run_group(cli, argv[0], argc, argv);
	e = cmd_find(NULL, argv[0]);
	if (!e) {
		fprintf(stderr, "berth: '%s' is not a berth command.\nSee 'berth --help'.\n",
			argv[0]);
		return 1;
	}
	return cmd_exec(cli, e, argc, argv);
}
