/* berr.c - error values with messages (see berr.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/berr.h"
#include "core/util.h"

int berr_set(struct berr **err, int code, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	if (code < 0)
		code = -code;
	if (!err || *err)
		return -code;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		abort();
	va_end(ap);
	*err = xmalloc(sizeof(**err));
	(*err)->code = code;
	(*err)->msg = msg;
	return -code;
}

int berr_wrap(struct berr **err, const char *fmt, ...)
{
	va_list ap;
	char *ctx, *msg;

	if (!err || !*err)
		return -EIO;
	va_start(ap, fmt);
	if (vasprintf(&ctx, fmt, ap) < 0)
		abort();
	va_end(ap);
	msg = xasprintf("%s: %s", ctx, (*err)->msg);
	free(ctx);
	free((*err)->msg);
	(*err)->msg = msg;
	return -(*err)->code;
}

const char *berr_msg(const struct berr *err)
{
	if (!err)
		return "unknown error";
	return err->msg ? err->msg : strerror(err->code);
}

void berr_free(struct berr *err)
{
	if (!err)
		return;
	free(err->msg);
	free(err);
}

void berr_freep(struct berr **err)
{
	berr_free(*err);
	*err = NULL;
}
