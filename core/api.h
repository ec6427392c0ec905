/* api.h - the Docker Engine API adapter: one file per resource
 * (api-system.c, api-network.c, ...), each with a route table; api.c routes
 * requests to them, runs state changes as jobs and maps errors to HTTP.
 * Handlers decode JSON, call the model, encode the reply; the model never
 * sees HTTP. */
#ifndef BERTH_API_H
#define BERTH_API_H

#include <jansson.h>
#include <stdbool.h>
#include <time.h>

#include "core/berr.h"
#include "core/http.h"
#include "core/job.h"
#include "core/router.h"

/* The API version berth advertises and the oldest it accepts (x100). */
#define API_VERSION	"1.41"
#define API_MIN_VERSION "1.24"
#define API_MIN		124
#define BERTH_VERSION	"0.1.0"

struct ctl;

struct events;

struct api {
	struct event_base *base;
	struct events *events;
	struct ctl *ctl;
	struct jobq *jobq;
	const char *root;
	const char *exec_root;
	char engine_id[65];
	struct timespec started;
	bool shutting_down;
	/* registries (api-registry.c) */
	const char *config_dir;		  /* certs.d/ is under it */
	char *const *insecure_registries; /* --insecure-registry */
	char *const *registry_mirrors;	  /* --registry-mirror */
	struct api_xfer *xfers;		  /* pulls, pushes, logins under way */
};

extern const struct api_route api_system_routes[];
extern const struct api_route api_network_routes[];
extern const struct api_route api_image_routes[];
extern const struct api_route api_container_routes[];
extern const struct api_route api_events_routes[];
extern const struct api_route api_exec_routes[];
extern const struct api_route api_volume_routes[];
extern const struct api_route api_archive_routes[];
extern const struct api_route api_top_routes[];
extern const struct api_route api_imgarchive_routes[];
extern const struct api_route api_registry_routes[];

/* An image event (Actor attribute name: the reference it concerns). */
void api_img_event(struct api *api, const char *action, const char *id, const char *name);
/* POST /images/create?fromImage=: a pull (api-registry.c). */
void api_reg_pull(struct api *api, struct http_req *req);
/* At shutdown, before the job queue goes: stop the transfers under way
 * and answer their requests. */
void api_xfers_stop(struct api *api);

/* A tar going out: an unlinked temp file under <root>/tmp (job thread),
 * then sent from its start as an application/x-tar body (loop thread). */
int api_tmpfile(struct api *api, int *ret_fd, struct berr **err);
void api_stream_tar(struct http_req *req, int fd);

/* After a restart: watch the containers that still run (loop thread). */
void api_containers_watch(struct api *api);
/* At shutdown: drop the loop-side state of every container (they run on). */
void api_containers_unwatch(struct api *api);

/* Requests whose bodies are tar streams, spooled to a file by http.c. */
bool api_spool_body(const char *method, const char *url);

/* The http handler: routes one request. */
void api_handle(struct http_req *req, void *data);

/* 200 with Docker's JSON message stream: each object of messages on a
 * line of its own (pull, load). */
void api_reply_json_lines(struct http_req *req, json_t *messages);

/* HTTP status for an errno value, as Docker answers. */
int api_status(int code);
void api_reply_berr(struct http_req *req, const struct berr *err);

/* A boolean query parameter by Docker's rule: "", 0, no, false, none (any
 * case) are false, anything else true; def when absent. */
bool api_query_bool(struct http_req *req, const char *key, bool def);

/* The request body as JSON (an object); 400 answered when it is not. */
int api_body_json(struct http_req *req, json_t **ret, struct berr **err);

/* A state change: run(aj) on the job thread fills aj->status, aj->reply or
 * aj->err; the reply is sent on the loop afterwards.  data is freed with
 * free_data (may be NULL) once done. */
struct api_job;
typedef void (*api_job_fn)(struct api_job *aj);

struct api_job {
	struct job job;
	struct api *api;
	struct http_req *req;
	api_job_fn run;
	int status;    /* HTTP status on success */
	json_t *reply; /* body on success (NULL: empty) */
	struct berr *err;
	void *data;
	void (*free_data)(void *data);
	char *params[ROUTER_MAX_PARAMS];
	/* Loop-side work after run, before the reply (may be NULL).  It may
	 * take over the request (set req to NULL: no reply is sent). */
	void (*after)(struct api_job *aj);
};

void api_job_submit(struct api *api, struct http_req *req, api_job_fn run, void *data,
		    void (*free_data)(void *data), char **params);
/* The same with an after hook.  req may be NULL (internal jobs). */
void api_job_submit_after(struct api *api, struct http_req *req, api_job_fn run, void *data,
			  void (*free_data)(void *data), void (*after)(struct api_job *aj),
			  char **params);

#endif
