/* api-events.c - GET /events: Docker's event stream, replayed from the
 * ring for `since` and followed live (core/events.c). */
#include <errno.h>
#include <stdlib.h>

#include "core/api.h"
#include "core/events.h"
#include "core/filters.h"
#include "core/util.h"

static const char *const api_events_filters[] = {
	"type", "event", "container", "image", "volume", "network", "label", "scope", NULL,
};

/* since/until: Unix seconds, RFC 3339, or a duration before now; 0 if absent. */
static int api_events_time(struct http_req *req, const char *key, double *ret, struct berr **err)
{
	const char *s = http_req_query(req, key);
	struct timespec ts;
	int r;

	*ret = 0;
	if (!s || !*s)
		return 0;
	r = filters_time(s, &ts, err);
	if (r < 0)
		return berr_wrap(err, "%s", key);
	*ret = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	return 0;
}

static void api_events(struct api *api, struct http_req *req, char **params)
{
	struct berr *err = NULL;
	double since, until;
	json_t *f;

	(void)params;
	if (api_events_time(req, "since", &since, &err) < 0 ||
	    api_events_time(req, "until", &until, &err) < 0 ||
	    filters_parse(http_req_query(req, "filters"), api_events_filters, &f, &err) < 0) {
		api_reply_berr(req, err);
		berr_free(err);
		return;
	}
	events_subscribe(api->events, api->base, req, f, since, until);
	json_decref(f);
}

const struct api_route api_events_routes[] = {
	{"GET", "/events", api_events},
	{0},
};
