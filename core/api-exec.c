/* api-exec.c - the exec routes: POST /containers/{id}/exec (create),
 * POST /exec/{id}/start, POST /exec/{id}/resize, GET /exec/{id}/json.
 *
 * An exec record lives on the loop (a list of this file; execs are not
 * stored: like Docker's, they do not outlive the daemon).  Starting one is
 * a job (the runtime asks the container's shim, which forks the process
 * and hands its stdio back); the stream is plumbing on the loop:
 *
 *   client ──101 hijack──▶ stdin fd (pipe or pty master)
 *   stdout/stderr fds ──▶ stdcopy frames (raw with a TTY) ──▶ client
 *   ctl fd: {"exit":N} ──▶ ExitCode, then the connection is closed
 *
 * The exit code is recorded before the connection closes: the CLI asks
 * GET /exec/{id}/json the moment it sees the close. */
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/api.h"
#include "core/controller.h"
#include "core/ctl-container.h"
#include "core/detach.h"
#include "core/log.h"
#include "core/util.h"
#include "runtime/runtime.h"

/* docker-py reads the 101 header through a buffered reader and loses
 * payload that arrives with it: hold the first payload back this long. */
#define EXEC_FIRST_PAYLOAD_MS 50
/* After the exit, output still in flight; a child that kept the pipe open
 * must not hold the connection. */
#define EXEC_DRAIN_MS 1000
/* Ended execs kept for inspect, per daemon. */
#define EXEC_KEEP_ENDED 256

struct api_exec {
	char id[65];
	char ctr_id[65];
	json_t *config; /* the create body: Cmd, Env, User, WorkingDir, Tty, ... */
	struct api *api;
	bool tty, started, running, exited;
	int exit_code;
	pid_t pid;
	unsigned rows, cols; /* a resize that came before the pty */
	/* the attached stream, until it ends */
	struct http_req *req;
	struct bufferevent *ctl, *out, *err, *in;
	struct evbuffer *pending; /* stdin before the process runs */
	bool in_eof;
	struct detach_keys dk;
	struct event *go;    /* the first payload waits for it */
	struct event *drain; /* after the exit: end even with output pending */
	uint64_t upgraded_ns;
	struct api_exec *next;
};

static struct api_exec *api_execs;

/* Start job data. */
struct api_exec_op {
	char id[65];
	char ctr_id[65];
	json_t *config;
	bool detach;
	struct rt_exec_proc proc;
};

static struct api_exec *api_exec_find(const char *id)
{
	for (struct api_exec *e = api_execs; e; e = e->next)
		if (streq(e->id, id) || (strlen(id) >= 12 && strprefix(e->id, id)))
			return e;
	return NULL;
}

static void api_exec_free(struct api_exec *e)
{
	json_decref(e->config);
	free(e);
}

/* Keep at most EXEC_KEEP_ENDED ended records (the oldest go first). */
static void api_exec_prune(void)
{
	size_t n = 0;

	for (struct api_exec **p = &api_execs; *p;) {
		struct api_exec *e = *p;

		if (e->exited && !e->req && !e->ctl && ++n > EXEC_KEEP_ENDED) {
			*p = e->next;
			api_exec_free(e);
			continue;
		}
		p = &e->next;
	}
}

static void api_exec_reply_missing(struct http_req *req, const char *id)
{
	_cleanup_free_ char *msg = xasprintf("No such exec instance: %s", id);

	http_reply_error(req, 404, msg);
}

/* Cmd: a non-empty array of strings. */
static bool api_exec_cmd_valid(json_t *cmd)
{
	size_t i;
	json_t *v;

	if (!json_is_array(cmd) || json_array_size(cmd) == 0)
		return false;
	json_array_foreach (cmd, i, v)
		if (!json_is_string(v))
			return false;
	return true;
}

/* The media type of the hijacked stream, by API version (§8.3). */
static const char *api_exec_stream_type(struct http_req *req, bool tty)
{
	unsigned v;

	router_strip_version(http_req_path(req), &v);
	if (tty || (v && v < 142))
		return "application/vnd.docker.raw-stream";
	return "application/vnd.docker.multiplexed-stream";
}

/* Under the read lock: 0 and the container's id when it runs, else the
 * answer Docker gives (404, 409). */
static int api_exec_ctr_running(struct api *api, const char *ref, char *ret_id, struct berr **err)
{
	struct container *c;
	int r;

	ctl_read_lock(api->ctl);
	r = ctl_container_find(api->ctl, ref, &c, err);
	if (r == 0 && c->status != CTR_RUNNING)
		r = berr_set(err, EBUSY, "container %s is not running", c->id);
	if (r == 0)
		memcpy(ret_id, c->id, 65);
	ctl_read_unlock(api->ctl);
	return r;
}

/* POST /containers/{id}/exec */
static void api_exec_create(struct api *api, struct http_req *req, char **params)
{
	_cleanup_berr_ struct berr *err = NULL;
	json_t *body = NULL;
	struct api_exec *e;
	struct detach_keys dk;
	char ctr_id[65];

	if (api_body_json(req, &body, &err) < 0) {
		api_reply_berr(req, err);
		return;
	}
	if (!api_exec_cmd_valid(json_object_get(body, "Cmd")))
		berr_set(&err, EINVAL, "No exec command specified");
	else if (detach_keys_parse(json_string_value(json_object_get(body, "DetachKeys")), &dk,
				   &err) == 0)
		api_exec_ctr_running(api, params[0], ctr_id, &err);
	if (err) {
		json_decref(body);
		api_reply_berr(req, err);
		return;
	}
	e = xcalloc(1, sizeof(*e));
	util_random_id(e->id);
	memcpy(e->ctr_id, ctr_id, sizeof(ctr_id));
	e->api = api;
	e->config = body;
	e->tty = json_is_true(json_object_get(body, "Tty"));
	e->exit_code = -1;
	e->dk = dk;
	e->next = api_execs;
	api_execs = e;
	api_exec_prune();
	http_reply_json(req, 201, json_pack("{s:s}", "Id", e->id));
}

/* GET /exec/{id}/json */
static void api_exec_inspect(struct api *api, struct http_req *req, char **params)
{
	struct api_exec *e = api_exec_find(params[0]);
	json_t *cmd, *args;

	(void)api;
	if (!e) {
		api_exec_reply_missing(req, params[0]);
		return;
	}
	cmd = json_object_get(e->config, "Cmd");
	args = json_array();
	for (size_t i = 1; i < json_array_size(cmd); i++)
		json_array_append(args, json_array_get(cmd, i));
	http_reply_json(
		req, 200,
		json_pack("{s:s, s:b, s:o, s:{s:b, s:O, s:o, s:b, s:s}, s:b, s:b, s:b, s:b, s:s, "
			  "s:s, s:i}",
			  "ID", e->id, "Running", e->running, "ExitCode",
			  e->exited ? json_integer(e->exit_code) : json_null(), "ProcessConfig",
			  "tty", e->tty, "entrypoint", json_array_get(cmd, 0), "arguments", args,
			  "privileged", json_is_true(json_object_get(e->config, "Privileged")),
			  "user", json_string_value(json_object_get(e->config, "User")) ?: "",
			  "OpenStdin", json_is_true(json_object_get(e->config, "AttachStdin")),
			  "OpenStderr", json_is_true(json_object_get(e->config, "AttachStderr")),
			  "OpenStdout", json_is_true(json_object_get(e->config, "AttachStdout")),
			  "CanRemove", false, "ContainerID", e->ctr_id, "DetachKeys",
			  json_string_value(json_object_get(e->config, "DetachKeys")) ?: "", "Pid",
			  (int)e->pid));
}

/* KEY=V replaces KEY in env, or is appended. */
static void api_exec_env_set(json_t *env, const char *kv)
{
	size_t klen = strcspn(kv, "="), i;
	json_t *v;

	json_array_foreach (env, i, v) {
		const char *s = json_string_value(v);

		if (s && strncmp(s, kv, klen) == 0 && (s[klen] == '=' || s[klen] == '\0')) {
			json_array_set_new(env, i, json_string(kv));
			return;
		}
	}
	json_array_append_new(env, json_string(kv));
}

/* Does env set key? */
static bool api_exec_env_has(json_t *env, const char *key)
{
	size_t klen = strlen(key), i;
	json_t *v;

	json_array_foreach (env, i, v) {
		const char *s = json_string_value(v);

		if (s && strncmp(s, key, klen) == 0 && s[klen] == '=')
			return true;
	}
	return false;
}

/* The container's Env, the exec's on top, TERM for a TTY. */
static char **api_exec_env(const struct container *c, json_t *cfg, bool tty)
{
	json_t *env = json_deep_copy(json_object_get(c->config, "Env"));
	json_t *v;
	char **out;
	size_t i;

	if (!json_is_array(env))
		env = json_array();
	json_array_foreach (json_object_get(cfg, "Env"), i, v)
		if (json_is_string(v))
			api_exec_env_set(env, json_string_value(v));
	if (tty && !api_exec_env_has(env, "TERM"))
		api_exec_env_set(env, "TERM=xterm");
	out = xcalloc(json_array_size(env) + 1, sizeof(*out));
	json_array_foreach (env, i, v)
		out[i] = xstrdup(json_string_value(v) ?: "");
	json_decref(env);
	return out;
}

/* A non-empty string field of the exec's config, else the container's. */
static const char *api_exec_str(const struct container *c, json_t *cfg, const char *key)
{
	const char *s = json_string_value(json_object_get(cfg, key));

	if (!s || !*s)
		s = json_string_value(json_object_get(c->config, key));
	return s && *s ? s : NULL;
}

/* Job thread: what the runtime needs to run the exec in c. */
static int api_exec_spec(struct ctl *ctl, const struct container *c, struct api_exec_op *op,
			 struct rt_exec_spec *spec, struct berr **err)
{
	json_t *cmd = json_object_get(op->config, "Cmd"), *v;
	const char *cwd = api_exec_str(c, op->config, "WorkingDir");
	size_t i;

	spec->tty = json_is_true(json_object_get(op->config, "Tty"));
	spec->open_stdin = json_is_true(json_object_get(op->config, "AttachStdin"));
	spec->privileged = json_is_true(json_object_get(op->config, "Privileged"));
	spec->detach = op->detach;
	spec->args = xcalloc(json_array_size(cmd) + 1, sizeof(char *));
	json_array_foreach (cmd, i, v)
		spec->args[i] = xstrdup(json_string_value(v) ?: "");
	spec->env = api_exec_env(c, op->config, spec->tty);
	spec->cwd = xstrdup(cwd ? cwd : "/");
	return ctl_container_exec_user(ctl, c, api_exec_str(c, op->config, "User"), &spec->uid,
				       &spec->gid, err);
}

/* Job: start the process. */
static void api_exec_run(struct api_job *aj)
{
	struct api_exec_op *op = aj->data;
	struct rt_exec_spec spec = {0};
	_cleanup_free_ char *state = NULL;
	struct container *c;

	if (ctl_container_find(aj->api->ctl, op->ctr_id, &c, &aj->err) < 0)
		return;
	if (c->status != CTR_RUNNING) {
		berr_set(&aj->err, EBUSY, "container %s is not running", c->id);
		return;
	}
	state = ctl_container_state_dir(aj->api->ctl, c);
	if (api_exec_spec(aj->api->ctl, c, op, &spec, &aj->err) == 0 &&
	    rt_exec(state, &spec, &op->proc, &aj->err) == 0)
		aj->status = 200;
	rt_exec_spec_done(&spec);
}

static void api_exec_op_free(void *data)
{
	struct api_exec_op *op = data;
	int fds[] = {op->proc.ctl_fd, op->proc.stdin_fd, op->proc.stdout_fd, op->proc.stderr_fd};

	for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	json_decref(op->config);
	free(op);
}

static void api_exec_bev_free(struct bufferevent **bev)
{
	if (*bev)
		bufferevent_free(*bev);
	*bev = NULL;
}

/* The stream is over: close the client's connection (the exit code, if
 * any, is recorded already). */
static void api_exec_end(struct api_exec *e)
{
	api_exec_bev_free(&e->out);
	api_exec_bev_free(&e->err);
	api_exec_bev_free(&e->in);
	if (e->pending)
		evbuffer_free(e->pending);
	e->pending = NULL;
	if (e->go)
		event_free(e->go);
	if (e->drain)
		event_free(e->drain);
	e->go = e->drain = NULL;
	if (e->req)
		http_stream_end(TAKE_PTR(e->req));
}

/* End once the process has exited and its output is read. */
static void api_exec_maybe_end(struct api_exec *e)
{
	if (e->exited && !e->out && !e->err)
		api_exec_end(e);
}

/* Frame output as the client expects it: raw with a TTY, else stdcopy. */
static void api_exec_frame(struct api_exec *e, int stream, const char *data, size_t len)
{
	unsigned char hdr[8] = {(unsigned char)stream,
				0,
				0,
				0,
				(unsigned char)(len >> 24),
				(unsigned char)(len >> 16),
				(unsigned char)(len >> 8),
				(unsigned char)len};

	if (!e->tty)
		http_stream_write(e->req, hdr, sizeof(hdr));
	http_stream_write(e->req, data, len);
}

static void api_exec_out_read(struct bufferevent *bev, void *arg)
{
	struct api_exec *e = arg;
	char buf[32768];
	size_t n;

	while ((n = bufferevent_read(bev, buf, sizeof(buf))) > 0)
		if (e->req)
			api_exec_frame(e, bev == e->err ? 2 : 1, buf, n);
}

/* EOF on stdout or stderr (EIO on a pty master once the last slave is
 * closed). */
static void api_exec_out_event(struct bufferevent *bev, short what, void *arg)
{
	struct api_exec *e = arg;

	if (!(what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)))
		return;
	api_exec_out_read(bev, e);
	api_exec_bev_free(bev == e->err ? &e->err : &e->out);
	api_exec_maybe_end(e);
}

static void api_exec_drain_timeout(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	api_exec_end(arg);
}

/* The process ended (code), or the shim went away (-1). */
static void api_exec_exited(struct api_exec *e, int code)
{
	struct timeval tv = {.tv_usec = EXEC_DRAIN_MS * 1000};

	e->exited = true;
	e->running = false;
	e->exit_code = code < 0 ? 137 : code;
	api_exec_bev_free(&e->ctl);
	if (!e->req)
		return;
	e->drain = evtimer_new(e->api->base, api_exec_drain_timeout, e);
	evtimer_add(e->drain, &tv);
	api_exec_maybe_end(e);
}

static void api_exec_ctl_read(struct bufferevent *bev, void *arg)
{
	char *line = evbuffer_readln(bufferevent_get_input(bev), NULL, EVBUFFER_EOL_LF);
	int code;

	if (!line)
		return;
	api_exec_exited(arg, rt_exec_exit_parse(line, &code) == 0 ? code : -1);
	free(line);
}

static void api_exec_ctl_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
		log_warn("exec %.12s: the shim went away without its exit code",
			 ((struct api_exec *)arg)->id);
		api_exec_exited(arg, -1);
	}
}

static struct bufferevent *api_exec_bev(struct api_exec *e, int *fd, bufferevent_data_cb rd,
					bufferevent_event_cb ev)
{
	struct bufferevent *bev;

	if (*fd < 0)
		return NULL;
	evutil_make_socket_nonblocking(*fd);
	bev = bufferevent_socket_new(e->api->base, TAKE_FD(*fd), BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(bev, rd, NULL, ev, e);
	return bev;
}

/* stdin has ended: close it once what was sent is written. */
static void api_exec_stdin_flushed(struct bufferevent *bev, void *arg)
{
	struct api_exec *e = arg;

	(void)bev;
	api_exec_bev_free(&e->in);
}

static void api_exec_stdin_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev, (void)what;
	api_exec_stdin_flushed(NULL, arg);
}

/* Forward stdin: to the process, or kept until it runs. */
static void api_exec_stdin_push(struct api_exec *e, const char *data, size_t len)
{
	if (e->in)
		bufferevent_write(e->in, data, len);
	else if (!e->exited)
		evbuffer_add(e->pending ? e->pending : (e->pending = evbuffer_new()), data, len);
}

/* After stdin's end, close it when flushed. */
static void api_exec_stdin_eof(struct api_exec *e)
{
	if (!e->in)
		return;
	if (evbuffer_get_length(bufferevent_get_output(e->in)) == 0)
		api_exec_bev_free(&e->in);
	else
		bufferevent_setcb(e->in, NULL, api_exec_stdin_flushed, api_exec_stdin_event, e);
}

/* The client's bytes (http_hijack_input). */
static void api_exec_input(struct http_req *req, const char *data, size_t len, void *arg)
{
	struct api_exec *e = arg;
	_cleanup_free_ char *out = NULL;
	size_t n;

	(void)req;
	if (len == 0) {
		e->in_eof = true;
		api_exec_stdin_eof(e);
		return;
	}
	out = xmalloc(len + DETACH_KEYS_MAX);
	if (detach_keys_scan(&e->dk, data, len, out, &n)) {
		api_exec_stdin_push(e, out, n);
		/* detached: the process goes on, its exit is still recorded */
		api_exec_end(e);
		return;
	}
	api_exec_stdin_push(e, out, n);
}

/* Start reading output, a little after the 101 went out. */
static void api_exec_go(evutil_socket_t fd, short what, void *arg)
{
	struct api_exec *e = arg;

	(void)fd, (void)what;
	if (e->out)
		bufferevent_enable(e->out, EV_READ);
	if (e->err)
		bufferevent_enable(e->err, EV_READ);
}

/* Hook the started process's descriptors to the stream. */
static void api_exec_plumb(struct api_exec *e, struct rt_exec_proc *p)
{
	uint64_t since = (util_now_ns() - e->upgraded_ns) / 1000000;
	struct timeval tv = {0};

	e->out = api_exec_bev(e, &p->stdout_fd, api_exec_out_read, api_exec_out_event);
	e->err = api_exec_bev(e, &p->stderr_fd, api_exec_out_read, api_exec_out_event);
	e->in = api_exec_bev(e, &p->stdin_fd, NULL, api_exec_stdin_event);
	if (e->in) {
		bufferevent_enable(e->in, EV_WRITE);
		if (e->pending)
			bufferevent_write_buffer(e->in, e->pending);
		if (e->in_eof)
			api_exec_stdin_eof(e);
	}
	if (e->tty && e->out && e->rows && e->cols)
		rt_tty_resize(bufferevent_getfd(e->out), e->rows, e->cols, NULL);
	if (since < EXEC_FIRST_PAYLOAD_MS)
		tv.tv_usec = (suseconds_t)(EXEC_FIRST_PAYLOAD_MS - since) * 1000;
	e->go = evtimer_new(e->api->base, api_exec_go, e);
	evtimer_add(e->go, &tv);
}

/* The process could not start: Docker writes why into the stream. */
static void api_exec_failed(struct api_exec *e, const struct berr *err)
{
	_cleanup_free_ char *msg = xasprintf("OCI runtime exec failed: %s\r\n", berr_msg(err));

	e->exited = true;
	e->exit_code = err && err->code == ENOENT ? 127 : 126;
	if (e->req) {
		api_exec_frame(e, 2, msg, strlen(msg));
		api_exec_end(e);
	}
}

static void api_exec_after(struct api_job *aj)
{
	struct api_exec_op *op = aj->data;
	struct api_exec *e = api_exec_find(op->id);

	if (!e)
		return;
	if (aj->err) {
		api_exec_failed(e, aj->err);
		return;
	}
	e->pid = op->proc.pid;
	e->running = true;
	e->ctl = api_exec_bev(e, &op->proc.ctl_fd, api_exec_ctl_read, api_exec_ctl_event);
	bufferevent_enable(e->ctl, EV_READ);
	if (e->req)
		api_exec_plumb(e, &op->proc);
}

/* POST /exec/{id}/start */
static void api_exec_start(struct api *api, struct http_req *req, char **params)
{
	_cleanup_berr_ struct berr *err = NULL;
	struct api_exec *e = api_exec_find(params[0]);
	struct api_exec_op *op;
	json_t *body = NULL;
	char ctr_id[65];

	if (!e) {
		api_exec_reply_missing(req, params[0]);
		return;
	}
	if (e->started)
		berr_set(&err, EBUSY, "Exec command %s is already running", e->id);
	if (err || api_body_json(req, &body, &err) < 0 ||
	    api_exec_ctr_running(api, e->ctr_id, ctr_id, &err) < 0) {
		json_decref(body);
		api_reply_berr(req, err);
		return;
	}
	e->started = true;
	op = xcalloc(1, sizeof(*op));
	memcpy(op->id, e->id, sizeof(op->id));
	memcpy(op->ctr_id, e->ctr_id, sizeof(op->ctr_id));
	op->config = json_deep_copy(e->config);
	op->detach = json_is_true(json_object_get(body, "Detach"));
	op->proc = (struct rt_exec_proc){
		.ctl_fd = -1, .stdin_fd = -1, .stdout_fd = -1, .stderr_fd = -1};
	json_decref(body);
	if (op->detach) {
		api_job_submit_after(api, req, api_exec_run, op, api_exec_op_free, api_exec_after,
				     NULL);
		return;
	}
	http_upgrade(req, api_exec_stream_type(req, e->tty));
	e->req = req;
	e->upgraded_ns = util_now_ns();
	http_hijack_input(req, api_exec_input, e);
	api_job_submit_after(api, NULL, api_exec_run, op, api_exec_op_free, api_exec_after, NULL);
}

/* POST /exec/{id}/resize?h=&w= */
static void api_exec_resize(struct api *api, struct http_req *req, char **params)
{
	_cleanup_berr_ struct berr *err = NULL;
	struct api_exec *e = api_exec_find(params[0]);
	const char *h = http_req_query(req, "h"), *w = http_req_query(req, "w");

	(void)api;
	if (!e) {
		api_exec_reply_missing(req, params[0]);
		return;
	}
	e->rows = h ? (unsigned)strtoul(h, NULL, 10) : 0;
	e->cols = w ? (unsigned)strtoul(w, NULL, 10) : 0;
	if (e->tty && e->out &&
	    rt_tty_resize(bufferevent_getfd(e->out), e->rows, e->cols, &err) < 0) {
		api_reply_berr(req, err);
		return;
	}
	http_reply(req, 200, "text/plain", NULL, 0);
}

const struct api_route api_exec_routes[] = {
	{"POST", "/containers/{id}/exec", api_exec_create},
	{"POST", "/exec/{id}/start", api_exec_start},
	{"POST", "/exec/{id}/resize", api_exec_resize},
	{"GET", "/exec/{id}/json", api_exec_inspect},
	{0},
};
