/* events.c - the event ring and its subscribers (see events.h). */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <event2/event.h>

#include "core/events.h"
#include "core/filters.h"
#include "core/util.h"

/* How many past events `since` can reach back to. */
#define EVENTS_RING 4096

struct events_sub {
	struct http_req *req;
	json_t *filters;
	double until;
	struct event *timer; /* ends the stream at until */
	struct events *ev;
	struct events_sub *next;
};

struct events {
	json_t *ring[EVENTS_RING];
	size_t head, count;
	struct events_sub *subs;
};

struct events *events_new(void)
{
	return xcalloc(1, sizeof(struct events));
}

static void events_sub_free(struct events_sub *s)
{
	if (s->timer)
		event_free(s->timer);
	json_decref(s->filters);
	free(s);
}

void events_free(struct events *ev)
{
	if (!ev)
		return;
	for (size_t i = 0; i < EVENTS_RING; i++)
		json_decref(ev->ring[i]);
	while (ev->subs) {
		struct events_sub *s = ev->subs;

		ev->subs = s->next;
		events_sub_free(s); /* the request goes with the HTTP server */
	}
	free(ev);
}

static double events_time(json_t *e)
{
	return (double)json_integer_value(json_object_get(e, "timeNano")) / 1e9;
}

/* Values of a key in the actor: the id, the name attribute, or both. */
static bool events_actor_is(json_t *e, const char *want)
{
	json_t *actor = json_object_get(e, "Actor");
	const char *id = json_string_value(json_object_get(actor, "ID"));
	const char *name =
		json_string_value(json_object_get(json_object_get(actor, "Attributes"), "name"));

	return (id && (streq(id, want) || strprefix(id, want))) || (name && streq(name, want));
}

static bool events_type_match(const char *want, void *data)
{
	return streq(want, json_string_value(json_object_get(data, "Type")));
}

static bool events_action_match(const char *want, void *data)
{
	const char *action = json_string_value(json_object_get(data, "Action"));

	/* "exec_start: sh" matches "exec_start" as in Docker */
	return strprefix(action, want) &&
	       (action[strlen(want)] == '\0' || action[strlen(want)] == ':');
}

/* container=, image=, volume=, network= filters: only that type's actors. */
static bool events_object_match(json_t *e, json_t *filters, const char *key)
{
	json_t *vals = filters_get(filters, key), *v;
	const char *type = json_string_value(json_object_get(e, "Type"));
	size_t i;

	if (!vals)
		return true;
	if (!streq(type, key))
		return streq(key, "image") && streq(type, "container") &&
		       filters_match_exact(
			       filters, "image",
			       json_string_value(json_object_get(
				       json_object_get(json_object_get(e, "Actor"), "Attributes"),
				       "image"))
				       ?: "");
	json_array_foreach (vals, i, v)
		if (events_actor_is(e, json_string_value(v)))
			return true;
	return false;
}

bool events_match(json_t *e, json_t *filters)
{
	json_t *attrs = json_object_get(json_object_get(e, "Actor"), "Attributes");

	return filters_match(filters, "type", events_type_match, e) &&
	       filters_match(filters, "event", events_action_match, e) &&
	       events_object_match(e, filters, "container") &&
	       events_object_match(e, filters, "image") &&
	       events_object_match(e, filters, "volume") &&
	       events_object_match(e, filters, "network") &&
	       filters_match_labels(filters, "label", attrs);
}

static void events_send(struct events_sub *s, json_t *e)
{
	char *line = json_dumps(e, JSON_COMPACT);

	if (!line)
		return;
	http_stream_write(s->req, line, strlen(line));
	http_stream_write(s->req, "\n", 1);
	free(line);
}

static void events_sub_unlink(struct events *ev, struct events_sub *s)
{
	for (struct events_sub **p = &ev->subs; *p; p = &(*p)->next)
		if (*p == s) {
			*p = s->next;
			return;
		}
}

static void events_sub_end(struct events_sub *s)
{
	events_sub_unlink(s->ev, s);
	http_stream_end(s->req);
	events_sub_free(s);
}

void events_emit(struct events *ev, const char *type, const char *action, const char *id,
		 json_t *attrs)
{
	struct timespec ts;
	json_t *e;

	clock_gettime(CLOCK_REALTIME, &ts);
	e = json_pack("{s:s, s:s, s:{s:s, s:o}, s:s, s:I, s:I}", "Type", type, "Action", action,
		      "Actor", "ID", id, "Attributes", attrs ? attrs : json_object(), "scope",
		      "local", "time", (json_int_t)ts.tv_sec, "timeNano",
		      (json_int_t)ts.tv_sec * 1000000000 + ts.tv_nsec);
	if (streq(type, "container")) {
		const char *from = json_string_value(json_object_get(attrs, "image"));

		json_object_set_new(e, "status", json_string(action));
		json_object_set_new(e, "id", json_string(id));
		if (from)
			json_object_set_new(e, "from", json_string(from));
	}
	json_decref(ev->ring[ev->head]);
	ev->ring[ev->head] = e;
	ev->head = (ev->head + 1) % EVENTS_RING;
	if (ev->count < EVENTS_RING)
		ev->count++;
	for (struct events_sub *s = ev->subs, *next; s; s = next) {
		next = s->next;
		if (http_req_gone(s->req)) {
			events_sub_end(s);
			continue;
		}
		if (events_match(e, s->filters))
			events_send(s, e);
	}
}

static void events_until_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	events_sub_end(arg);
}

void events_subscribe(struct events *ev, struct event_base *base, struct http_req *req,
		      json_t *filters, double since, double until)
{
	struct events_sub *s = xcalloc(1, sizeof(*s));
	struct timespec now;
	double t_now;

	s->req = req;
	s->ev = ev;
	s->filters = json_deep_copy(filters);
	s->until = until;
	http_stream_begin(req, 200, "application/json");
	for (size_t i = 0; since > 0 && i < ev->count; i++) {
		json_t *e = ev->ring[(ev->head + EVENTS_RING - ev->count + i) % EVENTS_RING];
		double t = events_time(e);

		if (t >= since && (until <= 0 || t <= until) && events_match(e, s->filters))
			events_send(s, e);
	}
	clock_gettime(CLOCK_REALTIME, &now);
	t_now = (double)now.tv_sec + (double)now.tv_nsec / 1e9;
	if (until > 0 && until <= t_now) {
		http_stream_end(req);
		events_sub_free(s);
		return;
	}
	s->next = ev->subs;
	ev->subs = s;
	if (until > 0) {
		double left = until - t_now;
		struct timeval tv = {.tv_sec = (time_t)left,
				     .tv_usec = (suseconds_t)((left - (double)(time_t)left) * 1e6)};

		s->timer = evtimer_new(base, events_until_cb, s);
		evtimer_add(s->timer, &tv);
	}
}
