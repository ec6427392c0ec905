/* api-container.c - the /containers routes: create, start, stop, restart,
 * kill, wait, remove, list, inspect, logs and attach.  State changes are
 * jobs that name the container by id (it may be gone by the time the job
 * runs); waiting, log following and attach live on the loop, attached to
 * the container through its loop-side watch (c->priv). */
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/api.h"
#include "core/controller.h"
#include "core/ctl-container.h"
#include "core/ctl-endpoint.h"
#include "core/detach.h"
#include "core/events.h"
#include "core/filters.h"
#include "core/log.h"
#include "core/util.h"
#include "runtime/runtime.h"

enum api_wait_cond {
	WAIT_NOT_RUNNING,
	WAIT_NEXT_EXIT,
	WAIT_REMOVED,
};

/* Someone waiting for the container: a wait request, a stop, an attach or
 * a log follower. */
struct api_waiter {
	enum {
		W_WAIT,
		W_STOP,
		W_STREAM
	} kind;
	enum api_wait_cond cond;
	struct http_req *req;
	struct api *api;
	char id[65];
	bool restart;	     /* W_STOP: start again afterwards (restart) */
	struct event *timer; /* W_STOP: SIGKILL after t; W_STREAM: poll the log */
	int log_fd;	     /* W_STREAM */
	bool tty, stdout_on, stderr_on, timestamps;
	char *partial; /* W_STREAM: a log line not yet complete */
	/* an attach with stdin: the client's bytes go to the container's
	 * stdin fd once the shim has handed it over */
	bool want_stdin, stdin_once, in_eof, fetching;
	unsigned serial;
	struct bufferevent *in;
	struct evbuffer *pending;
	struct detach_keys dk;
	struct api_waiter *next;
};

/* Loop-side companion of a container. */
struct api_watch {
	struct event *exit_ev;
	int exit_fd;
	struct api_waiter *waiters;
};

static struct api_watch *api_watch_of(struct container *c)
{
	if (!c->priv)
		c->priv = xcalloc(1, sizeof(struct api_watch));
	return c->priv;
}

/* Under the read lock: the container or NULL. */
static struct container *api_ctr_get(struct api *api, const char *ref)
{
	struct container *c = NULL;

	ctl_container_find(api->ctl, ref, &c, NULL);
	return c;
}

/* A container event with Docker's attributes: image, name and the labels. */
static void api_ctr_event(struct api *api, const struct container *c, const char *action,
			  json_t *extra)
{
	json_t *attrs = json_deep_copy(json_object_get(c->config, "Labels"));

	if (!attrs)
		attrs = json_object();
	json_object_set_new(attrs, "image", json_string(c->image_ref));
	json_object_set_new(attrs, "name", json_string(c->name));
	if (extra)
		json_object_update(attrs, extra);
	json_decref(extra);
	events_emit(api->events, "container", action, c->id, attrs);
}

static void api_reply_errno(struct http_req *req, struct berr *err)
{
	api_reply_berr(req, err);
	berr_free(err);
}

static void api_waiter_free(struct api_waiter *w)
{
	if (w->in)
		bufferevent_free(w->in);
	if (w->pending)
		evbuffer_free(w->pending);
	if (w->timer)
		event_free(w->timer);
	if (w->log_fd >= 0)
		close(w->log_fd);
	free(w->partial);
	free(w);
}

/* Frame one piece of output as the client expects it: raw with a TTY,
 * else stdcopy (stream byte, three zeros, big-endian length). */
static void api_stream_frame(struct api_waiter *w, int stream, const char *data, size_t len)
{
	unsigned char hdr[8] = {(unsigned char)stream,
				0,
				0,
				0,
				(unsigned char)(len >> 24),
				(unsigned char)(len >> 16),
				(unsigned char)(len >> 8),
				(unsigned char)len};

	if (!w->tty)
		http_stream_write(w->req, hdr, sizeof(hdr));
	http_stream_write(w->req, data, len);
}

/* One json-file log line to the client, if its stream is wanted. */
static void api_stream_line(struct api_waiter *w, const char *line)
{
	json_t *o = json_loads(line, 0, NULL);
	const char *log = json_string_value(json_object_get(o, "log"));
	const char *stream = json_string_value(json_object_get(o, "stream"));
	const char *t = json_string_value(json_object_get(o, "time"));
	bool err = stream && streq(stream, "stderr");

	if (log && ((err && w->stderr_on) || (!err && w->stdout_on))) {
		if (w->timestamps) {
			_cleanup_free_ char *s = xasprintf("%s %s", t ? t : "", log);

			api_stream_frame(w, err ? 2 : 1, s, strlen(s));
		} else {
			api_stream_frame(w, err ? 2 : 1, log, strlen(log));
		}
	}
	json_decref(o);
}

/* Send every complete line the log has gained since the last call. */
static void api_stream_pump(struct api_waiter *w, const char *log_path)
{
	char buf[16384];
	ssize_t n;

	if (w->log_fd < 0 && log_path)
		w->log_fd = open(log_path, O_RDONLY | O_CLOEXEC);
	while (w->log_fd >= 0 && (n = read(w->log_fd, buf, sizeof(buf))) > 0) {
		char *all = xasprintf("%s%.*s", w->partial ? w->partial : "", (int)n, buf);
		char *line = all, *nl;

		while ((nl = strchr(line, '\n'))) {
			*nl = '\0';
			api_stream_line(w, line);
			line = nl + 1;
		}
		free(w->partial);
		w->partial = *line ? xstrdup(line) : NULL;
		free(all);
	}
}

static char *api_log_path(struct api *api, const char *id)
{
	return xasprintf("%s/containers/%s/%s-json.log", api->ctl->root, id, id);
}

static void api_stream_poll(evutil_socket_t fd, short what, void *arg)
{
	struct api_waiter *w = arg;
	_cleanup_free_ char *path = api_log_path(w->api, w->id);

	(void)fd, (void)what;
	api_stream_pump(w, path);
}

static void api_waiter_add(struct container *c, struct api_waiter *w)
{
	struct api_watch *watch = api_watch_of(c);

	w->next = watch->waiters;
	watch->waiters = w;
}

static struct api_waiter *api_waiter_new(struct api *api, struct http_req *req,
					 const struct container *c, int kind)
{
	struct api_waiter *w = xcalloc(1, sizeof(*w));

	w->kind = kind;
	w->api = api;
	w->req = req;
	w->log_fd = -1;
	memcpy(w->id, c->id, sizeof(w->id));
	return w;
}

/* A log follower or an attach: poll the log every 50 ms until the
 * container exits. */
static void api_stream_follow(struct api *api, struct container *c, struct api_waiter *w)
{
	struct event_base *base = api->base;
	struct timeval tv = {.tv_usec = 50 * 1000};

	w->timer = event_new(base, -1, EV_PERSIST, api_stream_poll, w);
	event_add(w->timer, &tv);
	api_waiter_add(c, w);
}

/* The exit watch's callback argument. */
struct api_exit_arg {
	struct api *api;
	char id[65];
};

static void api_ctr_exit_cb(evutil_socket_t fd, short what, void *arg);
static void api_ctr_submit_remove(struct api *api, const char *id);

/* Watch a running container's exit (loop thread); takes the fd. */
static void api_ctr_watch(struct api *api, struct container *c, int fd)
{
	struct api_watch *watch = api_watch_of(c);
	struct api_exit_arg *x;

	if (watch->exit_ev) {
		close(fd);
		return;
	}
	x = xcalloc(1, sizeof(*x));
	x->api = api;
	memcpy(x->id, c->id, sizeof(x->id));
	watch->exit_fd = fd;
	watch->exit_ev = event_new(api->base, fd, EV_READ, api_ctr_exit_cb, x);
	event_add(watch->exit_ev, NULL);
}

static void api_watch_stop(struct container *c)
{
	struct api_watch *watch = c->priv;

	if (!watch || !watch->exit_ev)
		return;
	free(event_get_callback_arg(watch->exit_ev));
	event_free(watch->exit_ev);
	close(watch->exit_fd);
	watch->exit_ev = NULL;
}

static void api_wait_reply(struct api_waiter *w, int code)
{
	char body[64];

	snprintf(body, sizeof(body), "{\"StatusCode\":%d,\"Error\":null}\n", code);
	http_stream_write(w->req, body, strlen(body));
	http_stream_end(w->req);
}

static void api_ctr_submit_start_after_stop(struct api *api, struct http_req *req, const char *id);

/* The container is no longer running: answer whoever waits for that. */
static void api_ctr_notify_exit(struct api *api, struct container *c, bool removed)
{
	struct api_watch *watch = c->priv;
	struct api_waiter *w, *next, *keep = NULL;
	_cleanup_free_ char *path = api_log_path(api, c->id);

	for (w = watch ? watch->waiters : NULL; w; w = next) {
		next = w->next;
		if (w->kind == W_WAIT && w->cond == WAIT_REMOVED && !removed) {
			w->next = keep;
			keep = w;
			continue;
		}
		if (w->kind == W_WAIT)
			api_wait_reply(w, c->exit_code);
		else if (w->kind == W_STOP && w->restart)
			api_ctr_submit_start_after_stop(api, w->req, c->id);
		else if (w->kind == W_STOP) {
			api_ctr_event(api, c, "stop", NULL);
			http_reply(w->req, 204, NULL, NULL, 0);
		} else {
			api_stream_pump(w, path);
			http_stream_end(w->req);
		}
		api_waiter_free(w);
	}
	if (watch)
		watch->waiters = keep;
}

/* Drop the loop-side state of a container that is gone, and free it. */
static void api_ctr_forget(struct api *api, struct container *c)
{
	api_watch_stop(c);
	api_ctr_notify_exit(api, c, true);
	free(c->priv);
	c->priv = NULL;
	ctr_free(c);
}

/* Job data naming a container by id, plus what the request asked. */
struct api_ctr_op {
	char id[65];
	int sig;
	int sig_timeout; /* stop: seconds before SIGKILL */
	bool force;
	int exit_fd;		/* start: the exit watch; restart: -2 */
	struct container *gone; /* removed: freed on the loop */
	json_t *body;
	char *name;
};

static struct api_ctr_op *api_op_new(const char *id)
{
	struct api_ctr_op *op = xcalloc(1, sizeof(*op));

	snprintf(op->id, sizeof(op->id), "%s", id);
	op->exit_fd = -1;
	return op;
}

static void api_op_free(void *data)
{
	struct api_ctr_op *op = data;

	if (op->exit_fd >= 0)
		close(op->exit_fd);
	json_decref(op->body);
	free(op->name);
	free(op);
}

static void api_reap_after(struct api_job *aj);

/* Job: the runtime says the container exited. */
static void api_reap_run(struct api_job *aj)
{
	struct api_ctr_op *op = aj->data;
	struct container *c;

	if (ctl_container_find(aj->api->ctl, op->id, &c, NULL) == 0)
		ctl_container_reap(aj->api->ctl, c);
}

static void api_ctr_exit_cb(evutil_socket_t fd, short what, void *arg)
{
	struct api_exit_arg *x = arg;

	(void)fd, (void)what;
	api_job_submit_after(x->api, NULL, api_reap_run, api_op_new(x->id), api_op_free,
			     api_reap_after, NULL);
}

static void api_start_after(struct api_job *aj);
static void api_attach_started(struct api *api, struct container *c);
static void api_ctr_submit_remove(struct api *api, const char *id);

/* Job: start the container named in op (restart policies, restart). */
static void api_start_run(struct api_job *aj)
{
	struct api_ctr_op *op = aj->data;
	struct container *c;
	int r;

	if (ctl_container_find(aj->api->ctl, op->id, &c, &aj->err) < 0)
		return;
	r = ctl_container_start(aj->api->ctl, c, &aj->err);
	if (r == -EALREADY) {
		aj->status = 304;
		return;
	}
	if (r < 0)
		return;
	aj->status = 204;
	{
		_cleanup_free_ char *state = ctl_container_state_dir(aj->api->ctl, c);

		if (rt_exit_fd(state, &op->exit_fd, NULL) < 0)
			op->exit_fd = -1;
	}
}

/* Under the read lock, a container by id, for loop-side work after a job. */
static struct container *api_ctr_by_id(struct api *api, const char *id)
{
	struct container *c;

	ctl_read_lock(api->ctl);
	c = api_ctr_get(api, id);
	ctl_read_unlock(api->ctl);
	return c;
}

static void api_start_after(struct api_job *aj)
{
	struct api_ctr_op *op = aj->data;
	struct container *c = api_ctr_by_id(aj->api, op->id);

	if (c && aj->err && ctr_auto_remove(c)) {
		/* --rm: a container that could not start goes, as in Docker;
		 * `docker run --rm` waits for that */
		api_ctr_submit_remove(aj->api, c->id);
		return;
	}
	if (!c || aj->err || aj->status != 204)
		return;
	api_ctr_event(aj->api, c, "start", NULL);
	api_attach_started(aj->api, c);
	if (op->exit_fd >= 0)
		api_ctr_watch(aj->api, c, TAKE_FD(op->exit_fd));
	else /* gone already: let the reaper find out */
		api_job_submit_after(aj->api, NULL, api_reap_run, api_op_new(op->id), api_op_free,
				     api_reap_after, NULL);
}

static void api_ctr_submit_start(struct api *api, struct http_req *req, const char *id)
{
	api_job_submit_after(api, req, api_start_run, api_op_new(id), api_op_free, api_start_after,
			     NULL);
}

static void api_ctr_submit_start_after_stop(struct api *api, struct http_req *req, const char *id)
{
	api_ctr_submit_start(api, req, id);
}

static void api_remove_run(struct api_job *aj);
static void api_remove_after(struct api_job *aj);

static void api_ctr_submit_remove(struct api *api, const char *id)
{
	struct api_ctr_op *op = api_op_new(id);

	op->force = true;
	api_job_submit_after(api, NULL, api_remove_run, op, api_op_free, api_remove_after, NULL);
}

/* Docker's restart policies, applied when a container exits on its own. */
static bool api_ctr_should_restart(const struct container *c)
{
	json_t *rp = json_object_get(c->host_config, "RestartPolicy");
	const char *name = json_string_value(json_object_get(rp, "Name"));
	json_int_t max = json_integer_value(json_object_get(rp, "MaximumRetryCount"));

	if (!name || c->stop_requested)
		return false;
	if (streq(name, "always") || streq(name, "unless-stopped"))
		return true;
	return streq(name, "on-failure") && c->exit_code != 0 &&
	       (max == 0 || c->restart_count < max);
}

static void api_reap_after(struct api_job *aj)
{
	struct api_ctr_op *op = aj->data;
	struct container *c = api_ctr_by_id(aj->api, op->id);

	if (!c || c->status == CTR_RUNNING)
		return;
	api_watch_stop(c);
	{
		char code[16];

		snprintf(code, sizeof(code), "%d", c->exit_code);
		api_ctr_event(aj->api, c, "die", json_pack("{s:s}", "exitCode", code));
		if (c->oom_killed)
			api_ctr_event(aj->api, c, "oom", NULL);
	}
	api_ctr_notify_exit(aj->api, c, false);
	if (ctr_auto_remove(c)) {
		api_ctr_submit_remove(aj->api, c->id);
	} else if (api_ctr_should_restart(c)) {
		c->restart_count++;
		api_ctr_submit_start(aj->api, NULL, c->id);
	}
}

static void api_remove_run(struct api_job *aj)
{
	struct api_ctr_op *op = aj->data;
	struct container *c;

	if (ctl_container_find(aj->api->ctl, op->id, &c, &aj->err) < 0)
		return;
	if (ctl_container_remove(aj->api->ctl, c, op->force, &aj->err) == 0) {
		op->gone = c;
		aj->status = 204;
	}
}

static void api_remove_after(struct api_job *aj)
{
	struct api_ctr_op *op = aj->data;

	if (op->gone) {
		api_ctr_event(aj->api, op->gone, "destroy", NULL);
		api_ctr_forget(aj->api, TAKE_PTR(op->gone));
	}
}

/* Job: remove with v=1, the anonymous volumes going too. */
static void api_remove_v_run(struct api_job *aj)
{
	struct api_ctr_op *op = aj->data;
	struct container *c;

	if (ctl_container_find(aj->api->ctl, op->id, &c, &aj->err) < 0)
		return;
	if (ctl_container_remove_volumes(aj->api->ctl, c, op->force, &aj->err) == 0) {
		op->gone = c;
		aj->status = 204;
	}
}

static void api_ctr_delete(struct api *api, struct http_req *req, char **params)
{
	struct api_ctr_op *op = api_op_new(params[0]);
	bool v = api_query_bool(req, "v", false);

	op->force = api_query_bool(req, "force", false);
	api_job_submit_after(api, req, v ? api_remove_v_run : api_remove_run, op, api_op_free,
			     api_remove_after, NULL);
}

static void api_ctr_start(struct api *api, struct http_req *req, char **params)
{
	api_ctr_submit_start(api, req, params[0]);
}

static void api_create_run(struct api_job *aj)
{
	struct api_ctr_op *op = aj->data;
	struct container *c;

	if (ctl_container_create(aj->api->ctl, op->body, op->name, &c, &aj->err) < 0)
		return;
	aj->status = 201;
	aj->reply = json_pack("{s:s, s:[]}", "Id", c->id, "Warnings");
	snprintf(op->id, sizeof(op->id), "%s", c->id);
}

static void api_create_after(struct api_job *aj)
{
	struct api_ctr_op *op = aj->data;
	struct container *c = aj->err ? NULL : api_ctr_by_id(aj->api, op->id);

	if (c)
		api_ctr_event(aj->api, c, "create", NULL);
}

static void api_ctr_create(struct api *api, struct http_req *req, char **params)
{
	struct api_ctr_op *op = api_op_new("");
	struct berr *err = NULL;
	const char *name = http_req_query(req, "name");

	(void)params;
	if (api_body_json(req, &op->body, &err) < 0) {
		api_op_free(op);
		api_reply_errno(req, err);
		return;
	}
	op->name = name ? xstrdup(name) : NULL;
	api_job_submit_after(api, req, api_create_run, op, api_op_free, api_create_after, NULL);
}

static void api_kill_run(struct api_job *aj)
{
	struct api_ctr_op *op = aj->data;
	struct container *c;

	if (ctl_container_find(aj->api->ctl, op->id, &c, &aj->err) < 0)
		return;
	if (ctl_container_kill(aj->api->ctl, c, op->sig, &aj->err) == 0)
		aj->status = 204;
}

static void api_kill_after(struct api_job *aj)
{
	struct api_ctr_op *op = aj->data;
	struct container *c = aj->err ? NULL : api_ctr_by_id(aj->api, op->id);
	char sig[16];

	snprintf(sig, sizeof(sig), "%d", op->sig);
	if (c)
		api_ctr_event(aj->api, c, "kill", json_pack("{s:s}", "signal", sig));
}

static void api_ctr_kill(struct api *api, struct http_req *req, char **params)
{
	const char *s = http_req_query(req, "signal");
	struct api_ctr_op *op;
	int sig = s && *s ? ctl_signal_parse(s) : SIGKILL;

	if (sig < 0) {
		_cleanup_free_ char *msg = xasprintf("Invalid signal: %s", s);

		http_reply_error(req, 400, msg);
		return;
	}
	op = api_op_new(params[0]);
	op->sig = sig;
	api_job_submit_after(api, req, api_kill_run, op, api_op_free, api_kill_after, NULL);
}

/* Job: the first step of stop: the stop signal, or 304 when not running. */
static void api_stop_run(struct api_job *aj)
{
	struct api_ctr_op *op = aj->data;
	struct container *c;

	if (ctl_container_find(aj->api->ctl, op->id, &c, &aj->err) < 0)
		return;
	if (c->status != CTR_RUNNING) {
		aj->status = 304;
		return;
	}
	c->stop_requested = true;
	if (ctl_container_kill(aj->api->ctl, c, op->sig, NULL) < 0)
		aj->status = 304;
	else
		aj->status = 204;
}

static void api_stop_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct api_waiter *w = arg;
	struct api_ctr_op *op = api_op_new(w->id);

	(void)fd, (void)what;
	op->sig = SIGKILL;
	api_job_submit(w->api, NULL, api_kill_run, op, api_op_free, NULL);
}

/* After the stop signal: answer when the container has exited, SIGKILL it
 * when it takes longer than t seconds. */
static void api_stop_after(struct api_job *aj)
{
	struct api_ctr_op *op = aj->data;
	struct container *c = api_ctr_by_id(aj->api, op->id);
	struct api_waiter *w;
	struct timeval tv = {0};

	if (aj->err || !c)
		return;
	if (aj->status == 304) {
		if (op->exit_fd == -2) { /* restart of a stopped container */
			api_ctr_submit_start(aj->api, TAKE_PTR(aj->req), c->id);
		}
		return;
	}
	w = api_waiter_new(aj->api, TAKE_PTR(aj->req), c, W_STOP);
	w->restart = op->exit_fd == -2;
	tv.tv_sec = op->sig_timeout;
	w->timer = evtimer_new(aj->api->base, api_stop_timeout, w);
	evtimer_add(w->timer, &tv);
	api_waiter_add(c, w);
}

/* stop and restart: ?t= seconds before SIGKILL (default 10). */
static void api_ctr_stop_common(struct api *api, struct http_req *req, char **params, bool restart)
{
	const char *t = http_req_query(req, "t");
	struct api_ctr_op *op = api_op_new(params[0]);

	op->sig = SIGTERM;
	op->sig_timeout = t && *t ? atoi(t) : 10;
	if (op->sig_timeout < 0)
		op->sig_timeout = 0;
	if (restart)
		op->exit_fd = -2;
	api_job_submit_after(api, req, api_stop_run, op, api_op_free, api_stop_after, NULL);
}

static void api_ctr_stop(struct api *api, struct http_req *req, char **params)
{
	api_ctr_stop_common(api, req, params, false);
}

static void api_ctr_restart(struct api *api, struct http_req *req, char **params)
{
	api_ctr_stop_common(api, req, params, true);
}

static void api_ctr_wait(struct api *api, struct http_req *req, char **params)
{
	const char *cond = http_req_query(req, "condition");
	struct api_waiter *w;
	struct container *c;
	int code;
	enum api_wait_cond wc = WAIT_NOT_RUNNING;

	if (cond && *cond && streq(cond, "next-exit"))
		wc = WAIT_NEXT_EXIT;
	else if (cond && *cond && streq(cond, "removed"))
		wc = WAIT_REMOVED;
	else if (cond && *cond && !streq(cond, "not-running")) {
		http_reply_error(req, 400, "invalid condition");
		return;
	}
	ctl_read_lock(api->ctl);
	c = api_ctr_get(api, params[0]);
	code = c ? c->exit_code : 0;
	ctl_read_unlock(api->ctl);
	if (!c) {
		_cleanup_free_ char *msg = xasprintf("No such container: %s", params[0]);

		http_reply_error(req, 404, msg);
		return;
	}
	/* headers now: the CLI sends start only once it has them */
	http_stream_begin(req, 200, "application/json");
	w = api_waiter_new(api, req, c, W_WAIT);
	w->cond = wc;
	if (wc == WAIT_NOT_RUNNING && c->status != CTR_RUNNING) {
		api_wait_reply(w, code);
		api_waiter_free(w);
		return;
	}
	api_waiter_add(c, w);
}

static const char *const api_ctr_list_filters[] = {
	"id", "name", "label", "status", "ancestor", "exited", "network", NULL,
};

static bool api_ctr_exited_match(const char *want, void *data)
{
	const struct container *c = data;

	return c->status == CTR_EXITED && atoi(want) == c->exit_code;
}

static bool api_ctr_ancestor_match(const char *want, void *data)
{
	const struct container *c = data;
	size_t len = strlen(want);

	return streq(c->image_ref, want) || strprefix(c->image_id, want) ||
	       (strncmp(c->image_ref, want, len) == 0 && streq(c->image_ref + len, ":latest")) ||
	       (strncmp(want, c->image_ref, strlen(c->image_ref)) == 0 &&
		streq(want + strlen(c->image_ref), ":latest"));
}

struct api_ctr_net {
	struct ctl *ctl;
	const struct container *c;
};

static bool api_ctr_network_match(const char *want, void *data)
{
	const struct api_ctr_net *x = data;

	return ctl_container_on_network(x->ctl, x->c, want);
}

static bool api_ctr_match(struct ctl *ctl, struct container *c, json_t *f, bool all)
{
	struct api_ctr_net net = {ctl, c};
	_cleanup_free_ char *slash_name = xasprintf("/%s", c->name);

	if (!all && c->status != CTR_RUNNING && !filters_get(f, "status") &&
	    !filters_get(f, "exited"))
		return false;
	return filters_match(f, "id", filters_prefix_match, c->id) &&
	       filters_match(f, "name", filters_regex_match, slash_name) &&
	       filters_match_exact(f, "status", ctr_status_to_string(c->status)) &&
	       filters_match(f, "exited", api_ctr_exited_match, c) &&
	       filters_match(f, "ancestor", api_ctr_ancestor_match, c) &&
	       filters_match(f, "network", api_ctr_network_match, &net) &&
	       filters_match_labels(f, "label", json_object_get(c->config, "Labels"));
}

static void api_ctr_list(struct api *api, struct http_req *req, char **params)
{
	bool all = api_query_bool(req, "all", false);
	const char *lim = http_req_query(req, "limit");
	long limit = lim ? strtol(lim, NULL, 10) : -1;
	struct berr *err = NULL;
	json_t *f, *list = json_array();

	(void)params;
	if (filters_parse(http_req_query(req, "filters"), api_ctr_list_filters, &f, &err) < 0) {
		json_decref(list);
		api_reply_errno(req, err);
		return;
	}
	ctl_read_lock(api->ctl);
	/* newest first, as Docker lists them */
	for (size_t i = api->ctl->n_ctrs; i-- > 0;) {
		if (limit > 0 && (long)json_array_size(list) >= limit)
			break;
		struct container *c = api->ctl->ctrs[i];

		if (api_ctr_match(api->ctl, c, f, all || limit > 0))
			json_array_append_new(
				list, ctr_to_summary_json(
					      c, ctl_container_network_settings(api->ctl, c, true),
					      ctl_container_ports_summary(api->ctl, c)));
	}
	ctl_read_unlock(api->ctl);
	json_decref(f);
	http_reply_json(req, 200, list);
}

static void api_ctr_inspect(struct api *api, struct http_req *req, char **params)
{
	struct berr *err = NULL;
	struct container *c;
	json_t *o = NULL;

	ctl_read_lock(api->ctl);
	if (ctl_container_find(api->ctl, params[0], &c, &err) == 0) {
		_cleanup_free_ char *log = api_log_path(api, c->id);

		o = ctr_to_inspect_json(c, ctl_container_network_settings(api->ctl, c, false));
		json_object_set_new(o, "LogPath", json_string(log));
	}
	ctl_read_unlock(api->ctl);
	if (o)
		http_reply_json(req, 200, o);
	else
		api_reply_errno(req, err);
}

/* The media type of a log or attach stream, by API version (§8.3). */
static const char *api_stream_type(struct http_req *req, bool tty, bool upgraded)
{
	unsigned v;

	router_strip_version(http_req_path(req), &v);
	if (tty || (v && v < 142))
		return upgraded || tty ? "application/vnd.docker.raw-stream" : NULL;
	return "application/vnd.docker.multiplexed-stream";
}

/* A json-file line's time, for since/until. */
static double api_line_time(const char *line)
{
	json_t *o = json_loads(line, 0, NULL);
	struct timespec ts = {0};

	util_time_parse(json_string_value(json_object_get(o, "time")) ?: "", &ts);
	json_decref(o);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Past lines of the log: since/until/tail applied. */
static void api_logs_replay(struct api_waiter *w, struct http_req *req, const char *path)
{
	const char *tail = http_req_query(req, "tail");
	const char *since = http_req_query(req, "since"), *until = http_req_query(req, "until");
	double t_since = since && *since ? atof(since) : 0,
	       t_until = until && *until ? atof(until) : 0;
	char **lines = NULL, *line = NULL;
	size_t n = 0, cap = 0, lcap = 0, first = 0;
	FILE *f = fopen(path, "re");

	while (f && getline(&line, &lcap, f) > 0) {
		double t = (t_since || t_until) ? api_line_time(line) : 0;

		if ((t_since && t < t_since) || (t_until && t > t_until))
			continue;
		xgrow(&lines, &cap, n + 1, sizeof(*lines));
		lines[n++] = xstrdup(line);
	}
	if (tail && *tail && !streq(tail, "all") && (size_t)atol(tail) < n)
		first = n - (size_t)atol(tail);
	for (size_t i = 0; i < n; i++) {
		if (i >= first)
			api_stream_line(w, lines[i]);
		free(lines[i]);
	}
	free(lines);
	free(line);
	if (f) {
		/* a follower goes on from here */
		w->log_fd = dup(fileno(f));
		fclose(f);
		if (w->log_fd >= 0)
			fcntl(w->log_fd, F_SETFD, FD_CLOEXEC);
	}
}

static void api_ctr_logs(struct api *api, struct http_req *req, char **params)
{
	struct container *c;
	struct api_waiter *w;
	_cleanup_free_ char *path = NULL;
	bool running;

	ctl_read_lock(api->ctl);
	c = api_ctr_get(api, params[0]);
	running = c && c->status == CTR_RUNNING;
	ctl_read_unlock(api->ctl);
	if (!c) {
		_cleanup_free_ char *msg = xasprintf("No such container: %s", params[0]);

		http_reply_error(req, 404, msg);
		return;
	}
	w = api_waiter_new(api, req, c, W_STREAM);
	w->tty = ctr_tty(c);
	w->stdout_on = api_query_bool(req, "stdout", false);
	w->stderr_on = api_query_bool(req, "stderr", false);
	w->timestamps = api_query_bool(req, "timestamps", false);
	if (!w->stdout_on && !w->stderr_on) {
		api_waiter_free(w);
		http_reply_error(req, 400, "Bad parameters: you must choose at least one stream");
		return;
	}
	path = api_log_path(api, c->id);
	http_stream_begin(req, 200, api_stream_type(req, w->tty, false));
	api_logs_replay(w, req, path);
	if (api_query_bool(req, "follow", false) && running) {
		api_stream_follow(api, c, w);
		return;
	}
	http_stream_end(req);
	api_waiter_free(w);
}

/* Attach job data: which waiter of which container wants the stdin fd. */
struct api_attach_op {
	char id[65];
	unsigned serial;
	int fd;
	bool close_stdin; /* rt_stdin_close instead (StdinOnce) */
};

static void api_attach_op_free(void *data)
{
	struct api_attach_op *op = data;

	if (op->fd >= 0)
		close(op->fd);
	free(op);
}

/* Job: ask the shim for the container's stdin, or to close it. */
static void api_attach_stdin_run(struct api_job *aj)
{
	struct api_attach_op *op = aj->data;
	_cleanup_free_ char *state = NULL;
	struct container *c;

	if (ctl_container_find(aj->api->ctl, op->id, &c, &aj->err) < 0)
		return;
	state = ctl_container_state_dir(aj->api->ctl, c);
	if (op->close_stdin)
		rt_stdin_close(state, &aj->err);
	else
		rt_stdin_fd(state, &op->fd, &aj->err);
}

/* The attach waiter of container id with this serial, or NULL. */
static struct api_waiter *api_attach_find(struct api *api, const char *id, unsigned serial)
{
	struct container *c = api_ctr_by_id(api, id);
	struct api_watch *watch = c ? c->priv : NULL;

	for (struct api_waiter *w = watch ? watch->waiters : NULL; w; w = w->next)
		if (w->kind == W_STREAM && w->serial == serial)
			return w;
	return NULL;
}

static void api_attach_submit(struct api *api, struct api_waiter *w, bool close_stdin);

/* stdin ended: close our end once flushed; StdinOnce closes the shim's. */
static void api_attach_stdin_end(struct api_waiter *w)
{
	if (!w->in)
		return;
	if (evbuffer_get_length(bufferevent_get_output(w->in)) > 0)
		return; /* api_attach_flushed comes back */
	bufferevent_free(w->in);
	w->in = NULL;
	if (w->stdin_once && !w->tty)
		api_attach_submit(w->api, w, true);
}

static void api_attach_flushed(struct bufferevent *bev, void *arg)
{
	struct api_waiter *w = arg;

	(void)bev;
	if (w->in_eof)
		api_attach_stdin_end(w);
}

static void api_attach_in_event(struct bufferevent *bev, short what, void *arg)
{
	struct api_waiter *w = arg;

	(void)bev, (void)what;
	bufferevent_free(w->in); /* the container closed its stdin */
	w->in = NULL;
}

/* Loop: the shim's stdin fd arrived; send what the client typed so far. */
static void api_attach_stdin_after(struct api_job *aj)
{
	struct api_attach_op *op = aj->data;
	struct api_waiter *w;

	if (op->close_stdin)
		return;
	w = api_attach_find(aj->api, op->id, op->serial);
	if (!w || op->fd < 0)
		return;
	w->fetching = false;
	evutil_make_socket_nonblocking(op->fd);
	w->in = bufferevent_socket_new(aj->api->base, TAKE_FD(op->fd), BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(w->in, NULL, api_attach_flushed, api_attach_in_event, w);
	bufferevent_enable(w->in, EV_WRITE);
	if (w->pending)
		bufferevent_write_buffer(w->in, w->pending);
	if (w->in_eof)
		api_attach_stdin_end(w);
}

static void api_attach_submit(struct api *api, struct api_waiter *w, bool close_stdin)
{
	struct api_attach_op *op = xcalloc(1, sizeof(*op));

	memcpy(op->id, w->id, sizeof(op->id));
	op->serial = w->serial;
	op->fd = -1;
	op->close_stdin = close_stdin;
	w->fetching = !close_stdin;
	api_job_submit_after(api, NULL, api_attach_stdin_run, op, api_attach_op_free,
			     api_attach_stdin_after, NULL);
}

/* The container has started: attaches waiting for its stdin get it. */
static void api_attach_started(struct api *api, struct container *c)
{
	struct api_watch *watch = c->priv;

	for (struct api_waiter *w = watch ? watch->waiters : NULL; w; w = w->next)
		if (w->want_stdin && !w->in && !w->fetching)
			api_attach_submit(api, w, false);
}

/* Detach keys: end this attach, the container runs on. */
static void api_attach_detach(struct api_waiter *w)
{
	struct container *c = api_ctr_by_id(w->api, w->id);
	struct api_watch *watch = c ? c->priv : NULL;

	for (struct api_waiter **p = watch ? &watch->waiters : NULL; p && *p; p = &(*p)->next) {
		if (*p != w)
			continue;
		*p = w->next;
		http_stream_end(w->req);
		api_waiter_free(w);
		return;
	}
}

/* The client's bytes (http_hijack_input): detach keys, then stdin. */
static void api_attach_input(struct http_req *req, const char *data, size_t len, void *arg)
{
	struct api_waiter *w = arg;
	_cleanup_free_ char *out = NULL;
	bool detached;
	size_t n;

	(void)req;
	if (len == 0) {
		w->in_eof = true;
		api_attach_stdin_end(w);
		return;
	}
	out = xmalloc(len + DETACH_KEYS_MAX);
	detached = detach_keys_scan(&w->dk, data, len, out, &n);
	if (w->in)
		bufferevent_write(w->in, out, n);
	else
		evbuffer_add(w->pending ? w->pending : (w->pending = evbuffer_new()), out, n);
	if (detached)
		api_attach_detach(w);
}

/* POST /containers/{id}/attach: output from the log, stdin to the shim. */
static void api_ctr_attach(struct api *api, struct http_req *req, char **params)
{
	static unsigned serial;
	_cleanup_berr_ struct berr *err = NULL;
	struct container *c;
	struct api_waiter *w;
	_cleanup_free_ char *path = NULL;
	enum ctr_status st;
	struct detach_keys dk;
	bool open_stdin, stdin_once;

	ctl_read_lock(api->ctl);
	c = api_ctr_get(api, params[0]);
	st = c ? c->status : CTR_DEAD;
	open_stdin = c && json_is_true(json_object_get(c->config, "OpenStdin"));
	stdin_once = c && json_is_true(json_object_get(c->config, "StdinOnce"));
	ctl_read_unlock(api->ctl);
	if (!c) {
		_cleanup_free_ char *msg = xasprintf("No such container: %s", params[0]);

		http_reply_error(req, 404, msg);
		return;
	}
	if (st != CTR_RUNNING && st != CTR_CREATED && !api_query_bool(req, "logs", false)) {
		http_reply_error(req, 409,
				 "You cannot attach to a stopped container, start it first");
		return;
	}
	if (detach_keys_parse(http_req_query(req, "detachKeys"), &dk, &err) < 0) {
		api_reply_berr(req, err);
		return;
	}
	w = api_waiter_new(api, req, c, W_STREAM);
	w->tty = ctr_tty(c);
	w->stdout_on = api_query_bool(req, "stdout", false);
	w->stderr_on = api_query_bool(req, "stderr", false);
	w->want_stdin = open_stdin && api_query_bool(req, "stdin", false);
	w->stdin_once = stdin_once;
	w->serial = ++serial;
	w->dk = dk;
	http_upgrade(req, api_stream_type(req, w->tty, true));
	path = api_log_path(api, c->id);
	if (api_query_bool(req, "logs", false)) {
		api_logs_replay(w, req, path);
	} else {
		w->log_fd = open(path, O_RDONLY | O_CLOEXEC);
		if (w->log_fd >= 0)
			lseek(w->log_fd, 0, SEEK_END);
	}
	if (st == CTR_EXITED) {
		http_stream_end(req);
		api_waiter_free(w);
		return;
	}
	api_stream_follow(api, c, w);
	http_hijack_input(req, api_attach_input, w);
	if (w->want_stdin && st == CTR_RUNNING)
		api_attach_submit(api, w, false);
}

/* At daemon start, Docker's rules for containers that are not running:
 * always restarts even what a user stopped, the others as after an exit. */
static bool api_ctr_restart_at_boot(const struct container *c)
{
	const char *name = json_string_value(
		json_object_get(json_object_get(c->host_config, "RestartPolicy"), "Name"));

	if (c->started.tv_sec == 0)
		return false;
	if (name && streq(name, "always"))
		return true;
	return api_ctr_should_restart(c);
}

void api_containers_watch(struct api *api)
{
	for (size_t i = 0; i < api->ctl->n_ctrs; i++) {
		struct container *c = api->ctl->ctrs[i];
		_cleanup_free_ char *state = NULL;
		int fd;

		if (c->status == CTR_EXITED && api_ctr_restart_at_boot(c)) {
			api_ctr_submit_start(api, NULL, c->id);
			continue;
		}
		if (c->status != CTR_RUNNING)
			continue;
		state = ctl_container_state_dir(api->ctl, c);
		if (rt_exit_fd(state, &fd, NULL) == 0)
			api_ctr_watch(api, c, fd);
		else
			api_job_submit_after(api, NULL, api_reap_run, api_op_new(c->id),
					     api_op_free, api_reap_after, NULL);
	}
}

void api_containers_unwatch(struct api *api)
{
	for (size_t i = 0; i < api->ctl->n_ctrs; i++) {
		struct container *c = api->ctl->ctrs[i];
		struct api_watch *watch = c->priv;

		if (!watch)
			continue;
		api_watch_stop(c);
		/* their requests go with the HTTP server */
		for (struct api_waiter *w = watch->waiters, *next; w; w = next) {
			next = w->next;
			api_waiter_free(w);
		}
		free(watch);
		c->priv = NULL;
	}
}

/* Job: set the size of the container's pty. */
static void api_resize_run(struct api_job *aj)
{
	struct api_ctr_op *op = aj->data;
	_cleanup_free_ char *state = NULL;
	struct container *c;

	if (ctl_container_find(aj->api->ctl, op->id, &c, &aj->err) < 0)
		return;
	if (c->status != CTR_RUNNING) {
		berr_set(&aj->err, EBUSY, "Container %s is not running", c->id);
		return;
	}
	state = ctl_container_state_dir(aj->api->ctl, c);
	rt_resize(state, (unsigned)op->sig, (unsigned)op->sig_timeout, &aj->err);
}

/* POST /containers/{id}/resize?h=<rows>&w=<cols> */
static void api_ctr_resize(struct api *api, struct http_req *req, char **params)
{
	struct api_ctr_op *op = api_op_new(params[0]);
	const char *h = http_req_query(req, "h"), *w = http_req_query(req, "w");

	/* the op's integers carry rows and columns */
	op->sig = h ? atoi(h) : 0;
	op->sig_timeout = w ? atoi(w) : 0;
	if (op->sig < 0 || op->sig > 0xffff || op->sig_timeout < 0 || op->sig_timeout > 0xffff) {
		api_op_free(op);
		http_reply_error(req, 400, "invalid terminal size");
		return;
	}
	api_job_submit(api, req, api_resize_run, op, api_op_free, NULL);
}

static void api_rename_run(struct api_job *aj)
{
	struct api_ctr_op *op = aj->data;
	struct container *c;

	if (ctl_container_find(aj->api->ctl, op->id, &c, &aj->err) < 0 ||
	    ctl_container_rename(aj->api->ctl, c, op->name, &aj->err) < 0)
		return;
	snprintf(op->id, sizeof(op->id), "%s", c->id);
	aj->status = 204;
}

static void api_rename_after(struct api_job *aj)
{
	struct api_ctr_op *op = aj->data;
	struct container *c = aj->err ? NULL : api_ctr_by_id(aj->api, op->id);

	if (c)
		api_ctr_event(aj->api, c, "rename", NULL);
}

/* POST /containers/{id}/rename?name=new */
static void api_ctr_rename(struct api *api, struct http_req *req, char **params)
{
	struct api_ctr_op *op = api_op_new(params[0]);
	const char *name = http_req_query(req, "name");

	op->name = xstrdup(name ? name : "");
	api_job_submit_after(api, req, api_rename_run, op, api_op_free, api_rename_after, NULL);
}

const struct api_route api_container_routes[] = {
	{"POST", "/containers/{id}/rename", api_ctr_rename},
	{"GET", "/containers/json", api_ctr_list},
	{"POST", "/containers/create", api_ctr_create},
	{"GET", "/containers/{id}/json", api_ctr_inspect},
	{"POST", "/containers/{id}/start", api_ctr_start},
	{"POST", "/containers/{id}/stop", api_ctr_stop},
	{"POST", "/containers/{id}/restart", api_ctr_restart},
	{"POST", "/containers/{id}/kill", api_ctr_kill},
	{"POST", "/containers/{id}/wait", api_ctr_wait},
	{"POST", "/containers/{id}/attach", api_ctr_attach},
	{"POST", "/containers/{id}/resize", api_ctr_resize},
	{"GET", "/containers/{id}/logs", api_ctr_logs},
	{"DELETE", "/containers/{id}", api_ctr_delete},
	{0},
};
