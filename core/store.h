/* store.h - the local store: one JSON file per object under <root>/<kind>/,
 * written atomically (temp file, fsync, rename, fsync of the directory).
 * Callers: the controller (networks, endpoints, ...) and the default IPAM
 * (its pools).  Network drivers never touch the store. */
#ifndef BERTH_STORE_H
#define BERTH_STORE_H

#include <jansson.h>
#include <stdbool.h>

#include "core/berr.h"

struct store;

/* Open (creating when missing) the store under root. */
int store_open(const char *root, struct store **ret, struct berr **err);
void store_free(struct store *st);

/* Write obj as <kind>/<key>.json.  key: letters, digits, '.', '_', '-'. */
int store_put(struct store *st, const char *kind, const char *key, json_t *obj, struct berr **err);
/* Remove <kind>/<key>.json; a missing file is success. */
int store_del(struct store *st, const char *kind, const char *key, struct berr **err);

/* Called for each object of a kind; obj is borrowed for the call.  A
 * negative return stops the walk and is returned by store_load. */
typedef int (*store_load_fn)(const char *key, json_t *obj, void *data, struct berr **err);
/* Walk every <kind>/<key>.json file in name order.  Left-over temp files of an
 * interrupted write are removed; unreadable files are logged and skipped. */
int store_load(struct store *st, const char *kind, store_load_fn fn, void *data, struct berr **err);

/* True while writes are fsync'ed (the default).  Tests may turn it off. */
void store_set_sync(struct store *st, bool sync);

#endif
