/* api-volume.c - the /volumes routes: create, list, inspect, remove,
 * prune.  Reads run on the loop under the model's read lock; changes are
 * jobs on the controller (ctl-volume.c). */
#include <errno.h>
#include <stdlib.h>

#include "core/api.h"
#include "core/events.h"
#include "core/controller.h"
#include "core/ctl-volume.h"
#include "core/filters.h"
#include "core/util.h"

static const char *const api_vol_list_filters[] = {"dangling", "driver", "label", "name", NULL};
/* "all" is API 1.42's; at 1.41 prune takes every unused volume anyway. */
static const char *const api_vol_prune_filters[] = {"label", "label!", "all", NULL};

static void api_vol_reply_err(struct http_req *req, struct berr *err)
{
	api_reply_berr(req, err);
	berr_free(err);
}

/* dangling values must be booleans, as Docker checks them. */
static int api_vol_check_filters(json_t *f, struct berr **err)
{
	json_t *v;
	size_t i;

	json_array_foreach (filters_get(f, "dangling"), i, v) {
		const char *s = json_string_value(v);

		if (!streq(s, "true") && !streq(s, "1") && !streq(s, "false") && !streq(s, "0"))
			return berr_set(err, EINVAL, "invalid filter 'dangling=%s'", s);
	}
	return 0;
}

struct api_vol_match {
	struct ctl *ctl;
	struct volume *vol;
};

/* dangling=true: no container mounts the volume. */
static bool api_vol_dangling_match(const char *want, void *data)
{
	struct api_vol_match *m = data;
	json_t *users = ctl_volume_users(m->ctl, m->vol->name);
	bool dangling = json_array_size(users) == 0;

	json_decref(users);
	return (streq(want, "true") || streq(want, "1")) ? dangling : !dangling;
}

static bool api_vol_match(struct ctl *ctl, struct volume *v, json_t *f)
{
	struct api_vol_match m = {ctl, v};

	return filters_match(f, "name", filters_regex_match, v->name) &&
	       filters_match_exact(f, "driver", v->driver) &&
	       filters_match_labels(f, "label", v->labels) &&
	       filters_match(f, "dangling", api_vol_dangling_match, &m);
}

static void api_vol_list(struct api *api, struct http_req *req, char **params)
{
	struct berr *err = NULL;
	json_t *f, *list;

	(void)params;
	if (filters_parse(http_req_query(req, "filters"), api_vol_list_filters, &f, &err) < 0 ||
	    api_vol_check_filters(f, &err) < 0) {
		api_vol_reply_err(req, err);
		return;
	}
	list = json_array();
	ctl_read_lock(api->ctl);
	for (size_t i = 0; i < api->ctl->n_vols; i++)
		if (api_vol_match(api->ctl, api->ctl->vols[i], f))
			json_array_append_new(list, vol_to_json(api->ctl->vols[i]));
	ctl_read_unlock(api->ctl);
	json_decref(f);
	http_reply_json(req, 200, json_pack("{s:o, s:n}", "Volumes", list, "Warnings"));
}

static void api_vol_inspect(struct api *api, struct http_req *req, char **params)
{
	struct berr *err = NULL;
	struct volume *v;
	json_t *obj = NULL;

	ctl_read_lock(api->ctl);
	if (ctl_volume_find(api->ctl, params[0], &v, &err) == 0)
		obj = vol_to_json(v);
	ctl_read_unlock(api->ctl);
	if (obj)
		http_reply_json(req, 200, obj);
	else
		api_vol_reply_err(req, err);
}

static void api_vol_free_draft(void *data)
{
	vol_free(data);
}

static void api_vol_create_run(struct api_job *aj)
{
	struct volume *v;

	if (ctl_volume_create(aj->api->ctl, TAKE_PTR(aj->data), &v, &aj->err) < 0)
		return;
	aj->status = 201;
	aj->reply = vol_to_json(v);
}

/* Docker's volume events: the Actor is the volume's name, driver attribute. */
static void api_vol_event(struct api *api, const char *action, const char *name)
{
	events_emit(api->events, "volume", action, name, json_pack("{s:s}", "driver", "local"));
}

static void api_vol_create_after(struct api_job *aj)
{
	if (!aj->err && aj->reply)
		api_vol_event(aj->api, "create",
			      json_string_value(json_object_get(aj->reply, "Name")));
}

static void api_vol_destroy_after(struct api_job *aj)
{
	json_t *names = json_object_get(aj->reply, "VolumesDeleted"), *v;
	size_t i;

	if (aj->err)
		return;
	if (!aj->reply) /* a single delete */
		api_vol_event(aj->api, "destroy",
			      json_string_value(json_object_get(aj->data, "name")));
	json_array_foreach (names, i, v)
		api_vol_event(aj->api, "destroy", json_string_value(v));
}

static void api_vol_create(struct api *api, struct http_req *req, char **params)
{
	struct volume *draft;
	struct berr *err = NULL;
	json_t *body;

	(void)params;
	if (api_body_json(req, &body, &err) == 0) {
		if (vol_from_create_json(body, &draft, &err) == 0)
			api_job_submit_after(api, req, api_vol_create_run, draft,
					     api_vol_free_draft, api_vol_create_after, NULL);
		json_decref(body);
	}
	if (err)
		api_vol_reply_err(req, err);
}

static void api_vol_free_json(void *data)
{
	json_decref(data);
}

static void api_vol_delete_run(struct api_job *aj)
{
	const char *name = json_string_value(json_object_get(aj->data, "name"));
	bool force = json_is_true(json_object_get(aj->data, "force"));

	if (ctl_volume_remove(aj->api->ctl, name, force, &aj->err) == 0)
		aj->status = 204;
}

static void api_vol_delete(struct api *api, struct http_req *req, char **params)
{
	json_t *data = json_pack("{s:s, s:b}", "name", params[0], "force",
				 api_query_bool(req, "force", false));

	api_job_submit_after(api, req, api_vol_delete_run, data, api_vol_free_json,
			     api_vol_destroy_after, NULL);
}

static void api_vol_prune_run(struct api_job *aj)
{
	json_t *names;
	uint64_t space;

	if (ctl_volume_prune(aj->api->ctl, aj->data, &names, &space, &aj->err) < 0)
		return;
	aj->status = 200;
	aj->reply = json_pack("{s:o, s:I}", "VolumesDeleted",
			      json_array_size(names) ? names : (json_decref(names), json_null()),
			      "SpaceReclaimed", (json_int_t)space);
}

static void api_vol_prune(struct api *api, struct http_req *req, char **params)
{
	struct berr *err = NULL;
	json_t *f;

	(void)params;
	if (filters_parse(http_req_query(req, "filters"), api_vol_prune_filters, &f, &err) < 0) {
		api_vol_reply_err(req, err);
		return;
	}
	api_job_submit_after(api, req, api_vol_prune_run, f, api_vol_free_json,
			     api_vol_destroy_after, NULL);
}

const struct api_route api_volume_routes[] = {
	{"GET", "/volumes", api_vol_list},
	{"POST", "/volumes/create", api_vol_create},
	{"POST", "/volumes/prune", api_vol_prune},
	{"GET", "/volumes/{name}", api_vol_inspect},
	{"DELETE", "/volumes/{name}", api_vol_delete},
	{0},
};
