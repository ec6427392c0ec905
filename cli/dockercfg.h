/* dockercfg.h - the CLI's config file, in the docker CLI's format:
 * {"auths": {"127.0.0.1:5000": {"auth": "<base64 of user:password>"}}},
 * kept at $BERTH_CONFIG/config.json (default ~/.berth/config.json), mode
 * 0600, written atomically, other keys kept as they are. */
#ifndef BERTH_CLI_DOCKERCFG_H
#define BERTH_CLI_DOCKERCFG_H

#include <jansson.h>
#include <stdbool.h>

#include "core/berr.h"

#define DOCKERCFG_HUB "https://index.docker.io/v1/"

/* The file's path (caller frees); NULL when neither BERTH_CONFIG nor HOME
 * is set. */
char *dockercfg_path(void);
/* Load it: a missing file is an empty object; not JSON: EINVAL. */
int dockercfg_load(const char *path, json_t **ret, struct berr **err);
/* Write it: temp file + rename, mode 0600 (its directory made 0700). */
int dockercfg_save(const char *path, json_t *cfg, struct berr **err);

/* The key credentials are kept under: the server without a scheme or a
 * trailing '/'; Docker Hub's names all give DOCKERCFG_HUB.  Caller frees. */
char *dockercfg_key(const char *server);
/* The registry host of an image reference ("127.0.0.1:5000/team/bb:v1" ->
 * "127.0.0.1:5000"; "busybox" -> DOCKERCFG_HUB).  Caller frees. */
char *dockercfg_ref_server(const char *ref);

/* Credentials for a server (any spelling dockercfg_key folds together):
 * 1 found (*user, *pass set; caller frees), 0 not. */
int dockercfg_get(json_t *cfg, const char *server, char **user, char **pass);
void dockercfg_set(json_t *cfg, const char *server, const char *user, const char *pass);
/* Remove them: true when there were some. */
bool dockercfg_del(json_t *cfg, const char *server);

/* The X-Registry-Auth value for server from the config file: base64url of
 * {"username", "password", "serveraddress"}, or "e30=" ({}) when there are
 * no credentials.  Caller frees. */
char *dockercfg_registry_auth(const char *server);
/* base64url (no padding) of a JSON object.  Caller frees. */
char *dockercfg_encode_auth(json_t *o);

#endif
