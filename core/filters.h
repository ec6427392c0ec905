/* filters.h - the `filters` query parameter of list and prune requests.
 * Docker clients send two encodings: {"k":{"v":true}} (CLI) and
 * {"k":["v"]} (docker-py); both become one normalised object of arrays.
 * Values of one key are OR-ed, different keys AND-ed. */
#ifndef BERTH_FILTERS_H
#define BERTH_FILTERS_H

#include <jansson.h>
#include <stdbool.h>
#include <time.h>

#include "core/berr.h"

/* Parse s (NULL or "" for none) into *ret ({"key": ["v", ...]}); keys not
 * in allowed (NULL-terminated) are refused: 400 "invalid filter 'x'". */
int filters_parse(const char *s, const char *const *allowed, json_t **ret, struct berr **err);

/* Values given for key (a JSON array, borrowed), or NULL when none. */
json_t *filters_get(json_t *f, const char *key);

/* True when key is absent or one of its values satisfies match(value, data). */
bool filters_match(json_t *f, const char *key, bool (*match)(const char *want, void *data),
		   void *data);
/* A matcher for filters_match: want is a regular expression found
 * anywhere in the string data (Docker's name filters). */
bool filters_regex_match(const char *want, void *data);
/* A matcher for filters_match: data starts with want (ids). */
bool filters_prefix_match(const char *want, void *data);
/* Exact string match on a key. */
bool filters_match_exact(json_t *f, const char *key, const char *value);
/* "k" holds when the label exists, "k=v" when it has that value. */
bool filters_label_holds(const char *want, json_t *labels);
/* label filters: each "k" or "k=v" must hold in labels (all of them: Docker
 * AND-s label values). */
bool filters_match_labels(json_t *f, const char *key, json_t *labels);

/* An `until` value: Unix seconds (fractions allowed), an RFC 3339 time, or
 * a Go duration before now ("10m", "1h30m"). */
int filters_time(const char *s, struct timespec *ret, struct berr **err);

#endif
