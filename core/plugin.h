/* plugin.h - the client side of Docker's (v1, "legacy") plugin protocol,
 * as ../shared/docs/reference/network-plugin-protocols.md describes it:
 * plugins found by name in the plugin directories (NAME.sock, NAME/NAME.sock,
 * NAME.spec, NAME/NAME.spec, NAME.json, NAME/NAME.json), activated once
 * (POST /Plugin.Activate) and then called with POST /<Interface>.<Method>
 * and a JSON body, over a unix socket or HTTP(S).  libcurl does the HTTP.
 *
 * Calls block the calling thread (the job thread) for at most the call
 * timeout; a plugin that is not there (yet) is looked for again with
 * Docker's back-off (1, 2, 4, 8 s: about 15 s in all).  Not thread-safe:
 * the job thread is the only caller. */
#ifndef BERTH_PLUGIN_H
#define BERTH_PLUGIN_H

#include <jansson.h>
#include <stdbool.h>

#include "core/berr.h"

struct plugins;
struct plugin;

/* The registry.  dirs: where to look, in order (NULL-terminated; NULL:
 * Docker's /run/docker/plugins, /etc/docker/plugins, /usr/lib/docker/plugins).
 * timeout_ms: the ceiling of one call.  A plugin that is not there (or
 * does not take the connection) is looked for again after 1, 2, 4, 8 s...
 * until the next wait would end past retry_ms (Docker: 30 000, so about
 * 15 s and 5 tries). */
struct plugins *plugins_new(const char *const *dirs, unsigned timeout_ms, unsigned retry_ms);
void plugins_free(struct plugins *reg);

/* The plugin called name, found and activated (once: later calls return the
 * same object), which must implement iface ("NetworkDriver", "IpamDriver").
 * ENOENT: not found (after the retries); EINVAL: it does not implement
 * iface; other errors: activation failed. */
int plugins_get(struct plugins *reg, const char *name, const char *iface, struct plugin **ret,
		struct berr **err);

const char *plugin_name(const struct plugin *p);

enum {
	/* A 404 means "not implemented": the call returns -EOPNOTSUPP with no
	 * message and *reply NULL (Docker's rule for a few optional methods). */
	PLUGIN_OPTIONAL = 1 << 0,
	/* No retry when the plugin cannot be reached (undo and clean-up calls:
	 * a dead plugin must not hold them for the retry budget). */
	PLUGIN_NO_RETRY = 1 << 1,
};

/* POST /method (e.g. "NetworkDriver.Join") with body (NULL: an empty body,
 * for methods without arguments).  On success *reply (may be NULL when
 * not wanted) gets the reply object ({} for an empty body).  Errors, with
 * "plugin NAME: METHOD: " before the plugin's own words: its Err / Error
 * field (EIO), an HTTP status other than 200 (EIO), no answer within the
 * timeout (ETIMEDOUT), not reachable (EHOSTUNREACH), a reply that is not a
 * JSON object (EPROTO). */
int plugin_call(struct plugin *p, const char *method, json_t *body, int flags, json_t **reply,
		struct berr **err);

#endif
