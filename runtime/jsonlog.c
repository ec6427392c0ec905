/* jsonlog.c - the container's output in Docker's json-file format, one
 * entry per line: {"log":"hi\n","stream":"stdout","time":"...Z"}.  The
 * shim feeds it what it reads from the container's pipes or pty.  Like
 * Docker, an entry is one line of output (ending in "\n"); a line longer
 * than JSONLOG_MAX is cut into several entries, and bytes that are not
 * UTF-8 become U+FFFD so that the file stays valid JSON. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/util.h"
#include "runtime/shim.h"

#define JSONLOG_MAX 16384 /* Docker's partial-line limit */

struct jsonlog {
	int fd; /* borrowed */
	const char *stream;
	char buf[JSONLOG_MAX];
	size_t len;
};

struct jsonlog_out {
	char *s;
	size_t len, cap;
};

/* Append n bytes to out. */
static void jsonlog_put(struct jsonlog_out *out, const char *s, size_t n)
{
	xgrow(&out->s, &out->cap, out->len + n + 1, 1);
	memcpy(out->s + out->len, s, n);
	out->len += n;
	out->s[out->len] = 0;
}

/* Length of the valid UTF-8 sequence at s (0 when it is not one). */
static size_t jsonlog_utf8_len(const unsigned char *s, size_t n)
{
	size_t want;
	unsigned cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		want = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		want = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		want = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (n < want)
		return 0;
	for (size_t i = 1; i < want; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((want == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (want == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return want;
}

/* Append s as the body of a JSON string. */
static void jsonlog_escape(struct jsonlog_out *out, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	char esc[8];

	for (size_t i = 0; i < n;) {
		size_t l = jsonlog_utf8_len(u + i, n - i);

		if (l == 0) {
			jsonlog_put(out, "\\ufffd", 6);
			i++;
			continue;
		}
		if (u[i] == '"' || u[i] == '\\') {
			esc[0] = '\\', esc[1] = (char)u[i];
			jsonlog_put(out, esc, 2);
		} else if (u[i] == '\n') {
			jsonlog_put(out, "\\n", 2);
		} else if (u[i] == '\r') {
			jsonlog_put(out, "\\r", 2);
		} else if (u[i] == '\t') {
			jsonlog_put(out, "\\t", 2);
		} else if (u[i] < 0x20 || u[i] == 0x7f) {
			snprintf(esc, sizeof(esc), "\\u%04x", u[i]);
			jsonlog_put(out, esc, 6);
		} else {
			jsonlog_put(out, s + i, l);
		}
		i += l;
	}
}

/* One json-file entry, newline-terminated.  Caller frees. */
char *jsonlog_line(const char *log, size_t len, const char *stream, const struct timespec *ts)
{
	struct jsonlog_out out = {0};
	char tbuf[64];

	util_time_rfc3339(ts, tbuf, sizeof(tbuf));
	jsonlog_put(&out, "{\"log\":\"", 8);
	jsonlog_escape(&out, log, len);
	jsonlog_put(&out, "\",\"stream\":\"", 12);
	jsonlog_put(&out, stream, strlen(stream));
	jsonlog_put(&out, "\",\"time\":\"", 10);
	jsonlog_put(&out, tbuf, strlen(tbuf));
	jsonlog_put(&out, "\"}\n", 3);
	return out.s;
}

/* A writer for one stream appending to fd (borrowed; -1 discards). */
struct jsonlog *jsonlog_new(int fd, const char *stream)
{
	struct jsonlog *jl = xcalloc(1, sizeof(*jl));

	jl->fd = fd;
	jl->stream = stream;
	return jl;
}

/* Write the buffered bytes as one entry. */
static void jsonlog_flush(struct jsonlog *jl)
{
	_cleanup_free_ char *line = NULL;
	struct timespec ts;
	size_t off = 0, n;
	ssize_t w;

	if (!jl->len)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	line = jsonlog_line(jl->buf, jl->len, jl->stream, &ts);
	jl->len = 0;
	if (jl->fd < 0)
		return;
	n = strlen(line);
	while (off < n) {
		w = write(jl->fd, line + off, n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return; /* a full disk loses output, never the container */
		off += (size_t)w;
	}
}

/* Buffer bytes, writing an entry at each newline or when the buffer fills. */
void jsonlog_feed(struct jsonlog *jl, const char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		jl->buf[jl->len++] = buf[i];
		if (buf[i] == '\n' || jl->len == sizeof(jl->buf))
			jsonlog_flush(jl);
	}
}

/* Flush a last partial line and free the writer (NULL is fine). */
void jsonlog_free(struct jsonlog *jl)
{
	if (!jl)
		return;
	jsonlog_flush(jl);
	free(jl);
}
