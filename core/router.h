/* router.h - matching "METHOD /path" against route patterns such as
 * "/networks/{id}/connect".  Pure code, no I/O: the API layer owns the
 * tables, unit tests call router_match directly. */
#ifndef BERTH_ROUTER_H
#define BERTH_ROUTER_H

#include <stddef.h>

#define ROUTER_MAX_PARAMS 4

struct http_req;
struct api;

typedef void (*api_handler_fn)(struct api *api, struct http_req *req, char **params);

struct api_route {
	const char *method; /* "GET", "POST", ...; GET routes also answer HEAD */
	const char *pattern;
	api_handler_fn handler;
};

enum router_result {
	ROUTER_FOUND,
	ROUTER_NO_PATH,	  /* 404 */
	ROUTER_NO_METHOD, /* the path exists with another method: 405 */
};

/* Find the route for method and path among n routes.  On ROUTER_FOUND,
 * *ret_route is set and params[0..] get the {…} segments (caller frees
 * each).  A {name*} parameter captures one or more segments ("a/b:c" in
 * "/images/{name*}/json"); only plain text may follow it in the pattern. */
enum router_result router_match(const struct api_route *const *routes, size_t n, const char *method,
				const char *path, const struct api_route **ret_route,
				char *params[ROUTER_MAX_PARAMS]);

/* Strip a "/v1.41" prefix: returns the rest of the path and sets
 * *ret_version to major*100+minor (0 when there was no prefix). */
const char *router_strip_version(const char *path, unsigned *ret_version);

#endif
