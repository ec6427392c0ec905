/* tmpl.h - the subset of Go's text/template that docker's --format uses,
 * evaluated over JSON values: {{.A.B}} (exact key first, then any case, so
 * .ID finds "Id"), {{.Label "k"}} (a field with arguments indexes it),
 * string literals, pipes, parenthesised pipes as arguments with fields
 * after them ({{(index .Networks "a-b").IPAddress}}), the functions json,
 * join, split, upper, lower, title, index, len, println, and {{range}},
 * {{if}}, {{with}}, {{else}}, {{end}} with {{- -}} trimming.  No variables.
 * Values print as Go prints them. */
#ifndef BERTH_CLI_TMPL_H
#define BERTH_CLI_TMPL_H

#include <jansson.h>

#include "core/berr.h"

struct tmpl;

/* Parse text (a --format argument); errors (EINVAL) read "template parsing
 * error: ...".  Caller frees with tmpl_free. */
int tmpl_parse(const char *text, struct tmpl **ret, struct berr **err);
void tmpl_free(struct tmpl *t);

/* Render t with dot = data (borrowed); returns a new string (caller frees)
 * in *ret. */
int tmpl_render(const struct tmpl *t, json_t *data, char **ret, struct berr **err);

/* How Go's fmt prints v with %v (strings bare, maps as map[k:v], lists as
 * [a b], null as <no value>, a missing value (NULL) as ""): a new string,
 * caller frees. */
char *tmpl_value_str(json_t *v);

#endif
