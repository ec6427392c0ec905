/* table.c - tab-separated cells into aligned columns (see table.h).  Used
 * by the list and version/info output of the CLI. */
#include <string.h>

#include "cli/table.h"
#include "core/util.h"

void table_init(struct table *t, size_t minwidth, size_t padding)
{
	*t = (struct table){.minwidth = minwidth, .padding = padding};
}

void table_done(struct table *t)
{
	strv_done(&t->lines);
}

void table_add(struct table *t, const char *text)
{
	const char *nl;

	while ((nl = strchr(text, '\n'))) {
		_cleanup_free_ char *line = xstrndup(text, (size_t)(nl - text));

		strv_push(&t->lines, line);
		text = nl + 1;
	}
	if (*text)
		strv_push(&t->lines, text);
}

/* Display width: UTF-8 code points. */
static size_t table_width(const char *s, size_t len)
{
	size_t w = 0;

	for (size_t i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			w++;
	return w;
}

/* Tab-terminated cells of each line: counts[i], and their widths. */
static size_t table_cells(const char *line)
{
	size_t n = 0;

	for (; *line; line++)
		n += *line == '\t';
	return n;
}

/* Width of each cell of each line, then each column of each run of lines
 * set to the run's widest cell plus padding (at least minwidth). */
static size_t **table_widths(const struct table *t, size_t *counts)
{
	size_t **w = xcalloc(t->lines.n + 1, sizeof(*w));

	for (size_t i = 0; i < t->lines.n; i++) {
		const char *s = t->lines.v[i];

		counts[i] = table_cells(s);
		w[i] = xcalloc(counts[i] + 1, sizeof(**w));
		for (size_t c = 0; c < counts[i]; c++) {
			size_t len = strcspn(s, "\t");

			w[i][c] = table_width(s, len) + t->padding;
			s += len + 1;
		}
	}
	for (size_t i = 0; i < t->lines.n; i++) {
		for (size_t c = 0; c < counts[i]; c++) {
			size_t end = i, max = t->minwidth;

			if (i > 0 && counts[i - 1] > c)
				continue; /* already set by the run's first line */
			while (end < t->lines.n && counts[end] > c) {
				if (w[end][c] > max)
					max = w[end][c];
				end++;
			}
			for (size_t k = i; k < end; k++)
				w[k][c] = max;
		}
	}
	return w;
}

char *table_render(const struct table *t)
{
	_cleanup_free_ size_t *counts = xcalloc(t->lines.n + 1, sizeof(*counts));
	size_t **w = table_widths(t, counts);
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	if (!f)
		abort();
	for (size_t i = 0; i < t->lines.n; i++) {
		const char *s = t->lines.v[i];

		for (size_t c = 0; c < counts[i]; c++) {
			size_t n = strcspn(s, "\t");

			fwrite(s, 1, n, f);
			fprintf(f, "%*s", (int)(w[i][c] - table_width(s, n)), "");
			s += n + 1;
		}
		fputs(s, f);
		fputc('\n', f);
		free(w[i]);
	}
	free(w);
	fclose(f);
	return out;
}
