/* api-imgarchive.c - docker save and docker load: GET /images/get?names=
 * (several), GET /images/{name}/get, POST /images/load?quiet= (the body
 * spooled to a file by http.c).  Jobs: the archive is written to (read
 * from) a file on the job thread by runtime/imgarchive.c; the loop sends
 * it or the "Loaded image" lines. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/api.h"
#include "core/controller.h"
#include "core/events.h"
#include "core/util.h"
#include "runtime/imgarchive.h"

struct api_imgar {
	char **refs; /* save: what to save */
	size_t n;
	int fd;		/* the archive */
	bool quiet;	/* load */
	json_t *loaded; /* load: Docker's lines */
};

static void api_imgar_free(void *data)
{
	struct api_imgar *x = data;

	for (size_t i = 0; i < x->n; i++)
		free(x->refs[i]);
	free(x->refs);
	if (x->fd >= 0)
		close(x->fd);
	json_decref(x->loaded);
	free(x);
}

static void api_imgar_save_run(struct api_job *aj)
{
	struct api_imgar *x = aj->data;

	if (api_tmpfile(aj->api, &x->fd, &aj->err) == 0)
		imgar_save(aj->api->ctl->images, x->refs, x->n, x->fd, &aj->err);
}

static void api_imgar_save_after(struct api_job *aj)
{
	struct api_imgar *x = aj->data;

	if (aj->err || !aj->req)
		return;
	for (size_t i = 0; i < x->n; i++)
		events_emit(aj->api->events, "image", "save", x->refs[i],
			    json_pack("{s:s}", "name", x->refs[i]));
	api_stream_tar(aj->req, x->fd);
	aj->req = NULL;
}

static void api_imgar_save_submit(struct api *api, struct http_req *req, struct api_imgar *x)
{
	if (!x->n) {
		http_reply_error(req, 400, "no image to save: names is required");
		api_imgar_free(x);
		return;
	}
	api_job_submit_after(api, req, api_imgar_save_run, x, api_imgar_free, api_imgar_save_after,
			     NULL);
}

/* GET /images/get?names=a&names=b */
static void api_imgar_save_many(struct api *api, struct http_req *req, char **params)
{
	struct api_imgar *x = xcalloc(1, sizeof(*x));
	_cleanup_free_ char *names = http_req_query_joined(req, "names", '\n');
	char *save = NULL;

	(void)params;
	x->fd = -1;
	x->refs = xcalloc(1, sizeof(*x->refs));
	for (char *n = names ? strtok_r(names, "\n", &save) : NULL; n;
	     n = strtok_r(NULL, "\n", &save)) {
		x->refs = xrealloc(x->refs, (x->n + 1) * sizeof(*x->refs));
		x->refs[x->n++] = xstrdup(n);
	}
	api_imgar_save_submit(api, req, x);
}

/* GET /images/{name}/get */
static void api_imgar_save_one(struct api *api, struct http_req *req, char **params)
{
	struct api_imgar *x = xcalloc(1, sizeof(*x));

	x->fd = -1;
	x->refs = xcalloc(1, sizeof(*x->refs));
	x->refs[x->n++] = xstrdup(params[0]);
	api_imgar_save_submit(api, req, x);
}

static void api_imgar_load_run(struct api_job *aj)
{
	struct api_imgar *x = aj->data;
	_cleanup_free_ char *tmp = xasprintf("%s/tmp", aj->api->root);

	imgar_load(aj->api->ctl->images, x->fd, tmp, &x->loaded, &aj->err);
}

/* The reply: Docker's JSON message stream, one "stream" line per image. */
static void api_imgar_load_after(struct api_job *aj)
{
	struct api_imgar *x = aj->data;
	_cleanup_json_ json_t *messages = json_array();
	size_t i;
	json_t *line;

	if (aj->err || !aj->req)
		return;
	json_array_foreach (x->loaded, i, line) {
		json_array_append_new(messages,
				      json_pack("{s:s+}", "stream", json_string_value(line), "\n"));
		events_emit(aj->api->events, "image", "load", json_string_value(line),
			    json_object());
	}
	/* (quiet only drops progress, which berth does not send: the lines
	 * stay, as dockerd's) */
	api_reply_json_lines(aj->req, messages);
	aj->req = NULL;
}

/* POST /images/load?quiet= */
static void api_imgar_load(struct api *api, struct http_req *req, char **params)
{
	struct api_imgar *x = xcalloc(1, sizeof(*x));

	(void)params;
	x->quiet = api_query_bool(req, "quiet", false);
	if (http_req_body_fd(req, &x->fd) < 0) {
		x->fd = -1;
		http_reply_error(req, 500, "cannot read the request body");
		api_imgar_free(x);
		return;
	}
	api_job_submit_after(api, req, api_imgar_load_run, x, api_imgar_free, api_imgar_load_after,
			     NULL);
}

const struct api_route api_imgarchive_routes[] = {
	{"GET", "/images/get", api_imgar_save_many},
	{"GET", "/images/{name*}/get", api_imgar_save_one},
	{"POST", "/images/load", api_imgar_load},
	{0},
};
