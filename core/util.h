/* util.h - small helpers every module uses: allocation that aborts on
 * out-of-memory, cleanup attributes for locals, string and time helpers. */
#ifndef BERTH_UTIL_H
#define BERTH_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Allocation wrappers: abort on out-of-memory, never return NULL. */
void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t n);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Grow *arr (of *cap elements of size elem) so that it holds at least want. */
void xgrow(void *arr, size_t *cap, size_t want, size_t elem);

static inline bool streq(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}

static inline bool strprefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Cleanup attributes for locals. */
static inline void freep(void *p)
{
	free(*(void **)p);
}

void closep(int *fd);

#define _cleanup_(f)	__attribute__((cleanup(f)))
#define _cleanup_free_	_cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)
/* For json_t * (json_decrefp comes with jansson >= 2.9; include it to use this). */
#define _cleanup_json_ _cleanup_(json_decrefp)

/* Hand ownership out of a cleanup local. */
#define TAKE_PTR(p)                                                                                \
	({                                                                                         \
		__typeof__(p) _tp = (p);                                                           \
		(p) = NULL;                                                                        \
		_tp;                                                                               \
	})
#define TAKE_FD(fd)                                                                                \
	({                                                                                         \
		int _tf = (fd);                                                                    \
		(fd) = -1;                                                                         \
		_tf;                                                                               \
	})

/* Fill buf (at least 65 bytes) with a random 64-hex-digit object id. */
void util_random_id(char buf[static 65]);

/* RFC 3339 with nanoseconds in UTC, as Docker prints it.  buf >= 40 bytes. */
void util_time_rfc3339(const struct timespec *ts, char *buf, size_t len);
/* Parse what util_time_rfc3339 writes (and plain seconds).  0 or -EINVAL. */
int util_time_parse(const char *s, struct timespec *ret);

/* Monotonic clock in nanoseconds. */
uint64_t util_now_ns(void);

#endif
