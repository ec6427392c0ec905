/* dockercfg.h - the CLI's config file, in the docker CLI's format:
 * {"auths": {"127.0.0.1:5000": {"auth": "<base64 of user:password>"}}},
 * kept at $BERTH_CONFIG/config.json (default ~/.berth/config.json), mode
 * 0600, written atomically, other keys kept as they are.  Used by login,
 * logout, pull and push (cmd-registry.c). */
#ifndef BERTH_CLI_DOCKERCFG_H
#define BERTH_CLI_DOCKERCFG_H

#include <jansson.h>
#include <stdbool.h>

#include "core/berr.h"

#define DOCKERCFG_HUB "https://index.docker.io/v1/"

/* The file's path (caller frees); NULL when neither BERTH_CONFIG nor HOME
 * is set. */
char *dockercfg_path(void);
/* Load it into *ret (caller decrefs): a missing file is an empty object;
 * unreadable, not JSON or not an object: an error naming the file. */
int dockercfg_load(const char *path, json_t **ret, struct berr **err);
/* Write it: a temp file in the same directory renamed over it, mode 0600
 * (missing directories made 0700). */
int dockercfg_save(const char *path, json_t *cfg, struct berr **err);

/* The key credentials are kept under: the server without "http://" or
 * "https://" and trailing '/'; Docker Hub's names all give DOCKERCFG_HUB.
 * Caller frees. */
char *dockercfg_key(const char *server);
/* The registry host of a server address ("https://x:5000/v2/" -> "x:5000"),
 * DOCKERCFG_HUB for Docker Hub's names.  Caller frees. */
char *dockercfg_hostname(const char *server);
/* The registry host of an image reference ("127.0.0.1:5000/team/bb:v1" ->
 * "127.0.0.1:5000"; "busybox" -> DOCKERCFG_HUB).  Caller frees. */
char *dockercfg_ref_server(const char *ref);

/* Credentials for a server: the entry under its key, else one whose key
 * has the same host.  1 found (*ret_user, *ret_pass set; caller frees),
 * 0 not. */
int dockercfg_get(json_t *cfg, const char *server, char **ret_user, char **ret_pass);
/* Store them under dockercfg_key(server), replacing any entry for that
 * host. */
void dockercfg_set(json_t *cfg, const char *server, const char *user, const char *pass);
/* Remove every entry for server's host: true when there were some. */
bool dockercfg_del(json_t *cfg, const char *server);

/* The X-Registry-Auth value for server from the config file: base64url of
 * {"username", "password", "serveraddress"} in *ret (caller frees), or
 * NULL there when the file has no credentials for it.  A config file that
 * cannot be read is an error. */
int dockercfg_registry_auth(const char *server, char **ret, struct berr **err);
/* base64url (with padding, as Go's base64.URLEncoding) of a JSON object.
 * Caller frees. */
char *dockercfg_encode_auth(json_t *o);

#endif
