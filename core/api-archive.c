/* api-archive.c - a container's files as tar streams: GET /containers/{id}/
 * export (docker export), GET and HEAD /containers/{id}/archive?path=
 * (docker cp out, and its stat), PUT /containers/{id}/archive?path= (docker
 * cp in; the body was spooled to a file by http.c).
 *
 * Each is a job: the runtime's file system helper (runtime/fsio.c) runs to
 * its end on the job thread, so a stopped container cannot be started
 * while its overlay is mounted by the helper.  A tar going out is written
 * to an unlinked file under <root>/tmp first; the after hook (loop) streams
 * it to the client. */
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/api.h"
#include "core/container.h"
#include "core/controller.h"
#include "core/ctl-container.h"
#include "core/util.h"
#include "runtime/image.h"
#include "runtime/runtime.h"

#define API_ARC_BLOCK (64 * 1024)

/* What an archive job needs and what it gives back. */
struct api_arc {
	char *path;	   /* NULL: export */
	bool stat_only;	   /* HEAD */
	bool no_overwrite; /* PUT: noOverwriteDirNonDir */
	int fd;		   /* the tar: a temp file (out) or the spooled body (in) */
	json_t *stat;	   /* Docker's path stat, for the header */
};

static void api_arc_free(void *data)
{
	struct api_arc *a = data;

	if (a->fd >= 0)
		close(a->fd);
	free(a->path);
	json_decref(a->stat);
	free(a);
}

static void api_arc_target_done(struct rt_fs_target *t)
{
	for (size_t i = 0; t->lower_dirs && t->lower_dirs[i]; i++)
		free(t->lower_dirs[i]);
	free(t->lower_dirs);
	free((char *)t->bundle);
}

/* Where c's files are: its mount namespace while it runs, else its layers
 * and bundle. */
static int api_arc_target(struct ctl *ctl, struct container *c, struct rt_fs_target *ret,
			  struct berr **err)
{
	struct image *img;
	int r;

	*ret = (struct rt_fs_target){.shim_path = getenv("BERTH_SHIM")};
	if (c->status == CTR_RUNNING && c->pid > 0) {
		ret->pid = c->pid;
		return 0;
	}
	if ((r = img_find(ctl->images, c->image_id, &img, err)) < 0)
		return r;
	ret->lower_dirs = img_layer_dirs(ctl->images, img);
	ret->bundle = ctl_container_bundle(ctl, c);
	return 0;
}

/* The helper's ENOENT for a path, in Docker's words. */
static void api_arc_not_found(struct berr *err, const char *path, const struct container *c)
{
	if (!err || err->code != ENOENT)
		return;
	free(err->msg);
	err->msg = xasprintf("Could not find the file %s in container %s", path, c->name);
}

int api_tmpfile(struct api *api, int *ret_fd, struct berr **err)
{
	_cleanup_free_ char *dir = xasprintf("%s/tmp", api->root);
	int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

	if (fd < 0)
		return berr_set(err, errno, "cannot make a temp file in %s: %m", dir);
	*ret_fd = fd;
	return 0;
}

/* Job thread: export or cp out into a temp file (or only the stat). */
static void api_arc_get_run(struct api_job *aj)
{
	struct api_arc *a = aj->data;
	struct rt_fs_target t = {0};
	struct container *c;

	if (ctl_container_find(aj->api->ctl, aj->params[0], &c, &aj->err) < 0 ||
	    api_arc_target(aj->api->ctl, c, &t, &aj->err) < 0)
		goto out;
	if (!a->stat_only && api_tmpfile(aj->api, &a->fd, &aj->err) < 0)
		goto out;
	if (rt_fs_tar(&t, a->path, a->fd, a->path ? &a->stat : NULL, &aj->err) < 0)
		api_arc_not_found(aj->err, a->path, c);
out:
	api_arc_target_done(&t);
}

/* X-Docker-Container-Path-Stat: base64 of the stat's JSON. */
static void api_arc_stat_header(struct http_req *req, json_t *stat)
{
	_cleanup_free_ char *js = NULL, *b64 = NULL;
	size_t len;

	if (!stat)
		return;
	js = json_dumps(stat, JSON_COMPACT);
	len = strlen(js);
	b64 = xmalloc(4 * ((len + 2) / 3) + 1);
	EVP_EncodeBlock((unsigned char *)b64, (const unsigned char *)js, (int)len);
	http_req_add_reply_header(req, "X-Docker-Container-Path-Stat", b64);
}

void api_stream_tar(struct http_req *req, int fd)
{
	_cleanup_free_ char *buf = xmalloc(API_ARC_BLOCK);
	ssize_t n;

	http_stream_begin(req, 200, "application/x-tar");
	if (lseek(fd, 0, SEEK_SET) == 0)
		while ((n = read(fd, buf, API_ARC_BLOCK)) > 0 && !http_req_gone(req))
			http_stream_write(req, buf, (size_t)n);
	http_stream_end(req);
}

/* Loop: the reply of a successful GET or HEAD. */
static void api_arc_get_after(struct api_job *aj)
{
	struct api_arc *a = aj->data;

	if (aj->err || !aj->req)
		return;
	api_arc_stat_header(aj->req, a->stat);
	if (a->stat_only)
		http_reply(aj->req, 200, NULL, NULL, 0);
	else
		api_stream_tar(aj->req, a->fd);
	aj->req = NULL;
}

/* Check and take the path query parameter ("/x" for "x"). */
static int api_arc_path(struct http_req *req, char **ret)
{
	const char *p = http_req_query(req, "path");

	if (!p || !*p) {
		http_reply_error(req, 400, "path is required");
		return -EINVAL;
	}
	*ret = *p == '/' ? xstrdup(p) : xasprintf("/%s", p);
	return 0;
}

static struct api_arc *api_arc_new(void)
{
	struct api_arc *a = xcalloc(1, sizeof(*a));

	a->fd = -1;
	return a;
}

/* GET /containers/{id}/export */
static void api_arc_export(struct api *api, struct http_req *req, char **params)
{
	api_job_submit_after(api, req, api_arc_get_run, api_arc_new(), api_arc_free,
			     api_arc_get_after, params);
}

/* GET and HEAD /containers/{id}/archive?path= */
static void api_arc_get(struct api *api, struct http_req *req, char **params)
{
	struct api_arc *a = api_arc_new();

	if (api_arc_path(req, &a->path) < 0) {
		api_arc_free(a);
		return;
	}
	a->stat_only = streq(http_req_method(req), "HEAD");
	api_job_submit_after(api, req, api_arc_get_run, a, api_arc_free, api_arc_get_after, params);
}

/* Job thread: extract the body into the container. */
static void api_arc_put_run(struct api_job *aj)
{
	struct api_arc *a = aj->data;
	struct rt_fs_target t = {0};
	struct container *c;

	if (ctl_container_find(aj->api->ctl, aj->params[0], &c, &aj->err) < 0 ||
	    api_arc_target(aj->api->ctl, c, &t, &aj->err) < 0)
		goto out;
	if (rt_fs_untar(&t, a->path, a->no_overwrite, a->fd, &aj->err) < 0) {
		api_arc_not_found(aj->err, a->path, c);
		/* Docker answers 400 for a bad destination or a refused overwrite */
		if (aj->err->code == ENOTDIR || aj->err->code == EISDIR)
			aj->err->code = EINVAL;
	}
out:
	api_arc_target_done(&t);
}

/* PUT /containers/{id}/archive?path=&noOverwriteDirNonDir= */
static void api_arc_put(struct api *api, struct http_req *req, char **params)
{
	struct api_arc *a = api_arc_new();
	struct berr *err = NULL;

	if (api_arc_path(req, &a->path) < 0) {
		api_arc_free(a);
		return;
	}
	if (http_req_body_fd(req, &a->fd) < 0) {
		berr_set(&err, EIO, "cannot read the request body");
		api_reply_berr(req, err);
		berr_free(err);
		api_arc_free(a);
		return;
	}
	a->no_overwrite = api_query_bool(req, "noOverwriteDirNonDir", false);
	api_job_submit(api, req, api_arc_put_run, a, api_arc_free, params);
}

const struct api_route api_archive_routes[] = {
	{"GET", "/containers/{id}/export", api_arc_export},
	{"GET", "/containers/{id}/archive", api_arc_get},
	{"PUT", "/containers/{id}/archive", api_arc_put},
	{0},
};
