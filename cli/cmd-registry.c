/* cmd-registry.c - berth pull, push, login, logout.  Pull and push read
 * Docker's JSON message stream as it arrives (client_post_stream) and show
 * it as the docker CLI's jsonmessage does: on a terminal one line per
 * layer, updated in place; otherwise the status lines without the progress
 * ones.  Credentials come from the client's config file (dockercfg.c) in
 * the X-Registry-Auth header; login checks them with POST /auth first. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/client.h"
#include "cli/dockercfg.h"
#include "core/util.h"
#include "runtime/image.h"

/* --- the JSON message stream --- */

/* What is on screen: on a terminal, the ids whose lines are updated in
 * place, in the order of their lines; the cursor is on the line below. */
struct jm {
	bool tty, quiet;
	int width; /* the terminal's columns (0: unknown) */
	char **ids;
	size_t n_ids;
	char *error; /* the first error message; nothing is shown after it */
};

static void jm_forget_ids(struct jm *j)
{
	for (size_t i = 0; i < j->n_ids; i++)
		free(j->ids[i]);
	free(j->ids);
	j->ids = NULL;
	j->n_ids = 0;
}

/* The line of id, from the bottom (1: the last one); a new id gets a new
 * line at the bottom. */
static size_t jm_line_of(struct jm *j, const char *id)
{
	size_t i;

	for (i = 0; i < j->n_ids && !streq(j->ids[i], id); i++)
		;
	if (i == j->n_ids) {
		j->ids = xrealloc(j->ids, (j->n_ids + 1) * sizeof(*j->ids));
		j->ids[j->n_ids++] = xstrdup(id);
		if (j->tty)
			putchar('\n');
	}
	return j->n_ids - i;
}

/* Does progressDetail count something (Go's JSONProgress.String() != "")? */
static bool jm_counts(json_t *detail)
{
	return json_integer_value(json_object_get(detail, "current")) > 0 ||
	       json_integer_value(json_object_get(detail, "total")) > 0;
}

/* One message, as jsonmessage.DisplayJSONMessagesStream shows it. */
static void jm_show(struct jm *j, json_t *m)
{
	json_t *detail = json_object_get(m, "progressDetail");
	const char *status = json_string_value(json_object_get(m, "status")) ?: "";
	const char *id = json_string_value(json_object_get(m, "id"));
	const char *progress = json_string_value(json_object_get(m, "progress")) ?: "";
	const char *e =
		json_string_value(json_object_get(json_object_get(m, "errorDetail"), "message"));
	size_t up = 0;

	if (!e)
		e = json_string_value(json_object_get(m, "error"));
	if (e) {
		j->error = xstrdup(e);
		return;
	}
	if (j->quiet || json_object_get(m, "aux"))
		return;
	if (id && (detail || *progress))
		up = jm_line_of(j, id);
	else
		jm_forget_ids(j);
	if (j->tty && up) {
		_cleanup_free_ char *l = xasprintf("%s: %s %s", id, status, progress);

		/* (a line that wrapped would break the count of lines to go up) */
		if (j->width > 1 && strlen(l) >= (size_t)j->width)
			l[j->width - 1] = 0;
		/* up to the id's line, rewrite it, back down below the last */
		printf("\033[%zuA\r\033[2K%s\r\033[%zuB", up, l, up);
	} else if (!j->tty && detail && jm_counts(detail)) {
		return; /* (no progress lines when not on a terminal) */
	} else {
		printf("%s%s%s%s%s\n", id ? id : "", id ? ": " : "", status, *progress ? " " : "",
		       progress);
	}
	fflush(stdout);
}

static void jm_line(const char *line, size_t len, void *arg)
{
	struct jm *j = arg;
	_cleanup_json_ json_t *m = NULL;

	if (j->error || !len)
		return;
	m = json_loadb(line, len, 0, NULL);
	if (json_is_object(m))
		jm_show(j, m);
}

/* POST path with X-Registry-Auth (none when auth is NULL) and show the
 * stream; 0, or 1 after printing the error. */
static int jm_post(struct cli *cli, const char *path, const char *auth, bool quiet)
{
	_cleanup_free_ char *hdr = auth ? xasprintf("X-Registry-Auth: %s", auth) : NULL;
	const char *headers[] = {hdr, NULL};
	_cleanup_berr_ struct berr *err = NULL;
	struct jm j = {.tty = isatty(STDOUT_FILENO), .quiet = quiet};
	struct client *c = NULL;
	struct winsize ws;
	int rc = 0;

	if (j.tty && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0)
		j.width = ws.ws_col;

	if (cmd_connect(cli, &c))
		return 1;
	if (client_post_stream(c, path, headers, jm_line, &j, &err) < 0)
		rc = cmd_fail(err);
	else if (j.error) {
		fflush(stdout);
		fprintf(stderr, "%s\n", j.error);
		rc = 1;
	}
	client_free(c);
	jm_forget_ids(&j);
	free(j.error);
	return rc;
}

/* The X-Registry-Auth value for the registry of ref (NULL: none in the
 * config file); a config file that cannot be read is only warned about,
 * as the docker CLI does. */
static char *registry_auth_for(const char *ref)
{
	_cleanup_free_ char *server = dockercfg_ref_server(ref);
	_cleanup_berr_ struct berr *err = NULL;
	char *auth = NULL;

	if (dockercfg_registry_auth(server, &auth, &err) < 0) {
		fprintf(stderr, "WARNING: %s\n", berr_msg(err));
		return NULL;
	}
	return auth;
}

/* --- references --- */

/* Does ref name a tag (a ':' after its last '/', before any '@')? */
static bool ref_has_tag(const char *ref)
{
	size_t n = strcspn(ref, "@");
	const char *slash = memrchr(ref, '/', n), *colon = memrchr(ref, ':', n);

	return colon && (!slash || colon > slash);
}

/* NAME[:TAG|@DIGEST] split as the docker CLI sends it: NAME (without a
 * tag), and the digest, else the tag, else "latest".  Caller frees both. */
static void ref_split(const char *ref, char **ret_name, char **ret_tag)
{
	const char *at = strchr(ref, '@');
	size_t n = at ? (size_t)(at - ref) : strlen(ref);
	bool tagged = ref_has_tag(ref);
	const char *colon = tagged ? memrchr(ref, ':', n) : NULL;

	*ret_name = xstrndup(ref, colon ? (size_t)(colon - ref) : n);
	if (at)
		*ret_tag = xstrdup(at + 1);
	else if (colon)
		*ret_tag = xstrdup(colon + 1);
	else
		*ret_tag = xstrdup("latest");
}

/* --- pull --- */

struct pull_opts {
	bool all_tags, quiet;
	char *platform;
};

static const struct opts_def pull_defs[] = {
	{"all-tags", 'a', OPTS_BOOL, offsetof(struct pull_opts, all_tags), NULL,
	 "Download all tagged images in the repository"},
	{"platform", 0, OPTS_STRING, offsetof(struct pull_opts, platform), "string",
	 "Set platform if server is multi-platform capable"},
	{"quiet", 'q', OPTS_BOOL, offsetof(struct pull_opts, quiet), NULL,
	 "Suppress verbose output"},
	OPTS_END,
};

/* berthd pulls images for its own platform only: "linux" or
 * "linux/<arch>" (docker's names: amd64, arm64). */
static bool pull_platform_ok(const char *platform)
{
	_cleanup_free_ char *want = xasprintf("linux/%s", img_arch());

	return !*platform || streq(platform, "linux") || streq(platform, want);
}

static int pull_exec(struct cli *cli, void *opts, int argc, char **argv)
{
	struct pull_opts *o = opts;
	_cleanup_free_ char *name = NULL, *tag = NULL, *path = xstrdup("/images/create");
	_cleanup_free_ char *auth = NULL, *full = NULL;
	bool bare = !ref_has_tag(argv[0]) && !strchr(argv[0], '@');

	(void)argc;
	if (o->all_tags) {
		fprintf(stderr, "berth pull --all-tags is not supported: pull each tag\n");
		return 1;
	}
	if (o->platform && !pull_platform_ok(o->platform)) {
		fprintf(stderr, "platform %s is not supported: berth pulls images for linux/%s\n",
			o->platform, img_arch());
		return 1;
	}
	ref_split(argv[0], &name, &tag);
	full = bare ? xasprintf("%s:latest", argv[0]) : xstrdup(argv[0]);
	if (bare && !o->quiet)
		printf("Using default tag: latest\n");
	client_query_add(&path, "fromImage", name);
	client_query_add(&path, "tag", tag);
	if (o->platform && *o->platform)
		client_query_add(&path, "platform", o->platform);
	auth = registry_auth_for(argv[0]);
	if (jm_post(cli, path, auth, o->quiet))
		return 1;
	printf("%s\n", full);
	return 0;
}

#define PULL_ENTRY(grp)                                                                            \
	{                                                                                          \
		.group = grp, .name = "pull", .args_usage = "[OPTIONS] NAME[:TAG|@DIGEST]",        \
		.summary = "Download an image from a registry", .min_args = 1, .max_args = 1,      \
		.opts = pull_defs, .opts_size = sizeof(struct pull_opts), .exec = pull_exec,       \
	}

const struct cmd_entry cmd_pull_entry = PULL_ENTRY(NULL);
const struct cmd_entry cmd_image_pull_entry = PULL_ENTRY("image");

/* --- push --- */

struct push_opts {
	bool all_tags, quiet;
};

static const struct opts_def push_defs[] = {
	{"all-tags", 'a', OPTS_BOOL, offsetof(struct push_opts, all_tags), NULL,
	 "Push all tags of an image to the repository"},
	{"quiet", 'q', OPTS_BOOL, offsetof(struct push_opts, quiet), NULL,
	 "Suppress verbose output"},
	OPTS_END,
};

static int push_exec(struct cli *cli, void *opts, int argc, char **argv)
{
	struct push_opts *o = opts;
	_cleanup_free_ char *name = NULL, *tag = NULL, *path = NULL, *esc = NULL, *auth = NULL;
	bool tagged = ref_has_tag(argv[0]);

	(void)argc;
	if (strchr(argv[0], '@')) {
		fprintf(stderr, "cannot push a digest reference\n");
		return 1;
	}
	if (o->all_tags && tagged) {
		fprintf(stderr, "tag can't be used with --all-tags/-a\n");
		return 1;
	}
	ref_split(argv[0], &name, &tag);
	if (!tagged && !o->all_tags && !o->quiet)
		printf("Using default tag: latest\n");
	esc = client_escape(name);
	path = xasprintf("/images/%s/push", esc);
	if (!o->all_tags)
		client_query_add(&path, "tag", tag);
	/* (always sent on a push: "{}" when there are no credentials) */
	auth = registry_auth_for(argv[0]) ?: xstrdup("e30=");
	if (jm_post(cli, path, auth, o->quiet))
		return 1;
	if (o->quiet)
		printf("%s%s%s\n", name, o->all_tags ? "" : ":", o->all_tags ? "" : tag);
	return 0;
}

#define PUSH_ENTRY(grp)                                                                            \
	{                                                                                          \
		.group = grp, .name = "push", .args_usage = "[OPTIONS] NAME[:TAG]",                \
		.summary = "Upload an image to a registry", .min_args = 1, .max_args = 1,          \
		.opts = push_defs, .opts_size = sizeof(struct push_opts), .exec = push_exec,       \
	}

const struct cmd_entry cmd_push_entry = PUSH_ENTRY(NULL);
const struct cmd_entry cmd_image_push_entry = PUSH_ENTRY("image");

/* --- login --- */

struct login_opts {
	char *username, *password;
	bool password_stdin;
};

static const struct opts_def login_defs[] = {
	{"password", 'p', OPTS_STRING, offsetof(struct login_opts, password), "string", "Password"},
	{"password-stdin", 0, OPTS_BOOL, offsetof(struct login_opts, password_stdin), NULL,
	 "Take the password from stdin"},
	{"username", 'u', OPTS_STRING, offsetof(struct login_opts, username), "string", "Username"},
	OPTS_END,
};

/* A line from the terminal, spaces trimmed (no echo when secret); NULL
 * at EOF.  Caller frees. */
static char *login_prompt(const char *what, bool secret)
{
	struct termios saved, t;
	bool restore = false;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	fputs(what, stdout);
	fflush(stdout);
	if (secret && tcgetattr(STDIN_FILENO, &saved) == 0) {
		t = saved;
		t.c_lflag &= ~(tcflag_t)ECHO;
		restore = tcsetattr(STDIN_FILENO, TCSANOW, &t) == 0;
	}
	n = getline(&line, &cap, stdin);
	if (restore) {
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
		fputc('\n', stdout);
	}
	if (n < 0) {
		free(line);
		return NULL;
	}
	line[strcspn(line, "\r\n")] = 0;
	return line;
}

/* All of stdin, one trailing "\n" then "\r" cut (docker's
 * --password-stdin); NULL on a read error.  Caller frees. */
static char *login_read_stdin(void)
{
	char *buf = NULL;
	size_t len = 0, cap = 0, n;

	do {
		xgrow(&buf, &cap, len + 4096 + 1, 1);
		n = fread(buf + len, 1, cap - len - 1, stdin);
		len += n;
	} while (n > 0);
	if (ferror(stdin)) {
		free(buf);
		return NULL;
	}
	buf[len] = 0;
	if (len && buf[len - 1] == '\n')
		buf[--len] = 0;
	if (len && buf[len - 1] == '\r')
		buf[--len] = 0;
	return buf;
}

/* The username and password from the flags, stdin or the terminal, as
 * the docker CLI gets them; 0, or 1 after printing why not. */
static int login_credentials(const struct login_opts *o, char **user, char **pass)
{
	if (o->password)
		fprintf(stderr, "WARNING! Using --password via the CLI is insecure. Use "
				"--password-stdin.\n");
	if (o->password && o->password_stdin) {
		fprintf(stderr, "--password and --password-stdin are mutually exclusive\n");
		return 1;
	}
	*user = xstrdup(o->username ?: "");
	if (o->password_stdin) {
		if (!**user) {
			fprintf(stderr, "Must provide --username with --password-stdin\n");
			return 1;
		}
		if (!(*pass = login_read_stdin())) {
			fprintf(stderr, "cannot read the password from stdin: %m\n");
			return 1;
		}
	} else {
		*pass = xstrdup(o->password ?: "");
	}
	if ((!**user || !**pass) && !isatty(STDIN_FILENO)) {
		fprintf(stderr,
			"Error: Cannot perform an interactive login from a non TTY device\n");
		return 1;
	}
	if (!**user) {
		free(*user);
		*user = login_prompt("Username: ", false);
		if (!*user || !**user) {
			fprintf(stderr, "Error: Non-null Username Required\n");
			return 1;
		}
	}
	if (!**pass) {
		free(*pass);
		*pass = login_prompt("Password: ", true);
		if (!*pass || !**pass) {
			fprintf(stderr, "Error: Password Required\n");
			return 1;
		}
	}
	return 0;
}

static int login_exec(struct cli *cli, void *opts, int argc, char **argv)
{
	struct login_opts *o = opts;
	const char *server = argc ? argv[0] : DOCKERCFG_HUB;
	_cleanup_free_ char *user = NULL, *pass = NULL, *cfg_path = dockercfg_path();
	_cleanup_berr_ struct berr *err = NULL;
	_cleanup_json_ json_t *body = NULL, *reply = NULL, *cfg = NULL;
	struct client *c = NULL;
	int rc;

	if (login_credentials(o, &user, &pass))
		return 1;
	if (!cfg_path) {
		fprintf(stderr, "cannot tell where the config file goes: set HOME or "
				"BERTH_CONFIG\n");
		return 1;
	}
	/* (a config file that cannot be kept is found before the daemon is asked) */
	if (dockercfg_load(cfg_path, &cfg, &err) < 0)
		return cmd_fail(err);
	if (cmd_connect(cli, &c))
		return 1;
	body = json_pack("{s:s, s:s, s:s}", "username", user, "password", pass, "serveraddress",
			 server);
	rc = client_post(c, "/auth", body, &reply, &err);
	client_free(c);
	if (rc < 0)
		return cmd_fail(err);
	dockercfg_set(cfg, server, user, pass);
	if (dockercfg_save(cfg_path, cfg, &err) < 0)
		return cmd_fail(err);
	printf("%s\n", json_string_value(json_object_get(reply, "Status")) ?: "Login Succeeded");
	return 0;
}

const struct cmd_entry cmd_login_entry = {
	.name = "login",
	.args_usage = "[OPTIONS] [SERVER]",
	.summary = "Log in to a registry",
	.min_args = 0,
	.max_args = 1,
	.opts = login_defs,
	.opts_size = sizeof(struct login_opts),
	.exec = login_exec,
};

/* --- logout --- */

static const struct opts_def logout_defs[] = {
	OPTS_END,
};

static int logout_exec(struct cli *cli, void *opts, int argc, char **argv)
{
	const char *server = argc ? argv[0] : DOCKERCFG_HUB;
	_cleanup_free_ char *cfg_path = dockercfg_path(), *host = dockercfg_hostname(server);
	_cleanup_berr_ struct berr *err = NULL;
	_cleanup_json_ json_t *cfg = NULL;

	(void)cli, (void)opts;
	if (cfg_path && dockercfg_load(cfg_path, &cfg, &err) < 0)
		return cmd_fail(err);
	if (!cfg || !dockercfg_del(cfg, server)) {
		printf("Not logged in to %s\n", host);
		return 0;
	}
	printf("Removing login credentials for %s\n", host);
	if (dockercfg_save(cfg_path, cfg, &err) < 0)
		return cmd_fail(err);
	return 0;
}

const struct cmd_entry cmd_logout_entry = {
	.name = "logout",
	.args_usage = "[SERVER]",
	.summary = "Log out from a registry",
	.min_args = 0,
	.max_args = 1,
	.opts = logout_defs,
	.exec = logout_exec,
};
