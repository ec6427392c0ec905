/* cmd-commit.c - `berth commit` and `berth rename` (and their `berth
 * container ...` forms): POST /commit?container=&repo=&tag=&... which
 * prints the new image's id, and POST /containers/{id}/rename?name=. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/client.h"
#include "cli/cmd-container.h"
#include "cli/cmd-exec.h"
#include "core/util.h"

/* --- commit --- */

struct commit_opts {
	char *author, *message;
	struct strv changes;
	struct opts_optbool pause;
};

static const struct opts_def commit_defs[] = {
	{"author", 'a', OPTS_STRING, offsetof(struct commit_opts, author), "string",
	 "Author (e.g., \"John Hannibal Smith <hannibal@a-team.com>\")"},
	{"change", 'c', OPTS_LIST, offsetof(struct commit_opts, changes), "list",
	 "Apply Dockerfile instruction to the created image"},
	{"message", 'm', OPTS_STRING, offsetof(struct commit_opts, message), "string",
	 "Commit message"},
	{"pause", 'p', OPTS_OPTBOOL, offsetof(struct commit_opts, pause), NULL,
	 "Pause container during commit (default true)"},
	OPTS_END,
};

void commit_split_ref(const char *ref, char **ret_repo, char **ret_tag)
{
	const char *colon = strrchr(ref, ':'), *slash = strrchr(ref, '/');

	if (colon && (!slash || colon > slash)) {
		*ret_repo = xstrndup(ref, (size_t)(colon - ref));
		*ret_tag = xstrdup(colon + 1);
	} else {
		*ret_repo = xstrdup(ref);
		*ret_tag = NULL;
	}
}

/* The query of POST /commit; the changes go one a line. */
static char *commit_path(const struct commit_opts *o, const char *ctr, const char *ref)
{
	_cleanup_free_ char *repo = NULL, *tag = NULL, *changes = NULL;
	char *path = xstrdup("/commit");
	size_t len = 0;
	FILE *f;

	client_query_add(&path, "author", o->author ?: "");
	if (o->changes.n) {
		f = open_memstream(&changes, &len);
		for (size_t i = 0; i < o->changes.n; i++)
			fprintf(f, "%s%s", i ? "\n" : "", o->changes.v[i]);
		fclose(f);
		client_query_add(&path, "changes", changes);
	}
	client_query_add(&path, "comment", o->message ?: "");
	client_query_add(&path, "container", ctr);
	client_query_add(&path, "pause", !o->pause.set || o->pause.value ? "1" : "0");
	if (ref) {
		commit_split_ref(ref, &repo, &tag);
		client_query_add(&path, "repo", repo);
		client_query_add(&path, "tag", tag ?: "");
	}
	return path;
}

static int commit_exec(struct cli *cli, void *opts, int argc, char **argv)
{
	const struct commit_opts *o = opts;
	_cleanup_berr_ struct berr *err = NULL;
	_cleanup_free_ char *path = commit_path(o, argv[0], argc > 1 ? argv[1] : NULL);
	struct client *c = NULL;
	json_t *reply = NULL;
	int r;

	if (cmd_connect(cli, &c))
		return 1;
	r = client_post(c, path, NULL, &reply, &err);
	client_free(c);
	if (r < 0)
		return cmd_fail(err);
	printf("%s\n", json_string_value(json_object_get(reply, "Id")) ?: "");
	json_decref(reply);
	return 0;
}

/* --- rename --- */

static const struct opts_def rename_defs[] = {
	OPTS_END,
};

static int rename_exec(struct cli *cli, void *opts, int argc, char **argv)
{
	_cleanup_berr_ struct berr *err = NULL;
	_cleanup_free_ char *esc = NULL, *path = NULL;
	struct client *c = NULL;
	int r;

	(void)opts, (void)argc;
	if (!*argv[0] || !*argv[1]) {
		fprintf(stderr, "Error: Neither old nor new names may be empty\n");
		return 1;
	}
	esc = client_escape(argv[0]);
	path = xasprintf("/containers/%s/rename", esc);
	client_query_add(&path, "name", argv[1]);
	if (cmd_connect(cli, &c))
		return 1;
	r = client_post(c, path, NULL, NULL, &err);
	client_free(c);
	return r < 0 ? cmd_fail(err) : 0;
}

#define COMMIT_ENTRY(grp)                                                                          \
	{                                                                                          \
		.group = grp, .name = "commit",                                                    \
		.args_usage = "[OPTIONS] CONTAINER [REPOSITORY[:TAG]]",                            \
		.summary = "Create a new image from a container's changes", .min_args = 1,         \
		.max_args = 2, .opts = commit_defs, .opts_size = sizeof(struct commit_opts),       \
		.exec = commit_exec,                                                               \
	}

#define RENAME_ENTRY(grp)                                                                          \
	{                                                                                          \
		.group = grp, .name = "rename", .args_usage = "CONTAINER NEW_NAME",                \
		.summary = "Rename a container", .min_args = 2, .max_args = 2,                     \
		.opts = rename_defs, .opts_size = 1, .exec = rename_exec,                          \
	}

const struct cmd_entry cmd_commit_entry = COMMIT_ENTRY(NULL);
const struct cmd_entry cmd_container_commit_entry = COMMIT_ENTRY("container");
const struct cmd_entry cmd_rename_entry = RENAME_ENTRY(NULL);
const struct cmd_entry cmd_container_rename_entry = RENAME_ENTRY("container");
