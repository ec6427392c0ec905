/* api.c - request routing, jobs and error mapping for the Docker Engine API
 * (see api.h).  Runs on the loop thread; the run part of jobs on the job
 * thread. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#include "core/api.h"
#include "core/log.h"
#include "core/util.h"

static const struct api_route *const api_tables[] = {
	api_system_routes, api_network_routes,	  api_image_routes,    api_container_routes,
	api_events_routes, api_volume_routes,	  api_exec_routes,     api_archive_routes,
	api_top_routes,	   api_imgarchive_routes, api_registry_routes,
};

int api_status(int code)
{
	switch (code) {
	case ENOENT:
	case ENODEV:
		return 404;
	case EEXIST:
	case EBUSY:
		return 409;
	case EINVAL:
	case ERANGE:
	case ENAMETOOLONG:
		return 400;
	case EPERM:
	case EACCES:
		return 403;
	case ENOSPC:
	case EAGAIN:
		return 503;
	default:
		return 500;
	}
}

void api_reply_berr(struct http_req *req, const struct berr *err)
{
	http_reply_error(req, api_status(err ? err->code : EIO), berr_msg(err));
}

bool api_query_bool(struct http_req *req, const char *key, bool def)
{
	static const char *const falsy[] = {"", "0", "no", "false", "none"};
	const char *v = http_req_query(req, key);

	if (!v)
		return def;
	for (size_t i = 0; i < ARRAY_SIZE(falsy); i++)
		if (strcasecmp(v, falsy[i]) == 0)
			return false;
	return true;
}

int api_body_json(struct http_req *req, json_t **ret, struct berr **err)
{
	const char *ctype = http_req_header(req, "Content-Type");
	size_t len;
	const char *body = http_req_body(req, &len);
	json_error_t jerr;
	json_t *obj;

	if (len == 0) {
		*ret = json_object();
		return 0;
	}
	if (ctype && !strprefix(ctype, "application/json"))
		return berr_set(err, EINVAL,
				"unsupported Content-Type header (%s): must be 'application/json'",
				ctype);
	obj = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!obj)
		return berr_set(err, EINVAL, "invalid JSON: %s (line %d, column %d)", jerr.text,
				jerr.line, jerr.column);
	if (!json_is_object(obj)) {
		json_decref(obj);
		return berr_set(err, EINVAL, "invalid JSON: the body must be an object");
	}
	*ret = obj;
	return 0;
}

static void api_job_free(struct api_job *aj)
{
	if (aj->free_data)
		aj->free_data(aj->data);
	for (size_t i = 0; i < ROUTER_MAX_PARAMS; i++)
		free(aj->params[i]);
	json_decref(aj->reply);
	berr_free(aj->err);
	free(aj);
}

static void api_job_run(struct job *job)
{
	struct api_job *aj = container_of(job, struct api_job, job);

	aj->run(aj);
}

static void api_job_done(struct job *job)
{
	struct api_job *aj = container_of(job, struct api_job, job);

	if (!job->cancelled && aj->after)
		aj->after(aj);
	if (!aj->req)
		; /* internal job, or the after hook took the request */
	else if (job->cancelled)
		http_reply_error(aj->req, 503, "the daemon is shutting down");
	else if (aj->err)
		api_reply_berr(aj->req, aj->err);
	else if (aj->reply)
		http_reply_json(aj->req, aj->status, TAKE_PTR(aj->reply));
	else
		http_reply(aj->req, aj->status, NULL, NULL, 0);
	api_job_free(aj);
}

static struct api_job *api_job_new(struct api *api, struct http_req *req, api_job_fn run,
				   void *data, void (*free_data)(void *data), char **params)
{
	struct api_job *aj = xcalloc(1, sizeof(*aj));

	aj->job.run = api_job_run;
	aj->job.done = api_job_done;
	aj->api = api;
	aj->req = req;
	aj->run = run;
	aj->status = 200;
	aj->data = data;
	aj->free_data = free_data;
	for (size_t i = 0; params && i < ROUTER_MAX_PARAMS; i++)
		aj->params[i] = TAKE_PTR(params[i]);
	return aj;
}

static void api_job_queue(struct api *api, struct api_job *aj)
{
	if (api->shutting_down) {
		aj->job.cancelled = true;
		api_job_done(&aj->job);
		return;
	}
	jobq_push(api->jobq, &aj->job);
}

void api_job_submit(struct api *api, struct http_req *req, api_job_fn run, void *data,
		    void (*free_data)(void *data), char **params)
{
	api_job_queue(api, api_job_new(api, req, run, data, free_data, params));
}

void api_job_submit_after(struct api *api, struct http_req *req, api_job_fn run, void *data,
			  void (*free_data)(void *data), void (*after)(struct api_job *aj),
			  char **params)
{
	struct api_job *aj = api_job_new(api, req, run, data, free_data, params);

	aj->after = after;
	api_job_queue(api, aj);
}

bool api_spool_body(const char *method, const char *url)
{
	unsigned version;
	_cleanup_free_ char *path = xstrndup(url, strcspn(url, "?"));
	const char *p = router_strip_version(path, &version);

	if (streq(method, "POST"))
		return streq(p, "/images/create") || streq(p, "/images/load");
	if (streq(method, "PUT"))
		return strprefix(p, "/containers/") && strstr(p, "/archive");
	return false;
}

void api_handle(struct http_req *req, void *data)
{
	struct api *api = data;
	char *params[ROUTER_MAX_PARAMS] = {0};
	const struct api_route *route;
	unsigned version;
	const char *path = router_strip_version(http_req_path(req), &version);
	enum router_result res;

	log_debug("%s %s", http_req_method(req), http_req_path(req));
	if (version && version < API_MIN) {
		char *msg =
			xasprintf("client version %u.%u is too old. Minimum supported API "
				  "version is %s, please upgrade your client to a newer version",
				  version / 100, version % 100, API_MIN_VERSION);

		http_reply_error(req, 400, msg);
		free(msg);
		return;
	}
	res = router_match(api_tables, ARRAY_SIZE(api_tables), http_req_method(req), path, &route,
			   params);
	if (res == ROUTER_FOUND) {
		route->handler(api, req, params);
		for (size_t i = 0; i < ROUTER_MAX_PARAMS; i++)
			free(params[i]);
		return;
	}
	if (res == ROUTER_NO_METHOD) {
		http_reply_error(req, 405, "method not allowed");
		return;
	}
	char *msg = xasprintf("page not found: %s %s", http_req_method(req), path);

	http_reply_error(req, 404, msg);
	free(msg);
}

void api_reply_json_lines(struct http_req *req, json_t *messages)
{
	size_t len = 0, i;
	char *out = NULL;
	FILE *f = open_memstream(&out, &len);
	json_t *m;

	json_array_foreach (messages, i, m) {
		char *s = json_dumps(m, JSON_COMPACT);

		fprintf(f, "%s\r\n", s ? s : "{}");
		free(s);
	}
	fclose(f);
	http_reply(req, 200, "application/json", out, len);
	free(out);
}
