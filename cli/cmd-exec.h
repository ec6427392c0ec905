/* cmd-exec.h - exec, events, rename and commit: what their files
 * (cmd-exec.c, cmd-events.c, cmd-commit.c) let unit tests call. */
#ifndef BERTH_CLI_CMD_EXEC_H
#define BERTH_CLI_CMD_EXEC_H

#include <jansson.h>
#include <stdbool.h>

#include "cli/cli.h"
#include "core/berr.h"

/* The flags of exec. */
struct exec_opts {
	bool detach, interactive, tty, privileged;
	char *user, *workdir, *detach_keys;
	struct strv env;
};

extern const struct opts_def exec_defs[];

/* The POST /containers/{id}/exec body for o and argv (COMMAND [ARG...])
 * as the docker CLI encodes it.  Caller decrefs. */
json_t *exec_create_body(const struct exec_opts *o, int argc, char **argv);

/* One event as docker's default line ("2026-11-27T20:45:09.123456789Z
 * container start <id> (image=busybox, name=web)", attributes sorted,
 * newline included), the time in the local zone.  Caller frees. */
char *events_line(json_t *ev);

/* "repo:tag" (tag after the last ':' past the last '/') into its parts;
 * new strings, caller frees; *ret_tag NULL without a tag. */
void commit_split_ref(const char *ref, char **ret_repo, char **ret_tag);

#endif
