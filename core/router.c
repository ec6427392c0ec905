/* router.c - route pattern matching (see router.h). */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/router.h"
#include "core/util.h"

/* A {name*} parameter takes one or more (non-empty) segments: all of the
 * path up to where the rest of the pattern (plain text) matches its end.
 * NULL when it does not. */
static const char *router_star_end(const char *path, const char *rest)
{
	size_t plen = strlen(path), rlen = strlen(rest);

	if (plen > 1 && path[plen - 1] == '/')
		plen--; /* a trailing slash on the path is tolerated */
	if (plen <= rlen || strncmp(path + plen - rlen, rest, rlen) != 0 ||
	    path[plen - rlen - 1] == '/' || memmem(path, plen - rlen, "//", 2))
		return NULL;
	return path + plen - rlen;
}

/* Match one pattern; on success params hold the captured segments. */
static bool router_pattern_match(const char *pattern, const char *path,
				 char *params[ROUTER_MAX_PARAMS])
{
	size_t n = 0;

	while (*pattern && *path) {
		if (*pattern == '{') {
			const char *pend = strchr(pattern, '}');
			const char *seg_end = strchrnul(path, '/');

			if (!pend || seg_end == path || n == ROUTER_MAX_PARAMS)
				goto no;
			if (pend[-1] == '*')
				seg_end = router_star_end(path, pend + 1);
			if (!seg_end)
				goto no;
			params[n++] = xstrndup(path, (size_t)(seg_end - path));
			pattern = pend + 1;
			path = seg_end;
		} else if (*pattern++ != *path++) {
			goto no;
		}
	}
	/* a trailing slash on the path is tolerated */
	if (*pattern == '\0' && (*path == '\0' || streq(path, "/")))
		return true;
no:
	for (size_t i = 0; i < n; i++) {
		free(params[i]);
		params[i] = NULL;
	}
	return false;
}

enum router_result router_match(const struct api_route *const *routes, size_t n, const char *method,
				const char *path, const struct api_route **ret_route,
				char *params[ROUTER_MAX_PARAMS])
{
	enum router_result res = ROUTER_NO_PATH;
	bool head = streq(method, "HEAD");

	for (size_t i = 0; i < n; i++)
		for (const struct api_route *r = routes[i]; r->method; r++) {
			char *p[ROUTER_MAX_PARAMS] = {0};

			if (!router_pattern_match(r->pattern, path, p))
				continue;
			if (streq(r->method, method) || (head && streq(r->method, "GET"))) {
				memcpy(params, p, sizeof(p));
				*ret_route = r;
				return ROUTER_FOUND;
			}
			for (size_t k = 0; k < ROUTER_MAX_PARAMS; k++)
				free(p[k]);
			res = ROUTER_NO_METHOD;
		}
	return res;
}

const char *router_strip_version(const char *path, unsigned *ret_version)
{
	const char *p = path;
	char *end;
	unsigned long major, minor;

	*ret_version = 0;
	if (p[0] != '/' || p[1] != 'v' || p[2] < '0' || p[2] > '9')
		return path;
	major = strtoul(p + 2, &end, 10);
	if (*end != '.' || end[1] < '0' || end[1] > '9')
		return path;
	minor = strtoul(end + 1, &end, 10);
	if (*end != '/' && *end != '\0')
		return path;
	if (major > 99 || minor > 99)
		return path;
	*ret_version = (unsigned)(major * 100 + minor);
	return *end ? end : "/";
}
