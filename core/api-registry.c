/* api-registry.c - the routes that talk to registries: pull (POST
 * /images/create?fromImage=), push, and login (POST /auth). */
#include <errno.h>
#include <stdlib.h>

#include "core/api.h"
#include "core/controller.h"
#include "core/util.h"
#include "runtime/image.h"
#include "runtime/registry.h"

/* --- pull --- */

struct api_img_pull {
	char *ref;
	json_t *log;
};

static void api_img_pull_free(void *data)
{
	struct api_img_pull *p = data;

	free(p->ref);
	json_decref(p->log);
	free(p);
}

static void api_img_pull_run(struct api_job *aj)
{
	struct api_img_pull *p = aj->data;
	_cleanup_free_ char *tmp = xasprintf("%s/tmp", aj->api->root);
	struct reg_opts o = {.tmp_dir = tmp};
	struct image *img;

	reg_pull(aj->api->ctl->images, p->ref, &o, &img, &p->log, &aj->err);
}

/* Docker's pull stream: one JSON message a line (sent once the pull is
 * done: the progress is not live yet). */
static void api_img_pull_after(struct api_job *aj)
{
	struct api_img_pull *p = aj->data;

	if (aj->err || !aj->req)
		return;
	api_img_event(aj->api, "pull", p->ref, p->ref);
	api_reply_json_lines(aj->req, p->log);
	aj->req = NULL;
}

/* POST /images/create?fromImage=NAME[:TAG]&tag=TAG|DIGEST */
void api_reg_pull(struct api *api, struct http_req *req)
{
	const char *from = http_req_query(req, "fromImage"), *tag = http_req_query(req, "tag");
	struct api_img_pull *p = xcalloc(1, sizeof(*p));

	if (tag && *tag)
		p->ref = xasprintf("%s%s%s", from, strprefix(tag, "sha256:") ? "@" : ":", tag);
	else
		p->ref = xstrdup(from);
	api_job_submit_after(api, req, api_img_pull_run, p, api_img_pull_free, api_img_pull_after,
			     NULL);
}

const struct api_route api_registry_routes[] = {
	{0},
};
