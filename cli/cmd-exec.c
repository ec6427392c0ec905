/* cmd-exec.c - `berth exec` and `berth container exec`: what the docker
 * CLI sends (§9): inspect the container, POST /containers/{id}/exec, then
 * POST /exec/{id}/start either detached (a JSON body, no upgrade) or
 * hijacked (101; attach.c pumps stdin, raw TTY and stdcopy), and the exit
 * code from GET /exec/{id}/json. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cli/client.h"
#include "cli/cmd-container.h"
#include "cli/cmd-exec.h"
#include "core/util.h"

const struct opts_def exec_defs[] = {
	{"detach", 'd', OPTS_BOOL, offsetof(struct exec_opts, detach), NULL,
	 "Detached mode: run command in the background"},
	{"detach-keys", 0, OPTS_STRING, offsetof(struct exec_opts, detach_keys), "string",
	 "Override the key sequence for detaching a container"},
	{"env", 'e', OPTS_LIST, offsetof(struct exec_opts, env), "list",
	 "Set environment variables"},
	{"interactive", 'i', OPTS_BOOL, offsetof(struct exec_opts, interactive), NULL,
	 "Keep STDIN open even if not attached"},
	{"privileged", 0, OPTS_BOOL, offsetof(struct exec_opts, privileged), NULL,
	 "Give extended privileges to the command"},
	{"tty", 't', OPTS_BOOL, offsetof(struct exec_opts, tty), NULL, "Allocate a pseudo-TTY"},
	{"user", 'u', OPTS_STRING, offsetof(struct exec_opts, user), "string",
	 "Username or UID (format: \"<name|uid>[:<group|gid>]\")"},
	{"workdir", 'w', OPTS_STRING, offsetof(struct exec_opts, workdir), "string",
	 "Working directory inside the container"},
	OPTS_END,
};

/* "K=V" as is, "K" from our environment (left bare when unset). */
static json_t *exec_env(const struct strv *env)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < env->n; i++) {
		const char *kv = env->v[i], *v = strchr(kv, '=') ? NULL : getenv(kv);

		json_array_append_new(arr, v ? json_sprintf("%s=%s", kv, v) : json_string(kv));
	}
	return arr;
}

json_t *exec_create_body(const struct exec_opts *o, int argc, char **argv)
{
	json_t *cmd = json_array();
	bool out = !o->detach;

	for (int i = 0; i < argc; i++)
		json_array_append_new(cmd, json_string(argv[i]));
	return json_pack("{s:s, s:b, s:b, s:b, s:b, s:b, s:b, s:s, s:o, s:s, s:o}", "User",
			 o->user ?: "", "Privileged", o->privileged, "Tty", o->tty, "AttachStdin",
			 out && o->interactive, "AttachStderr", out, "AttachStdout", out, "Detach",
			 o->detach, "DetachKeys", o->detach_keys ?: "", "Env",
			 o->env.n ? exec_env(&o->env) : json_null(), "WorkingDir", o->workdir ?: "",
			 "Cmd", cmd);
}

/* POST /containers/{name}/exec: the new exec's id into *ret (caller frees). */
static int exec_create(struct client *c, const struct exec_opts *o, const char *name, int argc,
		       char **argv, char **ret, struct berr **err)
{
	_cleanup_free_ char *esc = client_escape(name);
	_cleanup_free_ char *path = xasprintf("/containers/%s/exec", esc);
	json_t *body = exec_create_body(o, argc, argv), *reply = NULL;
	const char *id;
	int r = client_post(c, path, body, &reply, err);

	json_decref(body);
	if (r < 0)
		return r;
	id = json_string_value(json_object_get(reply, "Id"));
	if (!id)
		r = berr_set(err, EPROTO, "exec create: the daemon sent no Id");
	else
		*ret = xstrdup(id);
	json_decref(reply);
	return r;
}

/* POST /exec/{id}/resize with the terminal's size, if stdout is one. */
static void exec_resize(struct client *c, const char *id)
{
	_cleanup_free_ char *path = NULL;
	struct winsize ws;

	if (!isatty(STDOUT_FILENO) || ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) < 0 || !ws.ws_row)
		return;
	path = xasprintf("/exec/%s/resize?h=%u&w=%u", id, ws.ws_row, ws.ws_col);
	client_post(c, path, NULL, NULL, NULL);
}

/* The hijacked start: stream until the process ends. */
static int exec_attached(struct cli *cli, struct client *c, const struct exec_opts *o,
			 const char *id, struct berr **err)
{
	_cleanup_free_ char *path = xasprintf("/exec/%s/start", id);
	struct attach_conn *ac = NULL;
	int r = attach_open(cli->host, "POST", path, true, &ac, err);

	if (r < 0)
		return r;
	if (o->tty)
		exec_resize(c, id);
	r = attach_pump(ac, o->tty, o->interactive, cli->host, NULL, err);
	attach_close(ac);
	return r;
}

/* GET /exec/{id}/json: its ExitCode. */
static int exec_exit_code(struct client *c, const char *id, int *ret, struct berr **err)
{
	_cleanup_free_ char *path = xasprintf("/exec/%s/json", id);
	json_t *info = NULL, *code;
	int r = client_get(c, path, &info, err);

	if (r < 0)
		return r;
	code = json_object_get(info, "ExitCode");
	*ret = json_is_integer(code) ? (int)json_integer_value(code) : 0;
	json_decref(info);
	return 0;
}

/* Create, start and wait for the exec; the exit code for berth. */
static int exec_run(struct cli *cli, struct client *c, const struct exec_opts *o, int argc,
		    char **argv, struct berr **err)
{
	_cleanup_free_ char *id = NULL, *path = NULL;
	json_t *info = NULL, *body;
	int status = 0, r;

	if ((r = ctr_inspect(c, argv[0], &info, err)) < 0)
		return r;
	json_decref(info);
	if ((r = exec_create(c, o, argv[0], argc - 1, argv + 1, &id, err)) < 0)
		return r;
	if (o->detach) {
		path = xasprintf("/exec/%s/start", id);
		body = json_pack("{s:b, s:b}", "Detach", true, "Tty", o->tty);
		r = client_post(c, path, body, NULL, err);
		json_decref(body);
		return r;
	}
	if ((r = exec_attached(cli, c, o, id, err)) < 0 ||
	    (r = exec_exit_code(c, id, &status, err)) < 0)
		return r;
	return status;
}

static int exec_exec(struct cli *cli, void *opts, int argc, char **argv)
{
	const struct exec_opts *o = opts;
	_cleanup_berr_ struct berr *err = NULL;
	struct client *c = NULL;
	int r;

	if (o->interactive && o->tty && !o->detach && !isatty(STDIN_FILENO)) {
		fprintf(stderr, "the input device is not a TTY\n");
		return 1;
	}
	if (cmd_connect(cli, &c))
		return 1;
	r = exec_run(cli, c, o, argc, argv, &err);
	client_free(c);
	return r < 0 ? cmd_fail(err) : r;
}

#define EXEC_ENTRY(grp)                                                                            \
	{                                                                                          \
		.group = grp, .name = "exec",                                                      \
		.args_usage = "[OPTIONS] CONTAINER COMMAND [ARG...]",                              \
		.summary = "Execute a command in a running container", .min_args = 2,              \
		.max_args = -1, .opts = exec_defs, .opts_size = sizeof(struct exec_opts),          \
		.exec = exec_exec, .no_interspersed = true,                                        \
	}

const struct cmd_entry cmd_exec_entry = EXEC_ENTRY(NULL);
const struct cmd_entry cmd_container_exec_entry = EXEC_ENTRY("container");
