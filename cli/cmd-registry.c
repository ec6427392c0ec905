/* cmd-registry.c - berth pull, push, login, logout.  Pull and push read
 * Docker's JSON message stream as it comes and show it as the docker CLI
 * does: on a terminal one line per layer, updated in place; otherwise the
 * status lines without the progress ones.  Credentials come from the
 * client's config file (dockercfg.c) in the X-Registry-Auth header. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <curl/curl.h>

#include "cli/cli.h"
#include "cli/client.h"
#include "cli/dockercfg.h"
#include "core/util.h"

/* --- the JSON message stream --- */

struct jm {
	CURL *curl;
	bool tty, quiet;
	bool http_ok; /* a 2xx: the body is the stream (else an error body) */
	bool checked;
	char *buf; /* a partial line, or the error body */
	size_t len, cap;
	char **ids; /* tty: the lines on screen, by id */
	size_t n_ids;
	char *error;
};

static void jm_show(struct jm *j, json_t *m)
{
	const char *status = json_string_value(json_object_get(m, "status"));
	const char *id = json_string_value(json_object_get(m, "id"));
	const char *progress = json_string_value(json_object_get(m, "progress"));
	const char *e = json_string_value(json_object_get(m, "error"));

	if (e) {
		free(j->error);
		j->error = xstrdup(e);
		return;
	}
	if (!status || j->quiet)
		return;
	if (!j->tty) {
		/* (docker prints no progress lines when not on a terminal) */
		if (progress && *progress)
			return;
		if (id)
			printf("%s: %s\n", id, status);
		else
			printf("%s\n", status);
		fflush(stdout);
		return;
	}
	if (!id) {
		printf("%s\n", status);
		j->n_ids = 0; /* (lines above are no longer updated) */
		fflush(stdout);
		return;
	}
	size_t i;

	for (i = 0; i < j->n_ids && !streq(j->ids[i], id); i++)
		;
	if (i == j->n_ids) {
		j->ids = xrealloc(j->ids, (j->n_ids + 1) * sizeof(*j->ids));
		j->ids[j->n_ids++] = xstrdup(id);
		printf("%s: %s %s\n", id, status, progress ? progress : "");
	} else {
		size_t up = j->n_ids - i;

		printf("\033[%zuA\r\033[2K%s: %s %s\n", up, id, status, progress ? progress : "");
		if (up > 1)
			printf("\033[%zuB", up - 1);
	}
	fflush(stdout);
}

static void jm_lines(struct jm *j)
{
	char *nl;

	while ((nl = memchr(j->buf, '\n', j->len))) {
		size_t n = (size_t)(nl - j->buf) + 1;
		json_t *m = json_loadb(j->buf, n, 0, NULL);

		if (m)
			jm_show(j, m);
		json_decref(m);
		memmove(j->buf, j->buf + n, j->len - n);
		j->len -= n;
	}
}

static size_t jm_write(char *p, size_t size, size_t n, void *arg)
{
	struct jm *j = arg;
	size_t add = size * n;

	if (!j->checked) {
		long code = 0;

		curl_easy_getinfo(j->curl, CURLINFO_RESPONSE_CODE, &code);
		j->http_ok = code / 100 == 2;
		j->checked = true;
	}
	xgrow(&j->buf, &j->cap, j->len + add + 1, 1);
	memcpy(j->buf + j->len, p, add);
	j->len += add;
	j->buf[j->len] = 0;
	if (j->http_ok)
		jm_lines(j);
	return add;
}

/* POST path with X-Registry-Auth, the answer shown as it comes.  0, or 1
 * after printing the error. */
static int jm_post(struct cli *cli, const char *path, const char *auth, bool quiet)
{
	_cleanup_free_ char *url = xasprintf("http://localhost/v" CLI_API_VERSION "%s", path);
	_cleanup_free_ char *hdr = xasprintf("X-Registry-Auth: %s", auth);
	struct jm j = {.tty = isatty(STDOUT_FILENO), .quiet = quiet};
	struct curl_slist *h = curl_slist_append(NULL, hdr);
	CURLcode c;
	long code = 0;
	int rc = 0;

	if (!strprefix(cli->host, "unix://")) {
		fprintf(stderr, "unsupported host %s: berth only talks to unix://PATH sockets\n",
			cli->host);
		curl_slist_free_all(h);
		return 1;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	j.curl = curl_easy_init();
	curl_easy_setopt(j.curl, CURLOPT_UNIX_SOCKET_PATH, cli->host + strlen("unix://"));
	curl_easy_setopt(j.curl, CURLOPT_URL, url);
	curl_easy_setopt(j.curl, CURLOPT_POST, 1L);
	curl_easy_setopt(j.curl, CURLOPT_POSTFIELDS, "");
	curl_easy_setopt(j.curl, CURLOPT_POSTFIELDSIZE, 0L);
	curl_easy_setopt(j.curl, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(j.curl, CURLOPT_USERAGENT, "berth/" CLI_VERSION " (linux)");
	curl_easy_setopt(j.curl, CURLOPT_WRITEFUNCTION, jm_write);
	curl_easy_setopt(j.curl, CURLOPT_WRITEDATA, &j);
	curl_easy_setopt(j.curl, CURLOPT_NOSIGNAL, 1L);
	c = curl_easy_perform(j.curl);
	curl_easy_getinfo(j.curl, CURLINFO_RESPONSE_CODE, &code);
	if (c != CURLE_OK) {
		fprintf(stderr, "Cannot connect to the berth daemon at %s: %s\n", cli->host,
			curl_easy_strerror(c));
		rc = 1;
	} else if (code / 100 != 2) {
		_cleanup_json_ json_t *o = json_loadb(j.buf ? j.buf : "", j.len, 0, NULL);
		const char *m = json_string_value(json_object_get(o, "message"));

		fprintf(stderr, "Error response from daemon: %s\n",
			m ? m : (j.buf ? j.buf : "unknown error"));
		rc = 1;
	} else {
		if (j.len) { /* (a last line without its newline) */
			_cleanup_json_ json_t *m = json_loadb(j.buf, j.len, 0, NULL);

			if (m)
				jm_show(&j, m);
		}
		if (j.error) {
			fprintf(stderr, "%s\n", j.error);
			rc = 1;
		}
	}
	for (size_t i = 0; i < j.n_ids; i++)
		free(j.ids[i]);
	free(j.ids);
	free(j.buf);
	free(j.error);
	curl_slist_free_all(h);
	curl_easy_cleanup(j.curl);
	curl_global_cleanup();
	return rc;
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

/* Does ref name a tag (a ':' after its last '/')? */
static bool ref_has_tag(const char *ref)
{
	const char *slash = strrchr(ref, '/'), *colon = strrchr(ref, ':');

	return colon && (!slash || colon > slash);
}

/* NAME[:TAG|@DIGEST] split as the docker CLI sends it: fromImage=NAME,
 * tag=TAG or DIGEST (default latest).  Returns the full reference. */
static char *ref_split(const char *ref, char **ret_name, char **ret_tag)
{
	const char *at = strchr(ref, '@'), *colon = strrchr(ref, ':');

	if (at) {
		*ret_name = xstrndup(ref, (size_t)(at - ref));
		*ret_tag = xstrdup(at + 1);
		return xstrdup(ref);
	}
	if (ref_has_tag(ref)) {
		*ret_name = xstrndup(ref, (size_t)(colon - ref));
		*ret_tag = xstrdup(colon + 1);
		return xstrdup(ref);
	}
	*ret_name = xstrdup(ref);
	*ret_tag = xstrdup("latest");
	return xasprintf("%s:latest", ref);
}

static int pull_exec(struct cli *cli, void *opts, int argc, char **argv)
{
	struct pull_opts *o = opts;
	_cleanup_free_ char *name = NULL, *tag = NULL, *full = NULL, *path = NULL;
	_cleanup_free_ char *server = dockercfg_ref_server(argv[0]), *auth = NULL;
	int rc;

	(void)argc;
	if (o->all_tags) {
		fprintf(stderr, "berth pull --all-tags is not supported: pull each tag\n");
		return 1;
	}
	full = ref_split(argv[0], &name, &tag);
	if (!ref_has_tag(argv[0]) && !strchr(argv[0], '@') && !o->quiet)
		printf("Using default tag: latest\n");
	path = xstrdup("/images/create");
	client_query_add(&path, "fromImage", name);
	client_query_add(&path, "tag", tag);
	if (o->platform)
		client_query_add(&path, "platform", o->platform);
	auth = dockercfg_registry_auth(server);
	rc = jm_post(cli, path, auth, o->quiet);
	if (rc == 0)
		printf("%s\n", full);
	return rc;
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
	_cleanup_free_ char *name = NULL, *tag = NULL, *full = NULL, *path = NULL, *esc = NULL;
	_cleanup_free_ char *server = dockercfg_ref_server(argv[0]), *auth = NULL;
	bool tagged = ref_has_tag(argv[0]);
	int rc;

	(void)argc;
	if (strchr(argv[0], '@')) {
		fprintf(stderr, "cannot push a digest reference\n");
		return 1;
	}
	if (o->all_tags && tagged) {
		fprintf(stderr, "tag can't be used with --all-tags/-a\n");
		return 1;
	}
	full = ref_split(argv[0], &name, &tag);
	if (!tagged && !o->all_tags && !o->quiet)
		printf("Using default tag: latest\n");
	esc = client_escape(name);
	path = xasprintf("/images/%s/push", esc);
	client_query_add(&path, "tag", o->all_tags ? "" : tag);
	auth = dockercfg_registry_auth(server);
	rc = jm_post(cli, path, auth, o->quiet);
	if (rc == 0 && o->quiet)
		printf("%s\n", o->all_tags ? name : full);
	return rc;
}

#define PUSH_ENTRY(grp)                                                                            \
	{                                                                                          \
		.group = grp, .name = "push", .args_usage = "[OPTIONS] NAME[:TAG]",                \
		.summary = "Upload an image to a registry", .min_args = 1, .max_args = 1,          \
		.opts = push_defs, .opts_size = sizeof(struct push_opts), .exec = push_exec,       \
	}

const struct cmd_entry cmd_push_entry = PUSH_ENTRY(NULL);
const struct cmd_entry cmd_image_push_entry = PUSH_ENTRY("image");

/* --- login, logout --- */

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

/* A line from the terminal (no echo when secret); NULL at EOF. */
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

static int login_exec(struct cli *cli, void *opts, int argc, char **argv)
{
	struct login_opts *o = opts;
	const char *server = argc ? argv[0] : DOCKERCFG_HUB;
	_cleanup_free_ char *user = o->username ? xstrdup(o->username) : NULL;
	_cleanup_free_ char *pass = o->password ? xstrdup(o->password) : NULL;
	_cleanup_free_ char *cfg_path = dockercfg_path();
	_cleanup_berr_ struct berr *err = NULL;
	_cleanup_json_ json_t *body = NULL, *reply = NULL, *cfg = NULL;
	struct client *c = NULL;
	int rc;

	if (o->password && o->password_stdin) {
		fprintf(stderr, "--password and --password-stdin are mutually exclusive\n");
		return 1;
	}
	if (o->password)
		fprintf(stderr, "WARNING! Using --password via the CLI is insecure. Use "
				"--password-stdin.\n");
	if (o->password_stdin) {
		size_t cap = 0;
		ssize_t n;

		if (!user) {
			fprintf(stderr, "Must provide --username with --password-stdin\n");
			return 1;
		}
		n = getline(&pass, &cap, stdin);
		if (n < 0) {
			fprintf(stderr, "cannot read the password from stdin\n");
			return 1;
		}
		pass[strcspn(pass, "\r\n")] = 0;
	}
	if (!user && isatty(STDIN_FILENO))
		user = login_prompt("Username: ", false);
	if (user && !pass && isatty(STDIN_FILENO))
		pass = login_prompt("Password: ", true);
	if (!user || !*user || !pass || !*pass) {
		fprintf(stderr, "Error: %s required\n", !user || !*user ? "Username" : "Password");
		return 1;
	}
	if (!cfg_path) {
		fprintf(stderr, "cannot tell where the config file goes: set HOME or "
				"BERTH_CONFIG\n");
		return 1;
	}
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

static int logout_exec(struct cli *cli, void *opts, int argc, char **argv)
{
	const char *server = argc ? argv[0] : DOCKERCFG_HUB;
	_cleanup_free_ char *cfg_path = dockercfg_path(), *key = dockercfg_key(server);
	_cleanup_berr_ struct berr *err = NULL;
	_cleanup_json_ json_t *cfg = NULL;

	(void)cli;
	(void)opts;
	if (!cfg_path || dockercfg_load(cfg_path, &cfg, &err) < 0 || !dockercfg_del(cfg, server)) {
		printf("Not logged in to %s\n", key);
		return 0;
	}
	printf("Removing login credentials for %s\n", key);
	if (dockercfg_save(cfg_path, cfg, &err) < 0)
		return cmd_fail(err);
	return 0;
}

static const struct opts_def logout_defs[] = {
	OPTS_END,
};

const struct cmd_entry cmd_logout_entry = {
	.name = "logout",
	.opts = logout_defs,
	.args_usage = "[SERVER]",
	.summary = "Log out from a registry",
	.min_args = 0,
	.max_args = 1,
	.exec = logout_exec,
};
