/* cmd-image.c - the `berth image` commands (import, load, ls, rm, tag,
 * inspect, history, prune) and their top-level forms (import, load, images,
 * rmi, tag, history); pull and push are in cmd-registry.c.  Each sends what
 * the docker CLI sends for the same verb (§6 and §9 of the API subset) and
 * prints what docker prints.  Import streams the tarball itself with
 * libcurl: the shared client only sends JSON bodies. */
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/client.h"
#include "cli/format.h"
#include "core/util.h"

#define IMAGE_SHORT_ID 12

/* --- import --- */

struct image_import_opts {
	struct strv changes;
	char *message;
	char *platform;
};

static const struct opts_def image_import_defs[] = {
	{"change", 'c', OPTS_LIST, offsetof(struct image_import_opts, changes), "list",
	 "Apply Dockerfile instruction to the created image"},
	{"message", 'm', OPTS_STRING, offsetof(struct image_import_opts, message), "string",
	 "Set commit message for imported image"},
	{"platform", 0, OPTS_STRING, offsetof(struct image_import_opts, platform), "string",
	 "Set platform if server is multi-platform capable"},
	OPTS_END,
};

/* A reply being received. */
struct image_buf {
	char *data;
	size_t len, cap;
};

static size_t image_write_cb(char *p, size_t size, size_t n, void *userdata)
{
	struct image_buf *b = userdata;

	xgrow(&b->data, &b->cap, b->len + size * n + 1, 1);
	memcpy(b->data + b->len, p, size * n);
	b->len += size * n;
	b->data[b->len] = '\0';
	return size * n;
}

static size_t image_read_cb(char *p, size_t size, size_t n, void *userdata)
{
	size_t got = fread(p, size, n, userdata);

	return ferror((FILE *)userdata) ? CURL_READFUNC_ABORT : got;
}

/* Upload progress on a terminal: bytes sent of the file's size. */
struct image_progress {
	curl_off_t total; /* 0 when in is not a regular file */
	double last;	  /* seconds of the last line */
	bool shown;
};

static int image_progress_cb(void *data, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
			     curl_off_t ulnow)
{
	struct image_progress *p = data;
	struct timespec ts;
	double now;

	(void)dltotal, (void)dlnow, (void)ultotal;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	if (ulnow == 0 || (now - p->last < 0.1 && ulnow < p->total))
		return 0;
	p->last = now;
	p->shown = true;
	if (p->total)
		fprintf(stderr, "\rImporting %6.1fMB/%.1fMB", (double)ulnow / 1e6,
			(double)p->total / 1e6);
	else
		fprintf(stderr, "\rImporting %6.1fMB", (double)ulnow / 1e6);
	return 0;
}

/* Show progress when stderr is a terminal and the archive is large. */
static void image_progress_setup(CURL *curl, FILE *in, struct image_progress *p)
{
	struct stat st;

	if (!isatty(STDERR_FILENO))
		return;
	if (fstat(fileno(in), &st) == 0 && S_ISREG(st.st_mode)) {
		if (st.st_size < (1 << 20))
			return;
		p->total = (curl_off_t)st.st_size;
	}
	curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, image_progress_cb);
	curl_easy_setopt(curl, CURLOPT_XFERINFODATA, p);
	curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
}

/* POST the tarball in (chunked) to path; the reply body goes to b. */
static int image_upload(const char *host, const char *path, FILE *in, struct image_buf *b,
			long *ret_status, struct berr **err)
{
	_cleanup_free_ char *url = xasprintf("http://localhost/v" CLI_API_VERSION "%s", path);
	struct image_progress progress = {0};
	struct curl_slist *h = NULL;
	CURL *curl;
	CURLcode rc;

	if (!strprefix(host, "unix://"))
		return berr_set(err, EINVAL, "unsupported host %s", host);
	curl = curl_easy_init();
	if (!curl)
		return berr_set(err, ENOMEM, "cannot initialise libcurl");
	h = curl_slist_append(h, "Content-Type: application/x-tar");
	h = curl_slist_append(h, "Transfer-Encoding: chunked");
	curl_easy_setopt(curl, CURLOPT_UNIX_SOCKET_PATH, host + strlen("unix://"));
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_POST, 1L);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(curl, CURLOPT_READFUNCTION, image_read_cb);
	curl_easy_setopt(curl, CURLOPT_READDATA, in);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, image_write_cb);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, b);
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "berth/" CLI_VERSION " (linux)");
	image_progress_setup(curl, in, &progress);
	rc = curl_easy_perform(curl);
	if (progress.shown)
		fputc('\n', stderr);
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, ret_status);
	curl_slist_free_all(h);
	curl_easy_cleanup(curl);
	if (rc == CURLE_COULDNT_CONNECT)
		return berr_set(err, ECONNREFUSED,
				"Cannot connect to the berth daemon at %s. Is berthd running?",
				host);
	if (rc != CURLE_OK)
		return berr_set(err, EIO, "error during connect to %s: %s", host,
				curl_easy_strerror(rc));
	return 0;
}

/* Print the progress stream ({"status": ...} objects); an "error" object
 * or an error status fails. */
static int image_import_print(long status, const struct image_buf *b, bool quiet, struct berr **err)
{
	json_error_t jerr;
	size_t off = 0;

	if (status < 200 || status > 299) {
		json_t *j = json_loadb(b->data ?: "", b->len, 0, NULL);
		const char *msg = json_string_value(json_object_get(j, "message"));
		int r = berr_set(err, client_status_errno(status), "Error response from daemon: %s",
				 msg ? msg : (b->data ?: ""));

		json_decref(j);
		return r;
	}
	while (off < b->len) {
		json_t *j = json_loadb(b->data + off, b->len - off, JSON_DISABLE_EOF_CHECK, &jerr);
		const char *e, *s;

		if (!j)
			break;
		off += jerr.position;
		off += strspn(b->data + off, "\r\n ");
		e = json_string_value(json_object_get(j, "error"));
		s = json_string_value(json_object_get(j, "status"));
		if (json_is_string(json_object_get(j, "stream")) && !quiet)
			fputs(json_string_value(json_object_get(j, "stream")), stdout);
		if (e) {
			int r = berr_set(err, EIO, "%s", e);

			json_decref(j);
			return r;
		}
		if (s)
			printf("%s\n", s);
		json_decref(j);
	}
	return 0;
}

/* /images/create?fromSrc=-&repo=...&changes=...&message=... (several
 * changes go as lines of one value). */
static char *image_import_path(const struct image_import_opts *o, const char *ref)
{
	char *path = xstrdup("/images/create?fromSrc=-");

	if (ref)
		client_query_add(&path, "repo", ref);
	if (o->changes.n) {
		size_t len = 0;
		char *joined;
		FILE *f = open_memstream(&joined, &len);

		for (size_t i = 0; i < o->changes.n; i++)
			fprintf(f, "%s%s", i ? "\n" : "", o->changes.v[i]);
		fclose(f);
		client_query_add(&path, "changes", joined);
		free(joined);
	}
	if (o->message)
		client_query_add(&path, "message", o->message);
	if (o->platform)
		client_query_add(&path, "platform", o->platform);
	return path;
}

static int image_import_exec(struct cli *cli, void *opts, int argc, char **argv)
{
	struct image_import_opts *o = opts;
	_cleanup_berr_ struct berr *err = NULL;
	_cleanup_free_ char *path = image_import_path(o, argc > 1 ? argv[1] : NULL);
	struct image_buf b = {0};
	bool stdin_src = streq(argv[0], "-");
	FILE *in = stdin_src ? stdin : fopen(argv[0], "re");
	long status = 0;
	int r;

	if (!in) {
		fprintf(stderr, "open %s: %s\n", argv[0], strerror(errno));
		return 1;
	}
	r = image_upload(cli->host, path, in, &b, &status, &err);
	if (r == 0)
		r = image_import_print(status, &b, false, &err);
	if (!stdin_src)
		fclose(in);
	free(b.data);
	return r < 0 ? cmd_fail(err) : 0;
}

#define IMAGE_IMPORT_ENTRY(grp, nm)                                                                \
	{                                                                                          \
		.group = grp, .name = nm, .args_usage = "[OPTIONS] file|- [REPOSITORY[:TAG]]",     \
		.summary = "Import the contents from a tarball to create a filesystem image",      \
		.min_args = 1, .max_args = 2, .opts = image_import_defs,                           \
		.opts_size = sizeof(struct image_import_opts), .exec = image_import_exec,          \
	}

const struct cmd_entry cmd_image_import_entry = IMAGE_IMPORT_ENTRY("image", "import");
const struct cmd_entry cmd_import_entry = IMAGE_IMPORT_ENTRY(NULL, "import");

/* --- load: a docker-archive tar (POST /images/load) --- */

struct image_load_opts {
	char *input;
	bool quiet;
};

static const struct opts_def image_load_defs[] = {
	{"input", 'i', OPTS_STRING, offsetof(struct image_load_opts, input), "string",
	 "Read from tar archive file, instead of STDIN"},
	{"quiet", 'q', OPTS_BOOL, offsetof(struct image_load_opts, quiet), NULL,
	 "Suppress the load output"},
	OPTS_END,
};

static int image_load_exec(struct cli *cli, void *opts, int argc, char **argv)
{
	struct image_load_opts *o = opts;
	_cleanup_berr_ struct berr *err = NULL;
	struct image_buf b = {0};
	FILE *in = o->input ? fopen(o->input, "re") : stdin;
	long status = 0;
	int r;

	(void)argc, (void)argv;
	if (!in) {
		fprintf(stderr, "open %s: %s\n", o->input, strerror(errno));
		return 1;
	}
	if (!o->input && isatty(STDIN_FILENO)) {
		fprintf(stderr, "requested load from stdin, but stdin is empty\n");
		return 1;
	}
	r = image_upload(cli->host, "/images/load", in, &b, &status, &err);
	if (r == 0)
		r = image_import_print(status, &b, o->quiet, &err);
	if (o->input)
		fclose(in);
	free(b.data);
	return r < 0 ? cmd_fail(err) : 0;
}

#define IMAGE_LOAD_ENTRY(grp)                                                                      \
	{                                                                                          \
		.group = grp, .name = "load", .args_usage = "[OPTIONS]",                           \
		.summary = "Load an image from a tar archive or STDIN", .min_args = 0,             \
		.max_args = 0, .opts = image_load_defs,                                            \
		.opts_size = sizeof(struct image_load_opts), .exec = image_load_exec,              \
	}

const struct cmd_entry cmd_load_entry = IMAGE_LOAD_ENTRY(NULL);
const struct cmd_entry cmd_image_load_entry = IMAGE_LOAD_ENTRY("image");

/* --- ls --- */

struct image_ls_opts {
	bool all, quiet, no_trunc, digests;
	char *format;
	struct strv filters;
};

#define IL(f) offsetof(struct image_ls_opts, f)

static const struct opts_def image_ls_defs[] = {
	{"all", 'a', OPTS_BOOL, IL(all), NULL,
	 "Show all images (default hides intermediate images)"},
	{"digests", 0, OPTS_BOOL, IL(digests), NULL, "Show digests"},
	{"filter", 'f', OPTS_LIST, IL(filters), "filter",
	 "Filter output based on conditions provided"},
	{"format", 0, OPTS_STRING, IL(format), "string",
	 "Format output using a custom template: 'table', 'table TEMPLATE', 'json' or "
	 "'TEMPLATE'"},
	{"no-trunc", 0, OPTS_BOOL, IL(no_trunc), NULL, "Don't truncate output"},
	{"quiet", 'q', OPTS_BOOL, IL(quiet), NULL, "Only show image IDs"},
	OPTS_END,
};

#define IMAGE_LS_TABLE "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"

/* Go's units.HumanDuration, as docker prints CREATED ("2 hours"). */
static char *image_human_duration(double secs)
{
	double h = secs / 3600;

	if (secs < 1)
		return xstrdup("Less than a second");
	if (secs < 60)
		return xasprintf("%d second%s", (int)secs, (int)secs == 1 ? "" : "s");
	if (secs / 60 < 2)
		return xstrdup("About a minute");
	if (secs / 60 < 60)
		return xasprintf("%d minutes", (int)(secs / 60));
	if ((long)(h + 0.5) == 1)
		return xstrdup("About an hour");
	if (h < 48)
		return xasprintf("%d hours", (int)(h + 0.5));
	if (h < 24 * 7 * 2)
		return xasprintf("%d days", (int)(h / 24));
	if (h < 24 * 30 * 2)
		return xasprintf("%d weeks", (int)(h / 24 / 7));
	if (h < 24 * 365 * 2)
		return xasprintf("%d months", (int)(h / 24 / 30));
	return xasprintf("%d years", (int)(h / 24 / 365));
}

/* Go's units.HumanSizeWithPrecision: decimal units, prec significant
 * digits ("1.98MB" with 3; units.HumanSize is 4). */
static char *image_human_size_prec(double size, int prec)
{
	static const char *const units[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB"};
	size_t i = 0;

	while (size >= 1000 && i + 1 < ARRAY_SIZE(units)) {
		size /= 1000;
		i++;
	}
	return xasprintf("%.*g%s", prec, size, units[i]);
}

/* HumanSizeWithPrecision(size, 3), as images and history print SIZE. */
static char *image_human_size(double size)
{
	return image_human_size_prec(size, 3);
}

/* One row per tag (one "<none>" row for an untagged image). */
static void image_ls_add_rows(json_t *rows, json_t *img, bool no_trunc)
{
	const char *id = json_string_value(json_object_get(img, "Id")) ?: "";
	const char *hex = strprefix(id, "sha256:") ? id + strlen("sha256:") : id;
	json_int_t created = json_integer_value(json_object_get(img, "Created"));
	json_t *tags = json_object_get(img, "RepoTags"), *t;
	_cleanup_free_ char *since = image_human_duration(difftime(time(NULL), (time_t)created));
	_cleanup_free_ char *size =
		image_human_size((double)json_integer_value(json_object_get(img, "Size")));
	char at[64];
	time_t ct = (time_t)created;
	size_t i;

	strftime(at, sizeof(at), "%Y-%m-%d %H:%M:%S %z %Z", localtime(&ct));
	if (!json_array_size(tags))
		tags = json_pack("[s]", "<none>:<none>");
	else
		json_incref(tags);
	json_array_foreach (tags, i, t) {
		const char *rt = json_string_value(t) ?: "<none>:<none>";
		const char *colon = strrchr(rt, ':');
		const char *digest = "<none>";
		json_t *rd;
		size_t k;

		/* --digests: the RepoDigests entry of this repository */
		json_array_foreach (json_object_get(img, "RepoDigests"), k, rd) {
			const char *v = json_string_value(rd) ?: "";
			const char *sep = strchr(v, '@');

			if (sep && colon && (size_t)(sep - v) == (size_t)(colon - rt) &&
			    strncmp(v, rt, (size_t)(sep - v)) == 0)
				digest = sep + 1;
		}

		json_array_append_new(
			rows, json_pack("{s:s%, s:s, s:s%, s:s+, s:s, s:s, s:s, s:I}", "Repository",
					rt, colon ? (size_t)(colon - rt) : strlen(rt), "Tag",
					colon ? colon + 1 : "<none>", "ID", no_trunc ? id : hex,
					no_trunc ? strlen(id) : strnlen(hex, IMAGE_SHORT_ID),
					"CreatedSince", since, " ago", "CreatedAt", at, "Size",
					size, "Digest", digest, "Created", created));
	}
	json_decref(tags);
}

/* Newest first, as docker lists them. */
static int image_ls_cmp(const void *a, const void *b)
{
	json_int_t x = json_integer_value(json_object_get(*(json_t *const *)a, "Created"));
	json_int_t y = json_integer_value(json_object_get(*(json_t *const *)b, "Created"));

	return x < y ? 1 : x > y ? -1 : 0;
}

static json_t *image_ls_rows(json_t *list, bool no_trunc)
{
	size_t n = json_array_size(list);
	json_t **v = xcalloc(n + 1, sizeof(*v)), *rows = json_array();

	for (size_t i = 0; i < n; i++)
		v[i] = json_array_get(list, i);
	qsort(v, n, sizeof(*v), image_ls_cmp);
	for (size_t i = 0; i < n; i++)
		image_ls_add_rows(rows, v[i], no_trunc);
	free(v);
	return rows;
}

static json_t *image_ls_header(void)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "Repository", "REPOSITORY", "Tag",
			 "TAG", "ID", "IMAGE ID", "CreatedSince", "CREATED", "CreatedAt",
			 "CREATED AT", "Size", "SIZE", "Digest", "DIGEST");
}

/* -q: each id once. */
static void image_ls_print_ids(json_t *rows)
{
	json_t *seen = json_object(), *r;
	size_t i;

	json_array_foreach (rows, i, r) {
		const char *id = json_string_value(json_object_get(r, "ID"));

		if (json_object_get(seen, id))
			continue;
		json_object_set_new(seen, id, json_true());
		printf("%s\n", id);
	}
	json_decref(seen);
}

static int image_ls_fetch(struct client *c, const struct image_ls_opts *o, json_t **ret,
			  struct berr **err)
{
	_cleanup_free_ char *path = xstrdup("/images/json"), *fj = NULL;
	int r = format_filters_json(&o->filters, &fj, err);

	if (r < 0)
		return r;
	if (o->all)
		client_query_add(&path, "all", "1");
	if (fj)
		client_query_add(&path, "filters", fj);
	r = client_get(c, path, ret, err);
	if (r == 0 && !json_is_array(*ret)) {
		json_decref(*ret);
		return berr_set(err, EPROTO, "invalid reply to GET /images/json: not a list");
	}
	return r;
}

static int image_ls_exec(struct cli *cli, void *opts, int argc, char **argv)
{
	struct image_ls_opts *o = opts;
	_cleanup_berr_ struct berr *err = NULL;
	struct client *c = NULL;
	json_t *list = NULL, *rows, *header;
	int rc = 0;

	(void)argc, (void)argv;
	if (cmd_connect(cli, &c))
		return 1;
	if (image_ls_fetch(c, o, &list, &err) < 0) {
		client_free(c);
		return cmd_fail(err);
	}
	rows = image_ls_rows(list, o->no_trunc);
	header = image_ls_header();
	struct format_list fl = {
		.format = o->format,
		.def = IMAGE_LS_TABLE,
		.rows = rows,
		.header = header,
		.json_skip = "Created",
	};
	if (o->quiet && (!o->format || streq(o->format, "table")))
		image_ls_print_ids(rows);
	else if (format_list_print(&fl, stdout, &err) < 0)
		rc = cmd_fail(err);
	json_decref(header);
	json_decref(rows);
	json_decref(list);
	client_free(c);
	return rc;
}

#define IMAGE_LS_ENTRY(grp, nm, al)                                                                \
	{                                                                                          \
		.group = grp, .name = nm, .alias = al, .args_usage = "[OPTIONS]",                  \
		.summary = "List images", .max_args = 0, .opts = image_ls_defs,                    \
		.opts_size = sizeof(struct image_ls_opts), .exec = image_ls_exec,                  \
	}

const struct cmd_entry cmd_image_ls_entry = IMAGE_LS_ENTRY("image", "ls", "list");
const struct cmd_entry cmd_images_entry = IMAGE_LS_ENTRY(NULL, "images", NULL);

/* --- rm --- */

struct image_rm_opts {
	bool force, no_prune;
};

static const struct opts_def image_rm_defs[] = {
	{"force", 'f', OPTS_BOOL, offsetof(struct image_rm_opts, force), NULL,
	 "Force removal of the image"},
	{"no-prune", 0, OPTS_BOOL, offsetof(struct image_rm_opts, no_prune), NULL,
	 "Do not delete untagged parents"},
	OPTS_END,
};

/* DELETE /images/{name}; prints "Untagged: x" / "Deleted: y". */
static int image_rm_one(struct client *c, const struct image_rm_opts *o, const char *name,
			struct berr **err)
{
	_cleanup_free_ char *esc = client_escape(name);
	_cleanup_free_ char *path = xasprintf("/images/%s", esc);
	json_t *reply = NULL, *item, *v;
	const char *k;
	size_t i;
	int r;

	if (o->force)
		client_query_add(&path, "force", "1");
	if (o->no_prune)
		client_query_add(&path, "noprune", "1");
	r = client_request(c, "DELETE", path, NULL, &reply, err);
	json_array_foreach (reply, i, item)
		json_object_foreach (item, k, v)
			printf("%s: %s\n", k, json_string_value(v) ?: "");
	json_decref(reply);
	return r;
}

static int image_rm_exec(struct cli *cli, void *opts, int argc, char **argv)
{
	struct image_rm_opts *o = opts;
	struct strv errors = {0};
	struct client *c = NULL;
	int rc = 0;

	if (cmd_connect(cli, &c))
		return 1;
	for (int i = 0; i < argc; i++) {
		_cleanup_berr_ struct berr *err = NULL;
		int r = image_rm_one(c, o, argv[i], &err);

		if (r < 0) {
			strv_push(&errors, berr_msg(err));
			/* docker rmi -f: a missing image is reported, not an error */
			if (!(o->force && r == -ENOENT))
				rc = 1;
		}
	}
	for (size_t i = 0; i < errors.n; i++)
		fprintf(stderr, "%s\n", errors.v[i]);
	strv_done(&errors);
	client_free(c);
	return rc;
}

#define IMAGE_RM_ENTRY(grp, nm, al)                                                                \
	{                                                                                          \
		.group = grp, .name = nm, .alias = al, .args_usage = "[OPTIONS] IMAGE [IMAGE...]", \
		.summary = "Remove one or more images", .min_args = 1, .max_args = -1,             \
		.opts = image_rm_defs, .opts_size = sizeof(struct image_rm_opts),                  \
		.exec = image_rm_exec,                                                             \
	}

const struct cmd_entry cmd_image_rm_entry = IMAGE_RM_ENTRY("image", "rm", "remove");
const struct cmd_entry cmd_rmi_entry = IMAGE_RM_ENTRY(NULL, "rmi", NULL);

/* --- tag --- */

static const struct opts_def image_tag_defs[] = {
	OPTS_END,
};

/* SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]: repo and tag split as docker
 * does (a ':' after the last '/'). */
static int image_tag_exec(struct cli *cli, void *opts, int argc, char **argv)
{
	_cleanup_berr_ struct berr *err = NULL;
	_cleanup_free_ char *esc = client_escape(argv[0]), *path = NULL, *repo = NULL;
	const char *slash = strrchr(argv[1], '/'), *colon = strrchr(argv[1], ':');
	struct client *c = NULL;
	int rc = 0;

	(void)opts, (void)argc;
	path = xasprintf("/images/%s/tag", esc);
	if (colon && (!slash || colon > slash)) {
		repo = xstrndup(argv[1], (size_t)(colon - argv[1]));
		client_query_add(&path, "repo", repo);
		client_query_add(&path, "tag", colon + 1);
	} else {
		client_query_add(&path, "repo", argv[1]);
	}
	if (cmd_connect(cli, &c))
		return 1;
	if (client_post(c, path, NULL, NULL, &err) < 0)
		rc = cmd_fail(err);
	client_free(c);
	return rc;
}

#define IMAGE_TAG_ENTRY(grp, nm)                                                                   \
	{                                                                                          \
		.group = grp, .name = nm, .args_usage = "SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]",   \
		.summary = "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE", .min_args = 2, \
		.max_args = 2, .opts = image_tag_defs, .exec = image_tag_exec,                     \
	}

const struct cmd_entry cmd_image_tag_entry = IMAGE_TAG_ENTRY("image", "tag");
const struct cmd_entry cmd_tag_entry = IMAGE_TAG_ENTRY(NULL, "tag");

/* --- inspect --- */

struct image_inspect_opts {
	char *format;
};

static const struct opts_def image_inspect_defs[] = {
	{"format", 'f', OPTS_STRING, offsetof(struct image_inspect_opts, format), "string",
	 "Format output using a custom template: 'json' or a Go template"},
	OPTS_END,
};

static int image_inspect_exec(struct cli *cli, void *opts, int argc, char **argv)
{
	struct image_inspect_opts *o = opts;
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
		_cleanup_free_ char *esc = client_escape(argv[i]);
		_cleanup_free_ char *path = xasprintf("/images/%s/json", esc);
		json_t *img = NULL;

		if (client_get(c, path, &img, &err) < 0 ||
		    (o->format && format_object_print(o->format, img, stdout, &err) < 0))
			strv_push(&errors, berr_msg(err));
		else if (!o->format)
			json_array_append(found, img);
		json_decref(img);
	}
	if (!o->format) {
		char *s = json_dumps(found, JSON_INDENT(4) | JSON_PRESERVE_ORDER);

		printf("%s\n", s ? s : "[]");
		free(s);
	}
	for (size_t i = 0; i < errors.n; i++)
		fprintf(stderr, "%s\n", errors.v[i]);
	rc = errors.n ? 1 : 0;
	strv_done(&errors);
	json_decref(found);
	client_free(c);
	return rc;
}

const struct cmd_entry cmd_image_inspect_entry = {
	.group = "image",
	.name = "inspect",
	.args_usage = "[OPTIONS] IMAGE [IMAGE...]",
	.summary = "Display detailed information on one or more images",
	.min_args = 1,
	.max_args = -1,
	.opts = image_inspect_defs,
	.opts_size = sizeof(struct image_inspect_opts),
	.exec = image_inspect_exec,
};

/* --- history --- */

struct image_history_opts {
	struct opts_optbool human;
	bool no_trunc, quiet;
	char *format;
};

static const struct opts_def image_history_defs[] = {
	{"format", 0, OPTS_STRING, offsetof(struct image_history_opts, format), "string",
	 "Format output using a custom template: 'table', 'table TEMPLATE', 'json' or a Go "
	 "template"},
	{"human", 'H', OPTS_OPTBOOL, offsetof(struct image_history_opts, human), NULL,
	 "Print sizes and dates in human readable format (default true)"},
	{"no-trunc", 0, OPTS_BOOL, offsetof(struct image_history_opts, no_trunc), NULL,
	 "Don't truncate output"},
	{"quiet", 'q', OPTS_BOOL, offsetof(struct image_history_opts, quiet), NULL,
	 "Only show image IDs"},
	OPTS_END,
};

#define IMAGE_HISTORY_BY_WIDTH 45
#define IMAGE_HISTORY_TABLE                                                                        \
	"table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}"

/* Go's time.RFC3339 in local time: "2006-01-02T15:04:05+01:00", "Z" for
 * UTC.  Caller frees. */
static char *image_rfc3339(time_t t)
{
	struct tm tm;
	char buf[32];
	long off;

	localtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	off = tm.tm_gmtoff;
	if (!off)
		return xasprintf("%sZ", buf);
	return xasprintf("%s%c%02ld:%02ld", buf, off < 0 ? '-' : '+', labs(off) / 3600,
			 labs(off) % 3600 / 60);
}

/* CREATED BY as docker shows it: tabs as spaces, cut to 45 characters
 * (the last one "…") unless no_trunc.  Caller frees. */
static char *image_history_by(const char *by, bool no_trunc)
{
	char *s = xstrdup(by);
	size_t chars = 0, cut = 0;

	for (char *p = s; *p; p++)
		if (*p == '\t')
			*p = ' ';
	if (no_trunc)
		return s;
	/* count UTF-8 characters; cut is where the 45th begins */
	for (size_t i = 0; s[i]; i++) {
		if (((unsigned char)s[i] & 0xc0) == 0x80)
			continue;
		if (++chars == IMAGE_HISTORY_BY_WIDTH)
			cut = i;
	}
	if (chars > IMAGE_HISTORY_BY_WIDTH) {
		char *t = xasprintf("%.*s…", (int)cut, s);

		free(s);
		s = t;
	}
	return s;
}

static json_t *image_history_row(json_t *e, const struct image_history_opts *o)
{
	bool human = !o->human.set || o->human.value;
	const char *id = json_string_value(json_object_get(e, "Id")) ?: "<missing>";
	const char *colon = strchr(id, ':');
	json_int_t size = json_integer_value(json_object_get(e, "Size"));
	time_t ct = (time_t)json_integer_value(json_object_get(e, "Created"));
	_cleanup_free_ char *shown_id = NULL, *since = NULL, *at = image_rfc3339(ct);
	_cleanup_free_ char *sz = NULL, *by = NULL;

	/* docker's stringid.TruncateID: after any "algo:", 12 characters */
	if (o->no_trunc)
		shown_id = xstrdup(id);
	else
		shown_id = xstrndup(colon ? colon + 1 : id, IMAGE_SHORT_ID);
	if (human) {
		_cleanup_free_ char *d = image_human_duration(difftime(time(NULL), ct));

		since = xasprintf("%s ago", d);
		sz = image_human_size((double)size);
	} else {
		since = xstrdup(at);
		sz = xasprintf("%lld", (long long)size);
	}
	by = image_history_by(json_string_value(json_object_get(e, "CreatedBy")) ?: "",
			      o->no_trunc);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "ID", shown_id, "CreatedSince", since,
			 "CreatedAt", at, "CreatedBy", by, "Size", sz, "Comment",
			 json_string_value(json_object_get(e, "Comment")) ?: "");
}

static int image_history_exec(struct cli *cli, void *opts, int argc, char **argv)
{
	struct image_history_opts *o = opts;
	_cleanup_berr_ struct berr *err = NULL;
	_cleanup_free_ char *esc = client_escape(argv[0]);
	_cleanup_free_ char *path = xasprintf("/images/%s/history", esc);
	_cleanup_json_ json_t *list = NULL, *rows = json_array();
	struct client *c = NULL;
	json_t *e;
	size_t i;
	int rc;

	(void)argc;
	if (cmd_connect(cli, &c))
		return 1;
	rc = client_get(c, path, &list, &err);
	client_free(c);
	if (rc == 0 && !json_is_array(list))
		rc = berr_set(&err, EPROTO, "invalid reply to GET %s: not a list", path);
	if (rc < 0)
		return cmd_fail(err);
	json_array_foreach (list, i, e)
		json_array_append_new(rows, image_history_row(e, o));
	struct format_list fl = {
		.format = o->format,
		.def = IMAGE_HISTORY_TABLE,
		.rows = rows,
		.header = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "ID", "IMAGE", "CreatedSince",
				    "CREATED", "CreatedAt", "CREATED AT", "CreatedBy", "CREATED BY",
				    "Size", "SIZE", "Comment", "COMMENT"),
		.quiet = o->quiet,
		.quiet_def = "{{.ID}}",
	};

	rc = format_list_print(&fl, stdout, &err);
	json_decref(fl.header);
	return rc < 0 ? cmd_fail(err) : 0;
}

#define IMAGE_HISTORY_ENTRY(grp)                                                                   \
	{                                                                                          \
		.group = grp, .name = "history", .args_usage = "[OPTIONS] IMAGE",                  \
		.summary = "Show the history of an image", .min_args = 1, .max_args = 1,           \
		.opts = image_history_defs, .opts_size = sizeof(struct image_history_opts),        \
		.exec = image_history_exec,                                                        \
	}

const struct cmd_entry cmd_history_entry = IMAGE_HISTORY_ENTRY(NULL);
const struct cmd_entry cmd_image_history_entry = IMAGE_HISTORY_ENTRY("image");

/* --- prune --- */

struct image_prune_opts {
	bool all, force;
	struct strv filters;
};

static const struct opts_def image_prune_defs[] = {
	{"all", 'a', OPTS_BOOL, offsetof(struct image_prune_opts, all), NULL,
	 "Remove all unused images, not just dangling ones"},
	{"filter", 0, OPTS_LIST, offsetof(struct image_prune_opts, filters), "filter",
	 "Provide filter values (e.g. \"until=<timestamp>\")"},
	{"force", 'f', OPTS_BOOL, offsetof(struct image_prune_opts, force), NULL,
	 "Do not prompt for confirmation"},
	OPTS_END,
};

#define IMAGE_PRUNE_WARNING                                                                        \
	"WARNING! This will remove all dangling images.\nAre you sure you want to continue? "      \
	"[y/N] "
#define IMAGE_PRUNE_ALL_WARNING                                                                    \
	"WARNING! This will remove all images without at least one container associated to "       \
	"them.\nAre you sure you want to continue? [y/N] "

static void image_prune_opts_free(void *opts)
{
	strv_done(&((struct image_prune_opts *)opts)->filters);
}

/* The filters query: {"dangling":["true"]} ("false" with -a) and each
 * --filter k=v (parsed as other commands parse them), in the list form
 * of docker's filters.Args.  Caller frees. */
static int image_prune_filters(const struct image_prune_opts *o, char **ret, struct berr **err)
{
	_cleanup_free_ char *fj = NULL;
	_cleanup_json_ json_t *given = NULL, *f = json_object();
	json_t *set, *v;
	const char *k, *val;
	int r;

	if ((r = format_filters_json(&o->filters, &fj, err)) < 0)
		return r;
	given = fj ? json_loads(fj, 0, NULL) : json_object();
	json_object_foreach (given, k, set) {
		json_t *vals = json_array();

		json_object_foreach (set, val, v)
			json_array_append_new(vals, json_string(val));
		json_object_set_new(f, k, vals);
	}
	if (!(v = json_object_get(f, "dangling")))
		json_object_set_new(f, "dangling", v = json_array());
	json_array_append_new(v, json_string(o->all ? "false" : "true"));
	*ret = json_dumps(f, JSON_COMPACT);
	return 0;
}

/* docker's report: "Deleted Images:", a line per entry, a blank line. */
static void image_prune_print(json_t *reply)
{
	json_t *deleted = json_object_get(reply, "ImagesDeleted"), *e;
	_cleanup_free_ char *sz = image_human_size_prec(
		(double)json_integer_value(json_object_get(reply, "SpaceReclaimed")), 4);
	size_t i;

	if (json_array_size(deleted)) {
		printf("Deleted Images:\n");
		json_array_foreach (deleted, i, e) {
			const char *u = json_string_value(json_object_get(e, "Untagged"));
			const char *d = json_string_value(json_object_get(e, "Deleted"));

			if (u && *u)
				printf("untagged: %s\n", u);
			else
				printf("deleted: %s\n", d ? d : "");
		}
		printf("\n");
	}
	printf("Total reclaimed space: %s\n", sz);
}

static int image_prune_exec(struct cli *cli, void *opts, int argc, char **argv)
{
	struct image_prune_opts *o = opts;
	_cleanup_berr_ struct berr *err = NULL;
	_cleanup_free_ char *path = xstrdup("/images/prune"), *fj = NULL;
	_cleanup_json_ json_t *reply = NULL;
	struct client *c = NULL;
	int rc;

	(void)argc, (void)argv;
	if (image_prune_filters(o, &fj, &err) < 0)
		return cmd_fail(err);
	client_query_add(&path, "filters", fj);
	if (!o->force &&
	    !cmd_confirm(o->all ? IMAGE_PRUNE_ALL_WARNING : IMAGE_PRUNE_WARNING, stdin))
		return 0;
	if (cmd_connect(cli, &c))
		return 1;
	rc = client_post(c, path, NULL, &reply, &err);
	client_free(c);
	if (rc < 0)
		return cmd_fail(err);
	image_prune_print(reply);
	return 0;
}

const struct cmd_entry cmd_image_prune_entry = {
	.group = "image",
	.name = "prune",
	.args_usage = "[OPTIONS]",
	.summary = "Remove unused images",
	.max_args = 0,
	.opts = image_prune_defs,
	.opts_size = sizeof(struct image_prune_opts),
	.opts_free = image_prune_opts_free,
	.exec = image_prune_exec,
};
