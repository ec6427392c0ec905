/* api-registry.c - the routes that talk to registries: pull (POST
 * /images/create?fromImage=), push (POST /images/{name}/push) and login
 * (POST /auth).
 *
 * The network part of each runs on a transfer thread of its own, so a slow
 * registry holds neither the loop nor the job queue.  The thread's
 * progress messages go through a pipe to the loop, which forwards them as
 * Docker's JSON message stream; the stream's headers go out with the first
 * message, so a failure before it (an unknown tag, wrong credentials) is
 * an ordinary HTTP error.  The thread ends its messages with a NUL byte;
 * the loop then joins it and, for a pull, queues the job that stores what
 * was downloaded (the one writer of the image store), whose messages come
 * through the same pipe. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "core/api.h"
#include "core/controller.h"
#include "core/log.h"
#include "core/util.h"
#include "runtime/image.h"
#include "runtime/registry.h"

struct api_xfer {
	struct api *api;
	struct http_req *req;
	struct api_xfer *next; /* in api->xfers while the thread runs */
	int rfd, wfd;	       /* the messages */
	struct event *ev;
	pthread_t thread;
	bool thread_live;
	atomic_bool abort;
	bool streaming; /* the 200 and some messages have gone out */
	bool replied;
	void (*work)(struct api_xfer *x);   /* transfer thread */
	void (*finish)(struct api_xfer *x); /* loop, once the thread is done */
	struct berr *err;
	struct reg_auth auth;
	struct reg_opts o;
	char *tmp_dir, *blob_dir, *certs_dir;
	char *ref;
	char *ref_repo; /* push: the repository, as images are tagged */
	struct reg_pulled *pulled;
	struct reg_push_item *items;
	size_t n_items;
};

/* Progress from any thread: a JSON line into the pipe. */
static void api_xfer_progress(void *arg, json_t *msg)
{
	struct api_xfer *x = arg;
	char *s = json_dumps(msg, JSON_COMPACT);
	_cleanup_free_ char *line = s ? xasprintf("%s\r\n", s) : NULL;

	free(s);
	json_decref(msg);
	for (size_t off = 0, n = line ? strlen(line) : 0; off < n;) {
		ssize_t w = write(x->wfd, line + off, n - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return; /* (the loop closed its end: shutting down) */
		off += (size_t)w;
	}
}

static void api_xfer_free(struct api_xfer *x)
{
	if (x->ev)
		event_free(x->ev);
	if (x->rfd >= 0)
		close(x->rfd);
	if (x->wfd >= 0)
		close(x->wfd);
	berr_free(x->err);
	reg_auth_done(&x->auth);
	free(x->tmp_dir);
	free(x->blob_dir);
	free(x->certs_dir);
	free(x->ref);
	free(x->ref_repo);
	reg_pulled_free(x->pulled);
	for (size_t i = 0; i < x->n_items; i++)
		reg_push_item_done(&x->items[i]);
	free(x->items);
	free(x);
}

static void api_xfer_unlist(struct api_xfer *x)
{
	for (struct api_xfer **p = &x->api->xfers; *p; p = &(*p)->next)
		if (*p == x) {
			*p = x->next;
			break;
		}
}

/* Forward what the pipe holds; true when the thread's end mark was read. */
static bool api_xfer_drain(struct api_xfer *x)
{
	char buf[16384];
	bool ended = false;
	ssize_t n;

	while (x->rfd >= 0 && (n = read(x->rfd, buf, sizeof(buf))) > 0) {
		char *nul = memchr(buf, 0, (size_t)n);
		size_t keep = (size_t)n;

		if (nul) { /* (messages after it are the commit job's) */
			ended = true;
			memmove(nul, nul + 1, (size_t)(buf + n - nul - 1));
			keep--;
		}
		if (!x->req || !keep)
			continue;
		if (http_req_gone(x->req)) {
			atomic_store(&x->abort, true);
			continue;
		}
		if (!x->streaming) {
			http_stream_begin(x->req, 200, "application/json");
			x->streaming = true;
		}
		http_stream_write(x->req, buf, keep);
	}
	return ended;
}

/* The answer: the stream ended (with an error message in it), or an HTTP
 * error when nothing was sent yet. */
static void api_xfer_reply(struct api_xfer *x, json_t *last)
{
	if (!x->req || x->replied) {
		json_decref(last);
		return;
	}
	x->replied = true;
	if (x->err && !x->streaming) {
		json_decref(last);
		api_reply_berr(x->req, x->err);
		x->req = NULL;
		return;
	}
	if (!x->streaming) {
		http_stream_begin(x->req, 200, "application/json");
		x->streaming = true;
	}
	if (x->err) {
		const char *m = berr_msg(x->err);

		json_decref(last);
		last = json_pack("{s:{s:s}, s:s}", "errorDetail", "message", m, "error", m);
	}
	if (last) {
		char *s = json_dumps(last, JSON_COMPACT);
		_cleanup_free_ char *line = xasprintf("%s\r\n", s ? s : "{}");

		free(s);
		json_decref(last);
		http_stream_write(x->req, line, strlen(line));
	}
	http_stream_end(x->req);
	x->req = NULL;
}

static void *api_xfer_main(void *arg)
{
	struct api_xfer *x = arg;
	char end = 0;

	x->work(x);
	while (write(x->wfd, &end, 1) < 0 && errno == EINTR)
		;
	return NULL;
}

static void api_xfer_on_read(evutil_socket_t fd, short what, void *arg)
{
	struct api_xfer *x = arg;

	(void)fd;
	(void)what;
	if (!api_xfer_drain(x) || !x->thread_live)
		return;
	pthread_join(x->thread, NULL);
	x->thread_live = false;
	api_xfer_unlist(x);
	x->finish(x);
}

/* Start x->work on a thread of its own; x->finish follows on the loop. */
static void api_xfer_start(struct api_xfer *x)
{
	struct api *api = x->api;
	int fds[2], r;

	if (pipe2(fds, O_CLOEXEC) < 0) {
		http_reply_error(x->req, 500, "cannot make a pipe");
		api_xfer_free(x);
		return;
	}
	x->rfd = fds[0];
	x->wfd = fds[1];
	fcntl(x->rfd, F_SETFL, O_NONBLOCK);
	x->o.progress = api_xfer_progress;
	x->o.progress_arg = x;
	x->o.abort = &x->abort;
	x->ev = event_new(api->base, x->rfd, EV_READ | EV_PERSIST, api_xfer_on_read, x);
	event_add(x->ev, NULL);
	if ((r = pthread_create(&x->thread, NULL, api_xfer_main, x)) != 0) {
		http_reply_error(x->req, 500, "cannot start a transfer thread");
		api_xfer_free(x);
		return;
	}
	x->thread_live = true;
	x->next = api->xfers;
	api->xfers = x;
}

void api_xfers_stop(struct api *api)
{
	struct api_xfer *x;

	while ((x = api->xfers)) {
		api->xfers = x->next;
		atomic_store(&x->abort, true);
		event_del(x->ev);
		close(x->rfd); /* (a thread writing a message gets EPIPE) */
		x->rfd = -1;
		pthread_join(x->thread, NULL);
		x->thread_live = false;
		berr_free(x->err);
		x->err = NULL;
		berr_set(&x->err, ESHUTDOWN, "the daemon is shutting down");
		if (x->req && !x->streaming) {
			http_reply_error(x->req, 503, "the daemon is shutting down");
			x->req = NULL;
		}
		api_xfer_reply(x, NULL);
		api_xfer_free(x);
	}
}

/* A transfer for req, with the daemon's registry options and the
 * request's X-Registry-Auth. */
static struct api_xfer *api_xfer_new(struct api *api, struct http_req *req)
{
	struct api_xfer *x = xcalloc(1, sizeof(*x));

	x->api = api;
	x->req = req;
	x->rfd = x->wfd = -1;
	x->tmp_dir = xasprintf("%s/tmp", api->root);
	x->blob_dir = xasprintf("%s/blobsums", api->root);
	x->certs_dir = xasprintf("%s/certs.d", api->config_dir ? api->config_dir : "/etc/berth");
	x->o.insecure = api->insecure_registries;
	x->o.mirrors = api->registry_mirrors;
	x->o.certs_dir = x->certs_dir;
	x->o.tmp_dir = x->tmp_dir;
	x->o.blob_dir = x->blob_dir;
	x->o.auth = &x->auth;
	return x;
}

static int api_xfer_auth(struct api_xfer *x, struct http_req *req)
{
	_cleanup_berr_ struct berr *err = NULL;

	if (reg_auth_decode(http_req_header(req, "X-Registry-Auth"), &x->auth, &err) < 0) {
		api_reply_berr(req, err);
		api_xfer_free(x);
		return -1;
	}
	return 0;
}

/* --- pull --- */

static void api_pull_work(struct api_xfer *x)
{
	reg_fetch(x->api->ctl->images, x->ref, &x->o, &x->pulled, &x->err);
}

static void api_pull_commit_run(struct api_job *aj)
{
	struct api_xfer *x = aj->data;
	struct image *img;

	reg_commit(aj->api->ctl->images, x->pulled, &x->o, &img, &x->err);
}

static void api_pull_commit_after(struct api_job *aj)
{
	struct api_xfer *x = aj->data;

	api_xfer_drain(x);
	if (!x->err)
		api_img_event(aj->api, "pull", reg_pulled_ref(x->pulled),
			      reg_pulled_ref(x->pulled));
	api_xfer_reply(x, NULL);
}

static void api_pull_commit_free(void *data)
{
	struct api_xfer *x = data;

	if (!x->replied) { /* (the job was cancelled: shutting down) */
		berr_set(&x->err, ESHUTDOWN, "the daemon is shutting down");
		api_xfer_reply(x, NULL);
	}
	api_xfer_free(x);
}

static void api_pull_finish(struct api_xfer *x)
{
	if (x->err) {
		api_xfer_reply(x, NULL);
		api_xfer_free(x);
		return;
	}
	api_job_submit_after(x->api, NULL, api_pull_commit_run, x, api_pull_commit_free,
			     api_pull_commit_after, NULL);
}

/* POST /images/create?fromImage=NAME[:TAG]&tag=TAG|DIGEST */
void api_reg_pull(struct api *api, struct http_req *req)
{
	const char *from = http_req_query(req, "fromImage"), *tag = http_req_query(req, "tag");
	const char *platform = http_req_query(req, "platform");
	_cleanup_free_ char *want = xasprintf("linux/%s", img_arch());
	struct api_xfer *x;

	if (!from || !*from) {
		http_reply_error(req, 400, "fromImage is required");
		return;
	}
	if (platform && *platform && !streq(platform, want) && !streq(platform, "linux")) {
		_cleanup_free_ char *msg = xasprintf(
			"platform %s is not supported: berth pulls images for %s", platform, want);

		http_reply_error(req, 400, msg);
		return;
	}
	x = api_xfer_new(api, req);
	if (api_xfer_auth(x, req) < 0)
		return;
	if (tag && *tag)
		x->ref = xasprintf("%s%s%s", from, strprefix(tag, "sha256:") ? "@" : ":", tag);
	else
		x->ref = xstrdup(from);
	{
		_cleanup_berr_ struct berr *err = NULL;
		struct reg_ref rf;

		if (reg_ref_parse(x->ref, &rf, &err) < 0) {
			api_reply_berr(req, err);
			api_xfer_free(x);
			return;
		}
		reg_ref_done(&rf);
	}
	x->work = api_pull_work;
	x->finish = api_pull_finish;
	api_xfer_start(x);
}

/* --- push --- */

static void api_push_work(struct api_xfer *x)
{
	reg_push(x->ref, x->items, x->n_items, &x->o, &x->err);
}

/* After a push: the manifests' digests recorded with the images
 * (RepoDigests), as a job (the store has one writer). */
static void api_push_digests_run(struct api_job *aj)
{
	struct api_xfer *x = aj->data;
	struct img_store *is = aj->api->ctl->images;

	for (size_t i = 0; i < x->n_items; i++) {
		_cleanup_berr_ struct berr *err = NULL;
		_cleanup_free_ char *rd = NULL;
		struct image *img;

		if (!x->items[i].digest[0] || img_find(is, x->items[i].image_id, &img, NULL) < 0)
			continue;
		rd = xasprintf("%s@%s", x->ref_repo, x->items[i].digest);
		if (img_add_digest(is, img, rd, &err) < 0)
			log_warn("push: cannot record %s: %s", rd, berr_msg(err));
	}
}

static void api_push_digests_free(void *data)
{
	api_xfer_free(data);
}

static void api_push_finish(struct api_xfer *x)
{
	if (!x->err)
		api_img_event(x->api, "push", x->ref, x->ref);
	api_xfer_reply(x, NULL);
	if (x->err) {
		api_xfer_free(x);
		return;
	}
	api_job_submit(x->api, NULL, api_push_digests_run, x, api_push_digests_free, NULL);
}

/* An item for one tag of img: its config and open layer streams. */
static int api_push_item(struct img_store *is, const struct image *img, const char *tag,
			 struct reg_push_item *it, struct berr **err)
{
	size_t n = 0;

	while (img->layers[n])
		n++;
	*it = (struct reg_push_item){0};
	strcpy(it->image_id, img->id);
	it->tag = xstrdup(tag);
	it->config = img_config_bytes(img);
	it->config_len = strlen(it->config);
	it->diff_ids = xcalloc(n + 1, sizeof(char *));
	it->fds = xcalloc(n + 1, sizeof(int));
	for (size_t i = 0; i < n; i++)
		it->fds[i] = -1;
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *path = img_layer_stream(is, img->layers[i]);

		it->diff_ids[i] = xstrdup(img->layers[i]);
		if (!path || (it->fds[i] = open(path, O_RDONLY | O_CLOEXEC)) < 0)
			return berr_set(err, ENOENT,
					"layer %s of %s has no tar stream to push (it was stored "
					"by an older berth: save and load the image to give it "
					"one)",
					img->layers[i], tag);
	}
	return 0;
}

/* POST /images/{name}/push?tag=: name's tag, or every tag of the
 * repository when tag is empty. */
static void api_img_push(struct api *api, struct http_req *req, char **params)
{
	struct img_store *is = api->ctl->images;
	const char *tag = http_req_query(req, "tag");
	_cleanup_berr_ struct berr *err = NULL;
	_cleanup_free_ char *repo = NULL;
	struct api_xfer *x = api_xfer_new(api, req);
	struct reg_ref rf;
	int rc = 0;

	if (api_xfer_auth(x, req) < 0)
		return;
	/* the repository as images are tagged ("127.0.0.1:5000/team/bb") */
	{
		char *name = params[0], *colon = strrchr(name, ':');

		if (colon && colon > strrchr(name, '/') && (!tag || !*tag)) {
			*colon = 0;
			tag = colon + 1;
		}
		if (reg_ref_parse(name, &rf, &err) < 0) {
			api_reply_berr(req, err);
			api_xfer_free(x);
			return;
		}
		repo = xstrdup(rf.familiar);
		x->ref = xstrdup(rf.familiar);
		x->ref_repo = xstrdup(rf.familiar);
		reg_ref_done(&rf);
	}
	img_read_lock(is);
	for (size_t i = 0; rc == 0 && i < img_count(is); i++) {
		struct image *img = img_at(is, i);

		for (size_t t = 0; rc == 0 && img->tags[t]; t++) {
			const char *tg = img->tags[t], *c = strrchr(tg, ':');

			if (strncmp(tg, repo, (size_t)(c - tg)) || strlen(repo) != (size_t)(c - tg))
				continue;
			if (tag && *tag && !streq(c + 1, tag))
				continue;
			x->items = xrealloc(x->items, (x->n_items + 1) * sizeof(*x->items));
			rc = api_push_item(is, img, c + 1, &x->items[x->n_items++], &err);
		}
	}
	img_read_unlock(is);
	if (rc == 0 && !x->n_items)
		rc = tag && *tag
			     ? berr_set(&err, ENOENT,
					"An image does not exist locally with the tag: %s:%s", repo,
					tag)
			     : berr_set(&err, ENOENT,
					"An image does not exist locally with the tag: %s", repo);
	if (rc < 0) {
		api_reply_berr(req, err);
		api_xfer_free(x);
		return;
	}
	if (tag && *tag) {
		free(x->ref);
		x->ref = xasprintf("%s:%s", repo, tag);
	}
	x->work = api_push_work;
	x->finish = api_push_finish;
	api_xfer_start(x);
}

/* --- login --- */

static void api_auth_work(struct api_xfer *x)
{
	reg_login(&x->auth, &x->o, &x->err);
}

static void api_auth_finish(struct api_xfer *x)
{
	if (x->err)
		http_reply_error(x->req, x->err->code == EACCES ? 401 : api_status(x->err->code),
				 berr_msg(x->err));
	else
		http_reply_json(
			x->req, 200,
			json_pack("{s:s, s:s}", "IdentityToken", "", "Status", "Login Succeeded"));
	x->req = NULL;
	api_xfer_free(x);
}

/* POST /auth {"username", "password", "serveraddress"} */
static void api_auth(struct api *api, struct http_req *req, char **params)
{
	_cleanup_berr_ struct berr *err = NULL;
	_cleanup_json_ json_t *body = NULL;
	struct api_xfer *x;

	(void)params;
	if (api_body_json(req, &body, &err) < 0)
		return;
	x = api_xfer_new(api, req);
	reg_auth_from_json(body, &x->auth);
	x->work = api_auth_work;
	x->finish = api_auth_finish;
	api_xfer_start(x);
}

const struct api_route api_registry_routes[] = {
	{"POST", "/images/{name*}/push", api_img_push},
	{"POST", "/auth", api_auth},
	{0},
};
