/* events.h - the daemon's event log (GET /events): what happened to
 * containers, images, volumes and networks, as Docker reports it.  Events
 * are kept in a bounded ring for `since` replays and pushed to streaming
 * subscribers.  Loop thread only. */
#ifndef BERTH_EVENTS_H
#define BERTH_EVENTS_H

#include <jansson.h>
#include <stdbool.h>

#include "core/http.h"

struct events;

struct events *events_new(void);
void events_free(struct events *ev);

/* Record an event.  type: "container", "image", "volume", "network";
 * action: "create", "start", "die", ...; attrs: the Actor's attributes
 * (taken; may be NULL).  For containers the Docker legacy fields (status,
 * id, from) are filled from id and attrs["image"]. */
void events_emit(struct events *ev, const char *type, const char *action, const char *id,
		 json_t *attrs);

/* Serve GET /events: replay since, then stream until `until` or forever.
 * filters: normalised filters (borrowed for the call; copied). */
void events_subscribe(struct events *ev, struct event_base *base, struct http_req *req,
		      json_t *filters, double since, double until);

/* Does one event (its JSON) pass the filters? */
bool events_match(json_t *event, json_t *filters);

#endif
