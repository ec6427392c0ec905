/* api-network.c - the /networks routes: list, inspect, create, delete,
 * prune.  Reads run on the loop under the model's read lock; changes are
 * jobs. */
#include <errno.h>
#include <stdlib.h>

#include "core/api.h"
#include "core/controller.h"
#include "core/ctl-cluster.h"
#include "core/ctl-container.h"
#include "core/ctl-endpoint.h"
#include "core/events.h"
#include "core/filters.h"
#include "core/util.h"

static const char *const api_net_list_filters[] = {
	"dangling", "driver", "id", "label", "name", "scope", "type", NULL,
};
static const char *const api_net_prune_filters[] = {"until", "label", "label!", NULL};

static bool api_net_type_match(const char *want, void *data)
{
	const struct network *net = data;

	return streq(want, net->predefined ? "builtin" : "custom");
}

/* Values of type and dangling are checked before matching anything. */
static int api_net_check_filters(json_t *f, struct berr **err)
{
	json_t *v;
	size_t i;

	json_array_foreach (filters_get(f, "type"), i, v)
		if (!streq(json_string_value(v), "custom") &&
		    !streq(json_string_value(v), "builtin"))
			return berr_set(err, EINVAL, "invalid filter: 'type'='%s'",
					json_string_value(v));
	json_array_foreach (filters_get(f, "dangling"), i, v) {
		const char *s = json_string_value(v);

		if (!streq(s, "true") && !streq(s, "1") && !streq(s, "false") && !streq(s, "0"))
			return berr_set(err, EINVAL, "invalid filter 'dangling=%s'", s);
	}
	return 0;
}

struct api_net_use {
	struct ctl *ctl;
	const struct network *net;
};

/* dangling=true: networks no container uses (never the predefined ones). */
static bool api_net_dangling_match(const char *want, void *data)
{
	const struct api_net_use *x = data;
	bool dangling = !x->net->predefined && !ctl_network_in_use(x->ctl, x->net, NULL);

	return (streq(want, "true") || streq(want, "1")) ? dangling : !dangling;
}

static bool api_net_match(struct ctl *ctl, struct network *net, json_t *f)
{
	struct api_net_use use = {ctl, net};

	return filters_match(f, "name", filters_regex_match, net->name) &&
	       filters_match(f, "id", filters_prefix_match, net->id) &&
	       filters_match_exact(f, "driver", net->driver_name) &&
	       filters_match_exact(f, "scope", net_scope_to_string(net->scope)) &&
	       filters_match(f, "type", api_net_type_match, net) &&
	       filters_match(f, "dangling", api_net_dangling_match, &use) &&
	       filters_match_labels(f, "label", net->labels);
}

static void api_net_list(struct api *api, struct http_req *req, char **params)
{
	struct berr *err = NULL;
	json_t *f, *list;

	(void)params;
	if (filters_parse(http_req_query(req, "filters"), api_net_list_filters, &f, &err) < 0 ||
	    api_net_check_filters(f, &err) < 0) {
		api_reply_berr(req, err);
		berr_free(err);
		return;
	}
	list = json_array();
	ctl_read_lock(api->ctl);
	for (size_t i = 0; i < api->ctl->n_nets; i++)
		if (api_net_match(api->ctl, api->ctl->nets[i], f))
			json_array_append_new(list, net_to_json(api->ctl->nets[i], NULL));
	ctl_read_unlock(api->ctl);
	json_decref(f);
	http_reply_json(req, 200, list);
}

static void api_net_inspect(struct api *api, struct http_req *req, char **params)
{
	const char *scope = http_req_query(req, "scope");
	struct network *net;
	struct berr *err = NULL;
	json_t *obj = NULL;

	ctl_read_lock(api->ctl);
	if (ctl_network_find(api->ctl, params[0], &net, &err) == 0) {
		if (scope && *scope && !streq(scope, net_scope_to_string(net->scope)))
			berr_set(&err, ENOENT, "network %s not found", params[0]);
		else {
			json_t *ctrs = ctl_network_containers_json(api->ctl, net);
			json_t *peers = ctl_network_peers_json(api->ctl, net);

			obj = net_to_json(net, ctrs);
			json_decref(ctrs);
			if (peers)
				json_object_set_new(obj, "Peers", peers);
		}
	}
	ctl_read_unlock(api->ctl);
	if (obj)
		http_reply_json(req, 200, obj);
	else
		api_reply_berr(req, err);
	berr_free(err);
}

static void api_net_free_json(void *data)
{
	json_decref(data);
}

/* Docker's network event: Actor attributes name and type (the driver). */
static void api_net_event(struct api *api, const char *action, const char *id, const char *name,
			  const char *driver)
{
	events_emit(api->events, "network", action, id,
		    json_pack("{s:s, s:s}", "name", name, "type", driver));
}

static void api_net_create_run(struct api_job *aj)
{
	struct network *net;

	if (ctl_network_create(aj->api->ctl, TAKE_PTR(aj->data), &net, &aj->err) < 0)
		return;
	aj->status = 201;
	aj->reply = json_pack("{s:s, s:s}", "Id", net->id, "Warning", "");
	aj->data = json_pack("{s:s, s:s, s:s}", "id", net->id, "name", net->name, "driver",
			     net->driver_name);
	aj->free_data = api_net_free_json;
}

/* After create/delete/prune: the events, from what the job recorded. */
static void api_net_events_after(struct api_job *aj, const char *action)
{
	json_t *data = aj->data, *v, *list = json_is_array(data) ? data : NULL;
	size_t i;

	if (aj->err || !aj->data)
		return;
	if (!list) {
		api_net_event(aj->api, action, json_string_value(json_object_get(data, "id")),
			      json_string_value(json_object_get(data, "name")),
			      json_string_value(json_object_get(data, "driver")));
		return;
	}
	json_array_foreach (list, i, v)
		api_net_event(aj->api, action, json_string_value(json_object_get(v, "id")),
			      json_string_value(json_object_get(v, "name")),
			      json_string_value(json_object_get(v, "driver")));
}

static void api_net_create_after(struct api_job *aj)
{
	api_net_events_after(aj, "create");
}

static void api_net_destroy_after(struct api_job *aj)
{
	api_net_events_after(aj, "destroy");
}

static void api_net_free_draft(void *data)
{
	net_free(data);
}

static void api_net_create(struct api *api, struct http_req *req, char **params)
{
	struct network *draft;
	struct berr *err = NULL;
	json_t *body;

	(void)params;
	if (api_body_json(req, &body, &err) == 0) {
		if (net_from_create_json(body, &draft, &err) == 0)
			api_job_submit_after(api, req, api_net_create_run, draft,
					     api_net_free_draft, api_net_create_after, NULL);
		json_decref(body);
	}
	if (err) {
		api_reply_berr(req, err);
		berr_free(err);
	}
}

static void api_net_delete_run(struct api_job *aj)
{
	const char *ref = json_string_value(json_object_get(aj->data, "ref"));
	json_t *what = NULL;
	struct network *n;

	/* what the destroy event names, taken before the network goes */
	if (ctl_network_find(aj->api->ctl, ref, &n, NULL) == 0)
		what = json_pack("{s:s, s:s, s:s}", "id", n->id, "name", n->name, "driver",
				 n->driver_name);
	if (ctl_network_delete(aj->api->ctl, ref, &aj->err) < 0) {
		json_decref(what);
		return;
	}
	aj->status = 204;
	json_decref(aj->data);
	aj->data = what;
}

static void api_net_delete(struct api *api, struct http_req *req, char **params)
{
	(void)params;
	api_job_submit_after(api, req, api_net_delete_run, json_pack("{s:s}", "ref", params[0]),
			     api_net_free_json, api_net_destroy_after, NULL);
}

static void api_net_prune_run(struct api_job *aj)
{
	json_t *gone, *names = json_array(), *v;
	size_t i;

	if (ctl_network_prune(aj->api->ctl, aj->data, &gone, &aj->err) < 0) {
		json_decref(names);
		return;
	}
	json_array_foreach (gone, i, v)
		json_array_append(names, json_object_get(v, "name"));
	aj->reply = json_pack("{s:o}", "NetworksDeleted",
			      json_array_size(names) ? names : (json_decref(names), json_null()));
	json_decref(aj->data);
	aj->data = gone;
}

static void api_net_prune(struct api *api, struct http_req *req, char **params)
{
	struct berr *err = NULL;
	json_t *f;

	(void)params;
	if (filters_parse(http_req_query(req, "filters"), api_net_prune_filters, &f, &err) < 0) {
		api_reply_berr(req, err);
		berr_free(err);
		return;
	}
	api_job_submit_after(api, req, api_net_prune_run, f, api_net_free_json,
			     api_net_destroy_after, NULL);
}

/* connect and disconnect: {"Container", "EndpointConfig"} / {"Container",
 * "Force"}; the job records what the event names. */
static void api_net_attach_run(struct api_job *aj)
{
	json_t *body = aj->data;
	const char *ref = json_string_value(json_object_get(body, "ref"));
	const char *ctr = json_string_value(json_object_get(body, "Container"));
	bool connect = json_is_true(json_object_get(body, "connect"));
	struct network *net;
	struct container *c;
	int r;

	if (connect)
		r = ctl_network_connect(aj->api->ctl, ref, ctr,
					json_object_get(body, "EndpointConfig"), &aj->err);
	else
		r = ctl_network_disconnect(aj->api->ctl, ref, ctr,
					   json_is_true(json_object_get(body, "Force")), &aj->err);
	if (r < 0 || ctl_network_find(aj->api->ctl, ref, &net, NULL) < 0 ||
	    ctl_container_find(aj->api->ctl, ctr, &c, NULL) < 0)
		return;
	aj->status = 200;
	json_object_set_new(body, "event",
			    json_pack("{s:s, s:s, s:s, s:s}", "id", net->id, "container", c->id,
				      "name", net->name, "type", net->driver_name));
}

static void api_net_attach_after(struct api_job *aj)
{
	json_t *body = aj->data, *ev = json_object_get(body, "event");
	bool connect = json_is_true(json_object_get(body, "connect"));

	if (aj->err || !ev)
		return;
	events_emit(aj->api->events, "network", connect ? "connect" : "disconnect",
		    json_string_value(json_object_get(ev, "id")),
		    json_pack("{s:O, s:O, s:O}", "container", json_object_get(ev, "container"),
			      "name", json_object_get(ev, "name"), "type",
			      json_object_get(ev, "type")));
}

static void api_net_attach(struct api *api, struct http_req *req, const char *ref, bool connect)
{
	struct berr *err = NULL;
	json_t *body;

	if (api_body_json(req, &body, &err) == 0) {
		if (!json_is_object(body) || !json_is_string(json_object_get(body, "Container")))
			berr_set(&err, EINVAL, "Container is required");
		else {
			json_object_set_new(body, "ref", json_string(ref));
			json_object_set_new(body, "connect", json_boolean(connect));
			api_job_submit_after(api, req, api_net_attach_run, json_incref(body),
					     api_net_free_json, api_net_attach_after, NULL);
		}
		json_decref(body);
	}
	if (err) {
		api_reply_berr(req, err);
		berr_free(err);
	}
}

static void api_net_connect(struct api *api, struct http_req *req, char **params)
{
	api_net_attach(api, req, params[0], true);
}

static void api_net_disconnect(struct api *api, struct http_req *req, char **params)
{
	api_net_attach(api, req, params[0], false);
}

const struct api_route api_network_routes[] = {
	{"GET", "/networks", api_net_list},
	{"GET", "/networks/{id}", api_net_inspect},
	{"POST", "/networks/create", api_net_create},
	{"POST", "/networks/prune", api_net_prune},
	{"DELETE", "/networks/{id}", api_net_delete},
	{"POST", "/networks/{id}/connect", api_net_connect},
	{"POST", "/networks/{id}/disconnect", api_net_disconnect},
	{0},
};
