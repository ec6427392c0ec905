/* cmd-cp.c - `berth export [-o FILE] CONTAINER` (GET /containers/{id}/
 * export) and `berth cp SRC DST` with CONTAINER:PATH on one side (GET,
 * HEAD and PUT /containers/{id}/archive?path=), `-` for a tar on stdin or
 * stdout.  Tars move through libcurl directly (they are no JSON); local
 * extraction goes through runtime/tar.c, which refuses escapes. */
#include <curl/curl.h>
#include <errno.h>
#include <libgen.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/client.h"
#include "core/util.h"
#include "runtime/runtime.h"
#include "runtime/tar.h"

/* One raw request: body from in (may be NULL), reply body to out on 2xx
 * (may be NULL), else kept for the error message. */
struct cp_xfer {
	CURL *curl;
	FILE *out;
	char *errbody;
	size_t errlen;
	char *stat_header; /* X-Docker-Container-Path-Stat, or NULL */
};

static size_t cp_write_cb(char *data, size_t size, size_t n, void *arg)
{
	struct cp_xfer *x = arg;
	long status = 0;

	curl_easy_getinfo(x->curl, CURLINFO_RESPONSE_CODE, &status);
	if (status >= 200 && status < 300)
		return x->out ? fwrite(data, size, n, x->out) : size * n;
	x->errbody = xrealloc(x->errbody, x->errlen + size * n + 1);
	memcpy(x->errbody + x->errlen, data, size * n);
	x->errlen += size * n;
	x->errbody[x->errlen] = 0;
	return size * n;
}

static size_t cp_header_cb(char *data, size_t size, size_t n, void *arg)
{
	static const char name[] = "X-Docker-Container-Path-Stat:";
	struct cp_xfer *x = arg;
	size_t len = size * n;

	if (len > sizeof(name) && strncasecmp(data, name, sizeof(name) - 1) == 0) {
		free(x->stat_header);
		x->stat_header = xstrndup(data + sizeof(name) - 1, len - (sizeof(name) - 1));
	}
	return len;
}

static size_t cp_read_cb(char *buf, size_t size, size_t n, void *arg)
{
	return fread(buf, size, n, arg);
}

/* The daemon's {"message"} of a failed request, Docker's way. */
static int cp_xfer_error(long status, struct cp_xfer *x, struct berr **err)
{
	json_t *j = json_loadb(x->errbody ?: "", x->errlen, 0, NULL);
	const char *msg = json_string_value(json_object_get(j, "message"));
	int r = berr_set(err, client_status_errno(status), "Error response from daemon: %s",
			 msg ? msg : (x->errlen ? x->errbody : "no such file or directory"));

	json_decref(j);
	return r;
}

/* Run one request against the daemon at host. */
static int cp_request(const char *host, const char *method, const char *path, FILE *in,
		      struct cp_xfer *x, struct berr **err)
{
	_cleanup_free_ char *url = xasprintf("http://localhost/v" CLI_API_VERSION "%s", path);
	struct curl_slist *h = NULL;
	long status = 0;
	CURLcode rc;
	int r = 0;

	if (!strprefix(host, "unix://"))
		return berr_set(err, EINVAL, "unsupported host %s", host);
	x->curl = curl_easy_init();
	curl_easy_setopt(x->curl, CURLOPT_UNIX_SOCKET_PATH, host + strlen("unix://"));
	curl_easy_setopt(x->curl, CURLOPT_URL, url);
	curl_easy_setopt(x->curl, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(x->curl, CURLOPT_NOBODY, streq(method, "HEAD") ? 1L : 0L);
	curl_easy_setopt(x->curl, CURLOPT_WRITEFUNCTION, cp_write_cb);
	curl_easy_setopt(x->curl, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(x->curl, CURLOPT_HEADERFUNCTION, cp_header_cb);
	curl_easy_setopt(x->curl, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(x->curl, CURLOPT_USERAGENT, "berth/" CLI_VERSION " (linux)");
	if (in) {
		h = curl_slist_append(h, "Content-Type: application/x-tar");
		h = curl_slist_append(h, "Transfer-Encoding: chunked");
		curl_easy_setopt(x->curl, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(x->curl, CURLOPT_READFUNCTION, cp_read_cb);
		curl_easy_setopt(x->curl, CURLOPT_READDATA, in);
		curl_easy_setopt(x->curl, CURLOPT_HTTPHEADER, h);
	}
	rc = curl_easy_perform(x->curl);
	curl_easy_getinfo(x->curl, CURLINFO_RESPONSE_CODE, &status);
	if (rc == CURLE_COULDNT_CONNECT)
		r = berr_set(err, ECONNREFUSED,
			     "Cannot connect to the berth daemon at %s. Is berthd running?", host);
	else if (rc != CURLE_OK)
		r = berr_set(err, EIO, "error during connect to %s: %s", host,
			     curl_easy_strerror(rc));
	else if (status < 200 || status > 299)
		r = cp_xfer_error(status, x, err);
	curl_slist_free_all(h);
	curl_easy_cleanup(x->curl);
	return r;
}

static void cp_xfer_done(struct cp_xfer *x)
{
	free(x->errbody);
	free(x->stat_header);
}

/* --- export --- */

struct export_opts {
	char *output;
};

static const struct opts_def export_defs[] = {
	{"output", 'o', OPTS_STRING, offsetof(struct export_opts, output), "string",
	 "Write to a file, instead of STDOUT"},
	OPTS_END,
};

/* GET path into the -o file, or stdout when it is not a terminal; a file
 * that could not be filled is removed.  what: for messages ("export
 * container"). */
static int cp_get_output(const char *host, const char *path, const char *output, const char *what)
{
	_cleanup_berr_ struct berr *err = NULL;
	struct cp_xfer x = {0};
	int r;

	if (!output && isatty(STDOUT_FILENO)) {
		fprintf(stderr, "cowardly refusing to save to a terminal. Use the -o flag or "
				"redirect\n");
		return 1;
	}
	x.out = output ? fopen(output, "we") : stdout;
	if (!x.out) {
		fprintf(stderr, "failed to %s: %s: %s\n", what, output, strerror(errno));
		return 1;
	}
	r = cp_request(host, "GET", path, NULL, &x, &err);
	if (output && fclose(x.out) != 0 && r == 0)
		r = berr_set(&err, errno, "cannot write %s: %m", output);
	if (r < 0 && output)
		unlink(output);
	cp_xfer_done(&x);
	return r < 0 ? cmd_fail(err) : 0;
}

static int export_exec(struct cli *cli, void *opts, int argc, char **argv)
{
	struct export_opts *o = opts;
	_cleanup_free_ char *id = client_escape(argv[0]);
	_cleanup_free_ char *path = xasprintf("/containers/%s/export", id);

	(void)argc;
	return cp_get_output(cli->host, path, o->output, "export container");
}

#define EXPORT_ENTRY(grp)                                                                          \
	{                                                                                          \
		.group = grp, .name = "export", .args_usage = "[OPTIONS] CONTAINER",               \
		.summary = "Export a container's filesystem as a tar archive", .min_args = 1,      \
		.max_args = 1, .opts = export_defs, .opts_size = sizeof(struct export_opts),       \
		.exec = export_exec,                                                               \
	}

const struct cmd_entry cmd_export_entry = EXPORT_ENTRY(NULL);
const struct cmd_entry cmd_container_export_entry = EXPORT_ENTRY("container");

/* --- save: images as a docker-archive tar (GET /images/get?names=) --- */

static int save_exec(struct cli *cli, void *opts, int argc, char **argv)
{
	struct export_opts *o = opts;
	_cleanup_free_ char *path = xstrdup("/images/get");

	for (int i = 0; i < argc; i++)
		client_query_add(&path, "names", argv[i]);
	return cp_get_output(cli->host, path, o->output, "save image");
}

#define SAVE_ENTRY(grp)                                                                            \
	{                                                                                          \
		.group = grp, .name = "save", .args_usage = "[OPTIONS] IMAGE [IMAGE...]",          \
		.summary = "Save one or more images to a tar archive (streamed to STDOUT by "      \
			   "default)",                                                             \
		.min_args = 1, .max_args = -1, .opts = export_defs,                                \
		.opts_size = sizeof(struct export_opts), .exec = save_exec,                        \
	}

const struct cmd_entry cmd_save_entry = SAVE_ENTRY(NULL);
const struct cmd_entry cmd_image_save_entry = SAVE_ENTRY("image");

/* --- cp --- */

/* "ctr:/path" → ctr and path; a local path (also "./a:b") → false. */
static bool cp_split(const char *arg, char **ret_ctr, char **ret_path)
{
	const char *colon = strchr(arg, ':');

	if (!colon || colon == arg || arg[0] == '/' || arg[0] == '.' ||
	    memchr(arg, '/', (size_t)(colon - arg)))
		return false;
	*ret_ctr = xstrndup(arg, (size_t)(colon - arg));
	*ret_path = xstrdup(colon + 1);
	return true;
}

static char *cp_archive_path(const char *ctr, const char *path)
{
	_cleanup_free_ char *id = client_escape(ctr);
	char *p = xasprintf("/containers/%s/archive", id);

	client_query_add(&p, "path", path);
	return p;
}

/* The last component of path (trailing slashes ignored). */
static char *cp_base(const char *path)
{
	_cleanup_free_ char *p = xstrdup(path);

	return xstrdup(basename(p));
}

static char *cp_dir(const char *path)
{
	_cleanup_free_ char *p = xstrdup(path);

	return xstrdup(dirname(p));
}

/* Move the extracted name (under tmp) to dst: into it when it is a
 * directory, else as dst. */
static int cp_place(const char *tmp, const char *name, const char *dst, struct berr **err)
{
	_cleanup_free_ char *from = xasprintf("%s/%s", tmp, name), *to = NULL;
	struct stat st;

	if (stat(dst, &st) == 0 && S_ISDIR(st.st_mode))
		to = xasprintf("%s/%s", dst, name);
	else
		to = xstrdup(dst);
	if (rename(from, to) < 0)
		return berr_set(err, errno, "cannot move %s to %s: %m", name, to);
	return 0;
}

/* Container to local: the tar to stdout, or extracted at dst. */
static int cp_from(const char *host, const char *ctr, const char *path, const char *dst,
		   struct berr **err)
{
	_cleanup_free_ char *p = cp_archive_path(ctr, path), *parent = NULL, *base = NULL;
	struct tar_layer layer = {0};
	struct cp_xfer x = {.out = stdout};
	FILE *tmp;
	int r;

	if (streq(dst, "-")) {
		r = cp_request(host, "GET", p, NULL, &x, err);
		cp_xfer_done(&x);
		return r;
	}
	if (!(tmp = tmpfile()))
		return berr_set(err, errno, "cannot make a temp file: %m");
	x.out = tmp;
	r = cp_request(host, "GET", p, NULL, &x, err);
	cp_xfer_done(&x);
	fflush(tmp);
	rewind(tmp);
	parent = cp_dir(dst);
	base = cp_base(path);
	if (r == 0 && (r = tar_extract(fileno(tmp), parent, &layer, err)) == 0) {
		r = cp_place(layer.dir, streq(base, "/") ? "." : base, dst, err);
		tar_remove_tree(layer.dir, NULL);
		free(layer.dir);
	}
	fclose(tmp);
	return r;
}

/* The daemon's stat of ctr:path says it is a directory (Go's ModeDir). */
static bool cp_is_dir(const char *host, const char *ctr, const char *path)
{
	_cleanup_free_ char *p = cp_archive_path(ctr, path), *buf = NULL;
	struct cp_xfer x = {0};
	bool dir = false;
	const char *b64;
	json_t *j;
	int n;

	if (cp_request(host, "HEAD", p, NULL, &x, NULL) == 0 && x.stat_header) {
		b64 = x.stat_header + strspn(x.stat_header, " \t");
		n = (int)strcspn(b64, "\r\n ");
		buf = xcalloc((size_t)n + 4, 1);
		if (EVP_DecodeBlock((unsigned char *)buf, (const unsigned char *)b64, n) > 0) {
			j = json_loads(buf, JSON_DISABLE_EOF_CHECK, NULL);
			dir = (json_integer_value(json_object_get(j, "mode")) & (1LL << 31)) != 0;
			json_decref(j);
		}
	}
	cp_xfer_done(&x);
	return dir;
}

/* Local to container: src as a tar (entries named after what dst says),
 * or stdin's tar as it is. */
static int cp_to(const char *host, const char *src, const char *ctr, const char *path,
		 struct berr **err)
{
	_cleanup_free_ char *dir = NULL, *name = NULL, *p = NULL;
	struct cp_xfer x = {0};
	FILE *tmp;
	int r;

	if (streq(src, "-")) {
		p = cp_archive_path(ctr, path);
		r = cp_request(host, "PUT", p, stdin, &x, err);
		cp_xfer_done(&x);
		return r;
	}
	if (cp_is_dir(host, ctr, path)) {
		dir = xstrdup(path);
		name = cp_base(src);
	} else {
		dir = cp_dir(path);
		name = cp_base(path);
	}
	if (!(tmp = tmpfile()))
		return berr_set(err, errno, "cannot make a temp file: %m");
	r = rt_fs_tar_local(src, name, fileno(tmp), err);
	rewind(tmp);
	p = cp_archive_path(ctr, dir);
	if (r == 0)
		r = cp_request(host, "PUT", p, tmp, &x, err);
	cp_xfer_done(&x);
	fclose(tmp);
	return r;
}

static int cp_exec(struct cli *cli, void *opts, int argc, char **argv)
{
	_cleanup_berr_ struct berr *err = NULL;
	_cleanup_free_ char *sc = NULL, *sp = NULL, *dc = NULL, *dp = NULL;
	bool from = cp_split(argv[0], &sc, &sp), to = cp_split(argv[1], &dc, &dp);
	int r;

	(void)opts;
	(void)argc;
	if (from == to) {
		fprintf(stderr, "copying between containers or between local paths is not "
				"supported\n");
		return 1;
	}
	r = from ? cp_from(cli->host, sc, sp, argv[1], &err)
		 : cp_to(cli->host, argv[0], dc, dp, &err);
	return r < 0 ? cmd_fail(err) : 0;
}

static const struct opts_def cp_defs[] = {
	OPTS_END,
};

#define CP_ENTRY(grp)                                                                              \
	{                                                                                          \
		.group = grp, .name = "cp",                                                        \
		.args_usage = "CONTAINER:SRC_PATH DEST_PATH|-\n       berth cp SRC_PATH|- "        \
			      "CONTAINER:DEST_PATH",                                               \
		.summary = "Copy files/folders between a container and the local filesystem",      \
		.min_args = 2, .max_args = 2, .opts = cp_defs, .opts_size = 1, .exec = cp_exec,    \
	}

const struct cmd_entry cmd_cp_entry = CP_ENTRY(NULL);
const struct cmd_entry cmd_container_cp_entry = CP_ENTRY("container");
