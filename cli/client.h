/* client.h - the berth CLI's HTTP client: Docker Engine API requests to
 * berthd over its unix socket (libcurl), JSON in and out.  Errors come back
 * as a struct berr whose message is what the CLI prints: "Error response
 * from daemon: ..." (code from the HTTP status: ENOENT for 404, ...) or
 * "Cannot connect to the berth daemon at ..." (ECONNREFUSED). */
#ifndef BERTH_CLI_CLIENT_H
#define BERTH_CLI_CLIENT_H

#include <jansson.h>

#include "core/berr.h"

struct client;

/* host is "unix:///path"; anything else is refused (EINVAL). */
int client_new(const char *host, struct client **ret, struct berr **err);
void client_free(struct client *c);

/* One request.  path is below the version prefix ("/networks?x=1").  body
 * (borrowed) may be NULL.  On a 2xx reply returns 0 and, when ret_json is
 * not NULL, the parsed body there (NULL when empty; caller decrefs). */
int client_request(struct client *c, const char *method, const char *path, json_t *body,
		   json_t **ret_json, struct berr **err);
int client_get(struct client *c, const char *path, json_t **ret_json, struct berr **err);
int client_post(struct client *c, const char *path, json_t *body, json_t **ret_json,
		struct berr **err);
int client_delete(struct client *c, const char *path, struct berr **err);

/* Called with each line of a streamed reply (its '\n' cut off; a last
 * line without one is passed too).  line is borrowed for the call. */
typedef void (*client_line_fn)(const char *line, size_t len, void *arg);

/* POST path with no body and the extra headers ("Name: value", NULL
 * terminated; may be NULL), handing a 2xx reply to on_line line by line
 * as it arrives (Docker's JSON message streams).  An error status is
 * turned into err as client_request does. */
int client_post_stream(struct client *c, const char *path, const char *const *headers,
		       client_line_fn on_line, void *arg, struct berr **err);

/* Percent-encode s for a path segment or a query value: caller frees. */
char *client_escape(const char *s);
/* Append "?key=value" or "&key=value" (value escaped) to *path. */
void client_query_add(char **path, const char *key, const char *value);

/* The errno value for an HTTP error status (404 -> ENOENT, ...). */
int client_status_errno(long status);

#endif
