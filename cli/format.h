/* format.h - what the CLI prints besides plain text: --format handling for
 * lists and single objects (table, table TEMPLATE, json, TEMPLATE), the
 * filters query parameter, and docker's ways of printing sizes and times. */
#ifndef BERTH_CLI_FORMAT_H
#define BERTH_CLI_FORMAT_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "cli/cli.h"
#include "core/berr.h"

/* docker's table layout: tabwriter minwidth 10, padding 3. */
#define FORMAT_TABLE_MINWIDTH 10
#define FORMAT_TABLE_PADDING  3

/* A list printed with --format.  rows: array of row objects (borrowed);
 * header: the header row for "table" formats, each field's column title;
 * def: the default "table {{...}}" format; json_skip: a row key not
 * printed by --format json (NULL for none).  Writes to out. */
struct format_list {
	const char *format;
	const char *def;
	json_t *rows;
	json_t *header;
	const char *json_skip;
	/* -q: without a --format (or with "table"), quiet_def instead of def */
	bool quiet;
	const char *quiet_def;
};

int format_list_print(const struct format_list *fl, FILE *out, struct berr **err);

/* One object with -f/--format: "json" prints it compact on one line, any
 * other text is a template rendered with dot = obj, plus a newline. */
int format_object_print(const char *format, json_t *obj, FILE *out, struct berr **err);

/* The --format text as docker preprocesses it: the "table " prefix cut
 * (*ret_table set), literal \t and \n turned into tab and newline, spaces
 * trimmed.  Caller frees. */
char *format_prepare(const char *format, bool *ret_table);

/* Repeated --filter k=v into the CLI's filters JSON
 * {"k":{"v":true}} (NULL in *ret when there are none; caller frees). */
/* Append ?filters=<the CLI's JSON encoding> to *path when there are any. */
int format_filters_query(char **path, const struct strv *filters, struct berr **err);
int format_filters_json(const struct strv *filters, char **ret, struct berr **err);

/* Natural order (net2 before net10), as docker sorts names. */
int format_natural_cmp(const char *a, const char *b);
/* Sort an array of strings, or of objects by their string member key. */
void format_sort_strings(json_t *arr);
void format_sort_rows(json_t *rows, const char *key);

/* Bytes as docker's units.BytesSize: "%.4g" with binary units (15.5GiB). */
char *format_bytes(double bytes);

/* RFC 3339 (as berthd sends Created) as Go's time.String() prints it:
 * "2025-01-02 03:04:05.123456789 +0000 UTC".  Unparsable input is
 * returned as it is.  Caller frees. */
char *format_go_time(const char *rfc3339);

#endif
