/* table.h - aligned columns as Go's text/tabwriter makes them for docker:
 * cells end with a tab, a column is as wide as its widest cell plus the
 * padding (at least minwidth) within each run of lines that have it, the
 * last cell of a line is not padded. */
#ifndef BERTH_CLI_TABLE_H
#define BERTH_CLI_TABLE_H

#include <stdio.h>

#include "cli/cli.h"

struct table {
	struct strv lines;
	size_t minwidth, padding;
};

void table_init(struct table *t, size_t minwidth, size_t padding);
void table_done(struct table *t);
/* Add text (split at newlines; a trailing newline ends the last line). */
void table_add(struct table *t, const char *text);
/* The aligned text: a new string, caller frees. */
char *table_render(const struct table *t);

#endif
