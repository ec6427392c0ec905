/* api-network.c - the /networks routes: list, inspect, create, delete,
 * prune.  Reads run on the loop under the model's read lock; changes are
 * jobs. */
#include <errno.h>
#include <regex.h>
#include <stdlib.h>

#include "core/api.h"
#include "core/controller.h"
#include "core/filters.h"
#include "core/util.h"

static const char *const api_net_list_filters[] = {
	"dangling", "driver", "id", "label", "name", "scope", "type", NULL,
};
static const char *const api_net_prune_filters[] = {"until", "label", "label!", NULL};

/* name: Docker matches a regular expression anywhere in the name. */
static bool api_net_name_match(const char *want, void *data)
{
	regex_t re;
	bool hit;

	if (regcomp(&re, want, REG_EXTENDED | REG_NOSUB) != 0)
		return strstr(data, want) != NULL;
	hit = regexec(&re, data, 0, NULL, 0) == 0;
	regfree(&re);
	return hit;
}

/* id: the full id or a prefix of it. */
static bool api_net_id_match(const char *want, void *data)
{
	return strprefix(data, want);
}

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

/* dangling=true: networks no container uses (never the predefined ones). */
static bool api_net_dangling_match(const char *want, void *data)
{
	const struct network *net = data;
	bool dangling = !net->predefined;

	return (streq(want, "true") || streq(want, "1")) ? dangling : !dangling;
}

static bool api_net_match(struct network *net, json_t *f)
{
	return filters_match(f, "name", api_net_name_match, net->name) &&
	       filters_match(f, "id", api_net_id_match, net->id) &&
	       filters_match_exact(f, "driver", net->driver_name) &&
	       filters_match_exact(f, "scope", net_scope_to_string(net->scope)) &&
	       filters_match(f, "type", api_net_type_match, net) &&
	       filters_match(f, "dangling", api_net_dangling_match, net) &&
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
		if (api_net_match(api->ctl->nets[i], f))
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
		else
			obj = net_to_json(net, NULL);
	}
	ctl_read_unlock(api->ctl);
	if (obj)
		http_reply_json(req, 200, obj);
	else
		api_reply_berr(req, err);
	berr_free(err);
}

static void api_net_create_run(struct api_job *aj)
{
	struct network *net;

	if (ctl_network_create(aj->api->ctl, TAKE_PTR(aj->data), &net, &aj->err) < 0)
		return;
	aj->status = 201;
	aj->reply = json_pack("{s:s, s:s}", "Id", net->id, "Warning", "");
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

	if (api_body_json(req, &body, &err) == 0) {
		if (net_from_create_json(body, &draft, &err) == 0)
			api_job_submit(api, req, api_net_create_run, draft, api_net_free_draft,
				       params);
		json_decref(body);
	}
	if (err) {
		api_reply_berr(req, err);
		berr_free(err);
	}
}

static void api_net_delete_run(struct api_job *aj)
{
	if (ctl_network_delete(aj->api->ctl, aj->params[0], &aj->err) == 0)
		aj->status = 204;
}

static void api_net_delete(struct api *api, struct http_req *req, char **params)
{
	api_job_submit(api, req, api_net_delete_run, NULL, NULL, params);
}

static void api_net_prune_run(struct api_job *aj)
{
	json_t *names;

	if (ctl_network_prune(aj->api->ctl, aj->data, &names, &aj->err) < 0)
		return;
	aj->reply = json_pack("{s:o}", "NetworksDeleted",
			      json_array_size(names) ? names : (json_decref(names), json_null()));
}

static void api_net_free_json(void *data)
{
	json_decref(data);
}

static void api_net_prune(struct api *api, struct http_req *req, char **params)
{
	struct berr *err = NULL;
	json_t *f;

	if (filters_parse(http_req_query(req, "filters"), api_net_prune_filters, &f, &err) < 0) {
		api_reply_berr(req, err);
		berr_free(err);
		return;
	}
	api_job_submit(api, req, api_net_prune_run, f, api_net_free_json, params);
}

const struct api_route api_network_routes[] = {
	{"GET", "/networks", api_net_list},	      {"GET", "/networks/{id}", api_net_inspect},
	{"POST", "/networks/create", api_net_create}, {"POST", "/networks/prune", api_net_prune},
	{"DELETE", "/networks/{id}", api_net_delete}, {0},
};
