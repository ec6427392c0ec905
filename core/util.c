/* util.c - allocation, cleanup, ids and time helpers shared by every module. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/random.h>
#include <unistd.h>

#include "core/util.h"

static void *oom(void)
{
	fputs("berth: out of memory\n", stderr);
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	return p ? p : oom();
}

void *xcalloc(size_t nmemb, size_t n)
{
	void *p = calloc(nmemb ? nmemb : 1, n ? n : 1);

	return p ? p : oom();
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	return p ? p : oom();
}

char *xstrdup(const char *s)
{
	char *p = strdup(s);

	return p ? p : oom();
}

char *xstrndup(const char *s, size_t n)
{
	char *p = strndup(s, n);

	return p ? p : oom();
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	return r < 0 ? oom() : s;
}

void xgrow(void *arr, size_t *cap, size_t want, size_t elem)
{
	void **p = arr;
	size_t n = *cap ? *cap : 8;

	if (want <= *cap)
		return;
	while (n < want)
		n *= 2;
	*p = xrealloc(*p, n * elem);
	memset((char *)*p + *cap * elem, 0, (n - *cap) * elem);
	*cap = n;
}

void closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}

void util_random_id(char buf[static 65])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[32];
	size_t got = 0;

	while (got < sizeof(raw)) {
		ssize_t r = getrandom(raw + got, sizeof(raw) - got, 0);

		if (r < 0 && errno != EINTR)
			abort();
		if (r > 0)
			got += (size_t)r;
	}
	for (size_t i = 0; i < sizeof(raw); i++) {
		buf[2 * i] = hex[raw[i] >> 4];
		buf[2 * i + 1] = hex[raw[i] & 15];
	}
	buf[64] = '\0';
}

void util_time_rfc3339(const struct timespec *ts, char *buf, size_t len)
{
	struct tm tm;
	char base[32];

	gmtime_r(&ts->tv_sec, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%09ldZ", base, ts->tv_nsec);
}

int util_time_parse(const char *s, struct timespec *ret)
{
	struct tm tm = {0};
	struct timespec ts = {0};
	const char *p;
	char *end;

	p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!p) {
		long long secs = strtoll(s, &end, 10);

		if (end == s || *end)
			return -EINVAL;
		ret->tv_sec = (time_t)secs;
		ret->tv_nsec = 0;
		return 0;
	}
	if (*p == '.') {
		long mult = 100000000;

		for (p++; *p >= '0' && *p <= '9'; p++, mult /= 10)
			ts.tv_nsec += (*p - '0') * mult;
	}
	if (*p != 'Z' || p[1])
		return -EINVAL;
	ts.tv_sec = timegm(&tm);
	*ret = ts;
	return 0;
}

uint64_t util_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
